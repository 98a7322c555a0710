/**
 * examples/hcl (docker-bake.hcl) and examples/compose (compose.yaml) built through the real CLI with
 * the docker driver on Docker 26 (BuildKit v0.13, containerd store), found by the default lookup.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { engines, requireEngine, docker } from '../helpers/env.js';
import { repoRoot, runCli } from '../helpers/cli.js';

const engine = engines.docker26;
const env = { DOCKER_HOST: engine.host };
const uniq = (): string => `it${Math.random().toString(36).slice(2, 8)}`;

describe('bake-format examples on Docker 26', () => {
  beforeAll(async () => {
    await requireEngine(engine);
  });

  it('examples/hcl: variables (--var), a function, inherits, a matrix and a target: context', async () => {
    const tag = uniq();
    const cwd = path.join(repoRoot, 'examples/hcl');
    const r = await runCli(['run', '--progress', 'plain', '--var', `TAG=${tag}`], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    for (const flavor of ['slim', 'full']) {
      const out = await docker(engine, ['run', '--rm', `example/hcl-app:${tag}-${flavor}`, 'cat', '/app.txt']);
      expect(out.stdout.trim()).toBe(`app ${flavor} on base built by tsbake`);
      const label = await docker(engine, ['image', 'inspect', '-f', '{{index .Config.Labels "org.opencontainers.image.version"}}', `example/hcl-app:${tag}-${flavor}`]);
      expect(label.stdout.trim()).toBe(tag);
    }
  });

  it('examples/compose: services with build, args from the service environment, service: contexts, x-bake tags', async () => {
    const tag = uniq();
    const cwd = path.join(repoRoot, 'examples/compose');
    const list = await runCli(['print', '--list', 'targets'], { cwd, env });
    expect(list.stdout, JSON.stringify(list)).toBe('TARGET\tDESCRIPTION\ndefault\tweb, worker\nweb\t\nworker\t');
    const r = await runCli(['run', '--progress', 'plain'], { cwd, env: { ...env, TAG: tag } });
    expect(r.code, r.stderr).toBe(0);
    const out = await docker(engine, ['run', '--rm', `example/compose-web:${tag}`, 'cat', '/web.txt', '/worker.txt']);
    expect(out.stdout).toBe(`hello from compose (${tag})\nworker`);
    // x-bake tags replace the image fallback: the worker is tagged latest only
    const tags = await docker(engine, ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', 'example/compose-worker']);
    expect(tags.stdout.split('\n')).toContain('example/compose-worker:latest');
    expect(tags.stdout).not.toContain(`example/compose-worker:${tag}`);
  });
});
