/**
 * Large `.dockerignore` files through the real CLI on both engines. The daemon sends each pattern as a
 * separate `exclude-patterns` header of its FileSync call into tsbake's session server, so a file of
 * 120 lines once exceeded Node's HTTP/2 limit of 128 header pairs (`ENHANCE_YOUR_CALM`). buildctl's Go
 * server takes 16 MiB of headers; so does tsbake's now. The export shows the patterns were applied.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { engines, requireEngine, type EngineRef } from '../helpers/env.js';
import { project, runCli } from '../helpers/cli.js';

const uniq = (): string => Math.random().toString(36).slice(2, 10);
const name = (i: number): string => `ignored-${String(i).padStart(5, '0')}.txt`;

describe.each([
  ['docker20', engines.docker20],
  ['docker26', engines.docker26],
] as [string, EngineRef][])('.dockerignore size on %s', (_name, engine) => {
  beforeAll(async () => {
    await requireEngine(engine);
  });

  it.each([120, 10_000])('a .dockerignore of %i lines: the build works and every listed file stays out', async (lines) => {
    const marker = uniq();
    // One line per file name, the last one `out` (the export lands inside the context).
    const patterns = Array.from({ length: lines - 1 }, (_, i) => name(i));
    patterns.push('out');
    const present = [0, 1, Math.floor(lines / 2), lines - 2].map(name);
    const files: Record<string, string> = {
      'tsbake.yaml': 'target:\n  app:\n    output: ["type=local,dest=out"]\n',
      Dockerfile: `FROM scratch\nCOPY . /ctx/\n`,
      '.dockerignore': patterns.join('\n') + '\n',
      'keep.txt': marker,
      // Not listed: the first name past the list.
      [name(lines - 1)]: 'kept too',
    };
    for (const f of present) files[f] = 'must not be sent';
    const dir = await project(files);
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engine.host } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('ENHANCE_YOUR_CALM');
    const out = path.join(dir, 'out/ctx');
    expect(existsSync(path.join(out, 'keep.txt'))).toBe(true);
    expect(existsSync(path.join(out, name(lines - 1)))).toBe(true);
    const got = readdirSync(out).filter((f) => f.startsWith('ignored-'));
    expect(got).toEqual([name(lines - 1)]);
  });
});
