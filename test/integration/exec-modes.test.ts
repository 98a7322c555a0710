/**
 * The executor's failure modes, limits and ordering, through the real CLI on Docker 20.10.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { engines, requireEngine } from '../helpers/env.js';
import { project, runCli } from '../helpers/cli.js';

const env = { DOCKER_HOST: engines.docker20.host };
const uniq = (): string => Math.random().toString(36).slice(2, 8);

function config(extra = ''): string {
  return [
    'target:',
    '  bad:',
    '    dockerfile-inline: |',
    '      FROM local/busybox:1',
    `      RUN echo bad-${uniq()} && exit 7`,
    '  slow:',
    '    dockerfile-inline: |',
    '      FROM local/busybox:1',
    `      RUN echo slow-${uniq()} && sleep 6 && echo slow-finished`,
    '  after:',
    '    depends-on: [bad]',
    '    dockerfile-inline: |',
    '      FROM local/busybox:1',
    `      RUN echo after-${uniq()}`,
    'group:',
    '  default:',
    '    targets: [bad, slow, after]',
    extra,
  ].join('\n');
}

function states(stderr: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of stderr.matchAll(/^\s+(\S+)\s+(built|cached|failed|cancelled|skipped)\b/gm)) out[m[1]!] = m[2]!;
  return out;
}

describe('executor failure modes (Docker 20.10)', () => {
  beforeAll(async () => {
    await requireEngine(engines.docker20);
  });

  it('by default the first failure cancels what is running and starts nothing new', async () => {
    const dir = await project({ 'tsbake.yaml': config() });
    const r = await runCli(['run', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const s = states(r.stderr);
    expect(s).toMatchObject({ bad: 'failed', slow: 'cancelled', after: 'skipped' });
    expect(r.stderr).not.toMatch(/#\d+ [\d.]+ slow-finished/);
  });

  it('--keep-going lets independent targets finish; dependents of the failure are skipped', async () => {
    const dir = await project({ 'tsbake.yaml': config() });
    const r = await runCli(['run', '--progress', 'plain', '--keep-going'], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(states(r.stderr)).toMatchObject({ bad: 'failed', slow: 'built', after: 'skipped' });
    expect(r.stderr).toMatch(/#\d+ [\d.]+ slow-finished/);
  });

  it('--parallelism 1 runs one solve at a time; depends-on orders builds', async () => {
    const dir = await project({
      'tsbake.yaml': [
        'target:',
        '  a:',
        '    dockerfile-inline: |',
        '      FROM local/busybox:1',
        `      RUN echo a-${uniq()} && sleep 1`,
        '  b:',
        '    dockerfile-inline: |',
        '      FROM local/busybox:1',
        `      RUN echo b-${uniq()} && sleep 1`,
        '  c:',
        '    depends-on: [a, b]',
        '    dockerfile-inline: |',
        '      FROM local/busybox:1',
        `      RUN echo c-${uniq()}`,
        '',
      ].join('\n'),
    });
    const r = await runCli(['run', 'c', '--progress', 'json', '--parallelism', '1'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const events = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; target?: string; time: number });
    const span = (t: string): [number, number] => [
      events.find((e) => e.type === 'target-started' && e.target === t)!.time,
      events.find((e) => e.type === 'target-finished' && e.target === t)!.time,
    ];
    const [a, b, c] = [span('a'), span('b'), span('c')];
    // Never two at once: one of a/b finished before the other started; c after both.
    expect(a[1] <= b[0] || b[1] <= a[0]).toBe(true);
    expect(c[0]).toBeGreaterThanOrEqual(Math.max(a[1], b[1]));
  });
});
