import { describe, expect, it } from 'vitest';
import { evaluateTemplateString, TemplateError, type Value } from '../../src/config/hcl/index.js';

const variables: Record<string, Value> = {
  s: 'str',
  n: 5,
  l: ['b', 'a'],
  o: Object.assign(Object.create(null) as Record<string, Value>, { k: 'v', num: 2 }),
  nul: null,
  objs: [{ name: 'x', tags: ['t1'] }, { name: 'y', tags: ['t2'] }],
};
const ev = (text: string): Value => evaluateTemplateString(text, { variables }, 'tsbake.yaml');

describe('evaluateTemplateString', () => {
  it.each<[string, Value]>([
    ['plain', 'plain'],
    ['${n}', 5],
    ['${l}', ['b', 'a']],
    ['${nul}', null],
    ['n=${n}', 'n=5'],
    ['${"5" + 1}', 6],
    ['${true}', true],
    ['x${true}', 'xtrue'],
    ['${n > 3 ? "big" : "small"}', 'big'],
    ['${n > 3 ? 1 : "small"}', '1'],
    ['${n == 5 && s != "x"}', true],
    ['${!(n < 2) || false}', true],
    ['${-n + 2 * 3 - 10 / 4 % 2}', 0.5],
    ['${"1" == 1}', false],
    ['${[1, "a"] == [1, "a"]}', true],
    ['${o.k}${o["num"]}', 'v2'],
    ['${l[1]}${l.0}', 'ab'],
    ['${objs[*].name}', ['x', 'y']],
    // An attribute-only splat ends at the first index: [0] applies to the list of tags lists.
    ['${objs.*.tags[0]}', ['t1']],
    ['${objs[*].tags[0]}', [['t1'], ['t2']].map((x) => x[0] as string)],
    ['${nul[*]}', []],
    ['${[for i, v in l : "${i}${v}" if v != "z"]}', ['0b', '1a']],
    ['${{for k, v in o : v => k}}', Object.assign(Object.create(null), { v: 'k', 2: 'num' })],
    ['${{for v in ["a", "ab", "b"] : substr(v, 0, 1) => v...}}', Object.assign(Object.create(null), { a: ['a', 'ab'], b: ['b'] })],
    ['%{ for v in l ~}\n[${v}]\n%{~ endfor }', '[b][a]'],
    ['%{if nul == null}none%{else}some%{endif}', 'none'],
    ['a ${~ "  b  " ~} c', 'a  b  c'],
    ['$${literal} %%{literal}', '${literal} %{literal}'],
    ['${try(o.missing, nul, "fallback")}', null],
    ['${try(o.missing, "fallback")}', 'fallback'],
    ['${can(o.missing)}${can(o.k)}', 'falsetrue'],
    ['${upper(s)}', 'STR'],
    // ASCII maps at once; other text rune by rune, as Go does (ß stays one rune, İ lowers to i).
    ['${lower("MiXed-1_Z")}${upper("az~")}', 'mixed-1_zAZ~'],
    ['${upper("straße")}${lower("İX")}', 'STRAßEix'],
  ])('%s', (text, want) => {
    expect(ev(text)).toEqual(want);
  });
  it.each([
    ['${ss}', 'tsbake.yaml:1:3: unknown variable: there is no variable named "ss" (did you mean s?)'],
    ['${uppr(s)}', 'tsbake.yaml:1:3: call to unknown function: there is no function named "uppr" (did you mean upper?)'],
    ['x${nul}', 'tsbake.yaml:1:4: invalid template interpolation value: the expression result is null, and a null value cannot be included in a string template'],
    ['x${l}', 'tsbake.yaml:1:4: invalid template interpolation value: a tuple cannot be included in a string template (a string is required)'],
    ['${o.kk}', 'tsbake.yaml:1:5: unsupported attribute: this object has no attribute named "kk" (did you mean k?)'],
    ['${l[2]}', 'tsbake.yaml:1:5: invalid index 2: the list has 2 elements'],
    ['${s + 1}', 'tsbake.yaml:1:3: unsuitable value for the left operand of +: a number is required, and "str" is not one'],
    ['${s ? 1 : 2}', 'tsbake.yaml:1:3: unsuitable value for the condition: a bool is required, and "str" is not one (true or false)'],
    ['${{for v in l : "k" => v}}', 'tsbake.yaml:1:17: duplicate object key "k" in the for expression; add "..." after the value expression to group values by key'],
    ['${[for v in nul : v]}', 'tsbake.yaml:1:13: iteration over a null value: the collection of a for must not be null'],
    ['${1 +', 'tsbake.yaml:1:6: expected an expression, found end of file'],
    ['%{if true}x', 'tsbake.yaml:1:1: %{if} has no matching %{endif}'],
    ['${try(o.a, o.b)}', 'tsbake.yaml:1:3: try(): no expression succeeded; the last error: unsupported attribute: this object has no attribute named "b"'],
  ])('%s fails: %s', (text, message) => {
    let caught: unknown;
    try {
      ev(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TemplateError);
    const d = (caught as TemplateError).diagnostic;
    expect(`${d.file}:${d.line}:${d.column}: ${d.message}${d.suggestion ? ` (did you mean ${d.suggestion}?)` : ''}`).toBe(message);
  });
  it('accepts extra functions beside the standard library', () => {
    const functions = { twice: { params: 1, impl: ([x]: Value[]) => `${String(x)}${String(x)}` } };
    expect(evaluateTemplateString('${twice(s)}', { variables, functions })).toBe('strstr');
  });
});

describe('convert(value, type)', () => {
  it('reads its second argument as a type expression, not a value', () => {
    expect(ev('${jsonencode(convert([1, "2"], list(string)))}')).toBe('["1","2"]');
    expect(ev('${jsonencode(convert({x = 1}, map(string)))}')).toBe('{"x":"1"}');
  });
});
