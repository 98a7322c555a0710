/** The real CLI as a process: exit codes, stdout, stderr for the read-only commands and bad input. */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { project, repoRoot, runCli } from '../helpers/cli.js';

const noStack = (s: string): void => {
  expect(s).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
  expect(s).not.toContain('internal error');
};

describe('tsbake CLI', () => {
  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^tsbake \d+\.\d+\.\d+$/);
  });

  it('print shows the plan as bake --print does, plus the builder', async () => {
    const r = await runCli(['print', '-f', 'examples/single/tsbake.yaml']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.group.default.targets).toEqual(['app']);
    expect(out.target.app.tags).toEqual(['example/hello:dev']);
    expect(out.target.app.args).toEqual({ GREETING: 'hello from tsbake' });
    expect(out.target.app.builder).toBe('default');
    // bake prints no output when none is written; what tsbake exports is in `plan --format json`
    expect(out.target.app.output).toBeUndefined();
    expect(out.builder.default.driver).toBe('docker');
    const plan = await runCli(['plan', '-f', 'examples/single/tsbake.yaml', '--format', 'json']);
    expect(JSON.parse(plan.stdout).targets.app.resolved.outputs).toEqual(['type=docker']);
  });

  it('variables are overridden by the environment', async () => {
    const r = await runCli(['print', '-f', 'examples/single/tsbake.yaml'], { env: { TAG: 'v9' } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).target.app.tags).toEqual(['example/hello:v9']);
  });

  it('print of the multi-builder example: builders per target, outputs as written; plan: default-load adds a docker output', async () => {
    const r = await runCli(['print', '-f', 'examples/multi-builder/tsbake.yaml', 'worker', 'release', 'web']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.target.worker.builder).toBe('buildkit');
    expect(out.target.worker.output).toBeUndefined();
    expect(out.target.release.builder).toBe('ci');
    expect(out.target.release.output).toEqual([{ type: 'oci', dest: 'dist/release.tar' }]);
    const plan = JSON.parse((await runCli(['plan', '-f', 'examples/multi-builder/tsbake.yaml', '--format', 'json', 'worker', 'release'])).stdout);
    expect(plan.targets.worker.resolved.outputs).toEqual(['type=docker']);
    expect(plan.targets.release.resolved.outputs[0]).toMatch(/^type=oci,dest=\/.*dist\/release\.tar$/);
    expect(out.target.web.builder).toBe('local');
    expect(out.builder.buildkit.driver).toBe('docker-container');
  });

  it('--load adds a docker load to an explicit output; --builder overrides the file', async () => {
    const r = await runCli(['print', '-f', 'examples/multi-builder/tsbake.yaml', 'release', '--load']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).target.release.output).toEqual([{ type: 'oci', dest: 'dist/release.tar' }, { type: 'docker' }]);
    const r2 = await runCli(['print', '-f', 'examples/multi-builder/tsbake.yaml', 'worker', '--builder', 'local']);
    expect(JSON.parse(r2.stdout).target.worker.builder).toBe('local');
  });

  it('matrix example forks targets', async () => {
    const r = await runCli(['print', '-f', 'examples/matrix/tsbake.yaml']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out.target).sort()).toEqual(['tool-full-1', 'tool-full-2', 'tool-slim-1', 'tool-slim-2']);
    expect(out.target['tool-slim-2'].args).toEqual({ FLAVOR: 'slim', LEVEL: '2' });
  });

  it('plan shows levels and graph formats', async () => {
    const text = await runCli(['plan', '-f', 'examples/monorepo/tsbake.yaml']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('base');
    const json = await runCli(['plan', '-f', 'examples/monorepo/tsbake.yaml', '--format', 'json']);
    const plan = JSON.parse(json.stdout);
    expect(plan.levels[0]).toEqual(['base']);
    expect(plan.levels[1]).toEqual(['api', 'app']);
    const dot = await runCli(['plan', '-f', 'examples/monorepo/tsbake.yaml', '--format', 'dot']);
    expect(dot.stdout).toMatch(/digraph/);
    expect(dot.stdout).toMatch(/"app"\s*->\s*"base"/);
    const mermaid = await runCli(['plan', '-f', 'examples/monorepo/tsbake.yaml', '--format', 'mermaid']);
    expect(mermaid.stdout).toMatch(/graph|flowchart/);
  });

  it('list shows targets, groups and builders', async () => {
    const r = await runCli(['list', '-f', 'examples/multi-builder/tsbake.yaml', '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.targets.map((t: { name: string }) => t.name).sort()).toEqual(['release', 'web', 'worker']);
    expect(out.builders.map((b: { name: string; driver: string }) => `${b.name}:${b.driver}`).sort()).toEqual([
      'buildkit:docker-container',
      'ci:remote',
      'local:docker',
    ]);
    const text = await runCli(['list', '-f', 'examples/single/tsbake.yaml']);
    expect(text.stdout).toContain('the hello service');
  });

  it('list reports a builder the planner refuses (exit 2) instead of making one up', async () => {
    // HCL builder blocks are not schema-validated, so the planner is the one to refuse the driver.
    const dir = await project({ 'docker-bake.hcl': 'builder "b" {\n  driver = "dokcer"\n}\ntarget "a" {}\n' });
    const r = await runCli(['list'], { cwd: dir });
    expect(r.code, r.stdout).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('builder "b": unknown driver "dokcer" (drivers: docker, docker-container, kubernetes, remote) (did you mean "docker"?)');
    noStack(r.stderr);
  });

  it('validate: exit 0 on a good file', async () => {
    const r = await runCli(['validate', '-f', 'examples/monorepo/tsbake.yaml']);
    expect(r.code).toBe(0);
  });

  it('validate: every error at once with file:line:column and a suggestion, exit 2', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  app:\n    contxt: .\n    tags: "x"\n  other:\n    dockerfil: D\n',
    });
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/tsbake\.yaml:3:5: .*contxt.*did you mean context/);
    expect(r.stderr).toMatch(/tsbake\.yaml:4:\d+: .*tags/);
    expect(r.stderr).toMatch(/tsbake\.yaml:6:5: .*dockerfil.*did you mean dockerfile/);
    noStack(r.stderr);
  });

  it('unknown target: exit 2 with a suggestion', async () => {
    const r = await runCli(['print', '-f', 'examples/monorepo/tsbake.yaml', 'bse']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bse.*did you mean "?base/);
    noStack(r.stderr);
  });

  it('a dependency cycle: exit 2 and the cycle printed', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  a:\n    contexts: {x: "target:b"}\n  b:\n    depends-on: [c]\n  c:\n    contexts: {y: "target:a"}\n',
    });
    const r = await runCli(['plan', 'a'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('a -> b -> c -> a');
  });

  it('capability refusal before anything is sent: multi-platform on the docker driver', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  app:\n    platforms: [linux/amd64, linux/arm64]\n',
      Dockerfile: 'FROM scratch\n',
    });
    // `validate` warns (the engine decides); `run` asks the daemon first (Docker 20.10: classic store) and refuses.
    const v = await runCli(['validate'], { cwd: dir });
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(/warning: .*Multi-platform build is not supported for the docker driver.*unless the engine uses the containerd image store/);
    const r = await runCli(['run', 'app'], { cwd: dir, env: { DOCKER_HOST: 'unix:///var/run/docker.sock' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Multi-platform build is not supported for the docker driver/);
    // Once, as the error: not first as a warning as well.
    expect(r.stderr.split('Multi-platform build is not supported').length - 1, r.stderr).toBe(1);
    expect(r.stderr).not.toContain('warning:');
    expect(r.stderr).not.toContain('building with');
  });

  it('usage errors exit 2', async () => {
    const r = await runCli(['run', '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option/);
    const r2 = await runCli(['frobnicate']);
    expect(r2.code).toBe(2);
  });

  it('no config file: exit 2 naming the lookup', async () => {
    const dir = await project({ 'README': 'x' });
    const r = await runCli(['print'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tsbake\.yaml/);
    noStack(r.stderr);
  });

  it.each([
    ['malformed YAML', 'target:\n  app: [\n'],
    ['malformed JSON', '{"target": {"app": }'],
    ['empty file', ''],
    ['binary garbage', '\u0000\u0001\u0002garbage\u0000'],
    ['wrong type', 'target: 42\n'],
    ['alias bomb', 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n'],
  ])('bad input (%s): one clear message, exit 2, no stack trace', async (_name, content) => {
    const file = content.startsWith('{') ? 'tsbake.json' : 'tsbake.yaml';
    const dir = await project({ [file]: content });
    const r = await runCli(['validate'], { cwd: dir, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    noStack(r.stderr);
  });

  it('a config path that is a directory: exit 2', async () => {
    const r = await runCli(['validate', '-f', path.join(repoRoot, 'examples')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/directory/);
  });

  it('an unreachable docker daemon: exit 1 naming the endpoint', async () => {
    const r = await runCli(['run', '-f', 'examples/single/tsbake.yaml', '--progress', 'plain'], {
      env: { DOCKER_HOST: 'unix:///tmp/tsbake-no-such-daemon.sock' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unix:///tmp/tsbake-no-such-daemon.sock');
    noStack(r.stderr);
  });
});
