/**
 * The driver parts of schema/tsbake.schema.json, from the descriptors: the `driver` enum, one
 * `if driver = X then driver-opts is $defs/driverOptsX` per driver, and each driver's options schema.
 * The schema file stays the single source of truth for the file format (the validator is generated
 * from it); test/unit/config-schema.test.ts fails when these parts drift from the descriptors, and
 * `TSBAKE_UPDATE_VALIDATOR=1 npx vitest run test/unit/config-schema.test.ts` rewrites them. Only that
 * test imports this file.
 */
import { DRIVERS } from './registry.js';

type Json = Record<string, unknown>;

/** `docker-container` → `driverOptsDockerContainer`. */
export function optionsDefName(driver: string): string {
  return `driverOpts${driver.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase())}`;
}

export interface DriverSchemaParts {
  /** `$defs.builder.properties.driver` */
  driver: Json;
  /** `$defs.builder.allOf` */
  allOf: Json[];
  /** `$defs.driverOpts…`, in registry order */
  defs: Record<string, Json>;
}

export function driverSchemaParts(): DriverSchemaParts {
  const list = Object.values(DRIVERS.descriptors);
  const names = list.map((d) => d.name);
  return {
    driver: {
      title: `one of ${names.join(', ')}`,
      description: `How tsbake reaches BuildKit: ${list.map((d) => `${d.name} (${d.summary})`).join(', ')}.`,
      enum: names,
    },
    allOf: list.map((d) => ({
      if: { properties: { driver: { const: d.name } }, required: ['driver'] },
      then: { properties: { 'driver-opts': { $ref: `#/$defs/${optionsDefName(d.name)}` } } },
    })),
    defs: Object.fromEntries(list.map((d) => [optionsDefName(d.name), structuredClone(d.optionsSchema) as Json])),
  };
}

/** The schema with its driver parts replaced (other `driverOpts…` definitions dropped), keys in their places. */
export function withDriverParts(schema: Json): Json {
  const parts = driverSchemaParts();
  const defs = schema.$defs as Record<string, Json>;
  const builder = defs.builder as Json;
  const properties = builder.properties as Json;
  // The builder's own rules that are not per driver (a builder without nodes needs a driver) stay first.
  const ownRules = ((builder.allOf as Json[] | undefined) ?? []).filter((r) => !JSON.stringify(r).includes('#/$defs/driverOpts'));
  const newBuilder: Json = { ...builder, properties: { ...properties, driver: parts.driver }, allOf: [...ownRules, ...parts.allOf] };
  // A multi-node builder's node takes the same drivers and per-driver options as a builder.
  const node = defs.builderNode as Json | undefined;
  const nodeProperties = (node?.properties ?? {}) as Json;
  const newNode: Json | undefined = node && {
    ...node,
    properties: { ...nodeProperties, driver: { ...parts.driver, description: (nodeProperties.driver as Json | undefined)?.description ?? parts.driver.description } },
    allOf: parts.allOf,
  };
  const newDefs: Record<string, Json> = {};
  for (const [k, v] of Object.entries(defs)) {
    if (k.startsWith('driverOpts')) continue;
    newDefs[k] = k === 'builder' ? newBuilder : k === 'builderNode' && newNode ? newNode : v;
    // The options schemas follow the builder definition.
    if (k === 'builder') Object.assign(newDefs, parts.defs);
  }
  return { ...schema, $defs: newDefs };
}

/**
 * JSON in the schema file's style: two-space indents; on one line, an object or list of plain values
 * (a property's `{ "type": …, "description": … }`), and anything else that fits in 120 columns.
 */
export function formatSchemaJson(value: unknown): string {
  const inline = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`).join(', ')} }`;
    }
    return JSON.stringify(v);
  };
  const depth = (v: unknown): number =>
    v !== null && typeof v === 'object' ? (Array.isArray(v) ? Math.max(0, ...v.map(depth)) : 1 + Math.max(0, ...Object.values(v).map(depth))) : 0;
  const block = (v: unknown, indent: number, lead: number): string => {
    const one = inline(v);
    if (v === null || typeof v !== 'object' || depth(v) <= 1 || lead + one.length <= 120) return one;
    const pad = ' '.repeat(indent + 2);
    if (Array.isArray(v)) return `[\n${v.map((x) => `${pad}${block(x, indent + 2, indent + 2)}`).join(',\n')}\n${' '.repeat(indent)}]`;
    const lines = Object.entries(v).map(([k, x]) => `${pad}${JSON.stringify(k)}: ${block(x, indent + 2, indent + 4 + k.length + 2)}`);
    return `{\n${lines.join(',\n')}\n${' '.repeat(indent)}}`;
  };
  return `${block(value, 0, 0)}\n`;
}
