/** The arity each stdlib entry declares agrees with the parameter names bake declares. */
import { expect, test } from 'vitest';
import { PARAM_NAMES, stdlib } from '../../src/config/hcl/stdlib/index.js';

test.each(Object.keys(stdlib).sort())('%s', (name) => {
  const fn = stdlib[name];
  const names = PARAM_NAMES[name];
  expect(names, `${name} has parameter names`).toBeDefined();
  expect(fn?.params).toBe(names?.params.length);
  expect(Boolean(fn?.variadic)).toBe(names?.variadic !== undefined);
});
