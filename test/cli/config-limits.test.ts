/**
 * Config files at the limits, through the real CLI (issue 15, 9b and 9c): a deeply nested YAML gets
 * one located message instead of a parser running out of stack, and a YAML with many targets loads
 * with duplicate keys still reported at their position.
 */
import { describe, expect, it } from 'vitest';
import { project, runCli } from '../helpers/cli.js';

function manyTargets(n: number, dupAt?: number): string {
  let s = 'target:\n';
  for (let i = 0; i < n; i++) {
    s += `  t${i}:\n    context: .\n`;
    if (i === dupAt) s += '    context: again\n';
  }
  return s;
}

describe('config limits', () => {
  it('a 4 MB deeply nested YAML: exit 2, one message at the first too-deep node', async () => {
    const half = 2 * 1024 * 1024;
    const dir = await project({ 'tsbake.yaml': `target: ${'['.repeat(half)}${']'.repeat(half)}\n` });
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'tsbake.yaml:1:72: the config nests maps and lists deeper than 64 levels here; tsbake refuses such files (a bake file needs a few levels)',
    );
    expect(r.stderr).not.toContain('call stack');
    expect(r.stderr).toContain('1 error in the config');
  });

  it('deep block nesting: the line and column of the first too-deep key', async () => {
    let text = '';
    for (let d = 0; d < 3000; d++) text += `${' '.repeat(d)}k${d}:\n`;
    const dir = await project({ 'tsbake.yaml': text });
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('tsbake.yaml:65:65: the config nests maps and lists deeper than 64 levels');
    expect(r.stderr).not.toContain('call stack');
  });

  it('20,000 targets in YAML load; a repeated key among them is reported with its position', async () => {
    const dir = await project({ 'tsbake.yaml': manyTargets(20_000), 'dup.yaml': manyTargets(20_000, 12_345) });
    const ok = await runCli(['print', 't19999'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).target.t19999.context).toBe('.'); // print shows the context as written, as buildx 0.29.1 does
    const bad = await runCli(['validate', '-f', 'dup.yaml'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`dup.yaml:${1 + 2 * 12_346 + 1}:5: invalid YAML: Map keys must be unique`);
  });
});
