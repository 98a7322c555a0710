/** The typed library API: the same functions the CLI uses, importable from the package entry. */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadConfig, resolvePlan, toBakePrint, formatPlan, TsbakeError, exitCodeFor, exitCodeForResults, type FailureReason } from '../../src/index.js';
import { repoRoot } from '../helpers/cli.js';

describe('library API', () => {
  it('loads, plans and prints like the CLI', async () => {
    const loaded = await loadConfig({ files: [path.join(repoRoot, 'examples/monorepo/tsbake.yaml')], env: {} });
    const plan = resolvePlan(loaded, { names: ['app'], env: {} });
    expect(plan.order).toEqual(['base', 'app']);
    expect(plan.targets.app!.contexts.base).toEqual({ kind: 'target', target: 'base' });
    const printed = toBakePrint(plan) as { target: Record<string, { builder: string }> };
    expect(printed.target.app!.builder).toBe('default');
    expect(formatPlan(plan, 'mermaid')).toContain('base');
  });

  it('reports failures as TsbakeError keyed by reason', async () => {
    const loaded = await loadConfig({ files: [path.join(repoRoot, 'examples/monorepo/tsbake.yaml')], env: {} });
    let err: unknown;
    try {
      resolvePlan(loaded, { names: ['nope'], env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TsbakeError);
    expect((err as TsbakeError).reason).toBe('unknown-target');
    expect(exitCodeFor((err as TsbakeError).reason)).toBe(2);
  });

  it.each([
    ['every target built', [['built'], ['cached']], false, 0],
    ['a build failure', [['built'], ['failed', 'build-failed']], false, 1],
    ['a refusal found inside a solve outranks a build failure', [['failed', 'build-failed'], ['failed', 'capability']], false, 2],
    ['skipped and cancelled because another failed: 1, not 130', [['failed', 'daemon-error'], ['skipped', 'dependency-failed'], ['skipped', 'cancelled'], ['cancelled']], false, 1],
    ['interrupted', [['built'], ['cancelled', 'cancelled']], true, 130],
  ] as [string, [string, FailureReason?][], boolean, number][])('exitCodeForResults: %s', (_what, rows, interrupted, code) => {
    const results = rows.map(([state, reason]) => ({ state, ...(reason ? { failure: { reason, message: reason } } : {}) }));
    expect(exitCodeForResults(results, interrupted)).toBe(code);
  });
});
