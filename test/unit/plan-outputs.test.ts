import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../src/config/types.js';
import { resolvePlan } from '../../src/index.js';
import type { TypedEntry } from '../../src/plan/types.js';
import { ENV, makeLoaded, planError } from '../fixtures/plan/make-loaded.js';

const DOCKER: TypedEntry = { type: 'docker', attrs: {} };
const PUSH: TypedEntry = { type: 'image', attrs: { push: 'true' } };

function plan(driver: string, target: TargetConfig, opts: { load?: boolean; push?: boolean; defaultLoad?: boolean } = {}) {
  const builder = {
    driver,
    ...(driver === 'remote' ? { endpoint: 'tcp://b:1' } : {}),
    ...(opts.defaultLoad ? { 'driver-opts': { 'default-load': true } } : {}),
  };
  return resolvePlan(makeLoaded({ builder: { b: builder }, target: { t: target } }), { names: ['t'], env: ENV, load: opts.load, push: opts.push });
}

const others: string[] = ['docker-container', 'kubernetes', 'remote'];

describe('loading rules', () => {
  it('1. docker driver, no output: loaded into the image store; --load keeps one docker output', () => {
    expect(plan('docker', {}).targets.t!.outputs).toEqual([DOCKER]);
    expect(plan('docker', {}, { load: true }).targets.t!.outputs).toEqual([DOCKER]);
    expect(plan('docker', {}).warnings).toEqual([]);
  });

  it.each(others)('2. %s, no output: nothing exported, with buildx-like warning', (driver) => {
    const p = plan(driver, {});
    expect(p.targets.t!.outputs).toEqual([]);
    expect(p.warnings.map((w) => [w.severity, w.message])).toEqual([
      ['warning', `target t: no output specified with the ${driver} driver, the build result will only remain in the build cache. To push the result use --push, to load it use --load`],
    ]);
  });

  it.each(others)('2. %s with default-load: loaded, no warning', (driver) => {
    const p = plan(driver, {}, { defaultLoad: true });
    expect(p.targets.t!.outputs).toEqual([DOCKER]);
    expect(p.warnings).toEqual([]);
  });

  it.each(['docker', ...others] as string[])('3. %s: an explicit output replaces the default load', (driver) => {
    const p = plan(driver, { output: ['type=local,dest=out'] }, { defaultLoad: driver !== 'docker' });
    expect(p.targets.t!.outputs).toEqual([{ type: 'local', attrs: { dest: '/proj/out' } }]);
    expect(p.warnings).toEqual([]);
  });

  it.each(['docker', ...others] as string[])('3. %s: type=cacheonly opts out and is kept', (driver) => {
    expect(plan(driver, { output: ['type=cacheonly'] }, { defaultLoad: true }).targets.t!.outputs).toEqual([{ type: 'cacheonly', attrs: {} }]);
  });

  it.each(others)('4. %s: --load adds the docker output, also next to a local one', (driver) => {
    expect(plan(driver, {}, { load: true }).targets.t!.outputs).toEqual([DOCKER]);
    expect(plan(driver, { output: ['type=local,dest=out'] }, { load: true }).targets.t!.outputs).toEqual([{ type: 'local', attrs: { dest: '/proj/out' } }, DOCKER]);
    expect(plan(driver, { output: ['type=docker'] }, { load: true }).targets.t!.outputs).toEqual([DOCKER]);
    expect(plan(driver, { output: ['type=cacheonly'] }, { load: true }).targets.t!.outputs).toEqual([DOCKER]);
  });

  it('4. docker: --load with an explicit local output adds docker, which the engine refuses (one exporter)', () => {
    const err = planError(() => plan('docker', { output: ['type=local,dest=out'] }, { load: true }));
    expect(err.reason).toBe('capability');
    expect(err.message).toContain('supports one output per build, but 2 are planned (type=local, type=docker)');
  });

  it('5. docker: --push turns the store output into an image push (the engine stores it too)', () => {
    expect(plan('docker', { tags: ['r/t:1'] }, { push: true }).targets.t!.outputs).toEqual([PUSH]);
    expect(plan('docker', { tags: ['r/t:1'] }, { push: true, load: true }).targets.t!.outputs).toEqual([PUSH]);
  });

  it.each(others)('5. %s: --push adds an image push or sets push on image outputs', (driver) => {
    expect(plan(driver, { tags: ['r/t:1'] }, { push: true }).targets.t!.outputs).toEqual([PUSH]);
    expect(plan(driver, { tags: ['r/t:1'], output: ['type=image,compression=zstd'] }, { push: true }).targets.t!.outputs).toEqual([
      { type: 'image', attrs: { compression: 'zstd', push: 'true' } },
    ]);
    expect(plan(driver, { tags: ['r/t:1'] }, { push: true, load: true }).targets.t!.outputs).toEqual([PUSH, DOCKER]);
  });

  it.each(['docker', ...others] as string[])('5. %s: type=registry is an image push', (driver) => {
    expect(plan(driver, { tags: ['r/t:1'], output: ['type=registry'] }).targets.t!.outputs).toEqual([PUSH]);
  });

  it.each(['docker', ...others] as string[])('5. %s: pushing without tags is refused', (driver) => {
    const err = planError(() => plan(driver, {}, { push: true }));
    expect(err.message).toContain('target t: tag is needed when pushing to registry');
    // name= in the output is enough
    expect(plan(driver, { output: ['type=image,name=r/t:1,push=true'] }).targets.t!.outputs).toEqual([{ type: 'image', attrs: { name: 'r/t:1', push: 'true' } }]);
  });

  it.each([
    ['out/', { type: 'local', attrs: { dest: '/proj/out' } }],
    ['/abs/out', { type: 'local', attrs: { dest: '/abs/out' } }],
    ['-', { type: 'tar', attrs: { dest: '-' } }],
    ['type=oci,dest=img.tar', { type: 'oci', attrs: { dest: '/proj/img.tar' } }],
  ])('6. output %s', (written, entry) => {
    expect(plan('docker-container', { output: [written] }).targets.t!.outputs).toEqual([entry]);
  });

  it.each([
    ['type=local', 'type=local needs dest=DIR'],
    ['type=local,dest=', 'type=local needs dest=DIR'],
    ['type=local,dest=-', 'type=local writes a directory, not a stream'],
  ])('a local output without a directory is refused: %s', (written, message) => {
    const err = planError(() => plan('docker-container', { output: [written] }));
    expect(err.reason).toBe('invalid-config');
    expect(err.message).toContain(message);
    expect(plan('docker-container', { output: ['type=local,dest=.'] }).targets.t!.outputs).toEqual([{ type: 'local', attrs: { dest: '/proj' } }]);
  });

  it('an output without a type is refused', () => {
    const err = planError(() => plan('docker-container', { output: ['dest=x'] }));
    expect(err.reason).toBe('invalid-config');
    expect(err.message).toContain('output needs a type');
  });

  it('secrets point at their source; file paths are made absolute', () => {
    const t = plan('docker-container', { output: ['out'], secret: ['id=npm,env=NPM_TOKEN', 'id=aws,src=creds/aws'] }).targets.t!;
    expect(t.secrets).toEqual([
      { id: 'npm', source: { kind: 'env', env: 'NPM_TOKEN' } },
      { id: 'aws', source: { kind: 'file', path: '/proj/creds/aws' } },
    ]);
  });
});
