import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../src/config/types.js';
import { formatPlan, toBakePrint } from '../../src/plan/index.js';
import { resolvePlan } from '../../src/index.js';
import { ENV, makeLoaded } from '../fixtures/plan/make-loaded.js';

// No timing assertion: this catches quadratic behaviour (it would take minutes) and deep recursion
// (a 10,000-long chain overflows a recursive walk).
describe('scale', () => {
  it('plans 10,000 targets with inherits chains and target: edges', () => {
    const target: Record<string, TargetConfig> = { base: { args: { A: '1' }, tags: ['x'] } };
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const t: TargetConfig = { inherits: [i === 0 ? 'base' : `t${i - 1}`], args: { [`I${i % 10}`]: String(i) } };
      if (i > 0) t.contexts = { prev: `target:t${i - 1}` };
      target[`t${i}`] = t;
    }
    // depends-on is inherited (it appends), so it sits on targets nobody inherits from.
    for (let j = 0; j < 100; j++) target[`leaf${j}`] = { 'depends-on': [`t${j * 100}`], contexts: { last: `target:t${n - 1}` } };
    const names = Array.from({ length: 100 }, (_, j) => `leaf${j}`);
    const plan = resolvePlan(makeLoaded({ target }), { names, env: ENV });
    expect(plan.order).toHaveLength(n + 100);
    expect(plan.levels).toHaveLength(n + 1);
    expect(plan.levels[n]).toHaveLength(100);
    expect(plan.order[0]).toBe('t0');
    expect(plan.targets[`t${n - 1}`]!.args.A).toBe('1');
    expect(formatPlan(plan, 'text').split('\n').length).toBeGreaterThan(n);
    expect(Object.keys((toBakePrint(plan) as { target: object }).target)).toHaveLength(n + 100);
  });

  it('plans 10,000 independent targets sharing one parent', () => {
    const target: Record<string, TargetConfig> = { base: { platforms: ['linux/amd64'] } };
    for (let i = 0; i < 10_000; i++) target[`s${i}`] = { inherits: ['base'], contexts: { b: 'target:base' } };
    const plan = resolvePlan(makeLoaded({ group: { default: { targets: Object.keys(target) } }, target }), { env: ENV });
    expect(plan.levels.map((l) => l.length)).toEqual([1, 10_000]);
  });
});
