import { describe, expect, it } from 'vitest';
import { formatTargetList, formatVariableList, parseListSpec, parseVarFlags, tabwrite } from '../../src/cli/bake-list.js';
import { TsbakeError } from '../../src/errors.js';

describe('--list', () => {
  it("parses buildx's spec forms", () => {
    expect(parseListSpec('targets')).toEqual({ type: 'targets', format: 'table' });
    expect(parseListSpec('type=variables,format=json')).toEqual({ type: 'variables', format: 'json' });
    for (const bad of ['things', 'type=targets,format=yaml', 'type=targets,colour=red', 'type']) expect(() => parseListSpec(bad)).toThrow(TsbakeError);
  });

  it("pads like Go's tabwriter with tab padding (width 8)", () => {
    expect(tabwrite([['VARIABLE', 'TYPE', 'VALUE'], ['DEBUG', 'bool', 'false'], ['PLATFORMS', 'list of string', 'x']])).toBe(
      'VARIABLE\tTYPE\t\tVALUE\nDEBUG\t\tbool\t\tfalse\nPLATFORMS\tlist of string\tx\n',
    );
  });

  it('targets: private ones hidden, groups with their sorted, unique members', () => {
    const config = { target: { _p: {}, b: { description: 'bee' }, a: {} }, group: { g: { description: 'all', targets: ['b', 'a', 'b'] } } };
    expect(formatTargetList(config, 'table')).toBe('TARGET\tDESCRIPTION\na\t\nb\tbee\ng\tall (a, b)\n');
    expect(JSON.parse(formatTargetList(config, 'json'))).toEqual([{ name: 'a' }, { name: 'b', description: 'bee' }, { name: 'g', description: 'all (a, b)', group: true }]);
  });

  it('variables: sorted, <null> for unset, null for none in JSON', () => {
    expect(formatVariableList([{ name: 'B', value: null }, { name: 'A', value: '1', type: 'number', description: 'd' }], 'table')).toBe(
      'VARIABLE\tTYPE\tVALUE\tDESCRIPTION\nA\t\tnumber\t1\td\nB\t\t\t<null>\t\n',
    );
    expect(formatVariableList([], 'json')).toBe('null\n');
  });

  it('--var NAME=VALUE', () => {
    expect(parseVarFlags(['A=1', 'B=x=y', 'A=2'])).toEqual({ A: '2', B: 'x=y' });
    expect(() => parseVarFlags(['NOVALUE'])).toThrow(/expected NAME=VALUE/);
  });
});
