/**
 * Planned exports (src/plan/exports.ts): what each resolved output becomes on the target's builder, the
 * one place the exporters are decided. The executor maps each to one BuildKit exporter unchanged.
 */
import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../src/config/types.js';
import { resolvePlan } from '../../src/index.js';
import { holdsPushes, planExports } from '../../src/plan/exports.js';
import { exporterSpecFor } from '../../src/exec/solve-request.js';
import type { PlannedExport, ResolvedTarget } from '../../src/plan/types.js';
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
    { name: 'docker, --push: the engine store pushes', driver: 'docker', target: {}, push: true, expected: [{ kind: 'engine-store', attrs: { name: 'r/app:1,r/app:2', push: 'true' }, push: 'held' }] },
    { name: 'docker, no tags: the engine store under the internal name', driver: 'docker', target: { tags: [] }, expected: [{ kind: 'engine-store', attrs: { name: 'tsbake-local/t:latest' } }] },
    { name: 'docker-container, --load: a docker tarball loaded into the engine', driver: 'docker-container', target: {}, load: true, expected: [{ kind: 'load', format: 'docker', attrs: { name: 'r/app:1,r/app:2' } }] },
    { name: 'remote, --push: the image exporter', driver: 'remote', target: {}, push: true, expected: [{ kind: 'image', attrs: { name: 'r/app:1,r/app:2', push: 'true' }, push: 'held' }] },
    { name: 'kubernetes, type=registry: an image push', driver: 'kubernetes', target: { output: ['type=registry,name=r/x:1'] }, expected: [{ kind: 'image', attrs: { name: 'r/x:1', push: 'true' }, push: 'held' }] },
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

  describe('push timing (push: now | held)', () => {
    const pushing = resolvedTarget({ name: 't', context: '/c', tags: ['r/a:1'], outputs: [{ type: 'image', attrs: { push: 'true' } }, { type: 'image', attrs: { name: 'r/b:1' } }] });

    it('a pushing image export is held by default (push: all) and pushed during the build with push: each; one that does not push has no timing', () => {
      expect(planExports(pushing, 't', { resultStore: 'tarball' }).exports).toEqual([
        { kind: 'image', attrs: { push: 'true', name: 'r/a:1' }, push: 'held' },
        { kind: 'image', attrs: { name: 'r/b:1' } },
      ]);
      expect(planExports(pushing, 't', { resultStore: 'tarball', pushMode: 'each' }).exports[0]).toEqual({ kind: 'image', attrs: { push: 'true', name: 'r/a:1' }, push: 'now' });
      expect(planExports(pushing, 't', { resultStore: 'engine' }).exports[0]).toEqual({ kind: 'engine-store', attrs: { push: 'true', name: 'r/a:1' }, push: 'held' });
    });

    it("the builder's push: each reaches the plan", () => {
      const p = resolvePlan(makeLoaded({ builder: { b: { driver: 'docker-container', push: 'each' } }, target: { t: { tags: ['r/app:1'] } } }), { names: ['t'], env: ENV, push: true });
      expect(p.targets.t!.exports).toEqual([{ kind: 'image', attrs: { name: 'r/app:1', push: 'true' }, push: 'now' }]);
    });

    it('exec maps a held push to push=false in the build and to the only exporter of the push solve; a push now is sent as planned', () => {
      const held = planExports(pushing, 't', { resultStore: 'tarball' }).exports;
      expect(held.map((e) => exporterSpecFor(e, 'build'))).toEqual([
        { type: 'image', attrs: { push: 'false', name: 'r/a:1' } },
        { type: 'image', attrs: { name: 'r/b:1' } },
      ]);
      expect(held.map((e) => exporterSpecFor(e, 'push')).filter(Boolean)).toEqual([{ type: 'image', attrs: { push: 'true', name: 'r/a:1' } }]);
      const now = planExports(pushing, 't', { resultStore: 'engine', pushMode: 'each' }).exports;
      expect(now.map((e) => exporterSpecFor(e, 'build'))[0]).toEqual({ type: 'moby', attrs: { push: 'true', name: 'r/a:1' } });
      expect(now.map((e) => exporterSpecFor(e, 'push')).filter(Boolean)).toEqual([]);
      expect(holdsPushes(held)).toBe(true);
      expect(holdsPushes(now)).toBe(false);
    });
  });

  describe('the hand-over to target: dependents (handoff-layout)', () => {
    const facts = { resultStore: 'tarball' as const, hasDependents: true };
    const out = (outputs: ResolvedTarget['outputs']): ResolvedTarget => resolvedTarget({ name: 'base', context: '/c', tags: ['r/base:1'], outputs });

    it('a target with dependents and no image name for them gets one more OCI layout, last; exec sends it as oci tar=false', () => {
      const planned = planExports(out([{ type: 'local', attrs: { dest: '/o' } }]), 'base', facts).exports;
      expect(planned).toEqual([{ kind: 'local', dest: '/o', attrs: {} }, { kind: 'handoff-layout' }]);
      expect(exporterSpecFor(planned[1]!, 'build')).toEqual({ type: 'oci', attrs: { tar: 'false' }, output: { kind: 'handoff' } });
      // Not part of the push solve.
      expect(exporterSpecFor(planned[1]!, 'push')).toBeUndefined();
      // Without dependents, nothing is added.
      expect(planExports(out([{ type: 'local', attrs: { dest: '/o' } }]), 'base', { resultStore: 'tarball' }).exports).toEqual([{ kind: 'local', dest: '/o', attrs: {} }]);
    });

    it('none where dependents reach the result by name: the engine store, or a push during the build; a held push does not count', () => {
      expect(planExports(out([{ type: 'docker', attrs: {} }]), 'base', { ...facts, resultStore: 'engine' }).exports.map((e) => e.kind)).toEqual(['engine-store']);
      const push = out([{ type: 'image', attrs: { push: 'true' } }]);
      expect(planExports(push, 'base', { ...facts, pushMode: 'each' }).exports.map((e) => e.kind)).toEqual(['image']);
      expect(planExports(push, 'base', facts).exports.map((e) => e.kind)).toEqual(['image', 'handoff-layout']);
    });

    it("the target's own OCI layout output hands over instead of one more exporter", () => {
      expect(planExports(out([{ type: 'oci', attrs: { tar: 'false', dest: '/l' } }]), 'base', facts).exports).toEqual([
        { kind: 'oci-layout', format: 'oci', dir: '/l', attrs: { tar: 'false', name: 'r/base:1' }, handoff: true },
      ]);
    });

    it('the planner plans it for targets taken as target: contexts, and plan json shows it', () => {
      const p = resolvePlan(
        makeLoaded({ builder: { b: { driver: 'docker-container' } }, target: { base: { output: ['type=local,dest=o'] }, app: { contexts: { base: 'target:base' } } } }),
        { names: ['app'], env: ENV },
      );
      expect(p.targets.base!.exports).toEqual([{ kind: 'local', dest: `${BASE_DIR}/o`, attrs: {} }, { kind: 'handoff-layout' }]);
      expect(p.targets.app!.exports.some((e) => e.kind === 'handoff-layout')).toBe(false);
    });
  });
});
