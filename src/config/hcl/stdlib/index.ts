/**
 * bake's standard library: every function buildx registers in bake/hclparser/stdlib.go, by the
 * lower-case name bake spells it. `try` and `can` are special forms the evaluator handles lazily.
 * https://github.com/docker/buildx/blob/master/docs/bake-stdlib.md
 */
import type { StdlibFunction } from '../value.js';
import { cidrFunctions } from './cidr.js';
import { collectionFunctions } from './collections.js';
import { convertFunctions } from './convert.js';
import { cryptoFunctions } from './crypto.js';
import { datetimeFunctions } from './datetime.js';
import { encodingFunctions } from './encoding.js';
import { formatFunctions } from './format.js';
import { miscFunctions } from './misc.js';
import { numberFunctions } from './numbers.js';
import { regexFunctions } from './regex.js';
import { semverFunctions } from './semver.js';
import { stringFunctions } from './strings.js';

export const stdlib: Record<string, StdlibFunction> = Object.assign(
  Object.create(null) as Record<string, StdlibFunction>,
  stringFunctions,
  numberFunctions,
  collectionFunctions,
  formatFunctions,
  encodingFunctions,
  datetimeFunctions,
  cryptoFunctions,
  regexFunctions,
  semverFunctions,
  cidrFunctions,
  convertFunctions,
  miscFunctions,
);

export { RANGE_LIMIT } from './collections.js';
export { convertValue, parseTypeExpression, typeSpecName, type TypeSpec } from './convert.js';
export { formatString } from './format.js';
export { ctyJSON, parseJSON } from './json.js';

/** Special forms the evaluator evaluates lazily (hcl/v2 ext/tryfunc); listed so name lookups and suggestions know them. */
export const SPECIAL_FORMS = ['can', 'try'] as const;
export { PARAM_NAMES, type ParamNames } from './params.js';
