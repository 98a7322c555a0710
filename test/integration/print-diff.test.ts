/**
 * `tsbake print` against `docker buildx bake --print` 0.29.1 on every fixture under test/fixtures/bake/
 * (see test/helpers/bake-diff.ts for the fixture format and the one rule for tsbake's additions).
 */
import { describe, expect, it } from 'vitest';
import { buildxBinary, listFixtures, runBuildx, runTsbake, sortGroups, stripAdditions } from '../helpers/bake-diff.js';

const fixtures = listFixtures();

describe('print matches docker buildx bake --print 0.29.1', () => {
  it('has the reference binary (run scripts/test-env.sh)', () => {
    expect(buildxBinary()).toMatch(/buildx/);
    expect(fixtures.length).toBeGreaterThan(10);
  });

  for (const f of fixtures) {
    for (const [i, c] of f.cases.entries()) {
      const label = `${f.name}${c.list !== undefined ? ` --list ${c.list}` : ''}${c.name ? ` (${c.name})` : f.cases.length > 1 ? ` #${i + 1}` : ''}${c.args?.length ? `: ${c.args.join(' ')}` : ''}`;
      it(label, async () => {
        const [bx, ts] = await Promise.all([runBuildx(f.dir, c), runTsbake(f.dir, c)]);
        if (c.error) {
          expect(bx.code, `buildx should fail: ${bx.stdout}`).not.toBe(0);
          expect(ts.code, `tsbake should fail with exit 2: ${ts.stdout}${ts.stderr}`).toBe(2);
          expect(ts.stderr).toMatch(/^\S+:\d+:\d+: /m);
          expect(ts.stderr).not.toMatch(/internal error|\n\s+at /);
          return;
        }
        expect(bx.code, `buildx failed: ${bx.stderr}`).toBe(0);
        expect(ts.code, `tsbake failed: ${ts.stderr}`).toBe(0);
        if (c.list !== undefined) {
          expect(ts.stdout).toBe(bx.stdout);
          return;
        }
        const norm = (v: Record<string, unknown>): Record<string, unknown> => (c.unorderedGroups ? sortGroups(v) : v);
        expect(norm(stripAdditions(JSON.parse(ts.stdout) as Record<string, unknown>))).toEqual(norm(JSON.parse(bx.stdout) as Record<string, unknown>));
      });
    }
  }
});
