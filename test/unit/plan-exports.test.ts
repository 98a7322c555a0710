/**
 * Planned exports (src/plan/exports.ts): what each resolved output becomes on the target's builder, the
 * one place the exporters are decided. The executor maps each to one BuildKit exporter unchanged.
 */
import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../src/config/types.js';
import { resolvePlan } from '../../src/index.js';
import { planExports } from '../../src/plan/exports.js';
import type { PlannedExport } from '../../src/plan/types.js';
import { BASE_DIR, ENV, makeLoaded, planError } from '../fixtures/plan/make-loaded.js';
import { resolvedTarget } from '../helpers/targets.js';

function exportsOf(driver: string, target: TargetConfig, opts: { load?: boolean; push?: boolean } = {}): PlannedExport[] {
  const builder = { driver, ...(driver === 'remote' ? { endpoint: 'tcp://b:1' } : {}) };
  const p = resolvePlan(makeLoaded({ builder: { b: builder }, target: { t: { tags: ['r/app:1', 'r/app:2'], ...target } } }), { names: ['t'], env: ENV, ...opts });
  return p.targets.t!.exports;
}

describe('planned exports', () => {
  const rows: { name: string; driver: string; target: TargetConfig; load?: boolean; push?: boolean; expected: PlannedExport[] }[] = [
    { name: 'docker, no output: the engine store, named by the tags', driver: 'docker', target: {}, expected: [{ kind: 'engine-store', attrs: { name: 'r/app:1,r/app:2' } }] },
    { name: 'docker, --push: the engine store pushes', driver: 'docker', target: {}, push: true, expected: [{ kind: 'engine-store', attrs: { name: 'r/app:1,r/app:2', push: 'true' } }] },
    { name: 'docker, no tags: the engine store under the internal name', driver: 'docker', target: { tags: [] }, expected: [{ kind: 'engine-store', attrs: { name: 'tsbake-local/t:latest' } }] },
    { name: 'docker-container, --load: a docker tarball loaded into the engine', driver: 'docker-container', target: {}, load: true, expected: [{ kind: 'load', format: 'docker', attrs: { name: 'r/app:1,r/app:2' } }] },
    { name: 'remote, --push: the image exporter', driver: 'remote', target: {}, push: true, expected: [{ kind: 'image', attrs: { name: 'r/app:1,r/app:2', push: 'true' } }] },
    { name: 'kubernetes, type=registry: an image push', driver: 'kubernetes', target: { output: ['type=registry,name=r/x:1'] }, expected: [{ kind: 'image', attrs: { name: 'r/x:1', push: 'true' } }] },
    {
      name: 'local, tar to stdout, oci tarball, OCI layout, cacheonly',
      driver: 'docker-container',
      target: { output: ['type=local,dest=out', 'type=tar', 'type=oci,dest=img.tar', 'type=oci,tar=false,dest=layout', 'type=cacheonly'] },
      expected: [
        { kind: 'local', dest: `${BASE_DIR}/out`, attrs: {} },
        { kind: 'tarball', format: 'tar', dest: '-', attrs: {} },
        { kind: 'tarball', format: 'oci', dest: `${BASE_DIR}/img.tar`, attrs: { name: 'r/app:1,r/app:2' } },
        { kind: 'oci-layout', format: 'oci', dir: `${BASE_DIR}/layout`, attrs: { tar: 'false', name: 'r/app:1,r/app:2' } },
        { kind: 'cache-only' },
      ],
    },
    { name: 'an exporter tsbake does not know is sent as written (without dest)', driver: 'remote', target: { output: ['type=wasm,dest=x,k=v'] }, expected: [{ kind: 'exporter', type: 'wasm', attrs: { k: 'v' } }] },
  ];
  it.each(rows)('$name', ({ driver, target, load, push, expected }) => {
    expect(exportsOf(driver, target, { ...(load ? { load } : {}), ...(push ? { push } : {}) })).toEqual(expected);
  });

  it('two OCI layout outputs in one target are refused by the planner (BuildKit has one export store per solve)', () => {
    const err = planError(() => exportsOf('docker-container', { output: ['type=oci,tar=false,dest=a', 'type=docker,tar=false,dest=b'] }));
    expect(err.reason).toBe('capability');
    expect(err.diagnostics.map((d) => [d.key, d.message])).toEqual([
      ['target.t.output.1', 'target "t": only one output with tar=false per target (BuildKit writes every OCI layout of a solve through one store)'],
    ]);
  });

  it('re-run with the local engine known: a load is OCI for the containerd store; a multi-platform load into the classic store is refused', () => {
    const t = resolvedTarget({ name: 't', context: '/c', platforms: ['linux/amd64', 'linux/arm64'], tags: ['a:1'], outputs: [{ type: 'docker', attrs: {} }] });
    const facts = { resultStore: 'tarball' as const, localEngine: 'unix:///x.sock' };
    expect(planExports(t, 't', facts)).toEqual({ exports: [{ kind: 'load', format: 'docker', attrs: { name: 'a:1' } }], problems: [] });
    expect(planExports(t, 't', { ...facts, localStore: 'containerd' })).toEqual({ exports: [{ kind: 'load', format: 'oci', attrs: { name: 'a:1' } }], problems: [] });
    const classic = planExports(t, 't', { ...facts, localStore: 'classic' });
    expect(classic.exports).toEqual([{ kind: 'load', format: 'docker', attrs: { name: 'a:1' } }]);
    expect(classic.problems.map((p) => p.message)).toEqual([
      'target "t": a multi-platform image (linux/amd64, linux/arm64) cannot be loaded into the Docker engine at unix:///x.sock: its classic image store cannot hold an image index. Turn on the containerd image store, build a single platform, or push to a registry instead',
    ]);
    // The engine store is not a load: no refusal on the docker driver's own store.
    expect(planExports(t, 't', { resultStore: 'engine', localStore: 'classic' }).problems).toEqual([]);
  });

  it('is pure: the same input gives equal exports, and the resolved target is not changed', () => {
    const t = resolvedTarget({ name: 't', context: '/c', outputs: [{ type: 'image', attrs: { push: 'true' } }], tags: ['a:1'] });
    const before = JSON.stringify(t);
    expect(planExports(t, 't', { resultStore: 'engine' })).toEqual(planExports(t, 't', { resultStore: 'engine' }));
    expect(JSON.stringify(t)).toBe(before);
  });
});
