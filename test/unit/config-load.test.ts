import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatDiagnostic } from '../../src/errors.js';
import { findConfigFiles, loadConfig } from '../../src/config/index.js';
import { diagnosticsOf, FIXTURES, loadError, tempDir } from './config-helpers.js';

const fx = (name: string) => join(FIXTURES, name);

describe('loadConfig: one file', () => {
  test('interpolates variables, keeps matrix axes, resolves positions', async () => {
    const c = await loadConfig({ cwd: fx('basic'), env: {} });
    expect(c.files).toEqual([join(fx('basic'), 'tsbake.yaml')]);
    expect(c.baseDir).toBe(fx('basic').replace(/\/$/, ''));
    expect(c.variables).toEqual({ TAG: 'dev', REGISTRY: 'example.com' });
    expect(c.config.target?.app?.tags).toEqual(['example.com/app:dev']);
    expect(c.config.target?.app?.args).toEqual({ GREETING: 'hello', EMPTY: null });
    expect(c.config.target?.app?.output).toEqual(['type=local,dest=out', { type: 'docker' }]);
    expect(c.config.target?.tool?.tags).toEqual(['example.com/tool:${flavor}-dev']);
    expect(c.config.target?.tool?.name).toBe('tool-${flavor}');
    // Escapes are kept in matrix targets for the planner's pass.
    expect(c.config.target?.tool?.args).toEqual({ LITERAL: '$${flavor}' });
    expect((c.config as Record<string, unknown>).$schema).toBeUndefined();
    const p = c.positionOf(['target', 'tool', 'tags', 0]);
    expect(p).toEqual({ file: join(fx('basic'), 'tsbake.yaml'), line: 23, column: 12 });
  });

  test('the environment overrides defaults', async () => {
    const c = await loadConfig({ cwd: fx('basic'), env: { TAG: '1.2', UNRELATED: 'x' } });
    expect(c.config.target?.app?.tags).toEqual(['example.com/app:1.2']);
    expect(c.variables.TAG).toBe('1.2');
    expect(c.variables.UNRELATED).toBeUndefined();
  });

  test('a plain docker-bake.json is valid and found by default lookup', async () => {
    const c = await loadConfig({ cwd: fx('docker-bake'), env: { TAG: 'v1' } });
    expect(c.files).toEqual([join(fx('docker-bake'), 'docker-bake.json')]);
    expect(c.config.target?.['webapp-dev']?.tags).toEqual(['docker.io/username/webapp:v1']);
    expect(c.config.target?.['webapp-dev']?.secret).toEqual(['id=aws,src=$HOME/.aws/credentials']);
    // HCL's JSON syntax: positions come from the evaluator (the attribute holding the map)
    expect(c.positionOf(['target', 'db', 'contexts', 'base'])).toMatchObject({ file: join(fx('docker-bake'), 'docker-bake.json'), line: 21 });
  });
});

describe('variables', () => {
  test('defaults, references between variables, numbers, null, escapes', async () => {
    const e = await loadError({ cwd: fx('vars'), files: ['tsbake.yaml'] });
    const file = join(fx('vars'), 'tsbake.yaml');
    expect(e.diagnostics.map(formatDiagnostic)).toEqual([
      `${file}:10:13: undefined variable "UNDEFINED_ONE": declare it under variable (or write $\${UNDEFINED_ONE} for a literal) (in target.app.args.USE)`,
      `${file}:11:20: undefined variable "MISSING": declare it under variable (or write $\${MISSING} for a literal) (in target.app.args.TWICE)`,
      `${file}:11:31: undefined variable "MISSING": declare it under variable (or write $\${MISSING} for a literal) (in target.app.args.TWICE)`,
    ]);
    expect(e.diagnostics[0]!.key).toBe('target.app.args.USE');
  });

  test('resolved values when every reference is declared', async () => {
    const dir = await tempDir({
      'tsbake.yaml': 'variable:\n  A: a\n  B: "${A}-b"\n  N: 3\n  NOTHING:\n  OBJ: {description: no default}\ntarget:\n  app:\n    tags: ["x:${B}", "n:${N}", "e:${NOTHING}${OBJ}", "lit:$${A}", "dollar:$A"]\n',
    });
    const c = await loadConfig({ cwd: dir, env: { A: 'env-a' } });
    expect(c.variables).toEqual({ A: 'env-a', B: 'env-a-b', N: '3', NOTHING: '', OBJ: '' });
    expect(c.config.target?.app?.tags).toEqual(['x:env-a-b', 'n:3', 'e:', 'lit:${A}', 'dollar:$A']);
  });

  test.each([
    { name: 'misspelt variable', text: 'variable:\n  VERSION: "1"\ntarget:\n  app:\n    tags: ["a:${VERSON}"]\n', message: /undefined variable "VERSON"/, pos: [5, 15], suggestion: 'VERSION' },
    { name: 'cycle between variables', text: 'variable:\n  A: "${B}"\n  B: "${A}"\n', message: /variable "A" refers to itself \(A → B → A\)/, pos: [3, 7], suggestion: undefined },
    { name: 'unterminated reference', text: 'target:\n  app:\n    context: "${X"\n', message: /unterminated "\$\{"/, pos: [3, 15], suggestion: undefined },
    { name: 'expression with an unknown variable', text: 'variable:\n  XX: A\ntarget:\n  app:\n    context: "${lower(X)}"\n', message: /no variable named "X" in "\$\{lower\(X\)\}"/, pos: [5, 15], suggestion: 'XX' },
    { name: 'undefined in builder', text: 'builder:\n  b:\n    driver: remote\n    endpoint: "tcp://${HOST}:1234"\n', message: /undefined variable "HOST".*builder\.b\.endpoint/, pos: [4, 22], suggestion: undefined },
  ])('$name is an error with its position', async ({ text, message, pos, suggestion }) => {
    const ds = await diagnosticsOf({ 'tsbake.yaml': text });
    expect(ds).toHaveLength(1);
    expect(ds[0]!.message).toMatch(message);
    expect([ds[0]!.line, ds[0]!.column]).toEqual(pos);
    expect(ds[0]!.suggestion).toBe(suggestion);
  });

  test('expressions go through bake\'s evaluator: functions, operators, conditionals', async () => {
    const dir = await tempDir({ 'tsbake.yaml': 'variable:\n  TAG: "V1.2"\ntarget:\n  app:\n    tags: ["a:${lower(TAG)}", "${TAG == \\"V1.2\\" ? \\"yes\\" : \\"no\\"}-${1 + 2}"]\n' });
    const c = await loadConfig({ cwd: dir, env: {} });
    expect(c.config.target?.app?.tags).toEqual(['a:v1.2', 'yes-3']);
  });

  test('an axis name outside its matrix target is still an undefined variable', async () => {
    const ds = await diagnosticsOf({ 'tsbake.yaml': 'target:\n  m:\n    matrix: {v: [a]}\n    tags: ["${v}"]\n  other:\n    tags: ["${v}"]\n' });
    expect(ds.map((d) => d.key)).toEqual(['target.other.tags[0]']);
  });
});

describe('merging several files', () => {
  test('bake rules: last wins, key by key, append', async () => {
    const c = await loadConfig({ cwd: fx('merge'), files: ['a.yaml', 'b.json'], env: {} });
    const app = c.config.target?.app;
    expect(app).toEqual({
      context: 'a',
      tags: ['b:2'],
      args: { A: '1', B: '2', C: '2' },
      'cache-from': ['type=registry,ref=a', 'type=registry,ref=b'],
      platforms: ['linux/amd64'],
      'depends-on': ['base', 'other'],
      inherits: ['y'],
    });
    expect(c.config.target?.other).toEqual({ context: 'o' });
    expect(c.config.group?.default?.targets).toEqual(['app', 'other']);
    expect(c.variables.TAG).toBe('two');
    expect(c.files).toEqual([join(fx('merge'), 'a.yaml'), join(fx('merge'), 'b.json')]);
  });

  test('positions point at the file that defined a value last', async () => {
    const c = await loadConfig({ cwd: fx('merge'), files: ['a.yaml', 'b.json'], env: {} });
    const a = join(fx('merge'), 'a.yaml');
    const b = join(fx('merge'), 'b.json');
    expect(c.positionOf(['target', 'app', 'context'])).toEqual({ file: a, line: 8, column: 5 });
    expect(c.positionOf(['target', 'app', 'tags', 0])).toEqual({ file: b, line: 7, column: 16 });
    expect(c.positionOf(['target', 'app', 'args', 'A'])?.file).toBe(a);
    expect(c.positionOf(['target', 'app', 'args', 'C'])?.file).toBe(b);
    expect(c.positionOf(['target', 'app', 'cache-from', 0])).toEqual({ file: a, line: 11, column: 18 });
    expect(c.positionOf(['target', 'app', 'cache-from', 1])).toEqual({ file: b, line: 9, column: 22 });
    expect(c.positionOf(['target', 'app', 'depends-on', 1])?.file).toBe(b);
    expect(c.positionOf(['group', 'default', 'targets', 1])).toEqual({ file: b, line: 4, column: 46 });
    expect(c.positionOf(['target', 'nope'])).toBeUndefined();
  });

  test('errors of every file are reported at once', async () => {
    const dir = await tempDir({ 'a.yaml': 'target:\n  app:\n    contxt: .\n', 'b.json': '{"target": {"app": {"tags": "x"}}}', 'c.yaml': '' });
    const e = await loadError({ cwd: dir, files: ['a.yaml', 'b.json', 'c.yaml'] });
    expect(e.diagnostics.map((d) => [d.file.slice(dir.length + 1), d.line, d.message])).toEqual([
      ['a.yaml', 3, 'unknown key "contxt" in target "app"'],
      ['c.yaml', 0, 'the file is empty'],
      // b.json is bake's JSON: HCL's JSON syntax, checked by the evaluator
      ['b.json', 1, 'inappropriate value for attribute "tags": a list of strings is required, not string'],
    ]);
    expect(e.message).toMatch(/^invalid configuration: 3 problems in /);
  });
});

describe('builders.yaml', () => {
  test('merged beside the first config file; the config wins per builder and for default-builder', async () => {
    const c = await loadConfig({ cwd: fx('builders'), env: {} });
    expect(c.files).toEqual([join(fx('builders'), 'tsbake.yaml'), join(fx('builders'), 'builders.yaml')]);
    expect(c.config['default-builder']).toBe('mine');
    // The config's entry replaces the builders.yaml one whole: no parallelism, no privileged.
    expect(c.config.builder?.shared).toEqual({ driver: 'docker-container', 'driver-opts': { image: 'override/buildkit' } });
    expect(c.config.builder?.remote1).toEqual({ driver: 'remote', endpoint: 'tcp://127.0.0.1:1234' });
    expect(c.positionOf(['builder', 'remote1', 'endpoint'])).toEqual({ file: join(fx('builders'), 'builders.yaml'), line: 13, column: 5 });
    expect(c.positionOf(['builder', 'shared', 'driver-opts', 'image'])?.file).toBe(join(fx('builders'), 'tsbake.yaml'));
  });

  test('builders.yaml default-builder applies when the config sets none', async () => {
    const dir = await tempDir({ 'tsbake.yaml': 'target:\n  app: {}\n', 'builders.yaml': 'default-builder: b\nbuilder:\n  b:\n    driver: docker\n' });
    const c = await loadConfig({ cwd: dir, env: {} });
    expect(c.config['default-builder']).toBe('b');
    expect(c.config.builder).toEqual({ b: { driver: 'docker' } });
  });

  test('anything but builder and default-builder in builders.yml is a diagnostic', async () => {
    const e = await loadError({ cwd: fx('builders-bad') });
    expect(e.diagnostics.map(formatDiagnostic)).toEqual([
      `${join(fx('builders-bad'), 'builders.yml')}:4:1: "target" is not allowed in builders.yaml: it holds only builder and default-builder`,
    ]);
  });

  test('nested driver options are flattened', async () => {
    const dir = await tempDir({ 'tsbake.yaml': 'builder:\n  k:\n    driver: kubernetes\n    driver-opts:\n      requests: {cpu: 1}\n      env.A: x\n      qemu: {install: true}\n' });
    const c = await loadConfig({ cwd: dir, env: {} });
    expect(c.config.builder?.k?.['driver-opts']).toEqual({ 'requests.cpu': 1, 'env.A': 'x', 'qemu.install': true });
  });
});

describe('builder checks', () => {
  test.each([
    { name: 'unknown default-builder', text: 'default-builder: locl\nbuilder:\n  local: {driver: docker}\n', message: 'default-builder refers to unknown builder "locl"; declared builders: local', pos: [1, 18], suggestion: 'local' },
    { name: 'unknown target builder', text: 'target:\n  app:\n    builder: x\n', message: 'target "app" refers to unknown builder "x"; no builders are declared (add a builder block or builders.yaml)', pos: [3, 14], suggestion: undefined },
    { name: 'remote without endpoint', text: 'builder:\n  r: {driver: remote}\n', message: 'builder "r" (driver remote) needs an endpoint: tcp://host:port or unix:///path/to/buildkitd.sock', pos: [2, 3], suggestion: undefined },
    { name: 'remote with a bad endpoint', text: 'builder:\n  r:\n    driver: remote\n    endpoint: http://x\n', message: 'endpoint of builder "r" must start with tcp:// or unix://, got "http://x"', pos: [4, 15], suggestion: undefined },
    { name: 'docker with a bad host', text: 'builder:\n  d:\n    driver: docker\n    endpoint: /var/run/docker.sock\n', message: 'endpoint of builder "d" must be a Docker host (unix://, tcp://, ssh:// or npipe://), got "/var/run/docker.sock"', pos: [4, 15], suggestion: undefined },
    { name: 'both buildkitd configs', text: 'builder:\n  c:\n    driver: docker-container\n    buildkitd-config: a.toml\n    buildkitd-config-inline: x\n', message: 'builder "c" sets both buildkitd-config and buildkitd-config-inline: keep one', pos: [5, 5], suggestion: undefined },
    { name: 'buildkitd-flags on docker', text: 'builder:\n  d:\n    driver: docker\n    buildkitd-flags: --debug\n', message: '"buildkitd-flags" is not supported by driver "docker" in builder "d": the docker driver uses the Docker engine\'s own BuildKit', pos: [4, 5], suggestion: undefined },
    { name: 'endpoint on kubernetes', text: 'builder:\n  k:\n    driver: kubernetes\n    endpoint: x\n', message: '"endpoint" is not used by driver "kubernetes" in builder "k": choose the cluster with driver-opts context and kubeconfig', pos: [4, 5], suggestion: undefined },
  ])('$name', async ({ text, message, pos, suggestion }) => {
    const ds = await diagnosticsOf({ 'tsbake.yaml': text });
    expect(ds.map((d) => d.message)).toEqual([message]);
    expect([ds[0]!.line, ds[0]!.column]).toEqual(pos);
    expect(ds[0]!.suggestion).toBe(suggestion);
  });
});

describe('finding and reading files', () => {
  test.each([
    { files: ['docker-bake.json', 'tsbake.json', 'tsbake.yml', 'tsbake.yaml'], found: ['tsbake.yaml', 'docker-bake.json'] },
    { files: ['docker-bake.json', 'tsbake.json', 'tsbake.yml'], found: ['tsbake.yml', 'docker-bake.json'] },
    { files: ['docker-bake.json', 'tsbake.json'], found: ['tsbake.json', 'docker-bake.json'] },
    { files: ['docker-bake.json'], found: ['docker-bake.json'] },
    {
      files: ['docker-bake.override.hcl', 'docker-bake.hcl', 'docker-bake.override.json', 'docker-compose.yaml', 'compose.yml', 'docker-compose.yml', 'compose.yaml', 'tsbake.yaml'],
      found: ['tsbake.yaml', 'compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml', 'docker-bake.hcl', 'docker-bake.override.json', 'docker-bake.override.hcl'],
    },
  ])('default lookup: the first tsbake file, then every bake file in bake\'s order: $found', async ({ files, found }) => {
    const dir = await tempDir(Object.fromEntries(files.map((f) => [f, '{"target": {}}'])));
    expect(await findConfigFiles(dir)).toEqual(found.map((f) => join(dir, f)));
  });

  test('no config file is a usage error naming what was looked for', async () => {
    const dir = await tempDir({ 'other.yaml': 'target: {}\n' });
    const e = await loadError({ cwd: dir }, 'usage');
    expect(e.message).toBe(`no config file found in ${dir} (looked for tsbake.yaml, tsbake.yml, tsbake.json, compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml, docker-bake.json, docker-bake.hcl, docker-bake.override.json, docker-bake.override.hcl)`);
  });

  test.each([
    { name: 'missing file', setup: {}, file: 'nope.yaml', message: 'no such file' },
    { name: 'empty file', setup: { 'c.yaml': '' }, file: 'c.yaml', message: 'the file is empty' },
    { name: 'binary garbage', setup: { 'c.yaml': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]) }, file: 'c.yaml', message: 'not a text file (it contains NUL bytes)' },
    { name: 'invalid UTF-8', setup: { 'c.yaml': Buffer.from([0x74, 0x3a, 0x20, 0xff, 0xfe, 0x0a]) }, file: 'c.yaml', message: 'not a text file (it is not valid UTF-8)' },
    { name: 'multiple documents', setup: { 'c.yaml': 'target: {}\n---\ntarget: {}\n' }, file: 'c.yaml', message: 'the file holds several YAML documents (separated by ---); tsbake reads exactly one' },
  ])('$name', async ({ setup, file, message }) => {
    const dir = await tempDir(setup);
    const e = await loadError({ cwd: dir, files: [file] });
    expect(e.diagnostics.map((d) => d.message)).toEqual([message]);
    expect(e.diagnostics[0]!.file).toBe(join(dir, file));
  });

  test('a directory given as config', async () => {
    const dir = await tempDir({});
    await mkdir(join(dir, 'conf.yaml'));
    const e = await loadError({ cwd: dir, files: ['conf.yaml'] });
    expect(e.diagnostics.map((d) => d.message)).toEqual(['this path is a directory, not a config file']);
  });

  test.skipIf(process.getuid?.() === 0)('an unreadable file', async () => {
    const dir = await tempDir({ 'c.yaml': 'target: {}\n' });
    await chmod(join(dir, 'c.yaml'), 0o000);
    const e = await loadError({ cwd: dir, files: ['c.yaml'] });
    expect(e.diagnostics.map((d) => d.message)).toEqual(['permission denied']);
  });

  test('a 10 MB file is refused with a clear message', async () => {
    const dir = await tempDir({ 'big.yaml': `target:\n${'  # padding padding padding padding padding padding padding padding\n'.repeat(160_000)}` });
    const e = await loadError({ cwd: dir, files: ['big.yaml'] });
    expect(e.diagnostics.map((d) => d.message)).toEqual(['the file is 10.4 MB; tsbake refuses config files over 5 MB']);
  });

  test('an alias bomb in a file is refused', async () => {
    const lines = ['a: &a [x,x,x,x,x,x,x,x,x,x]'];
    for (let i = 1; i < 15; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const e = await loadError({ cwd: await tempDir({ 'c.yaml': lines.join('\n') }), files: ['c.yaml'] });
    expect(e.diagnostics.map((d) => d.message)).toEqual(['too many YAML alias expansions (over 1000): refusing what looks like an alias bomb']);
  });

  test('a 1,000-target config loads completely', async () => {
    const target: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) target[`app${i}`] = { context: `apps/${i}`, tags: [`r/app${i}:\${TAG}`], args: { N: String(i) }, platforms: ['linux/amd64'], 'cache-from': ['type=gha'] };
    const dir = await tempDir({ 'tsbake.json': JSON.stringify({ variable: { TAG: 'x' }, target }) });
    const c = await loadConfig({ cwd: dir, env: {} });
    expect(Object.keys(c.config.target ?? {})).toHaveLength(1000);
    expect(c.config.target?.app999?.tags).toEqual(['r/app999:x']);
  });
});
