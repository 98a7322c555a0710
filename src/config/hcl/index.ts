/**
 * HCL for tsbake: bake files in HCL's native syntax or its JSON syntax, evaluated as
 * `docker buildx bake` does (buildx bake/hclparser), into the ConfigFile shape the planner reads.
 *
 * - evaluateBake(sources, options): every source merged into one body (variables and functions of one
 *   file visible in another), variables overridden from --var and the environment, matrix forks named,
 *   values converted to bake's attribute types. Diagnostics are file:line:column, all of them at once.
 * - evaluateTemplateString(text, scope): one `${…}`/`%{…}` template (tsbake.yaml strings) with the same
 *   functions and operators; a template that is only `${expr}` yields the expression's value as is.
 */
import { makeSourceFile, locate } from './ast.js';
import { BakeEvaluation, positionFrom, type BakeVariableInfo } from './bake-blocks.js';
import { Evaluator, HclError, Scope, closest, type EvalHost } from './eval-expr.js';
import { parseJsonBody } from './json-syntax.js';
import { parseHcl, parseTemplate } from './parser.js';
import { stdlib } from './stdlib/index.js';
import { FunctionError, describeFunctionError, type FunctionContext, type StdlibFunction, type Value } from './value.js';
import type { Diagnostic } from '../../errors.js';
import type { ConfigFile, SourcePos } from '../types.js';

export type { BakeVariableInfo };
export type { Value };
export { preloadBcrypt } from './stdlib/crypto.js';
export { toStringValue } from './convert.js';

export interface BakeSource {
  file: string;
  text: string;
  syntax: 'hcl' | 'json';
}

export interface EvaluateOptions {
  /** Variables' overrides (after --var); BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP=1 turns the lookup off. */
  env: Readonly<Record<string, string | undefined>>;
  /** --var NAME=VALUE, over the environment. */
  vars?: Readonly<Record<string, string>>;
  cwd: string;
  now?: Date;
  /** BAKE_CMD_CONTEXT: bake's command context, "cwd://" unless a remote context was given. */
  cmdContext?: string;
}

export interface EvaluatedBake {
  config: ConfigFile;
  variables: BakeVariableInfo[];
  diagnostics: Diagnostic[];
  positionOf(path: readonly (string | number)[], part?: 'key' | 'value'): SourcePos | undefined;
}

/** BAKE_LOCAL_PLATFORM as containerd's platforms.DefaultSpec() formats it. */
export function localPlatform(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'darwin' : 'linux';
  switch (process.arch) {
    case 'x64':
      return `${os}/amd64`;
    case 'arm64':
      return `${os}/arm64/v8`;
    case 'arm':
      return `${os}/arm/v${(process.config.variables as Record<string, unknown>).arm_version ?? '7'}`;
    case 'ia32':
      return `${os}/386`;
    default:
      return `${os}/${process.arch}`;
  }
}

export function evaluateBake(sources: BakeSource[], options: EvaluateOptions): EvaluatedBake {
  const diagnostics: Diagnostic[] = [];
  const bodies = [];
  for (const src of sources) {
    const r = src.syntax === 'json' ? parseJsonBody(src.file, src.text) : parseHcl(src.file, src.text);
    for (const d of r.diagnostics) {
      const loc = locate(d.f, d.off);
      diagnostics.push({ file: d.f.name, line: loc.line, column: loc.column, message: d.message, severity: 'error' });
    }
    bodies.push(r.body);
  }
  if (diagnostics.length > 0) return { config: {}, variables: [], diagnostics, positionOf: () => undefined };
  const ev = new BakeEvaluation(bodies, {
    env: options.env,
    vars: options.vars ?? {},
    builtins: { BAKE_CMD_CONTEXT: options.cmdContext ?? 'cwd://', BAKE_LOCAL_PLATFORM: localPlatform() },
    fnContext: { env: options.env, cwd: options.cwd, now: options.now ?? new Date() },
  });
  let result: ReturnType<BakeEvaluation['run']>;
  try {
    result = ev.run();
  } catch (err) {
    // A last resort: the parser caps nesting, so this means an evaluation the caps did not foresee.
    if (!(err instanceof RangeError)) throw err;
    diagnostics.push({ file: sources[0]?.file ?? '', line: 0, column: 0, message: `evaluation too deep: ${err.message}`, severity: 'error' });
    return { config: {}, variables: [], diagnostics, positionOf: () => undefined };
  }
  const { config, variables } = result;
  diagnostics.push(...ev.diagnostics);
  return { config, variables, diagnostics, positionOf: (path, part) => positionFrom(ev, path, part) };
}

export interface TemplateScope {
  variables: Readonly<Record<string, Value>>;
  /** Extra functions beside bake's standard library. */
  functions?: Readonly<Record<string, StdlibFunction>>;
  context?: FunctionContext;
}

/** Thrown by evaluateTemplateString: the message is located in `file` (1-based line and column). */
export class TemplateError extends Error {
  constructor(
    readonly diagnostic: Diagnostic,
  ) {
    super(diagnostic.message);
    this.name = 'TemplateError';
  }
}

/** Evaluates one template string (tsbake.yaml's `${…}`); throws TemplateError with a located diagnostic. */
export function evaluateTemplateString(text: string, scope: TemplateScope, file = ''): Value {
  const f = makeSourceFile(file, text);
  const fail = (off: number, message: string, suggestion?: string): never => {
    const loc = locate(f, off);
    const d: Diagnostic = { file, line: loc.line, column: loc.column, message, severity: 'error' };
    if (suggestion !== undefined) d.suggestion = suggestion;
    throw new TemplateError(d);
  };
  const parsed = parseTemplate(f);
  const first = parsed.diagnostics[0];
  if (first || !parsed.expr) return fail(first?.off ?? 0, first?.message ?? 'invalid template');
  const ctx: FunctionContext = scope.context ?? { env: process.env, cwd: process.cwd(), now: new Date() };
  const host: EvalHost = {
    lookup(name, node) {
      if (Object.hasOwn(scope.variables, name)) return scope.variables[name] as Value;
      throw new HclError(node.f, node.s, `unknown variable: there is no variable named "${name}"`, closest(name, Object.keys(scope.variables)));
    },
    call(name, args, node) {
      const fn = scope.functions?.[name] ?? stdlib[name];
      if (!fn) throw new HclError(node.f, node.s, `call to unknown function: there is no function named "${name}"`, closest(name, [...Object.keys(stdlib), ...Object.keys(scope.functions ?? {})]));
      if (args.length < fn.params || (!fn.variadic && args.length > fn.params)) throw new HclError(node.f, node.s, `${name}() takes ${fn.params} argument(s), not ${args.length}`);
      try {
        return fn.impl(args, ctx);
      } catch (err) {
        if (err instanceof FunctionError) throw new HclError(node.f, node.s, describeFunctionError(name, err).detail);
        throw err;
      }
    },
    blockRef: () => undefined,
    isBlockType: () => false,
  };
  try {
    return new Evaluator(host).eval(parsed.expr, new Scope({}, null));
  } catch (err) {
    if (err instanceof HclError) return fail(err.s, err.message, err.suggestion);
    throw err;
  }
}
