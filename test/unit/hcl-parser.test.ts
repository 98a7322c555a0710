import { describe, expect, it } from 'vitest';
import { locate, makeSourceFile, type Expr } from '../../src/config/hcl/ast.js';
import { isIdentStart, scanIdent, scanNumber, skipSpace } from '../../src/config/hcl/lexer.js';
import { parseExpression, parseHcl } from '../../src/config/hcl/parser.js';

function expr(text: string): Expr {
  const r = parseExpression(makeSourceFile('t.hcl', text));
  expect(r.diagnostics.map((d) => d.message)).toEqual([]);
  return r.expr as Expr;
}

function errors(text: string): string[] {
  const r = parseHcl('t.hcl', text);
  return r.diagnostics.map((d) => {
    const l = locate(d.f, d.off);
    return `${l.line}:${l.column}: ${d.message}`;
  });
}

describe('lexer', () => {
  it.each([
    ['abc', 0, 3],
    ['cache-from = 1', 0, 10],
    ['a_b9-c.x', 0, 6],
    ['héllo ', 0, 5],
  ])('identifier in %j', (text, start, end) => {
    expect(isIdentStart(text, start)).toBe(true);
    expect(scanIdent(text, start)).toBe(end);
  });
  it.each([
    ['12', 2],
    ['1.5', 3],
    ['1e10', 4],
    ['2.5E-3x', 6],
    ['1.', 1],
    ['3e', 1],
  ])('number %j ends at %i', (text, end) => {
    expect(scanNumber(text, 0)).toBe(end);
  });
  it.each([
    ['  # c\nx', true, 6],
    ['  // c\nx', false, 6],
    ['/* a\n b */x', false, 10],
    [' \t\r\nx', true, 4],
  ])('skipSpace(%j, newlines=%s)', (text, nl, end) => {
    expect(skipSpace(text, 0, nl)).toBe(end);
  });
  it('reports an unterminated block comment', () => {
    expect(errors('a = 1 /* never closed')).toEqual(['1:7: unterminated comment: a /* comment needs a closing */']);
  });
});

describe('parser: bodies and positions', () => {
  it('reads attributes, blocks, labels and one-line blocks with positions', () => {
    const text = 'x = 1\n# c\ntarget "app" {\n  tags = ["a"]\n}\nvariable FOO { default = "d" }\nempty {}\n';
    const r = parseHcl('f.hcl', text);
    expect(r.diagnostics).toEqual([]);
    const b = r.body;
    expect(b.attributes.map((a) => a.name)).toEqual(['x']);
    expect(b.blocks.map((x) => [x.type, x.labels.map((l) => l.value)])).toEqual([
      ['target', ['app']],
      ['variable', ['FOO']],
      ['empty', []],
    ]);
    const app = b.blocks[0]!;
    expect(locate(app.f, app.s)).toEqual({ line: 3, column: 1, byte: 10 });
    expect(locate(app.f, app.labels[0]!.s)).toMatchObject({ line: 3, column: 8 });
    const tags = app.body.attributes[0]!;
    expect(locate(tags.f, tags.s)).toMatchObject({ line: 4, column: 3 });
    expect(locate(tags.f, tags.expr.s)).toMatchObject({ line: 4, column: 10 });
    expect(b.blocks[1]!.body.attributes[0]!.name).toBe('default');
  });
  it('counts columns in characters and offsets in UTF-8 bytes', () => {
    const f = makeSourceFile('u.hcl', 'a = "é"\nbb = 1');
    expect(locate(f, 5)).toEqual({ line: 1, column: 6, byte: 5 });
    expect(locate(f, 8)).toEqual({ line: 2, column: 1, byte: 9 });
  });
  it('reports several errors in one file, each located', () => {
    expect(errors('a = \nd = )\ne = "ok"\ntarget "x" {\n  tags = [1 2]\n  ok = 1\n}\nf = [1,\ng = 2\n')).toEqual([
      '1:5: expected an expression, found newline',
      '2:5: expected an expression, found ")"',
      '5:13: expected "," or "]" in a list, found "2"',
      '9:3: expected "," or "]" in a list, found "="',
    ]);
  });
  it.each([
    ['target "a" {', '1:12: unclosed block: this { has no matching }'],
    ['a = "x', '1:5: unterminated string: no closing "'],
    ['a = "x\nb = 1', '1:7: unterminated string: a quoted string must end on the line it starts (use a heredoc for several lines)'],
    ['a = "\\q"', '1:6: invalid escape sequence \\q: the valid ones are \\n \\r \\t \\" \\\\ \\uNNNN \\UNNNNNNNN'],
    ['a = 1 2', '1:7: unexpected "2": expected a newline after the attribute or block'],
    ['a = <<EOT\nnever', '1:5: unterminated heredoc: no line "EOT" closes it'],
    ['a = "%{ if true }x"', '1:6: %{if} has no matching %{endif}'],
    ['a = "%{ endfor }"', '1:6: %{endfor} without a matching %{for}'],
    ['a = "%{ bogus }"', '1:9: unknown template directive "bogus": expected if, else, endif, for or endfor'],
    ['a = f::g(1)', '1:6: provider-namespaced functions (f::…) are not supported by bake'],
    ['target "${x}" {}', '1:8: a block label cannot contain interpolations or directives'],
    ['}', '1:1: unexpected }: no block is open here'],
  ])('%j → %s', (text, message) => {
    expect(errors(text)).toEqual([message]);
  });
  it('refuses 100,000 nested brackets with one message, quickly', () => {
    for (const open of ['[', '(', '{a=', '"${']) {
      const r = errors(`x = ${open.repeat(100_000)}`);
      expect(r).toHaveLength(1);
      expect(r[0]).toMatch(/nesting too deep \(more than 256 levels/);
    }
  });
  it('refuses 100,000 chained operators or traversals with one message', () => {
    for (const text of [`x = ${'1 + '.repeat(100_000)}1`, `x = a${'.b'.repeat(100_000)}`, `x = a${'[0]'.repeat(100_000)}`]) {
      const r = errors(text);
      expect(r).toHaveLength(1);
      expect(r[0]).toMatch(/expression too long \(more than 1000/);
    }
  });
  it('reads a 5 MB heredoc', () => {
    const line = 'some text in a large heredoc\n';
    const text = `a = <<EOT\n${line.repeat(200_000)}EOT\n`;
    const r = parseHcl('big.hcl', text);
    expect(r.diagnostics).toEqual([]);
    const e = r.body.attributes[0]!.expr;
    expect(e.k === 'lit' && (e.value as string).length).toBe(line.length * 200_000);
  });
});

describe('parser: expressions', () => {
  const shape = (e: Expr): unknown => {
    switch (e.k) {
      case 'lit':
        return e.value;
      case 'var':
        return e.name;
      case 'binary':
        return [e.op, shape(e.left), shape(e.right)];
      case 'unary':
        return [e.op, shape(e.operand)];
      case 'cond':
        return ['?', shape(e.cond), shape(e.then), shape(e.else)];
      case 'paren':
        return ['()', shape(e.expr)];
      case 'getattr':
        return ['.', shape(e.obj), e.name];
      case 'index':
        return ['[]', shape(e.obj), shape(e.key)];
      case 'splat':
        return ['*', shape(e.obj), shape(e.each)];
      case 'anchor':
        return '@';
      case 'call':
        return ['call', e.name, ...e.args.map(shape), ...(e.expand ? ['...'] : [])];
      case 'tuple':
        return ['tuple', ...e.items.map(shape)];
      case 'object':
        return ['object', ...e.items.map((i) => [shape(i.key), shape(i.value)])];
      case 'for':
        return ['for', e.keyVar, e.valVar, shape(e.coll), e.keyExpr && shape(e.keyExpr), shape(e.valExpr), e.cond && shape(e.cond), e.group];
      case 'template':
        return ['template', e.parts.length];
    }
  };
  it.each([
    ['1 + 2 * 3', ['+', 1, ['*', 2, 3]]],
    ['1 - 2 - 3', ['-', ['-', 1, 2], 3]],
    ['a || b && c', ['||', 'a', ['&&', 'b', 'c']]],
    ['a == b && c != d', ['&&', ['==', 'a', 'b'], ['!=', 'c', 'd']]],
    ['1 < 2 == true', ['==', ['<', 1, 2], true]],
    ['!a && -b > 1', ['&&', ['!', 'a'], ['>', ['-', 'b'], 1]]],
    ['-5', -5],
    ['a ? b : c ? d : e', ['?', 'a', 'b', ['?', 'c', 'd', 'e']]],
    ['(1 + 2) * 3', ['*', ['()', ['+', 1, 2]], 3]],
    ['a.b[0].c', ['.', ['[]', ['.', 'a', 'b'], 0], 'c']],
    ['a.0.1', ['[]', ['[]', 'a', 0], 1]],
    ['a[*].b.c', ['*', 'a', ['.', ['.', '@', 'b'], 'c']]],
    ['a.*.b[0]', ['[]', ['*', 'a', ['.', '@', 'b']], 0]],
    ['a[*].b[0]', ['*', 'a', ['[]', ['.', '@', 'b'], 0]]],
    ['f(1, x...)', ['call', 'f', 1, 'x', '...']],
    ['f()', ['call', 'f']],
    ['[1, "a", null,]', ['tuple', 1, 'a', null]],
    ['{a = 1, "b": 2, (k) = 3}', ['object', ['a', 1], ['b', 2], [['()', 'k'], 3]]],
    ['{\n a = 1\n b = 2\n}', ['object', ['a', 1], ['b', 2]]],
    ['[for k, v in m : v if k != "x"]', ['for', 'k', 'v', 'm', null, 'v', ['!=', 'k', 'x'], false]],
    ['{for v in l : v.k => v...}', ['for', null, 'v', 'l', ['.', 'v', 'k'], 'v', null, true]],
    ['{for = 1}', ['object', ['for', 1]]],
    ['"a${b}c"', ['template', 3]],
    ['true', true],
  ])('%j', (text, want) => {
    expect(shape(expr(text))).toEqual(want);
  });
});
