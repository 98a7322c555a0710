import { describe, expect, it } from 'vitest';
import type { ConfigFile, TargetConfig } from '../../src/config/types.js';
import { checkCapabilities } from '../../src/plan/index.js';
import { resolvePlan } from '../../src/index.js';
import { DRIVERS } from '../../src/drivers/index.js';
import type { DriverCapabilities } from '../../src/drivers/types.js';
import { ENV, makeLoaded, planError } from '../fixtures/plan/make-loaded.js';

describe('builders', () => {
  it('makes up the docker builder "default" when none is declared, endpoint from DOCKER_HOST', () => {
    const p = resolvePlan(makeLoaded({ target: { a: {} } }), { names: ['a'], env: {} });
    expect(p.builders).toEqual({
      default: { name: 'default', driver: 'docker', driverOpts: {}, endpoint: 'unix:///var/run/docker.sock', platforms: [], defaultLoad: false, implicit: true },
    });
    const p2 = resolvePlan(makeLoaded({ target: { a: {} } }), { names: ['a'], env: { DOCKER_HOST: 'tcp://d:2375' } });
    expect(p2.builders.default!.endpoint).toBe('tcp://d:2375');
    expect(p2.targets.a!.builder).toBe('default');
  });

  it('resolves declared builders: options flattened, default-load, config path absolute', () => {
    const p = resolvePlan(
      makeLoaded({
        builder: {
          bk: {
            driver: 'kubernetes',
            'driver-opts': { namespace: 'ci', replicas: 2, 'default-load': true, env: { HTTP_PROXY: 'p' }, requests: { cpu: '1' } },
            'buildkitd-config': 'buildkitd.toml',
            platforms: ['linux/amd64'],
            parallelism: 4,
          },
        },
        target: { a: {} },
      }),
      { names: ['a'], env: ENV },
    );
    expect(p.builders).toEqual({
      bk: {
        name: 'bk',
        driver: 'kubernetes',
        driverOpts: { namespace: 'ci', replicas: '2', 'default-load': 'true', 'env.HTTP_PROXY': 'p', 'requests.cpu': '1' },
        platforms: ['linux/amd64'],
        buildkitdConfig: '/proj/buildkitd.toml',
        defaultLoad: true,
        parallelism: 4,
        implicit: false,
      },
    });
  });

  const config: ConfigFile = {
    builder: { one: {}, two: {}, three: {}, four: {} },
    'default-builder': 'four',
    target: { t: { builder: 'three' }, u: {} },
  };
  it.each([
    ['--builder', { builder: 'one', env: { TSBAKE_BUILDER: 'two' } }, 'one', 'one'],
    ['TSBAKE_BUILDER', { env: { TSBAKE_BUILDER: 'two' } }, 'two', 'two'],
    ["the target's builder, else default-builder", { env: {} }, 'three', 'four'],
  ])('precedence: %s', (_, options, t, u) => {
    const p = resolvePlan(makeLoaded(config), { names: ['t', 'u'], ...options });
    expect(p.targets.t!.builder).toBe(t);
    expect(p.targets.u!.builder).toBe(u);
  });

  it('uses the only declared builder when nothing chooses one', () => {
    const p = resolvePlan(makeLoaded({ builder: { solo: { driver: 'remote', endpoint: 'tcp://b:1234' } }, target: { a: { output: ['out'] } } }), { names: ['a'], env: ENV });
    expect(p.targets.a!.builder).toBe('solo');
    expect(Object.keys(p.builders)).toEqual(['solo']);
  });

  it('asks for default-builder when several are declared and none is chosen', () => {
    const err = planError(() => resolvePlan(makeLoaded({ builder: { a: {}, b: {} }, target: { x: {} } }), { names: ['x'], env: ENV }));
    expect(err.reason).toBe('invalid-config');
    expect(err.message).toContain('set "default-builder"');
  });

  it.each([
    ['--builder', { builder: 'bkk', env: {} }, 'usage', '--builder: unknown builder "bkk"'],
    ['TSBAKE_BUILDER', { env: { TSBAKE_BUILDER: 'bkk' } }, 'usage', 'TSBAKE_BUILDER: unknown builder "bkk"'],
  ])('unknown builder from %s', (_, options, reason, message) => {
    const err = planError(() => resolvePlan(makeLoaded({ builder: { bk: {} }, target: { x: {} } }), { names: ['x'], ...options }));
    expect(err.reason).toBe(reason);
    expect(err.diagnostics[0]).toMatchObject({ suggestion: '"bk"' });
    expect(err.message).toContain(message);
  });

  it('unknown builder on a target is reported at the target', () => {
    const err = planError(() =>
      resolvePlan(makeLoaded({ builder: { bk: {} }, target: { x: { builder: 'kb' } } }, { 'target.x.builder': { line: 7, column: 14 } }), { names: ['x'], env: ENV }),
    );
    expect(err.reason).toBe('invalid-config');
    expect(err.diagnostics[0]).toMatchObject({ line: 7, column: 14, suggestion: '"bk"' });
  });
});

/** A driver's plan-time table, from its descriptor. */
function staticCapabilities(driver: string): DriverCapabilities {
  return DRIVERS.descriptors[driver]!.capabilities({ name: 'b', driver, driverOpts: {}, platforms: [], defaultLoad: false, implicit: false });
}

describe('capabilities', () => {
  it('static table', () => {
    expect(staticCapabilities('docker')).toMatchObject({ loadsByDefault: true, cacheExport: 'inline', tarballOutput: false, multiPlatform: false, buildkitConfig: false, namedContexts: true, multipleExporters: false });
    for (const d of ['docker-container', 'kubernetes'] as const) {
      expect(staticCapabilities(d)).toMatchObject({ loadsByDefault: false, cacheExport: 'all', tarballOutput: true, multiPlatform: true, buildkitConfig: true, namedContexts: true, multipleExporters: true });
    }
    expect(staticCapabilities('remote')).toMatchObject({ loadsByDefault: false, cacheExport: 'all', tarballOutput: true, multiPlatform: true, buildkitConfig: false });
  });

  const drivers: string[] = ['docker', 'docker-container', 'kubernetes', 'remote'];
  const builderFor = (driver: string) => (driver === 'remote' ? { driver, endpoint: 'tcp://b:1' } : { driver });
  const run = (driver: string, target: TargetConfig, builderExtra: Record<string, unknown> = {}) =>
    resolvePlan(makeLoaded({ builder: { b: { ...builderFor(driver), ...builderExtra } }, target: { t: { tags: ['t'], ...target } } }), { names: ['t'], env: ENV });

  // One row of the capability table per case, each checked on every driver.
  const rows: { row: string; target: TargetConfig; builder?: Record<string, unknown>; refusedOn: string[]; message: string }[] = [
    { row: 'cache export beyond inline', target: { 'cache-to': ['type=registry,ref=r:cache'] }, refusedOn: ['docker'], message: 'target "t" (builder "b"): Cache export is not supported for the docker driver. Switch to a different driver, or turn on the containerd image store, and try again.' },
    { row: 'tar output', target: { output: ['type=tar,dest=out.tar'] }, refusedOn: ['docker'], message: 'Tar exporter is not supported for the docker driver.' },
    { row: 'oci tarball', target: { output: ['type=oci,dest=out.tar'] }, refusedOn: ['docker'], message: 'OCI exporter is not supported for the docker driver.' },
    { row: 'docker tarball', target: { output: ['type=docker,dest=out.tar'] }, refusedOn: ['docker'], message: 'Docker exporter is not supported for the docker driver.' },
    { row: 'multi-platform', target: { platforms: ['linux/amd64', 'linux/arm64'] }, refusedOn: ['docker'], message: 'target "t" (builder "b"): Multi-platform build is not supported for the docker driver. Switch to a different driver, or turn on the containerd image store, and try again.' },
    { row: 'buildkitd-config', target: {}, builder: { 'buildkitd-config': 'bk.toml' }, refusedOn: ['docker', 'remote'], message: 'buildkitd-config is not supported for the' },
    { row: 'buildkitd-config-inline', target: {}, builder: { 'buildkitd-config-inline': '[worker]' }, refusedOn: ['docker', 'remote'], message: 'buildkitd-config-inline is not supported for the' },
    { row: 'buildkitd-flags', target: {}, builder: { 'buildkitd-flags': '--debug' }, refusedOn: ['docker', 'remote'], message: 'buildkitd-flags is not supported for the' },
    { row: 'local output (allowed everywhere)', target: { output: ['type=local,dest=out'] }, refusedOn: [], message: '' },
    { row: 'inline cache (allowed everywhere)', target: { 'cache-to': ['type=inline'] }, refusedOn: [], message: '' },
  ];
  for (const r of rows) {
    for (const driver of drivers) {
      const refused = r.refusedOn.includes(driver);
      it(`${r.row} on ${driver}: ${refused ? 'refused' : 'allowed'}`, () => {
        if (!refused) {
          expect(run(driver, r.target, r.builder).targets.t).toBeDefined();
          return;
        }
        const err = planError(() => run(driver, r.target, r.builder));
        expect(err.reason).toBe('capability');
        expect(err.message).toContain(r.message);
        expect(err.message).toContain('"b"');
      });
    }
  }

  it('buildkit config refusal says who manages BuildKit', () => {
    expect(planError(() => run('docker', {}, { 'buildkitd-flags': '--debug' })).message).toContain('BuildKit is managed by the Docker daemon');
    expect(planError(() => run('remote', {}, { 'buildkitd-flags': '--debug' })).message).toContain('managed externally');
  });

  it('uses capabilities passed in options (detected at run time): named contexts and several exporters', () => {
    const old = { ...staticCapabilities('docker'), namedContexts: false, daemon: 'BuildKit v0.8.2 in Docker 20.10.24' };
    const loaded = makeLoaded({ target: { base: {}, t: { contexts: { base: 'target:base' }, output: ['type=local,dest=a', 'type=local,dest=b'] } } });
    const err = planError(() => resolvePlan(loaded, { names: ['t'], env: ENV, capabilities: () => old }));
    expect(err.reason).toBe('capability');
    expect(err.diagnostics.map((d) => d.message)).toEqual([
      'target "t" (builder "default"): named contexts (base) are not supported by BuildKit v0.8.2 in Docker 20.10.24; they need BuildKit v0.10 or newer. Use a builder with a newer BuildKit (for example the docker-container driver)',
      'target "t" (builder "default"): BuildKit v0.8.2 in Docker 20.10.24 supports one output per build, but 2 are planned (type=local, type=local). Keep one (--load and --push each add one), or use a builder with BuildKit v0.13 or newer',
    ]);
  });

  it('checkCapabilities returns diagnostics for a plan without throwing', () => {
    const p = run('docker-container', { 'cache-to': ['type=local,dest=c'] });
    expect(checkCapabilities(p, (b) => staticCapabilities(b.driver))).toEqual([]);
    const ds = checkCapabilities(p, () => staticCapabilities('docker'));
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ severity: 'error', key: 'target.t.cache-to.0' });
  });
});
