/**
 * Generates src/config/schema-validator.generated.ts from schema/tsbake.schema.json with ajv's
 * standalone code generation. Compiling the schema at startup costs 200–600 ms on a slow machine
 * (importing ajv alone ~150 ms); the generated module loads in ~20 ms. Only tests and the
 * regeneration step import this file, never the CLI.
 *
 * Regenerate after editing the schema:  TSBAKE_UPDATE_VALIDATOR=1 npx vitest run test/unit/config-schema.test.ts
 * (the same test fails while the generated file is stale).
 */
import { readFileSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import standaloneModule from 'ajv/dist/standalone/index.js';

// ajv is CommonJS with default exports; under NodeNext they sit on .default at runtime.
type AjvInstance = { addSchema(schema: object): unknown };
const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as new (options: object) => AjvInstance;
const standalone = ((standaloneModule as unknown as { default?: unknown }).default ?? standaloneModule) as (
  ajv: AjvInstance,
  refs: Record<string, string>,
) => string;

export const SCHEMA_FILE = new URL('../../schema/tsbake.schema.json', import.meta.url);
export const GENERATED_FILE = new URL('./schema-validator.generated.ts', import.meta.url);

/** The options the validator is built with; `verbose` gives parentSchema and data for readable messages. */
export const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, strictTypes: false, allowUnionTypes: true } as const;

export function generateValidatorSource(schemaText = readFileSync(SCHEMA_FILE, 'utf8')): string {
  const root = JSON.parse(schemaText) as { $id: string };
  const ajv = new Ajv2020({ ...AJV_OPTIONS, code: { source: true, esm: true, lines: true } });
  ajv.addSchema(root);
  const code = standalone(ajv, { validateConfig: root.$id, validateBuildersFile: `${root.$id}#/$defs/buildersFile` });
  return `// @ts-nocheck\n// GENERATED from schema/tsbake.schema.json by src/config/schema-codegen.ts — do not edit.\n${code}`;
}
