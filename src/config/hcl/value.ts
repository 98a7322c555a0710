/**
 * The value model shared by the HCL evaluator (src/config/hcl/eval*.ts) and bake's standard library
 * (src/config/hcl/stdlib/). It mirrors go-cty's values closely enough for bake: numbers are JS numbers
 * (formatted as Go's cty formats them, see formatNumber), lists, sets and tuples are arrays, maps and
 * objects are null-prototype records. `null` is cty's null of any type.
 * https://github.com/zclconf/go-cty/blob/main/docs/types.md
 */
export type Value = null | boolean | number | string | Value[] | ValueObject;
export interface ValueObject {
  [key: string]: Value;
}

/** What a function may look at besides its arguments. Pure otherwise: no I/O but what it names. */
export interface FunctionContext {
  /** The environment bake runs with (homedir, env lookups). */
  env: Readonly<Record<string, string | undefined>>;
  /** The directory bake runs in. */
  cwd: string;
  /** The clock for timestamp(); one value per evaluation, as bake takes it once. */
  now: Date;
}

/** A function's failure; the evaluator turns it into a file:line:column diagnostic at the call (or at argument argIndex). */
export class FunctionError extends Error {
  constructor(
    message: string,
    readonly argIndex?: number,
  ) {
    super(message);
    this.name = 'FunctionError';
  }
}

export interface StdlibFunction {
  /** Fixed parameters' count (arguments beyond it go to the variadic parameter, if any). */
  params: number;
  variadic?: boolean;
  impl(args: Value[], ctx: FunctionContext): Value;
}

export function isObject(v: Value): v is ValueObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
