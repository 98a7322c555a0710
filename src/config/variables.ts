/**
 * `${NAME}` interpolation in every string value (map keys are left alone). Only declared variables
 * resolve; the environment variable of the same name overrides the default. `$${` is a literal `${`.
 * In a target with `matrix`, `${axis}` references are kept for the planner (and `$${` is kept too,
 * so the planner's pass can tell an escaped brace from an axis reference).
 */
import type { ConfigFile, Scalar } from './types.js';
import { suggest } from './suggest.js';
import type { Value } from './hcl/value.js';

export interface InterpolationIssue {
  /** Key path of the string value in the merged config. */
  path: (string | number)[];
  message: string;
  /** The exact `${…}` text, to find the column inside the string. */
  token: string;
  /** How many identical tokens precede it in the same string. */
  occurrence: number;
  suggestion?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Evaluates one `${…}` expression that is not a plain name, with bake's evaluator (src/config/hcl): its
 * text, or the problem. The evaluator is a chunk of its own in the CLI's bundle, loaded (with
 * loadExpressionEvaluator) only when a file holds such an expression (needsExpressionEvaluator).
 */
export type ExpressionEvaluator = (token: string, variables: Readonly<Record<string, string>>) => { text: string } | { message: string; suggestion?: string };

/** Bake's evaluator as an ExpressionEvaluator (imports src/config/hcl and, when `bcrypt` is used, bcryptjs). */
export async function loadExpressionEvaluator(bcrypt: boolean): Promise<ExpressionEvaluator> {
  const { TemplateError, evaluateTemplateString, preloadBcrypt, toStringValue } = await import('./hcl/index.js');
  if (bcrypt) await preloadBcrypt();
  return (token, variables) => {
    try {
      return { text: toStringValue(evaluateTemplateString(token, { variables: variables as Record<string, Value> })) };
    } catch (err) {
      if (err instanceof TemplateError) {
        const out: { message: string; suggestion?: string } = { message: err.message };
        if (err.diagnostic.suggestion !== undefined) out.suggestion = err.diagnostic.suggestion;
        return out;
      }
      return { message: (err as Error).message };
    }
  };
}

/**
 * Whether any string in `value` holds a `${…}` that interpolateString would hand to the evaluator (the
 * same scan, nextToken; a matrix target's, which it keeps, counts too: loading the evaluator for nothing
 * is harmless).
 */
export function needsExpressionEvaluator(value: unknown): boolean {
  if (typeof value === 'string') {
    for (let t = nextToken(value, 0); t && t.kind !== 'unterminated'; t = nextToken(value, t.end)) {
      if (t.kind === 'expr') return true;
    }
    return false;
  }
  if (Array.isArray(value)) return value.some(needsExpressionEvaluator);
  if (value !== null && typeof value === 'object') return Object.values(value).some(needsExpressionEvaluator);
  return false;
}

interface Ctx {
  lookup(name: string): string | undefined;
  keep?: ReadonlySet<string> | undefined;
  path: (string | number)[];
  issues: InterpolationIssue[];
  names: readonly string[];
  /** Required when a string holds an expression (see needsExpressionEvaluator). */
  evaluate?: ExpressionEvaluator | undefined;
}

/**
 * The next `${…}` place of `s` from `from` on (a `$` not followed by `{` is text): `$${`, bake's escape;
 * a `${` without its `}`, which runs to the end; a plain `${NAME}` (`ref`); any other expression.
 */
type Token =
  | { kind: 'escape'; start: number; end: number }
  | { kind: 'unterminated'; start: number }
  | { kind: 'ref' | 'expr'; start: number; end: number; name: string };

function nextToken(s: string, from: number): Token | undefined {
  for (let j = s.indexOf('$', from); j >= 0; j = s.indexOf('$', j + 1)) {
    if (s.startsWith('$${', j)) return { kind: 'escape', start: j, end: j + 3 };
    if (s[j + 1] !== '{') continue;
    const close = s.indexOf('}', j + 2);
    if (close < 0) return { kind: 'unterminated', start: j };
    const name = s.slice(j + 2, close).trim();
    return { kind: NAME.test(name) ? 'ref' : 'expr', start: j, end: close + 1, name };
  }
  return undefined;
}

export function interpolateString(s: string, ctx: Ctx): string {
  if (!s.includes('$')) return s;
  let out = '';
  let i = 0;
  const seen = new Map<string, number>();
  const issue = (token: string, message: string, suggestion?: string): void => {
    const occurrence = seen.get(token) ?? 0;
    seen.set(token, occurrence + 1);
    const x: InterpolationIssue = { path: [...ctx.path], message, token, occurrence };
    if (suggestion !== undefined) x.suggestion = suggestion;
    ctx.issues.push(x);
  };
  for (;;) {
    const t = nextToken(s, i);
    if (!t) return out + s.slice(i);
    out += s.slice(i, t.start);
    if (t.kind === 'escape') {
      out += ctx.keep ? '$${' : '${';
      i = t.end;
      continue;
    }
    if (t.kind === 'unterminated') {
      issue(s.slice(t.start, t.start + 2), `unterminated "\${" (write $\${ for a literal \${)`);
      return out + s.slice(t.start);
    }
    const token = s.slice(t.start, t.end);
    const name = t.name;
    if (t.kind === 'expr') {
      if (ctx.keep) {
        // a matrix target: the planner substitutes axes; expressions there are not evaluated
        issue(token, `unsupported expression "${token}" in a matrix target: tsbake interpolates only \${NAME} there (write $\${ for a literal \${)`);
        out += token;
      } else {
        // Any other expression goes through bake's evaluator (functions, operators, conditionals) with the variables as strings.
        const variables: Record<string, string> = {};
        for (const n of ctx.names) {
          const v = ctx.lookup(n);
          if (v !== undefined) variables[n] = v;
        }
        if (!ctx.evaluate) throw new Error(`interpolateString: "${token}" needs the expression evaluator, which the caller did not load`);
        const r = ctx.evaluate(token, variables);
        if ('text' in r) out += r.text;
        else issue(token, `${r.message} in "${token}"`, r.suggestion);
      }
    } else if (ctx.keep?.has(name)) {
      out += token;
    } else {
      const v = ctx.lookup(name);
      if (v === undefined) {
        issue(token, `undefined variable "${name}": declare it under variable (or write $\${${name}} for a literal)`, suggest(name, ctx.names));
      }
      out += v ?? '';
    }
    i = t.end;
  }
}

/** Values of the declared variables: environment first, else the default (itself interpolated). */
export function resolveVariables(
  config: ConfigFile,
  env: Record<string, string | undefined>,
  issues: InterpolationIssue[],
  evaluate?: ExpressionEvaluator,
): Record<string, string> {
  const decl = config.variable ?? {};
  const names = Object.keys(decl);
  const values: Record<string, string> = {};
  const resolving: string[] = [];
  const defaultPath = (name: string): (string | number)[] => {
    const entry = decl[name];
    return entry !== null && typeof entry === 'object' ? ['variable', name, 'default'] : ['variable', name];
  };
  const resolve = (name: string): string | undefined => {
    if (!Object.hasOwn(decl, name)) return undefined;
    if (Object.hasOwn(values, name)) return values[name];
    const fromEnv = env[name];
    if (fromEnv !== undefined) return (values[name] = fromEnv);
    const entry = decl[name];
    const isObj = entry !== null && typeof entry === 'object';
    const def: Scalar | null | undefined = isObj ? entry.default : entry;
    const path = defaultPath(name);
    if (typeof def !== 'string') return (values[name] = def === null || def === undefined ? '' : String(def));
    if (resolving.includes(name)) {
      const cycle = [...resolving.slice(resolving.indexOf(name)), name].join(' → ');
      // Reported at the reference that closes the cycle.
      const closer = resolving[resolving.length - 1] as string;
      issues.push({ path: defaultPath(closer), message: `variable "${name}" refers to itself (${cycle})`, token: `\${${name}}`, occurrence: 0 });
      return '';
    }
    resolving.push(name);
    const v = interpolateString(def, { lookup: resolve, path, issues, names, evaluate });
    resolving.pop();
    return (values[name] = v);
  };
  for (const n of names) resolve(n);
  return values;
}

/** Returns a copy of config with every string value in builder, default-builder, group and target interpolated. */
export function interpolateConfig(
  config: ConfigFile,
  values: Record<string, string>,
  issues: InterpolationIssue[],
  evaluate?: ExpressionEvaluator,
): ConfigFile {
  const names = Object.keys(values);
  const lookup = (n: string): string | undefined => (Object.hasOwn(values, n) ? values[n] : undefined);
  // One mutable path stack: copied only when an issue is recorded.
  const path: (string | number)[] = [];
  const walk = (v: unknown, keep?: ReadonlySet<string>): unknown => {
    if (typeof v === 'string') return interpolateString(v, { lookup, keep, path, issues, names, evaluate });
    if (Array.isArray(v)) {
      return v.map((x, i) => {
        path.push(i);
        const r = walk(x, keep);
        path.pop();
        return r;
      });
    }
    if (v !== null && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        path.push(k);
        o[k] = walk(x, keep);
        path.pop();
      }
      return o;
    }
    return v;
  };
  const at = (p: (string | number)[], v: unknown, keep?: ReadonlySet<string>): unknown => {
    path.length = 0;
    path.push(...p);
    return walk(v, keep);
  };
  const out: ConfigFile = { ...config };
  if (config.builder) out.builder = at(['builder'], config.builder) as ConfigFile['builder'];
  if (config['default-builder'] !== undefined) out['default-builder'] = at(['default-builder'], config['default-builder']) as string;
  if (config.group) out.group = at(['group'], config.group) as ConfigFile['group'];
  if (config.target) {
    const targets: NonNullable<ConfigFile['target']> = {};
    for (const [name, t] of Object.entries(config.target)) {
      const keep = t.matrix ? new Set(Object.keys(t.matrix)) : undefined;
      targets[name] = at(['target', name], t, keep) as NonNullable<ConfigFile['target']>[string];
    }
    out.target = targets;
  }
  return out;
}
