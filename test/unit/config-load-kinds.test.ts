/** What kind each file is, and how kinds merge (compose → HCL/JSON → tsbake YAML, builders.yaml first). */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { TsbakeError, formatDiagnostic } from '../../src/errors.js';

const dirs: string[] = [];
async function tempDir(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-kinds-'));
  dirs.push(dir);
  for (const [f, c] of Object.entries(files)) await fs.writeFile(path.join(dir, f), c);
  return dir;
}
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});
async function failure(p: Promise<unknown>): Promise<TsbakeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TsbakeError);
    return err as TsbakeError;
  }
  throw new Error('expected a failure');
}

describe('file kinds', () => {
  it('a file without an extension holding HCL is HCL, never invalid YAML', async () => {
    const dir = await tempDir({ Bakefile: 'target "app" {\n  tags = ["a:1"]\n}\n' });
    const c = await loadConfig({ cwd: dir, files: ['Bakefile'], env: {} });
    expect(c.config.target?.app?.tags).toEqual(['a:1']);
    const bad = await tempDir({ Bakefile: 'target "app" {\n  tags = [\n' });
    const e = await failure(loadConfig({ cwd: bad, files: ['Bakefile'], env: {} }));
    expect(e.diagnostics.map(formatDiagnostic).join('\n')).not.toMatch(/YAML/);
    expect(e.diagnostics[0]).toMatchObject({ file: path.join(bad, 'Bakefile') });
    expect(e.diagnostics[0]!.line).toBeGreaterThan(0);
  });

  it('a YAML file with services is compose, whatever its name; its keys are checked', async () => {
    const dir = await tempDir({ 'build.yml': 'services:\n  web:\n    build:\n      context: .\n      dockerfile: x\n      platfroms: [linux/amd64]\n' });
    const e = await failure(loadConfig({ cwd: dir, files: ['build.yml'], env: {} }));
    expect(e.diagnostics.map(formatDiagnostic)).toEqual([`${path.join(dir, 'build.yml')}:6:7: unknown key "platfroms" in services.web.build (did you mean platforms?)`]);
  });

  it('default lookup merges compose, then HCL, then tsbake.yaml; builders.yaml beside them', async () => {
    const dir = await tempDir({
      'compose.yaml': 'services:\n  web:\n    image: me/web\n    build:\n      context: web\n      args: {FROM: compose, A: c}\n',
      'docker-bake.hcl': 'variable "V" { default = "hcl" }\ntarget "web" {\n  args = { FROM = V, B = "h" }\n}\n',
      'tsbake.yaml': 'target:\n  web:\n    args: {FROM: tsbake}\n    builder: bk\n',
      'builders.yaml': 'builder:\n  bk:\n    driver: docker\n',
    });
    const c = await loadConfig({ cwd: dir, env: {}, vars: { V: 'from-var' } });
    expect(c.config.target?.web).toMatchObject({ context: 'web', tags: ['me/web'], args: { FROM: 'tsbake', A: 'c', B: 'h' }, builder: 'bk' });
    expect(c.config.group?.default?.targets).toEqual(['web']);
    expect(c.files.map((f) => path.basename(f))).toEqual(['compose.yaml', 'docker-bake.hcl', 'tsbake.yaml', 'builders.yaml']);
    expect(c.positionOf(['target', 'web', 'args', 'A'])?.file).toBe(path.join(dir, 'compose.yaml'));
    expect(c.positionOf(['target', 'web', 'args', 'B'])?.file).toBe(path.join(dir, 'docker-bake.hcl'));
    expect(c.variableList?.find((v) => v.name === 'V')?.value).toBe('from-var');
  });

  it('--var overrides the environment for HCL and tsbake YAML variables', async () => {
    const dir = await tempDir({
      'docker-bake.hcl': 'variable "T" { default = "d" }\ntarget "a" { tags = ["a:${T}"] }\n',
      'tsbake.yaml': 'variable:\n  U: d\ntarget:\n  b:\n    tags: ["b:${U}"]\n',
    });
    const c = await loadConfig({ cwd: dir, env: { T: 'env', U: 'env' }, vars: { T: 'var', U: 'var' } });
    expect(c.config.target?.a?.tags).toEqual(['a:var']);
    expect(c.config.target?.b?.tags).toEqual(['b:var']);
  });

  it('template-free bake JSON is read without the evaluator, with the same values; otherwise the evaluator converts', async () => {
    const dir = await tempDir({
      'plain.json': '{"target": {"app": {"tags": ["a"], "args": {"N": 1}}}}',
      'converted.json': '{"target": {"app": {"pull": "true", "args": {"N": 1}}}}',
    });
    const plain = await loadConfig({ cwd: dir, files: ['plain.json'], env: {} });
    expect(plain.config.target?.app).toEqual({ tags: ['a'], args: { N: 1 } });
    expect(plain.positionOf(['target', 'app', 'args', 'N'])).toEqual({ file: path.join(dir, 'plain.json'), line: 1, column: 45 });
    const converted = await loadConfig({ cwd: dir, files: ['converted.json'], env: {} });
    expect(converted.config.target?.app).toMatchObject({ pull: true, args: { N: '1' } });
  });
});
