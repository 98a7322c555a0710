/**
 * needsExpressionEvaluator: the loader imports bake's evaluator (a chunk of its own in the CLI bundle) only
 * for a tsbake file with a `${…}` interpolateString hands to it; it must never miss one.
 */
import { describe, expect, test } from 'vitest';
import { interpolateConfig, loadExpressionEvaluator, needsExpressionEvaluator, type InterpolationIssue } from '../../src/config/variables.js';

describe('needsExpressionEvaluator', () => {
  test.each([
    ['no template', 'plain text', false],
    ['a name', '${A}', false],
    ['a name with spaces', 'x-${ A }-y', false],
    ['an escaped brace', '$${upper(A)}', false],
    ['a dollar without a brace', 'cost $5 (upper)', false],
    ['unterminated', '${upper(A)', false],
    ['a function call', '${upper(A)}', true],
    ['an operator', '${A == "x" ? "a" : "b"}', true],
    ['an expression after a name', '${A}-${lower(B)}', true],
    ['an expression after an escape', '$${A}${lower(B)}', true],
  ])('%s: %s → %s', (_name, text, expected) => {
    expect(needsExpressionEvaluator(text)).toBe(expected);
    expect(needsExpressionEvaluator({ target: { app: { tags: ['a', text] } } })).toBe(expected);
  });

  test('numbers, booleans and null are not templates', () => {
    expect(needsExpressionEvaluator({ a: 1, b: true, c: null, d: [2, false] })).toBe(false);
  });

  test('interpolating an expression without the evaluator is a bug, said as one', () => {
    const issues: InterpolationIssue[] = [];
    expect(() => interpolateConfig({ target: { app: { context: '${upper(A)}' } } }, { A: 'a' }, issues)).toThrow(/needs the expression evaluator/);
  });

  test('with the evaluator: the value, or an issue with the message', async () => {
    const evaluate = await loadExpressionEvaluator(false);
    const issues: InterpolationIssue[] = [];
    const out = interpolateConfig({ target: { app: { context: 'x-${upper(A)}', dockerfile: '${nope(A)}' } } }, { A: 'a' }, issues, evaluate);
    expect(out.target?.app?.context).toBe('x-A');
    expect(out.target?.app?.dockerfile).toBe('');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: ['target', 'app', 'dockerfile'], token: '${nope(A)}' });
  });
});
