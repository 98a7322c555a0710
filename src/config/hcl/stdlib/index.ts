/**
 * bake's standard library: every function buildx registers in bake/hclparser/stdlib.go, by the
 * lower-case name bake spells it. `try` and `can` are special forms the evaluator handles lazily.
 * https://github.com/docker/buildx/blob/master/docs/bake-stdlib.md
 */
import type { StdlibFunction } from '../value.js';
import { collectionFunctions } from './collections.js';
import { cryptoFunctions } from './crypto.js';
import { datetimeFunctions } from './datetime.js';
import { encodingFunctions } from './encoding.js';
import { formatFunctions } from './format.js';
import { numberFunctions } from './numbers.js';
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
);

export { RANGE_LIMIT } from './collections.js';
