/**
 * `.dockerignore` through the real CLI on a real engine: case-sensitive matching as Docker on Linux,
 * and patterns that made a backtracking matcher run for minutes (and ignore Ctrl-C).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import path from 'node:path';
import { engines, requireEngine, type EngineRef } from '../helpers/env.js';
import { project, runCli, spawnCli } from '../helpers/cli.js';

const uniq = (): string => Math.random().toString(36).slice(2, 8);

/** `**∕**∕…∕*.txt` with 30 `**` segments: 73 s per path for a backtracking regexp. */
const pathological = Array.from({ length: 30 }, () => '**').join('/') + '/*.txt';

/** 8 directories deep, 5 files a level: paths that exercise every `**` segment. */
function deepFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  let dir = 'deep';
  for (let d = 0; d < 8; d++) {
    dir += `/level${d}`;
    for (let f = 0; f < 5; f++) {
      files[`${dir}/f${f}.txt`] = 'x';
      files[`${dir}/f${f}.md`] = 'x';
    }
  }
  return files;
}

async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.push(path.relative(root, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

describe.each([
  ['docker20', engines.docker20],
  ['docker26', engines.docker26],
] as [string, EngineRef][])('.dockerignore on %s', (_name, engine) => {
  const env = { DOCKER_HOST: engine.host };
  beforeAll(async () => {
    await requireEngine(engine);
  });

  it('matches case-sensitively: *.TXT keeps a.txt, SECRET.ENV keeps secret.env', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  app:\n    output: ["type=local,dest=out"]\n',
      Dockerfile: `FROM scratch\nCOPY . /ctx\n`,
      '.dockerignore': `*.TXT\nSECRET.ENV\nout\n# ${uniq()}\n`,
      'a.txt': 'lower',
      'A.TXT': 'upper',
      'secret.env': 'lower',
    });
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const got = await listTree(path.join(dir, 'out', 'ctx'));
    expect(got).toContain('a.txt');
    expect(got).toContain('secret.env');
    expect(got).not.toContain('A.TXT');
  });

  it('a 30-repeat ** pattern is matched quickly: .txt files are excluded at every depth', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  app:\n    output: ["type=local,dest=out"]\n',
      Dockerfile: 'FROM scratch\nCOPY . /ctx\n',
      '.dockerignore': `${pathological}\nout\n# ${uniq()}\n`,
      'top.txt': 'x',
      'top.md': 'x',
      ...deepFiles(),
    });
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const got = await listTree(path.join(dir, 'out', 'ctx'));
    expect(got.filter((f) => f.endsWith('.txt'))).toEqual([]);
    expect(got.filter((f) => f.endsWith('.md'))).toHaveLength(41);
  });

  it('Ctrl-C while the context with a pathological pattern is sent ends the run with 130', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  app: {}\n',
      Dockerfile: `FROM local/busybox:1\nCOPY . /ctx\nRUN echo started-${uniq()} && sleep 60\n`,
      '.dockerignore': `${pathological}\n`,
      // One directory 7 levels down with 60 entries, matched in one synchronous loop: a backtracking
      // matcher spent ~2.5 s on each (150 s with the event loop blocked, SIGINT waiting all along).
      ...Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`a/b/c/d/e/f/g/x${i}.md`, 'x'])),
    });
    const child = spawnCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
    let seen = '';
    await new Promise<void>((resolve) => {
      child.stderr?.on('data', (b: Buffer) => {
        seen += b.toString();
        if (/load build context|started-/.test(seen)) resolve();
      });
    });
    // The walk itself shows nothing outside: give it a moment to be among the deep paths (a blocked
    // event loop ignored SIGINT there). With a linear matcher the build has reached the RUN by then.
    await new Promise((r) => setTimeout(r, 3000));
    child.kill('SIGINT');
    const res = await child;
    expect(res.exitCode, String(res.stderr)).toBe(130);
    expect(String(res.stderr)).toContain('interrupted');
  });
});
