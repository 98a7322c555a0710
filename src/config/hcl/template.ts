/**
 * Turns a template's flat sequence (literals, interpolations, directives) into its tree: applies
 * `<<-` indent stripping, then the `~` strip markers, then nests %{if}/%{for} bodies.
 * https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md#templates
 */
import type { Expr, SourceFile, TemplatePart } from './ast.js';
import { SyntaxError_ } from './lexer.js';

interface Strip {
  stripL: boolean;
  stripR: boolean;
  s: number;
}
export type FlatPart =
  | { k: 'str'; value: string }
  | ({ k: 'interp'; expr: Expr } & Strip)
  | ({ k: 'if'; cond: Expr } & Strip)
  | ({ k: 'else' | 'endif' | 'endfor' } & Strip)
  | ({ k: 'for'; keyVar: string | null; valVar: string; coll: Expr } & Strip);

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** `<<-`: the smallest indentation of the lines with content is removed from every line. */
function flushIndent(flat: FlatPart[]): void {
  let min = Infinity;
  let atLineStart = true;
  for (let p = 0; p < flat.length; p++) {
    const part = flat[p] as FlatPart;
    if (part.k !== 'str') {
      atLineStart = false;
      continue;
    }
    const v = part.value;
    let i = 0;
    let lineStart = atLineStart;
    while (i <= v.length) {
      if (lineStart) {
        let j = i;
        while (j < v.length && isSpace(v.charCodeAt(j))) j++;
        const endOfPart = j >= v.length;
        const blank = endOfPart ? p === flat.length - 1 : v.charCodeAt(j) === 10 || v.charCodeAt(j) === 13;
        if (!blank) min = Math.min(min, j - i);
      }
      const nl = v.indexOf('\n', i);
      if (nl === -1) break;
      i = nl + 1;
      lineStart = true;
    }
    atLineStart = v.endsWith('\n');
  }
  if (min === Infinity || min === 0) return;
  atLineStart = true;
  for (const part of flat) {
    if (part.k !== 'str') {
      atLineStart = false;
      continue;
    }
    const v = part.value;
    let out = '';
    let i = 0;
    let lineStart = atLineStart;
    for (;;) {
      if (lineStart) {
        let j = i;
        while (j < v.length && j - i < min && isSpace(v.charCodeAt(j))) j++;
        i = j;
      }
      const nl = v.indexOf('\n', i);
      if (nl === -1) {
        out += v.slice(i);
        break;
      }
      out += v.slice(i, nl + 1);
      i = nl + 1;
      lineStart = true;
    }
    atLineStart = v.endsWith('\n');
    part.value = out;
  }
}

export function buildTemplate(flat: FlatPart[], f: SourceFile, s: number, e: number, flush: boolean): Expr {
  if (flush) flushIndent(flat);
  // Strip markers remove whitespace (newlines included) from the adjacent literal.
  for (let p = 0; p < flat.length; p++) {
    const part = flat[p] as FlatPart;
    if (part.k === 'str') continue;
    if (part.stripL && p > 0) {
      const prev = flat[p - 1] as FlatPart;
      if (prev.k === 'str') prev.value = prev.value.replace(/[ \t\r\n]+$/, '');
    }
    if (part.stripR && p + 1 < flat.length) {
      const next = flat[p + 1] as FlatPart;
      if (next.k === 'str') next.value = next.value.replace(/^[ \t\r\n]+/, '');
    }
  }
  const root: TemplatePart[] = [];
  type Frame = { open: FlatPart & Strip; node: Extract<TemplatePart, { k: 'if' | 'for' }>; parts: TemplatePart[] };
  const stack: Frame[] = [];
  let cur = root;
  for (const part of flat) {
    switch (part.k) {
      case 'str':
        if (part.value !== '') cur.push({ k: 'str', value: part.value });
        break;
      case 'interp':
        cur.push({ k: 'interp', expr: part.expr });
        break;
      case 'if': {
        const node: TemplatePart = { k: 'if', cond: part.cond, then: [], else: null };
        cur.push(node);
        stack.push({ open: part, node, parts: cur });
        cur = node.then;
        break;
      }
      case 'for': {
        const node: TemplatePart = { k: 'for', keyVar: part.keyVar, valVar: part.valVar, coll: part.coll, body: [] };
        cur.push(node);
        stack.push({ open: part, node, parts: cur });
        cur = node.body;
        break;
      }
      case 'else': {
        const top = stack[stack.length - 1];
        if (!top || top.node.k !== 'if' || top.node.else !== null) throw new SyntaxError_(part.s, '%{else} without a matching %{if}');
        top.node.else = [];
        cur = top.node.else;
        break;
      }
      case 'endif':
      case 'endfor': {
        const want = part.k === 'endif' ? 'if' : 'for';
        const top = stack.pop();
        if (!top || top.node.k !== want) {
          throw new SyntaxError_(part.s, top ? `%{${part.k}} closes %{${top.node.k}}: expected %{end${top.node.k}}` : `%{${part.k}} without a matching %{${want}}`);
        }
        cur = top.parts;
        break;
      }
    }
  }
  const open = stack.pop();
  if (open) throw new SyntaxError_(open.open.s, `%{${open.node.k}} has no matching %{end${open.node.k}}`);
  if (root.length === 0) return { k: 'lit', value: '', f, s, e };
  const only = root[0] as TemplatePart;
  if (root.length === 1 && only.k === 'str') return { k: 'lit', value: only.value, f, s, e };
  return { k: 'template', parts: root, f, s, e };
}
