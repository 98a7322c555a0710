import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { formatDiagnostic } from '../../src/errors.js';
import { parseFileText } from '../../src/config/parse.js';
import { validateStructure } from '../../src/config/schema.js';
import { GENERATED_FILE, SCHEMA_FILE, generateValidatorSource } from '../../src/config/schema-codegen.js';
import { formatSchemaJson, withDriverParts } from '../../src/drivers/schema-parts.js';

function check(text: string, kind: 'config' | 'builders' = 'config') {
  const parsed = parseFileText(text, 'c.yaml');
  expect(parsed.diagnostics).toEqual([]);
  return validateStructure(parsed, kind);
}

describe('schema', () => {
  // Before the validator: regenerating rewrites the schema's driver parts first, then the validator from it.
  test("the schema's driver parts are generated from the driver descriptors (src/drivers/<name>/descriptor.ts)", () => {
    const fresh = formatSchemaJson(withDriverParts(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>));
    if (process.env.TSBAKE_UPDATE_VALIDATOR === '1') writeFileSync(SCHEMA_FILE, fresh);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(fresh);
  });

  test('the generated validator matches schema/tsbake.schema.json', () => {
    const fresh = generateValidatorSource();
    if (process.env.TSBAKE_UPDATE_VALIDATOR === '1') writeFileSync(GENERATED_FILE, fresh);
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(fresh);
  });

  test('every property in the schema has a description', () => {
    const schema = JSON.parse(readFileSync(new URL('../../schema/tsbake.schema.json', import.meta.url), 'utf8')) as unknown;
    const missing: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (node === null || typeof node !== 'object') return;
      const props = (node as { properties?: Record<string, unknown> }).properties;
      for (const [k, v] of Object.entries(props ?? {})) {
        if (typeof (v as { description?: unknown }).description !== 'string') missing.push(`${at}.${k}`);
      }
      for (const [k, v] of Object.entries(node)) if (k !== 'allOf') walk(v, `${at}.${k}`); // allOf: per-driver if/then, not user-facing
    };
    walk(schema, '#');
    expect(missing).toEqual([]);
  });

  test('a valid config has no diagnostics', () => {
    expect(check('target:\n  app:\n    context: .\n    tags: [a]\n    output: [type=local,dest=out, {type: docker}]\n    args: {A: null, B: 1}\n')).toEqual([]);
  });

  const cases: { name: string; text: string; kind?: 'config' | 'builders'; expected: string[] }[] = [
    {
      name: 'misspelt target key',
      text: 'target:\n  app:\n    contxt: .\n',
      expected: ['c.yaml:3:5: unknown key "contxt" in target "app" (did you mean context?)'],
    },
    {
      name: 'misspelt top-level key',
      text: 'targets:\n  app: {}\n',
      expected: ['c.yaml:1:1: unknown top-level key "targets" (valid: variable, builder, default-builder, group, target) (did you mean target?)'],
    },
    {
      name: 'unknown key far from any valid one gets no suggestion',
      text: 'group:\n  g:\n    zzzzzzzz: 1\n',
      expected: ['c.yaml:3:5: unknown key "zzzzzzzz" in group "g"'],
    },
    {
      name: 'a string where a list is needed',
      text: 'target:\n  app:\n    tags: foo\n',
      expected: ['c.yaml:3:11: "tags" in target "app" must be a list of strings, got a string'],
    },
    {
      name: 'wrong item type in a CSV-or-object list (anyOf collapsed)',
      text: 'target:\n  app:\n    output: [3]\n',
      expected: ['c.yaml:3:14: "output[0]" in target "app" must be a CSV string (type=…,key=value) or a map of key: value, got a number'],
    },
    {
      name: 'an object output with a non-scalar value (error from the matching branch only)',
      text: 'target:\n  app:\n    output:\n      - type: local\n        dest: [a]\n',
      expected: ['c.yaml:5:15: "output[0].dest" in target "app" must be a string, number or boolean, got a list'],
    },
    {
      name: 'boolean attribute given a string',
      text: 'target:\n  app:\n    no-cache: "yes"\n',
      expected: ['c.yaml:3:15: "no-cache" in target "app" must be true or false, got a string'],
    },
    {
      name: 'args value is a list',
      text: 'target:\n  app:\n    args:\n      A: [1]\n',
      expected: ['c.yaml:4:10: "args.A" in target "app" must be a string, number, boolean or null, got a list'],
    },
    {
      name: 'unknown driver',
      text: 'builder:\n  b:\n    driver: dokcer\n',
      expected: ['c.yaml:3:13: "driver" in builder "b" must be one of docker, docker-container, kubernetes, remote, got "dokcer" (did you mean docker?)'],
    },
    {
      name: 'missing driver',
      text: 'builder:\n  b:\n    endpoint: tcp://x:1\n',
      expected: ['c.yaml:2:3: builder "b" is missing "driver": one of docker, docker-container, kubernetes, remote'],
    },
    {
      name: 'parallelism must be positive',
      text: 'builder:\n  b:\n    driver: docker\n    parallelism: 0\n',
      expected: ['c.yaml:4:18: "parallelism" in builder "b" must be a positive integer, got 0'],
    },
    {
      name: 'variable name with a dash',
      text: 'variable:\n  MY-VAR: x\n',
      expected: ['c.yaml:2:3: invalid variable name "MY-VAR": use letters, digits and _, not starting with a digit'],
    },
    {
      name: 'unknown key in a variable',
      text: 'variable:\n  V:\n    defualt: x\n',
      expected: ['c.yaml:3:5: unknown key "defualt" in variable "V" (did you mean default?)'],
    },
    {
      name: 'group targets as a string',
      text: 'group:\n  default:\n    targets: app\n',
      expected: ['c.yaml:3:14: "targets" in group "default" must be a list of strings, got a string'],
    },
    {
      name: 'a target that is not a map',
      text: 'target:\n  app: [a]\n',
      expected: ['c.yaml:2:8: target "app" must be a target definition (a map with context, dockerfile, tags, …), got a list'],
    },
    {
      name: 'several problems at once, one diagnostic each',
      text: 'target:\n  a:\n    tags: x\n  b:\n    pul: true\n',
      expected: ['c.yaml:3:11: "tags" in target "a" must be a list of strings, got a string', 'c.yaml:5:5: unknown key "pul" in target "b" (did you mean pull?)'],
    },
    {
      name: 'builders.yaml holding a target',
      kind: 'builders',
      text: 'builder:\n  b:\n    driver: docker\ntarget: {}\n',
      expected: ['c.yaml:4:1: "target" is not allowed in builders.yaml: it holds only builder and default-builder'],
    },
  ];
  test.each(cases)('$name', ({ text, kind, expected }) => {
    const got = check(text, kind).map(formatDiagnostic).sort();
    expect(got).toEqual([...expected].sort());
  });

  test('diagnostics carry the dotted key path', () => {
    const [d] = check('target:\n  app:\n    output: [type=local, 3]\n');
    expect(d?.key).toBe('target.app.output[1]');
    expect(d?.severity).toBe('error');
  });
});

describe('driver-opts per driver', () => {
  const builder = (driver: string, opts: string) => `builder:\n  b:\n    driver: ${driver}\n    driver-opts:\n${opts}`;
  const valid: { driver: string; opts: string }[] = [
    { driver: 'docker-container', opts: '      image: moby/buildkit:v0.12\n      network: host\n      memory: 2g\n      cpu-quota: 50000\n      env.BUILDKIT_STEP_LOG_MAX_SIZE: 1000\n      default-load: true\n      privileged: false\n' },
    { driver: 'docker-container', opts: '      env:\n        A: x\n        B: 2\n      restart-policy: always\n      cgroup-parent: x\n      cpuset-cpus: 0-1\n' },
    { driver: 'kubernetes', opts: '      namespace: build\n      replicas: 2\n      requests.cpu: 1\n      limits:\n        memory: 2Gi\n      qemu.install: true\n      context: kind-kind\n      kubeconfig: /k\n      loadbalance: sticky\n      timeout: 60s\n' },
    { driver: 'kubernetes', opts: '      replicas: "3"\n      qemu: {install: "true", image: x}\n      nodeselector: a=b\n      tolerations: a\n      rootless: true\n      serviceaccount: s\n' },
    { driver: 'remote', opts: '      cacert: /c\n      cert: /c2\n      key: /k\n      servername: s\n      default-load: "false"\n' },
    { driver: 'docker', opts: '      {}\n' },
  ];
  test.each(valid)('accepts valid $driver options', ({ driver, opts }) => {
    expect(check(builder(driver, opts)).map(formatDiagnostic)).toEqual([]);
  });

  const invalid: { driver: string; opts: string; message: RegExp; suggestion?: string; line?: number }[] = [
    { driver: 'docker', opts: '      image: x\n', message: /unknown option "image" for driver "docker" in builder "b"; it accepts no options/ },
    { driver: 'remote', opts: '      image: x\n', message: /unknown option "image" for driver "remote".*valid options: cacert, cert, key, servername, timeout, default-load$/ },
    { driver: 'docker-container', opts: '      namespace: x\n', message: /unknown option "namespace" for driver "docker-container".*valid options: image, network, .*env\.\*/ },
    { driver: 'kubernetes', opts: '      nmespace: x\n', message: /unknown option "nmespace" for driver "kubernetes"/, suggestion: 'namespace' },
    { driver: 'kubernetes', opts: '      replicas: many\n', message: /"driver-opts.replicas" in builder "b" must be a positive integer, got "many"/ },
    { driver: 'kubernetes', opts: '      loadbalance: roundrobin\n', message: /must be one of sticky, random, got "roundrobin"/ },
    { driver: 'docker-container', opts: '      default-load: maybe\n', message: /"driver-opts.default-load" in builder "b" must be true or false, got "maybe"/ },
    { driver: 'docker-container', opts: '      env:\n        A: [1]\n', message: /"driver-opts.env.A" in builder "b" must be a string, number or boolean, got a list/, line: 6 },
  ];
  test.each(invalid)('refuses $opts for $driver', ({ driver, opts, message, suggestion, line = 5 }) => {
    const ds = check(builder(driver, opts));
    expect(ds).toHaveLength(1);
    expect(ds[0]!.message).toMatch(message);
    expect(ds[0]!.line).toBe(line);
    expect(ds[0]!.suggestion).toBe(suggestion);
  });
});
