/**
 * Refusals of planned exports come before any solve, as diagnostics (exit 2). They used to be raised
 * inside the solve (src/exec/oci-context.ts), where the target failed and the run exited 1.
 */
import fs from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { engines, requireEngine } from '../helpers/env.js';
import { project, runCli } from '../helpers/cli.js';

describe('planned exports on Docker 26 (BuildKit v0.13, several exporters per solve)', () => {
  beforeAll(async () => {
    await requireEngine(engines.docker26);
  });

  it('two OCI layout outputs in one target: refused before anything is built, exit 2 (it was a failed build, exit 1)', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  app:\n    output: ["type=oci,tar=false,dest=a", "type=oci,tar=false,dest=b"]\n',
      Dockerfile: 'FROM scratch\nCOPY hello.txt /\n',
      'hello.txt': 'hi\n',
    });
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engines.docker26.host } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/tsbake\.yaml:3:\d+: target "app": only one output with tar=false per target/);
    expect(r.stderr.split('only one output with tar=false').length - 1, r.stderr).toBe(1);
    // Nothing was solved: no step ran, no layout directory (or its temp sibling) was made.
    expect(r.stderr).not.toContain('[app]');
    expect((await fs.readdir(dir)).sort()).toEqual(['Dockerfile', 'hello.txt', 'tsbake.yaml']);
    // `validate` says the same, without a daemon.
    const v = await runCli(['validate'], { cwd: dir });
    expect(v.code).toBe(2);
    expect(v.stderr).toContain('only one output with tar=false per target');
  });
});
