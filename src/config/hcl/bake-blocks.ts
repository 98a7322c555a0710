/**
 * Bake's block semantics over the merged bodies of every HCL/JSON file (buildx bake/hclparser):
 * `variable`, `function`, global attributes, `target`/`group` with `matrix`/`name` forks and lazy
 * `target.NAME.ATTR` references, all evaluated on demand with cycle detection; tsbake's `builder`
 * blocks and `default-builder` attribute passed through.
 */
import type { Attribute, Block, CallExpr, Expr, SourceFile, VarExpr } from './ast.js';
import { callsIn, locate } from './ast.js';
import { TARGET_FIELDS, GROUP_FIELDS, convertField, toPlain, type FieldKind } from './bake-schema.js';
import { ConvertError, newObject, toBoolValue, toStringValue, typeName } from './convert.js';
import { Evaluator, FatalHclError, HclError, Scope, closest, type EvalHost } from './eval-expr.js';
import { stdlib } from './stdlib/index.js';
import { convertTo, friendlyName } from './types.js';
import { FunctionError, describeFunctionError, isObject, type FunctionContext, type Value, type ValueObject } from './value.js';
import { applyOverride, findOverride, variableText } from './variables.js';
import { dropNulls, mergeTarget, readFunction, readVariable, type FuncDecl, type VarDecl } from './bake-decls.js';
import type { Diagnostic } from '../../errors.js';
import type { ConfigFile, GroupConfig, SourcePos, TargetConfig } from '../types.js';

export interface BakeVariableInfo {
  name: string;
  value: string | null;
  type?: string;
  description?: string;
  file: string;
  line: number;
  column: number;
}

export interface BakeInputs {
  env: Readonly<Record<string, string | undefined>>;
  vars: Readonly<Record<string, string>>;
  builtins: Readonly<Record<string, string>>;
  fnContext: FunctionContext;
}

/** Already reported; fails the referencing expression without a second message. */
class Reported extends FatalHclError {}

interface Instance {
  type: 'target' | 'group';
  block: Block;
  name: string;
  scope: Scope | null;
  attrs: Map<string, Attribute>;
  /** attrs' values in the Map's order (shared by a block's forks): walked by index, not by iterator. */
  attrList: Attribute[];
  values: Map<string, Value>;
}

const BLOCK_TYPES = new Set(['target', 'group']);
const NAME_RE = /^[a-zA-Z0-9_-]+$/;
const MAX_CALL_DEPTH = 128;

export class BakeEvaluation implements EvalHost {
  readonly diagnostics: Diagnostic[] = [];
  readonly ev = new Evaluator(this);
  private readonly vars = new Map<string, VarDecl>();
  private readonly attrs = new Map<string, Attribute>();
  private readonly funcs = new Map<string, FuncDecl>();
  private readonly values = new Map<string, Value>();
  private readonly failed = new Set<string>();
  /** What is being evaluated, for cycle messages: "variable A", "target.app.tags". */
  private readonly stack: string[] = [];
  private readonly inProgress = new Set<string>();
  private readonly instances = new Map<string, Instance[]>();
  private readonly order: Instance[] = [];
  private readonly blocks: Block[] = [];
  private readonly builders: Block[] = [];
  private callDepth = 0;
  /** The last instance of each type\0name, for positionOf. */
  readonly positioned = new Map<string, Instance>();

  position(type: string, name: string, attr: string | undefined): { f: SourceFile; key: number; value: number } | undefined {
    const inst = this.positioned.get(`${type}\0${name}`);
    if (!inst) return undefined;
    if (attr === undefined) return { f: inst.block.f, key: inst.block.labels[0]?.s ?? inst.block.s, value: inst.block.body.s };
    const a = inst.attrs.get(attr);
    return a ? { f: a.f, key: a.s, value: a.expr.s } : undefined;
  }

  constructor(
    private readonly bodies: { attributes: Attribute[]; blocks: Block[] }[],
    private readonly inputs: BakeInputs,
  ) {}

  report(err: unknown): void {
    if (err instanceof Reported) return;
    if (err instanceof HclError) {
      this.diag(err.f, err.s, err.message, err.suggestion);
      return;
    }
    throw err;
  }
  diag(f: SourceFile, off: number, message: string, suggestion?: string, severity: 'error' | 'warning' = 'error'): void {
    const loc = locate(f, off);
    const d: Diagnostic = { file: f.name, line: loc.line, column: loc.column, message, severity };
    if (suggestion !== undefined) d.suggestion = suggestion;
    this.diagnostics.push(d);
  }

  run(): { config: ConfigFile; variables: BakeVariableInfo[] } {
    this.collect();
    const variables = this.resolveVariables();
    this.validate();
    for (const name of this.funcs.keys()) this.checkFunction(name);
    const config = this.evaluateBlocks();
    for (const [name, a] of this.attrs) {
      try {
        const v = this.lookupGlobal(name, a.expr);
        if (name === 'default-builder' && v !== null) config['default-builder'] = toStringValue(v);
      } catch (err) {
        this.report(err);
      }
    }
    return { config, variables };
  }

  // ---- declarations ----

  private collect(): void {
    for (const body of this.bodies) {
      for (const a of body.attributes) {
        if (Object.hasOwn(this.inputs.builtins, a.name) || BLOCK_TYPES.has(a.name) || a.name === 'function') continue;
        this.attrs.set(a.name, a);
      }
      for (const b of body.blocks) {
        if (b.type === 'variable') this.declareVariable(b);
        else if (b.type === 'function') this.declareFunction(b);
        else if (BLOCK_TYPES.has(b.type)) {
          if (b.labels.length !== 1) this.diag(b.f, b.labels[1]?.s ?? b.s, `a ${b.type} block needs exactly one label (its name), as in ${b.type} "name" { … }`);
          else this.blocks.push(b);
        } else if (b.type === 'builder') {
          if (b.labels.length !== 1) this.diag(b.f, b.s, 'a builder block needs exactly one label (its name)');
          else this.builders.push(b);
        }
        else {
          // bake ignores other block types; a warning still catches a misspelt one.
          this.diag(b.f, b.s, `unknown block type "${b.type}" (ignored, as bake does)`, closest(b.type, ['target', 'group', 'variable', 'function', 'builder']), 'warning');
        }
      }
    }
  }

  private oneLabel(b: Block): string | undefined {
    if (b.labels.length !== 1) {
      this.diag(b.f, b.labels[1]?.s ?? b.s, `a ${b.type} block needs exactly one label (its name)`);
      return undefined;
    }
    return (b.labels[0] as { value: string }).value;
  }

  private declareVariable(b: Block): void {
    const name = this.oneLabel(b);
    if (name === undefined || Object.hasOwn(this.inputs.builtins, name) || BLOCK_TYPES.has(name)) return;
    const d = readVariable(b, name, (f, off, m, sug) => this.diag(f, off, m, sug), (err) => this.report(err));
    // A later declaration of the same variable wins, as bake's map does.
    const prev = this.vars.get(name);
    if (prev) d.validations.unshift(...prev.validations);
    this.vars.set(name, d);
  }

  private declareFunction(b: Block): void {
    const name = this.oneLabel(b);
    if (name === undefined || BLOCK_TYPES.has(name)) return;
    const f = readFunction(b, name, (file, off, m, sug) => this.diag(file, off, m, sug));
    if (f) this.funcs.set(name, f);
  }

  /** bake refuses a user function that (directly or not) calls itself: "function cycle not allowed". */
  private checkFunction(name: string): void {
    const f = this.funcs.get(name) as FuncDecl;
    const seen = new Set<string>();
    const path: string[] = [];
    const visit = (n: string): string[] | null => {
      if (path.includes(n)) return [...path, n];
      if (seen.has(n)) return null;
      seen.add(n);
      const g = this.funcs.get(n);
      if (!g || Object.hasOwn(stdlib, n)) return null;
      path.push(n);
      const calls = new Set<string>();
      callsIn(g.result, calls);
      for (const c of [...calls].sort()) {
        const cyc = visit(c);
        if (cyc) return cyc;
      }
      path.pop();
      return null;
    };
    const cyc = visit(name);
    if (cyc && cyc[0] === name) {
      this.failed.add(`function ${name}`);
      this.diag(f.result.f, f.result.s, `function cycle not allowed for ${name}: ${cyc.join(' → ')} (user functions cannot be recursive)`);
    }
  }

  // ---- names (EvalHost) ----

  isBlockType(name: string): boolean {
    return BLOCK_TYPES.has(name);
  }

  lookup(name: string, node: VarExpr): Value {
    return this.lookupGlobal(name, node);
  }

  private lookupGlobal(name: string, node: Expr): Value {
    const cached = this.values.get(name);
    if (cached !== undefined) return cached;
    if (Object.hasOwn(this.inputs.builtins, name)) return this.inputs.builtins[name] as string;
    const decl = this.vars.get(name);
    const attr = decl ? undefined : this.attrs.get(name);
    if (!decl && !attr) {
      const names = [...this.vars.keys(), ...this.attrs.keys(), ...Object.keys(this.inputs.builtins)];
      throw new HclError(node.f, node.s, `unknown variable: there is no variable named "${name}"`, closest(name, names));
    }
    const label = decl ? `variable ${name}` : name;
    if (this.failed.has(label)) throw new Reported(node.f, node.s, '');
    const v = this.guard(label, node, () => (decl ? this.variableValue(decl) : this.ev.eval((attr as Attribute).expr, null)));
    this.values.set(name, v);
    return v;
  }

  /** Runs fn with `label` marked in progress; a re-entry is a cycle, reported once with its chain. */
  private guard<T>(label: string, node: Expr, fn: () => T): T {
    if (this.inProgress.has(label)) {
      const chain = [...this.stack.slice(this.stack.indexOf(label)), label].join(' → ');
      throw new FatalHclError(node.f, node.s, `reference cycle not allowed: ${chain}`);
    }
    this.inProgress.add(label);
    this.stack.push(label);
    try {
      return fn();
    } catch (err) {
      if (err instanceof HclError && !(err instanceof Reported)) {
        // Report where it happened, once; whoever referenced this fails silently.
        this.failed.add(label);
        this.report(err);
        throw new Reported(node.f, node.s, err.message);
      }
      throw err;
    } finally {
      this.stack.pop();
      this.inProgress.delete(label);
    }
  }

  private lookupOverride(name: string): string | undefined {
    if (Object.hasOwn(this.inputs.vars, name)) return this.inputs.vars[name];
    const disable = this.inputs.env.BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP;
    if (disable !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(disable)) return undefined;
    return this.inputs.env[name];
  }

  private variableValue(d: VarDecl): Value {
    const typed = d.type !== null;
    const isKnown = (n: string): boolean => this.vars.has(n) || Object.hasOwn(this.inputs.builtins, n);
    let def: Value = null;
    if (!d.def) {
      const ov = findOverride(d.name, false, (n) => this.lookupOverride(n), isKnown);
      if (!ov) return typed ? null : '';
    } else {
      def = this.ev.eval(d.def.expr, null);
      if (d.type) {
        try {
          def = convertTo(def, d.type);
        } catch (err) {
          if (err instanceof ConvertError) throw new HclError(d.def.expr.f, d.def.expr.s, `invalid type ${friendlyName(d.type)} for variable ${d.name} default value: ${err.message}`);
          throw err;
        }
      }
    }
    const ov = findOverride(d.name, typed, (n) => this.lookupOverride(n), isKnown);
    if (!ov) return def;
    try {
      return applyOverride(d.name, ov, d.type, d.def !== undefined, def);
    } catch (err) {
      if (err instanceof ConvertError) throw new HclError(d.block.f, d.block.labels[0]?.s ?? d.block.s, err.message);
      throw err;
    }
  }

  private resolveVariables(): BakeVariableInfo[] {
    const out: BakeVariableInfo[] = [];
    for (const d of this.vars.values()) {
      let v: Value = null;
      try {
        v = this.lookupGlobal(d.name, d.block.labels[0] ? { k: 'lit', value: null, f: d.block.f, s: d.block.labels[0].s, e: d.block.labels[0].s } : d.block.body.attributes[0]?.expr ?? ({ k: 'lit', value: null, f: d.block.f, s: d.block.s, e: d.block.s } as Expr));
      } catch (err) {
        this.report(err);
      }
      const loc = locate(d.block.f, d.block.labels[0]?.s ?? d.block.s);
      const info: BakeVariableInfo = { name: d.name, value: variableText(v, d.type), file: d.block.f.name, line: loc.line, column: loc.column };
      if (d.type) info.type = friendlyName(d.type);
      if (d.description) {
        try {
          const desc = this.ev.eval(d.description.expr, null);
          if (desc !== null) info.description = toStringValue(desc);
        } catch (err) {
          this.report(err);
        }
      }
      out.push(info);
    }
    return out;
  }

  private validate(): void {
    for (const d of this.vars.values()) {
      if (this.failed.has(`variable ${d.name}`)) continue;
      for (const rule of d.validations) {
        const c = rule.cond.expr;
        try {
          const r = this.ev.eval(c, null);
          if (r === null) throw new HclError(c.f, c.s, 'invalid condition result: the condition must be true or false, not null');
          let ok: boolean;
          try {
            ok = toBoolValue(r);
          } catch (err) {
            throw new HclError(c.f, c.s, `invalid condition result: ${(err as Error).message}`);
          }
          if (ok) continue;
          let msg = 'This check failed, but has an invalid error message.';
          if (rule.msg) {
            const m = this.ev.eval(rule.msg.expr, null);
            if (m !== null) msg = toStringValue(m);
          }
          this.diag(c.f, c.s, `validation failed: ${msg}`);
        } catch (err) {
          this.report(err);
        }
      }
    }
  }

  // ---- functions (EvalHost) ----

  call(name: string, args: Value[], node: CallExpr): Value {
    const std = stdlib[name];
    if (std) {
      if (args.length < std.params || (!std.variadic && args.length > std.params)) {
        throw new HclError(node.f, node.s, `${name}() takes ${std.variadic ? `at least ${std.params}` : std.params} argument${std.params === 1 && !std.variadic ? '' : 's'}, not ${args.length}`);
      }
      try {
        return std.impl(args, this.inputs.fnContext);
      } catch (err) {
        if (err instanceof FunctionError) {
          const at = err.argIndex !== undefined ? node.args[Math.min(err.argIndex, node.args.length - 1)] : undefined;
          throw new HclError(node.f, at ? at.s : node.s, describeFunctionError(name, err).detail);
        }
        if (err instanceof RangeError) throw new FatalHclError(node.f, node.s, `call to ${name}() failed: ${err.message}`);
        throw err;
      }
    }
    const f = this.funcs.get(name);
    if (!f) {
      const names = [...Object.keys(stdlib), ...this.funcs.keys(), 'try', 'can'];
      throw new HclError(node.f, node.s, `call to unknown function: there is no function named "${name}"`, closest(name, names));
    }
    if (this.failed.has(`function ${name}`)) throw new Reported(node.f, node.s, '');
    if (args.length < f.params.length) throw new HclError(node.f, node.s, `not enough arguments for ${name}(): it expects ${f.params.length}, missing a value for "${f.params[args.length]}"`);
    if (args.length > f.params.length && f.variadic === null) throw new HclError(node.f, node.s, `too many arguments for ${name}(): it expects ${f.params.length}`);
    const vars: Record<string, Value> = {};
    f.params.forEach((p, i) => (vars[p] = args[i] as Value));
    if (f.variadic !== null) vars[f.variadic] = args.slice(f.params.length);
    if (++this.callDepth > MAX_CALL_DEPTH) {
      this.callDepth = 0;
      throw new FatalHclError(node.f, node.s, `function calls nested more than ${MAX_CALL_DEPTH} deep (runaway recursion in ${name}?)`);
    }
    try {
      return this.ev.eval(f.result, new Scope(vars, null));
    } finally {
      if (this.callDepth > 0) this.callDepth--;
    }
  }

  // ---- blocks ----

  blockRef(type: string, name: string, attr: string | null, node: Expr): Value | undefined {
    const list = this.instances.get(`${type}\0${name}`);
    if (!list || list.length === 0) {
      const names = this.order.filter((i) => i.type === type).map((i) => i.name);
      throw new HclError(node.f, node.s, `unsupported attribute: there is no ${type} named "${name}"`, closest(name, names));
    }
    const inst = list[list.length - 1] as Instance;
    const fields = type === 'target' ? TARGET_FIELDS : GROUP_FIELDS;
    if (attr === null) {
      const o = newObject();
      o.name = inst.name;
      for (const k of Object.keys(fields)) if (k !== 'matrix' && k !== 'name') o[k] = this.instanceAttr(inst, k, node);
      return o;
    }
    if (attr === 'name') return inst.name;
    if (!Object.hasOwn(fields, attr) || attr === 'matrix') {
      throw new HclError(node.f, node.s, `unsupported attribute: a ${type} has no attribute named "${attr}"`, closest(attr, Object.keys(fields)));
    }
    return this.instanceAttr(inst, attr, node);
  }

  private instanceAttr(inst: Instance, attr: string, node: Expr): Value {
    const cached = inst.values.get(attr);
    if (cached !== undefined) return cached;
    const a = inst.attrs.get(attr);
    if (!a) return null;
    const label = `${inst.type}.${inst.name}.${attr}`;
    if (this.failed.has(label)) throw new Reported(node.f, node.s, '');
    const kind = (inst.type === 'target' ? TARGET_FIELDS : GROUP_FIELDS)[attr] as FieldKind;
    const v = this.guard(label, node, () => {
      const raw = this.ev.eval(a.expr, inst.scope);
      try {
        return convertField(raw, kind);
      } catch (err) {
        if (err instanceof ConvertError) throw new HclError(a.expr.f, a.expr.s, `inappropriate value for attribute "${attr}": ${err.message}`);
        throw err;
      }
    });
    inst.values.set(attr, v);
    return v;
  }

  /** Forks (matrix) and names for every target/group block; then every attribute of every instance. */
  private evaluateBlocks(): ConfigFile {
    const renamed = new Map<string, string[]>();
    for (const b of this.blocks) {
      try {
        this.instantiate(b, renamed);
      } catch (err) {
        this.report(err);
      }
    }
    const config: ConfigFile = {};
    const targets: Record<string, TargetConfig> = {};
    const groups: Record<string, GroupConfig> = {};
    for (const inst of this.order) {
      const fields = inst.type === 'target' ? TARGET_FIELDS : GROUP_FIELDS;
      const out: Record<string, unknown> = {};
      const attrList = inst.attrList;
      for (let ai = 0; ai < attrList.length; ai++) {
        const a = attrList[ai]!;
        const name = a.name;
        if (!Object.hasOwn(fields, name)) {
          // buildx ignores it silently; a warning keeps the output identical and still catches typos.
          this.diag(a.f, a.s, `unsupported attribute "${name}" in ${inst.type} "${inst.name}" (ignored, as bake does)`, closest(name, Object.keys(fields)), 'warning');
          continue;
        }
        if (name === 'matrix' || name === 'name') continue;
        try {
          const v = this.instanceAttr(inst, name, a.expr);
          // A null map entry never overrides (bake's Merge skips it), so it is left out.
          if (v !== null) out[name] = fields[name] === 'nullable-map' ? dropNulls(toPlain(v) as Record<string, unknown>) : toPlain(v);
        } catch (err) {
          this.report(err);
        }
      }
      this.positioned.set(`${inst.type}\0${inst.name}`, inst);
      if (inst.type === 'target') targets[inst.name] = mergeTarget(targets[inst.name], out as TargetConfig);
      else {
        if (!inst.attrs.has('targets')) this.diag(inst.block.f, inst.block.labels[0]?.s ?? inst.block.s, `group "${inst.name}": the "targets" attribute is required`);
        groups[inst.name] = { ...(out as GroupConfig), targets: (out.targets as string[] | undefined) ?? [] };
      }
    }
    for (const [base, names] of renamed) {
      const uniq = [...new Set(names)];
      if (uniq.length === 1 && uniq[0] === base) continue;
      const g = groups[base];
      if (g) g.targets = [...new Set([...(g.targets ?? []), ...uniq])];
      else groups[base] = { targets: uniq };
    }
    if (Object.keys(groups).length > 0) config.group = groups;
    if (Object.keys(targets).length > 0) config.target = targets;
    if (this.builders.length > 0) {
      const builders: Record<string, unknown> = {};
      for (const b of this.builders) {
        const o: Record<string, unknown> = {};
        for (const a of b.body.attributes) {
          try {
            o[a.name] = toPlain(this.ev.eval(a.expr, null));
          } catch (err) {
            this.report(err);
          }
        }
        builders[(b.labels[0] as { value: string }).value] = o;
      }
      config.builder = builders as ConfigFile['builder'];
    }
    return config;
  }

  private instantiate(b: Block, renamed: Map<string, string[]>): void {
    const type = b.type as 'target' | 'group';
    const label = (b.labels[0] as { value: string; s: number });
    const attrs = new Map<string, Attribute>();
    const bodyAttrs = b.body.attributes;
    for (let i = 0; i < bodyAttrs.length; i++) attrs.set(bodyAttrs[i]!.name, bodyAttrs[i]!);
    const attrList = [...attrs.values()];
    for (const nb of b.body.blocks) this.diag(nb.f, nb.s, `blocks are not allowed in a ${type} ("${nb.type}" here): use an attribute (${nb.type} = …)`);
    if (!NAME_RE.test(label.value)) throw new HclError(b.f, label.s, `invalid name "${label.value}": only "[a-zA-Z0-9_-]+" are allowed`);
    const matrix = attrs.get('matrix');
    const nameAttr = attrs.get('name');
    if (type === 'group' && (matrix || nameAttr)) throw new HclError(b.f, (matrix ?? nameAttr as Attribute).s, `${matrix ? 'matrix' : 'name'} is not supported for groups`);
    let scopes: (Scope | null)[] = [null];
    if (matrix) {
      const m = this.ev.eval(matrix.expr, null);
      if (!isObject(m)) throw new HclError(matrix.expr.f, matrix.expr.s, `matrix must be a map (of axis names to lists), not ${typeName(m)}`);
      // Axes in the order written, the last varying fastest (bake's order depends on Go's map iteration).
      for (const axis of Object.keys(m)) {
        const vals = m[axis] as Value;
        if (!Array.isArray(vals)) throw new HclError(matrix.expr.f, matrix.expr.s, `matrix values must be a list (axis "${axis}" is ${typeName(vals)})`);
        const next: Scope[] = [];
        for (const s of scopes) for (const v of vals) next.push(new Scope({ ...(s?.vars ?? {}), [axis]: v }, null));
        scopes = next;
        if (scopes.length > 100_000) throw new HclError(matrix.expr.f, matrix.expr.s, 'matrix expands to more than 100000 targets');
      }
    } else if (nameAttr) throw new HclError(nameAttr.f, nameAttr.s, 'name requires matrix');
    const names: string[] = [];
    for (const scope of scopes) {
      let name = label.value;
      if (nameAttr) {
        const v = this.ev.eval(nameAttr.expr, scope);
        try {
          name = toStringValue(v);
        } catch (err) {
          throw new HclError(nameAttr.expr.f, nameAttr.expr.s, `name must be a string: ${(err as Error).message}`);
        }
        if (!NAME_RE.test(name)) throw new HclError(nameAttr.expr.f, nameAttr.expr.s, `invalid name "${name}": only "[a-zA-Z0-9_-]+" are allowed`);
      }
      if (names.includes(name)) throw new HclError(b.f, label.s, `duplicate name "${name}"${matrix && !nameAttr ? ': a matrix target needs a name attribute, e.g. name = "' + label.value + '-${axis}"' : ''}`);
      names.push(name);
    }
    for (let i = 0; i < scopes.length; i++) {
      const inst: Instance = { type, block: b, name: names[i] as string, scope: scopes[i] as Scope | null, attrs, attrList, values: new Map() };
      const key = `${type}\0${inst.name}`;
      const list = this.instances.get(key);
      if (list) list.push(inst);
      else this.instances.set(key, [inst]);
      this.order.push(inst);
    }
    const r = renamed.get(`${label.value}`) ?? [];
    if (type === 'target') renamed.set(label.value, [...r, ...names]);
  }
}

export function positionFrom(ev: BakeEvaluation, path: readonly (string | number)[], part: 'key' | 'value' = 'key'): SourcePos | undefined {
  if (path.length < 2) return undefined;
  for (let n = Math.min(path.length, 3); n >= 2; n--) {
    const p = ev.position(String(path[0]), String(path[1]), n === 3 ? String(path[2]) : undefined);
    if (p) {
      const loc = locate(p.f, part === 'key' ? p.key : p.value);
      return { file: p.f.name, line: loc.line, column: loc.column };
    }
  }
  return undefined;
}

export type { ValueObject };
