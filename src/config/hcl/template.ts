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

/**
 * `<<-`, as hclsyntax's flushHeredocTemplateParts: the parts are per line (a heredoc's literals end at
 * each newline); a part that starts a line counts its leading whitespace (0 for a `${` or `%{`; blank
 * lines are ignored), and the smallest count is removed from every line-leading literal. Runs after the
 * strip markers, so a line whose newline a `~` removed does not start the next one.
 */
function flushIndent(flat: FlatPart[]): void {
  let min = Infinity;
  let newline = true;
  const adjust: (FlatPart & { k: 'str' })[] = [];
  for (const part of flat) {
    if (newline) {
      newline = false;
      if (part.k === 'str') {
        const lead = /^\s*/u.exec(part.value)?.[0] ?? '';
        if (lead.length === part.value.length && part.value.endsWith('\n')) {
          // A blank line does not count.
        } else {
          min = Math.min(min, [...lead].length);
          adjust.push(part);
        }
      } else min = 0;
    }
    if (part.k === 'str' && part.value.endsWith('\n')) newline = true;
  }
  if (min === Infinity || min === 0) return;
  for (const part of adjust) {
    let i = 0;
    for (let n = 0; n < min; n++) i += (part.value.codePointAt(i) as number) > 0xffff ? 2 : 1;
    part.value = part.value.slice(i);
  }
}

export function buildTemplate(flat: FlatPart[], f: SourceFile, s: number, e: number, flush: boolean): Expr {
  // Strip markers trim the adjacent literal only (in a heredoc, the adjacent line), then `<<-` applies.
  for (let p = 0; p < flat.length; p++) {
    const part = flat[p] as FlatPart;
    if (part.k === 'str') continue;
    const prev = flat[p - 1];
    if (part.stripL && prev?.k === 'str') prev.value = prev.value.replace(/\s+$/u, '');
    const next = flat[p + 1];
    if (part.stripR && next?.k === 'str') next.value = next.value.replace(/^\s+/u, '');
  }
  if (flush) flushIndent(flat);
  const root: TemplatePart[] = [];
  type Frame = { open: FlatPart & Strip; node: Extract<TemplatePart, { k: 'if' | 'for' }>; parts: TemplatePart[] };
  const stack: Frame[] = [];
  let cur = root;
  for (const part of flat) {
    switch (part.k) {
      case 'str':
        if (part.value !== '') {
          const last = cur[cur.length - 1];
          if (last?.k === 'str') last.value += part.value;
          else cur.push({ k: 'str', value: part.value });
        }
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
