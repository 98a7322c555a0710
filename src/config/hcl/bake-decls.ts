/**
 * Reading bake's `variable` and `function` blocks into declarations (evaluated later, lazily), and
 * bake's Target.Merge for a target written in several blocks.
 */
import type { Attribute, Block, Expr, SourceFile } from './ast.js';
import { closest } from './eval-expr.js';
import { parseTypeExpr, type CtyType } from './types.js';
import type { TargetConfig } from '../types.js';

export type Diag = (f: SourceFile, off: number, message: string, suggestion?: string) => void;

export interface VarDecl {
  name: string;
  block: Block;
  def: Attribute | undefined;
  typeExpr: Attribute | undefined;
  description: Attribute | undefined;
  validations: { cond: Attribute; msg: Attribute | undefined }[];
  type: CtyType | null;
}
export interface FuncDecl {
  name: string;
  block: Block;
  params: string[];
  variadic: string | null;
  result: Expr;
}
export function readVariable(b: Block, name: string, diag: Diag, report: (err: unknown) => void): VarDecl {
  const known = new Set(['default', 'description', 'type']);
  const d: VarDecl = { name, block: b, def: undefined, typeExpr: undefined, description: undefined, validations: [], type: null };
  for (const a of b.body.attributes) {
    if (a.name === 'default') d.def = a;
    else if (a.name === 'type') d.typeExpr = a;
    else if (a.name === 'description') d.description = a;
    else diag(a.f, a.s, `unsupported argument "${a.name}" in variable "${name}"`, closest(a.name, known));
  }
  for (const vb of b.body.blocks) {
    if (vb.type !== 'validation') {
      diag(vb.f, vb.s, `unsupported block "${vb.type}" in variable "${name}"`, closest(vb.type, ['validation']));
      continue;
    }
    const cond = vb.body.attributes.find((a) => a.name === 'condition');
    const msg = vb.body.attributes.find((a) => a.name === 'error_message');
    if (!cond) diag(vb.f, vb.s, 'a validation block needs a "condition"');
    else d.validations.push({ cond, msg });
    for (const a of vb.body.attributes) if (a.name !== 'condition' && a.name !== 'error_message') diag(a.f, a.s, `unsupported argument "${a.name}" in validation`, closest(a.name, ['condition', 'error_message']));
  }
  if (d.typeExpr) {
    try {
      d.type = parseTypeExpr(d.typeExpr.expr);
    } catch (err) {
      report(err);
    }
  }
  return d;
}

export function readFunction(b: Block, name: string, diag: Diag): FuncDecl | undefined {
  let params: string[] | null = null;
  let variadic: string | null = null;
  let result: Expr | null = null;
  for (const a of b.body.attributes) {
    if (a.name === 'params') {
      params = [];
      const e = a.expr;
      if (e.k !== 'tuple') diag(e.f, e.s, 'params must be a list of parameter names, e.g. params = [a, b]');
      else for (const p of e.items) {
        const n = keyword(p);
        if (n === null) diag(p.f, p.s, 'each parameter name must be an identifier');
        else params.push(n);
      }
    } else if (a.name === 'variadic_params') {
      variadic = keyword(a.expr);
      if (variadic === null) diag(a.expr.f, a.expr.s, 'variadic_params must be an identifier');
    } else if (a.name === 'result') result = a.expr;
    else diag(a.f, a.s, `unsupported argument "${a.name}" in function "${name}"`, closest(a.name, ['params', 'variadic_params', 'result']));
  }
  if (params === null) {
    diag(b.f, b.labels[0]?.s ?? b.s, `empty params not allowed for ${name}: add params = [] (or the parameter names)`);
    return undefined;
  }
  if (result === null) {
    diag(b.f, b.labels[0]?.s ?? b.s, `empty result not allowed for ${name}: add result = <expression>`);
    return undefined;
  }
  return { name, block: b, params, variadic, result };
}

/** A target named in several blocks: bake's Target.Merge, later blocks win attribute by attribute. */
export function mergeTarget(prev: TargetConfig | undefined, next: TargetConfig): TargetConfig {
  if (!prev) return next;
  const out: Record<string, unknown> = { ...prev };
  for (const [k, v] of Object.entries(next)) {
    const p = out[k];
    if (['args', 'labels', 'contexts', 'extra-hosts'].includes(k) && p && typeof p === 'object') out[k] = { ...(p as object), ...(v as object) };
    else if (['annotations', 'attest', 'secret', 'ssh', 'cache-from', 'no-cache-filter', 'ulimits', 'entitlements', 'inherits', 'depends-on'].includes(k) && Array.isArray(p)) out[k] = [...p, ...(v as unknown[])];
    else out[k] = v;
  }
  return out as TargetConfig;
}

export function dropNulls(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) if (o[k] === null) delete o[k];
  return o;
}

export function keyword(e: Expr): string | null {
  if (e.k === 'var') return e.name;
  if (e.k === 'lit' && typeof e.value === 'string' && /^[\p{ID_Start}_][\p{ID_Continue}-]*$/u.test(e.value)) return e.value;
  return null;
}
