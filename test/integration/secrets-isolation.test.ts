/**
 * Secrets stay with the target that declares them, through the real CLI on both engines: three targets
 * of one run share an id (`tok`) — A from $A_TOK, B from $B_TOK, C declares none — and each build
 * writes what it sees at /run/secrets/tok into a local export. A sees A's value, B sees B's, C sees
 * nothing (its mount is optional and absent; a required one fails naming the id). File secrets too.
 * (Each Dockerfile differs by target, so no build can be a cache hit on another's RUN: BuildKit does
 * not key RUN cache on secret values.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { engines, requireEngine, type EngineRef } from '../helpers/env.js';
import { project, runCli } from '../helpers/cli.js';

const uniq = (): string => Math.random().toString(36).slice(2, 10);

/** Writes /out with the secret's content, or `absent` when the optional mount is not there. */
function dockerfile(target: string, marker: string): string {
  return (
    'FROM local/busybox:1 AS b\n' +
    `RUN --mount=type=secret,id=tok,required=false echo ${target}-${marker} && ` +
    'if [ -e /run/secrets/tok ]; then cat /run/secrets/tok > /out; else echo absent > /out; fi\n' +
    'FROM scratch\nCOPY --from=b /out /out\n'
  );
}

describe.each([
  ['docker20', engines.docker20],
  ['docker26', engines.docker26],
] as [string, EngineRef][])('secrets per target on %s', (_name, engine) => {
  beforeAll(async () => {
    await requireEngine(engine);
  });

  it('env secrets: each target reads its own entry for a shared id; a target without one reads nothing', async () => {
    const marker = uniq();
    const dir = await project({
      'tsbake.yaml':
        'target:\n' +
        '  a:\n    dockerfile: a.Dockerfile\n    secret: ["id=tok,env=A_TOK"]\n    output: ["type=local,dest=out/a"]\n' +
        '  b:\n    dockerfile: b.Dockerfile\n    secret: ["id=tok,env=B_TOK"]\n    output: ["type=local,dest=out/b"]\n' +
        '  c:\n    dockerfile: c.Dockerfile\n    output: ["type=local,dest=out/c"]\n' +
        'group:\n  default:\n    targets: [a, b, c]\n',
      'a.Dockerfile': dockerfile('a', marker),
      'b.Dockerfile': dockerfile('b', marker),
      'c.Dockerfile': dockerfile('c', marker),
    });
    const r = await runCli(['run', '--progress', 'plain'], {
      cwd: dir,
      env: { DOCKER_HOST: engine.host, A_TOK: `value-of-a-${marker}`, B_TOK: `value-of-b-${marker}` },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'out/a/out'), 'utf8')).toBe(`value-of-a-${marker}`);
    expect(readFileSync(path.join(dir, 'out/b/out'), 'utf8')).toBe(`value-of-b-${marker}`);
    expect(readFileSync(path.join(dir, 'out/c/out'), 'utf8')).toBe('absent\n');
  });

  it('file secrets: a target that declares none cannot read another target’s file; a required mount fails naming the id', async () => {
    const marker = uniq();
    const dir = await project({
      'tsbake.yaml':
        'target:\n' +
        '  a:\n    dockerfile: a.Dockerfile\n    secret: ["id=tok,src=a.secret"]\n    output: ["type=local,dest=out/a"]\n' +
        '  c:\n    dockerfile: c.Dockerfile\n    output: ["type=local,dest=out/c"]\n' +
        '  d:\n    dockerfile: d.Dockerfile\n' +
        'group:\n  default:\n    targets: [a, c]\n',
      'a.secret': `file-of-a-${marker}`,
      'a.Dockerfile': dockerfile('a', marker),
      'c.Dockerfile': dockerfile('c', marker),
      'd.Dockerfile': `FROM local/busybox:1\nRUN --mount=type=secret,id=tok,required=true echo d-${marker} && cat /run/secrets/tok\n`,
    });
    const env = { DOCKER_HOST: engine.host };
    const r = await runCli(['run', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'out/a/out'), 'utf8')).toBe(`file-of-a-${marker}`);
    expect(readFileSync(path.join(dir, 'out/c/out'), 'utf8')).toBe('absent\n');

    // d declares nothing and requires tok, built in the same run as a, which declares it.
    const both = await runCli(['run', 'a', 'd', '--progress', 'plain'], { cwd: dir, env });
    expect(both.code).toBe(1);
    // v0.8: `secret tok not found`; v0.13: `secret tok: not found`.
    expect(both.stderr).toMatch(/secret tok:? not found/);
    expect(both.stderr).not.toContain(`file-of-a-${marker}`);
  });

  // Unreadable even as root (a chmod 000 file is readable by root): a directory, and a dangling symlink.
  it.each([
    ['a directory', 'it is a directory'],
    ['a dangling symlink', 'it does not exist'],
  ])('a secret file that cannot be read (%s) fails the build naming the file, even for an optional mount', async (kind, why) => {
    const marker = uniq();
    const dir = await project({
      'tsbake.yaml': 'target:\n  a:\n    dockerfile: a.Dockerfile\n    secret: ["id=tok,src=secret"]\n    output: ["type=local,dest=out/a"]\n',
      'a.Dockerfile': dockerfile('a', marker),
    });
    const file = path.join(dir, 'secret');
    if (kind === 'a directory') mkdirSync(file);
    else symlinkSync(path.join(dir, 'no-such-file'), file);
    const r = await runCli(['run', 'a', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engine.host } });
    // Before: the optional mount was left out and the build "succeeded" with `absent`.
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`secret tok: cannot read the file ${file} (${why})`);
  });
});
