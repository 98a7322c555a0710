#!/usr/bin/env node
// Records what `docker buildx bake --print` (the reference, $TSBAKE_TEST_BUILDX) returns for each
// call in scripts/stdlib-cases.mjs, into test/fixtures/hcl-stdlib/expected.json, which the unit
// tests (test/unit/hcl-stdlib-*.test.ts) compare the TypeScript stdlib against. Needs buildx only
// when run; the tests do not. Usage: node scripts/stdlib-expected.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cases } from './stdlib-cases.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildx = process.env.TSBAKE_TEST_BUILDX;
if (!buildx) {
  console.error('TSBAKE_TEST_BUILDX is not set (source /var/lib/tsbake-test/env.sh)');
  process.exit(2);
}
const version = execFileSync(buildx, ['version'], { encoding: 'utf8' }).trim();

function hclString(s) {
  let out = '"';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch.charCodeAt(0) < 0x20) out += '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0');
    else out += ch;
  }
  return (out + '"').replaceAll('${', () => '$${').replaceAll('%{', () => '%%{');
}

function hcl(v) {
  if (v === null) return 'null';
  if (typeof v === 'string') return hclString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return '[' + v.map(hcl).join(', ') + ']';
  if ('$type' in v) return v.$type;
  return '{' + Object.entries(v).map(([k, e]) => `${hclString(k)} = ${hcl(e)}`).join(', ') + '}';
}

const call = ([name, ...args]) => `${name}(${args.map(hcl).join(', ')})`;

const dir = mkdtempSync(join(tmpdir(), 'stdlib-expected-'));
function run(batch) {
  const body = batch.map((c, i) => `    r${i} = jsonencode(${call(c)})`).join('\n');
  const file = join(dir, 'docker-bake.hcl');
  writeFileSync(file, `target "t" {\n  args = {\n${body}\n  }\n}\n`);
  const r = spawnSync(buildx, ['bake', '--print', '-f', file, 't'], { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: '/home/stdlib-test' } });
  if (r.status === 0) {
    const args = JSON.parse(r.stdout).target.t.args ?? {};
    return batch.map((_, i) => ({ printed: args[`r${i}`], result: JSON.parse(args[`r${i}`]) }));
  }
  if (batch.length > 1) return null;
  const line = r.stderr.split('\n').filter((l) => l.startsWith('ERROR: ')).pop() ?? r.stderr.trim();
  // "ERROR: file:1,2-3: Summary; detail" → "Summary; detail"
  return [{ error: line.replace(/^ERROR: [^:]+:\d+,\d+-\d+: /, '').replace(/, and \d+ other diagnostic\(s\)$/, '') }];
}

const results = [];
for (let i = 0; i < cases.length; i += 20) {
  const batch = cases.slice(i, i + 20);
  const got = run(batch) ?? batch.map((c) => run([c])[0]);
  got.forEach((g, k) => results.push({ call: call(batch[k]), name: batch[k][0], args: batch[k].slice(1), ...g }));
}
rmSync(dir, { recursive: true, force: true });
const out = join(root, 'test/fixtures/hcl-stdlib/expected.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ buildx: version, cases: results }, null, 1) + '\n');
console.log(`${results.length} cases (${results.filter((r) => 'error' in r).length} errors) from ${version} → ${out}`);
