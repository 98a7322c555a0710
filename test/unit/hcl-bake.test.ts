import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateBake, localPlatform, type BakeSource, type EvaluateOptions } from '../../src/config/hcl/index.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/hcl');

/** Fixtures the differential suite (test/fixtures/bake/) also compares with a live buildx: one copy, there. */
const SHARED: Record<string, string> = {
  'variables.hcl': '../bake/hcl-variables-overrides/docker-bake.hcl',
  'list-variables.hcl': '../bake/hcl-list-variables/docker-bake.hcl',
};
function src(file: string): BakeSource {
  return { file, text: readFileSync(join(FIXTURES, SHARED[file] ?? file), 'utf8'), syntax: file.endsWith('.json') ? 'json' : 'hcl' };
}
function inline(text: string, file = 'docker-bake.hcl'): BakeSource {
  return { file, text, syntax: file.endsWith('.json') ? 'json' : 'hcl' };
}
function run(sources: BakeSource[], env: Record<string, string> = {}, vars?: Record<string, string>) {
  const opts: EvaluateOptions = { env, cwd: '/tmp' };
  if (vars) opts.vars = vars;
  return evaluateBake(sources, opts);
}
function messages(r: ReturnType<typeof run>): string[] {
  return r.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}${d.suggestion ? ` (did you mean ${d.suggestion}?)` : ''}`);
}

/** buildx's print, as recorded, without the defaults it adds and with its `$${` escaping undone. */
function expected(file: string): Record<string, unknown> {
  const raw = readFileSync(join(FIXTURES, file), 'utf8').replaceAll('$${', '${').replaceAll('%%{', '%{');
  const targets = JSON.parse(raw) as Record<string, Record<string, unknown>>;
  for (const t of Object.values(targets)) {
    if (t.context === '.') delete t.context;
    if (t.dockerfile === 'Dockerfile') delete t.dockerfile;
  }
  return targets;
}
function targetsOf(r: ReturnType<typeof run>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, t] of Object.entries(r.config.target ?? {})) {
    const { inherits: _drop, ...rest } = t;
    out[k] = rest;
  }
  return out;
}

describe('bake files against buildx 0.29.1 --print (recorded)', () => {
  it.each([
    ['expressions', ['expressions.hcl'], {}],
    ['variables, defaults', ['variables.hcl'], {}],
    [
      'variables, environment overrides (CSV, NAME_JSON, typed number/bool, null default)',
      ['variables.hcl'],
      { S: 'x', N: '5', B: 'false', L: 'a,"b,c"', LN: '1,2.5', M: 'a:1,b:2', T: 'z,3', J_JSON: '["j1","j2"]', NUL: 'set', U: 'u', TN: '7' },
    ],
    ['JSON syntax', ['json-syntax.json'], {}],
    ['templates, heredocs, splats, for, operators', ['templates-operators.hcl'], {}],
    ['heredocs with directives and strip markers', ['heredocs.hcl'], {}],
    ['two files merged', ['merge-1.hcl', 'merge-2.hcl'], {}],
  ] as const)('%s', (_name, files, env) => {
    const r = run(files.map(src), env);
    expect(messages(r)).toEqual([]);
    const file = { expressions: 'expressions', 'variables, defaults': 'variables', JSON: 'json-syntax', two: 'merge', templates: 'templates-operators', heredocs: 'heredocs' };
    const key = Object.entries(file).find(([k]) => _name.startsWith(k))?.[1] as string;
    const exp = expected(_name.includes('environment') ? 'variables-env.expected.json' : `${key}.expected.json`);
    const mine = targetsOf(r);
    // buildx's print has inherits applied (the planner's job here): compare targets without them.
    for (const name of Object.keys(exp).filter((n) => n !== 'ref')) expect({ [name]: mine[name] }).toEqual({ [name]: exp[name] });
  });
  it('gives variables the values, types and descriptions `--list type=variables,format=json` shows', () => {
    const r = run([src('list-variables.hcl')]);
    expect(messages(r)).toEqual([]);
    const want = JSON.parse(readFileSync(join(FIXTURES, 'list-variables.expected.json'), 'utf8')) as unknown[];
    const mine = r.variables
      .map((v) => ({
        name: v.name,
        ...(v.description ? { description: v.description } : {}),
        ...(v.type ? { type: v.type } : {}),
        ...(v.value !== null ? { value: v.value } : {}),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(want).toHaveLength(12);
    expect(mine).toEqual(want);
  });
  it('keeps inherits for the planner and the matrix group bake adds', () => {
    const e = run([src('expressions.hcl')]);
    expect(e.config.target?.ref).toEqual({ inherits: ['app'], tags: ['reg.io/app:latest-ref', 'reg.io/app:42-ref'], args: { FROM: '6' } });
    const r = run([src('json-syntax.json')]);
    expect(r.config.group?.app).toEqual({ targets: ['app-p', 'app-q'] });
    expect(r.config.group?.default).toEqual({ targets: ['app'] });
  });
});

describe('variables', () => {
  const file = `
variable "S" { default = "s" }
variable "N" { default = 2 }
variable "L" {
  type = list(string)
  default = ["a"]
}
variable "NUL" { default = null }
variable "NONE" {}
variable "TYPED" { type = number }
variable "DESC" {
  default = "d"
  description = "about \${S}"
}
target "t" { args = { S = S, N = N, L = join("+", L), NUL = NUL, NONE = NONE, TYPED = TYPED } }
`;
  it.each([
    ['defaults', {}, undefined, { S: 's', N: '2', L: 'a', NONE: '' }],
    ['environment', { S: 'e', N: '7', L: 'x,y', NUL: 'n', NONE: 'v', TYPED: '1.5' }, undefined, { S: 'e', N: '7', L: 'x+y', NUL: 'n', NONE: 'v', TYPED: '1.5' }],
    ['--var over the environment', { S: 'e' }, { S: 'cli', L: 'q' }, { S: 'cli', N: '2', L: 'q', NONE: '' }],
    ['NAME_JSON for a typed list', { L_JSON: '["j","k"]' }, undefined, { S: 's', N: '2', L: 'j+k', NONE: '' }],
    ['BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP', { S: 'e', BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP: '1' }, undefined, { S: 's', N: '2', L: 'a', NONE: '' }],
  ] as const)('%s', (_n, env, vars, args) => {
    const r = run([inline(file)], { ...env }, vars ? { ...vars } : undefined);
    expect(messages(r)).toEqual([]);
    expect(r.config.target?.t?.args).toEqual(args);
  });
  it('lists every variable with its value, type and description', () => {
    const r = run([inline(file)], { N: '3' });
    expect(r.variables.map((v) => [v.name, v.value, v.type, v.description, v.line, v.column])).toEqual([
      ['S', 's', undefined, undefined, 2, 10],
      ['N', '3', undefined, undefined, 3, 10],
      ['L', '["a"]', 'list of string', undefined, 4, 10],
      ['NUL', null, undefined, undefined, 8, 10],
      ['NONE', '', undefined, undefined, 9, 10],
      ['TYPED', null, 'number', undefined, 10, 10],
      ['DESC', 'd', undefined, 'about s', 11, 10],
    ]);
  });
  it.each([
    ['an untyped number from a non-number', { N: 'abc' }, 'docker-bake.hcl:3:10: failed to parse N as number: strconv.ParseFloat: parsing "abc": invalid syntax'],
    ['an empty CSV list', { L: '' }, 'docker-bake.hcl:4:10: failed to convert variable L from CSV: failed to parse  as CSV: EOF'],
    ['a typed number', { TYPED: 'x' }, 'docker-bake.hcl:10:10: failed to parse TYPED as number: strconv.ParseFloat: parsing "x": invalid syntax'],
  ] as const)('refuses %s', (_n, env, message) => {
    expect(messages(run([inline(file)], { ...env }))).toEqual([message]);
  });
  it('reports every failing validation with its error_message at the condition', () => {
    const text = `
variable "V" {
  default = "bad"
  validation {
    condition = V != "bad"
    error_message = "V must not be bad"
  }
  validation {
    condition = V == "goodvalue"
    error_message = "V is too short: \${V}"
  }
  validation {
    condition = V != ""
    error_message = "never shown"
  }
}`;
    expect(messages(run([inline(text)]))).toEqual([
      'docker-bake.hcl:5:17: validation failed: V must not be bad',
      'docker-bake.hcl:9:17: validation failed: V is too short: bad',
    ]);
    expect(messages(run([inline(text)], { V: 'goodvalue' }))).toEqual([]);
  });
  it('builds BAKE_CMD_CONTEXT and BAKE_LOCAL_PLATFORM in', () => {
    const r = run([inline('target "t" { args = { C = BAKE_CMD_CONTEXT, P = BAKE_LOCAL_PLATFORM } }\nvariable "BAKE_CMD_CONTEXT" { default = "ignored" }')]);
    expect(r.config.target?.t?.args).toEqual({ C: 'cwd://', P: localPlatform() });
    expect(localPlatform()).toMatch(/^linux\/(amd64|arm64\/v8|arm\/v\d|386|\w+)$/);
  });
});

describe('functions, attributes and references', () => {
  it('evaluates user functions with variadic parameters, global attributes and target references', () => {
    const r = run([
      inline(`
function "tag" {
  params = [repo, v]
  variadic_params = extra
  result = concat(["\${repo}:\${v}"], [for e in extra : "\${repo}:\${e}"])
}
answer = 7 * 6
target "base" {
  tags = tag("r/base", answer, "x", "y")
  args = { A = "a" }
}
target "app" {
  tags = [for t in target.base.tags : "\${t}-app"]
  args = { FROM_BASE = target.base.args.A, CTX = target.base.context == null ? "unset" : "set" }
}
group "all" { targets = ["app", "base"] }
group "more" { targets = concat(group.all.targets, ["x"]) }
`),
    ]);
    expect(messages(r)).toEqual([]);
    expect(r.config.target?.base?.tags).toEqual(['r/base:42', 'r/base:x', 'r/base:y']);
    expect(r.config.target?.app).toEqual({ tags: ['r/base:42-app', 'r/base:x-app', 'r/base:y-app'], args: { FROM_BASE: 'a', CTX: 'unset' } });
    expect(r.config.group?.more?.targets).toEqual(['app', 'base', 'x']);
  });
  it.each([
    ['a = b\nb = a\ntarget "x" { tags = [a] }', ['docker-bake.hcl:2:5: reference cycle not allowed: a → b → a']],
    [
      'target "x" { tags = target.y.tags }\ntarget "y" { tags = target.x.tags }',
      ['docker-bake.hcl:2:21: reference cycle not allowed: target.x.tags → target.y.tags → target.x.tags'],
    ],
    ['function "f" {\n  params = [n]\n  result = g(n)\n}\nfunction "g" {\n  params = [n]\n  result = f(n)\n}\ntarget "x" { tags = [f(1)] }', [
      'docker-bake.hcl:3:12: function cycle not allowed for f: f → g → f (user functions cannot be recursive)',
      'docker-bake.hcl:7:12: function cycle not allowed for g: g → f → g (user functions cannot be recursive)',
    ]],
    ['variable "TAG" { default = "1" }\ntarget "x" { tags = [TAGG] }', ['docker-bake.hcl:2:22: unknown variable: there is no variable named "TAGG" (did you mean TAG?)']],
    ['target "x" { tags = [uper("a")] }', ['docker-bake.hcl:1:22: call to unknown function: there is no function named "uper" (did you mean upper?)']],
    ['target "x" { tags = target.y.tags }', ['docker-bake.hcl:1:21: unsupported attribute: there is no target named "y" (did you mean x?)']],
    ['target "x" { tags = "a" }', ['docker-bake.hcl:1:21: inappropriate value for attribute "tags": a list of strings is required, not string']],
    ['tagret "x" {}', ['docker-bake.hcl:1:1: warning: unknown block type "tagret" (ignored, as bake does) (did you mean target?)']],
    ['target "x" {\n  tagz = ["a"]\n}', ['docker-bake.hcl:2:3: warning: unsupported attribute "tagz" in target "x" (ignored, as bake does) (did you mean tags?)']],
    ['target "x" { args = { a = target.y.foo } }\ntarget "y" {}', ['docker-bake.hcl:1:27: unsupported attribute: a target has no attribute named "foo"']],
    ['target "x" { args = { a = "x${null}", b = "${null}" } }', ['docker-bake.hcl:1:31: invalid template interpolation value: the expression result is null, and a null value cannot be included in a string template']],
    ['target "x" {\n  tags = [1 + "a"]\n  args = { b = 1 / 0 }\n}', [
      'docker-bake.hcl:2:15: unsuitable value for the right operand of +: a number is required, and "a" is not one',
      'docker-bake.hcl:3:20: division by zero',
    ]],
    ['variable "VER" { default = "v${length("abc")}" }', ['docker-bake.hcl:1:32: Call to function "length" failed: collection must be a list, a map or a tuple.']],
    ['variable "O" { default = null }\ntarget "t" { args = { A = O != null && O.x == "y" ? "yes" : "no" } }', ['docker-bake.hcl:2:42: cannot get attribute "x" from a null value']],
    ['target "a b" {}', ['docker-bake.hcl:1:8: invalid name "a b": only "[a-zA-Z0-9_-]+" are allowed']],
    ['group "g" { description = "no targets" }', ['docker-bake.hcl:1:7: group "g": the "targets" attribute is required']],
  ])('%j', (text, want) => {
    expect(messages(run([inline(text)]))).toEqual(want);
  });
  it('stops runaway nesting of calls with one message', () => {
    // Not recursive by name (bake refuses that statically) but a deep chain through a variable default.
    const fns = Array.from({ length: 200 }, (_, i) => `function "f${i}" {\n  params = [x]\n  result = f${i + 1}(x)\n}`).join('\n');
    const r = run([inline(`${fns}\nfunction "f200" {\n  params = [x]\n  result = x\n}\ntarget "t" { args = { a = f0(1) } }`)]);
    expect(messages(r)).toEqual(['docker-bake.hcl:511:12: function calls nested more than 128 deep (runaway recursion in f128?)']);
  });
});

describe('matrix and name', () => {
  it('forks in axis order, the last axis fastest, and groups the forks under the block name', () => {
    const r = run([
      inline(`
target "m" {
  matrix = { os = ["linux", "windows"], v = ["1", "2"] }
  name = "m-\${os}-\${v}"
  tags = ["img:\${os}-\${v}"]
  args = { V = v }
}
group "default" { targets = ["m"] }
`),
    ]);
    expect(messages(r)).toEqual([]);
    expect(Object.keys(r.config.target ?? {})).toEqual(['m-linux-1', 'm-linux-2', 'm-windows-1', 'm-windows-2']);
    expect(r.config.target?.['m-windows-2']).toEqual({ tags: ['img:windows-2'], args: { V: '2' } });
    expect(r.config.group?.m).toEqual({ targets: ['m-linux-1', 'm-linux-2', 'm-windows-1', 'm-windows-2'] });
    expect(r.config.group?.default).toEqual({ targets: ['m'] });
  });
  it.each([
    ['target "m" {\n  matrix = { a = ["1", "2"] }\n}', 'docker-bake.hcl:1:8: duplicate name "m": a matrix target needs a name attribute, e.g. name = "m-${axis}"'],
    ['target "m" {\n  name = "x"\n}', 'docker-bake.hcl:2:3: name requires matrix'],
    ['target "m" {\n  matrix = ["a"]\n  name = "x"\n}', 'docker-bake.hcl:2:12: matrix must be a map (of axis names to lists), not tuple'],
    ['group "g" {\n  matrix = { a = ["1"] }\n  targets = []\n}', 'docker-bake.hcl:2:3: matrix is not supported for groups'],
  ])('%j', (text, message) => {
    expect(messages(run([inline(text)]))).toEqual([message]);
  });
});

describe('positions', () => {
  it('locates blocks and attributes by key path', () => {
    const r = run([inline('target "app" {\n  tags = ["a"]\n}\ngroup "g" { targets = ["app"] }\n')]);
    expect(r.positionOf(['target', 'app'])).toEqual({ file: 'docker-bake.hcl', line: 1, column: 8 });
    expect(r.positionOf(['target', 'app', 'tags'])).toEqual({ file: 'docker-bake.hcl', line: 2, column: 3 });
    expect(r.positionOf(['target', 'app', 'tags'], 'value')).toEqual({ file: 'docker-bake.hcl', line: 2, column: 10 });
    expect(r.positionOf(['target', 'app', 'tags', 0])).toEqual({ file: 'docker-bake.hcl', line: 2, column: 3 });
    expect(r.positionOf(['group', 'g', 'targets'])).toEqual({ file: 'docker-bake.hcl', line: 4, column: 13 });
    expect(r.positionOf(['target', 'nope'])).toBeUndefined();
  });
  it('refuses deeply nested JSON with one message', () => {
    const r = run([inline(`{"x": ${'['.repeat(100_000)}}`, 'deep.json')]);
    expect(messages(r)).toEqual(['deep.json:1:262: nesting too deep (more than 256 levels)']);
  });
  it('reports parse errors of every file and evaluates nothing', () => {
    const r = run([inline('a = [', 'one.hcl'), inline('{"target": {"x": }}', 'two.json')]);
    expect(messages(r)).toEqual(['one.hcl:1:6: expected an expression, found end of file', 'two.json:1:18: invalid JSON: unexpected "}"']);
    expect(r.config).toEqual({});
  });
});

describe('tsbake additions', () => {
  it('passes builder blocks, default-builder and a target builder/depends-on through', () => {
    const r = run([
      inline(`
default-builder = "ci"
builder "ci" {
  driver = "docker-container"
  driver-opts = { network = "host" }
}
target "a" {
  builder = "ci"
  depends-on = ["b"]
}
target "b" {}
`),
    ]);
    expect(messages(r)).toEqual([]);
    expect(r.config['default-builder']).toBe('ci');
    expect(r.config.builder).toEqual({ ci: { driver: 'docker-container', 'driver-opts': { network: 'host' } } });
    expect(r.config.target?.a).toEqual({ builder: 'ci', 'depends-on': ['b'] });
  });
});
