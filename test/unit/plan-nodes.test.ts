import { describe, expect, test } from 'vitest';
import { assignPlatforms, describeUnassignable, normalizePlatform, planNodeParts, type NodeView } from '../../src/plan/nodes.js';

const node = (name: string, platforms: string[], more: Partial<NodeView> = {}): NodeView => ({ name, platforms, reachable: true, load: 0, ...more });

describe('assignPlatforms', () => {
  const amd = node('amd', ['linux/amd64']);
  const arm = node('arm', ['linux/arm64']);
  test.each([
    { name: 'each platform on the node that declares it', platforms: ['linux/amd64', 'linux/arm64'], nodes: [amd, arm], want: [['amd', ['linux/amd64'], []], ['arm', ['linux/arm64'], []]] },
    { name: 'parts in declaration order, whatever the target order', platforms: ['linux/arm64', 'linux/amd64'], nodes: [amd, arm], want: [['amd', ['linux/amd64'], []], ['arm', ['linux/arm64'], []]] },
    { name: 'linux/arm64/v8 is linux/arm64', platforms: ['linux/arm64/v8'], nodes: [amd, arm], want: [['arm', ['linux/arm64/v8'], []]] },
    { name: 'two platforms one node builds natively: one solve there', platforms: ['linux/amd64', 'linux/386'], nodes: [node('x', ['linux/amd64', 'linux/386']), arm], want: [['x', ['linux/amd64', 'linux/386'], []]] },
    { name: 'no node builds it natively: the first reachable node emulates', platforms: ['linux/s390x'], nodes: [node('a', ['linux/amd64'], { reachable: false }), arm], want: [['arm', ['linux/s390x'], ['linux/s390x']]] },
    { name: 'several native nodes: the least loaded', platforms: ['linux/amd64'], nodes: [node('a', ['linux/amd64'], { load: 2 }), node('b', ['linux/amd64'], { load: 1 })], want: [['b', ['linux/amd64'], []]] },
    { name: 'several native nodes, same load: the first declared', platforms: ['linux/amd64'], nodes: [node('a', ['linux/amd64']), node('b', ['linux/amd64'])], want: [['a', ['linux/amd64'], []]] },
    { name: 'two platforms both nodes build: spread one to each', platforms: ['linux/amd64', 'linux/arm64'], nodes: [node('a', ['linux/amd64', 'linux/arm64']), node('b', ['linux/amd64', 'linux/arm64'])], want: [['a', ['linux/amd64'], []], ['b', ['linux/arm64'], []]] },
    { name: 'no platforms: the least loaded reachable node', platforms: [], nodes: [node('a', [], { load: 1 }), node('b', [], { reachable: false }), node('c', [], { load: 0 })], want: [['c', [], []]] },
    { name: 'a native node unreachable, another native one answers', platforms: ['linux/amd64'], nodes: [node('a', ['linux/amd64'], { reachable: false }), node('b', ['linux/amd64'])], want: [['b', ['linux/amd64'], []]] },
  ])('$name', ({ platforms, nodes, want }) => {
    const got = assignPlatforms(platforms, nodes);
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    expect(got.parts.map((p) => [p.node, p.platforms, p.emulated])).toEqual(want);
  });

  test('the only native node is unreachable: refused, naming the platform and the node', () => {
    const got = assignPlatforms(['linux/amd64', 'linux/arm64'], [amd, node('arm', ['linux/arm64'], { reachable: false })]);
    expect(got).toEqual({ ok: false, platform: 'linux/arm64', nativeNodes: ['arm'] });
    if (got.ok) return;
    expect(describeUnassignable('fleet', 'app', got)).toContain('no reachable node of builder "fleet" builds linux/arm64');
  });

  test('no node reachable at all', () => {
    expect(assignPlatforms([], [node('a', [], { reachable: false })])).toEqual({ ok: false, nativeNodes: [] });
  });

  test('normalizePlatform', () => {
    expect(['linux/arm64/v8', 'Linux/ARM64', 'linux/x86_64', 'linux/arm/v7'].map(normalizePlatform)).toEqual(['linux/arm64', 'linux/arm64', 'linux/amd64', 'linux/arm/v7']);
  });
});

describe('nodes in the config', () => {
  const load = async (yaml: string) => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const { loadConfig, resolvePlan } = await import('../../src/index.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tsbake-nodes-'));
    try {
      await writeFile(path.join(dir, 'tsbake.yaml'), yaml);
      const loaded = await loadConfig({ cwd: dir, env: {} });
      return resolvePlan(loaded, { names: ['app'], env: {} });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const nodes = (extra = ''): string =>
    [
      'builder:',
      '  fleet:',
      '    parallelism: 2',
      '    nodes:',
      '      - { name: a, driver: remote, endpoint: "tcp://127.0.0.1:1", platforms: [linux/amd64] }',
      `      - { name: b, driver: remote, ${extra}platforms: [linux/arm64, linux/riscv64] }`,
      'target:',
      '  app: { platforms: [linux/amd64, linux/arm64] }',
      '',
    ].join('\n');

  test('each node resolves as a builder of its own; the builder platforms are the union', async () => {
    const plan = await load(nodes('endpoint: "unix:///run/b.sock", '));
    const b = plan.builders['fleet']!;
    expect(b.platforms).toEqual(['linux/amd64', 'linux/arm64', 'linux/riscv64']);
    expect(b.nodes?.map((n) => [n.name, n.node, n.driver, n.endpoint, n.parallelism])).toEqual([
      ['fleet.a', 'a', 'remote', 'tcp://127.0.0.1:1', 2],
      ['fleet.b', 'b', 'remote', 'unix:///run/b.sock', 2],
    ]);
    expect(planNodeParts(plan).get('app')).toEqual([
      { node: 'a', platforms: ['linux/amd64'], emulated: [] },
      { node: 'b', platforms: ['linux/arm64'], emulated: [] },
    ]);
  });

  test("a node's driver checks it, and the diagnostic points at the node", async () => {
    const err = (await load(nodes()).then(() => undefined, (e: unknown) => e)) as { diagnostics?: { line: number; key?: string; message: string }[] };
    expect(err.diagnostics?.map((d) => [d.line, d.key, d.message])).toEqual([
      [6, 'builder.fleet.nodes[1]', 'node "b" of builder "fleet" (driver remote) needs an endpoint: tcp://host:port or unix:///path/to/buildkitd.sock'],
    ]);
  });
});

describe('exports of a target placed on a node (issue 14: mixed drivers)', () => {
  const yaml = [
    'builder:',
    '  fleet:',
    '    nodes:',
    '      - { name: d, driver: docker, endpoint: "unix:///run/d.sock", platforms: [linux/amd64] }',
    '      - { name: r, driver: remote, endpoint: "tcp://127.0.0.1:1", platforms: [linux/arm64] }',
    'target:',
    '  amd: { platforms: [linux/amd64] }',
    '  arm: { platforms: [linux/arm64] }',
    '',
  ].join('\n');
  const load = async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const { loadConfig, resolvePlan } = await import('../../src/index.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tsbake-nodes-'));
    try {
      await writeFile(path.join(dir, 'tsbake.yaml'), yaml);
      return resolvePlan(await loadConfig({ cwd: dir, env: {} }), { names: ['amd', 'arm'], env: {}, load: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  test('the docker node loads into its engine store, the remote node loads a tarball', async () => {
    const { planNodeExports } = await import('../../src/plan/exports.js');
    const { descriptorOf } = await import('../../src/drivers/index.js');
    const { placedOn } = await import('../../src/exec/nodes.js');
    const plan = await load();
    const b = plan.builders['fleet']!;
    const nodes = b.nodes!.map((n) => ({ name: n.node!, resultStore: descriptorOf(n.driver).resultStore }));
    const views = b.nodes!.map((n) => node(n.node!, n.platforms));
    const placedExports = (name: string) => {
      const t = plan.targets[name]!;
      const a = assignPlatforms(t.platforms, views);
      if (!a.ok || a.parts.length !== 1) throw new Error('expected one part');
      const byNode = planNodeExports(t, name, nodes, { localStore: 'containerd' }).byNode;
      return [a.parts[0]!.node, placedOn({ ...t, nodeExports: byNode }, a.parts[0]!.node).exports];
    };
    expect(placedExports('amd')).toEqual(['d', [{ kind: 'engine-store', attrs: { name: 'tsbake-local/amd:latest' } }]]);
    expect(placedExports('arm')).toEqual(['r', [{ kind: 'load', format: 'oci', attrs: {} }]]);
  });

  test('a result in a node engine store with target: dependents is also handed over as an OCI layout (they may run on another node)', async () => {
    const { planNodeExports } = await import('../../src/plan/exports.js');
    const t = (await load()).targets['amd']!;
    const nodes = [{ name: 'd', resultStore: 'engine' as const }, { name: 'r', resultStore: 'tarball' as const }];
    const { byNode } = planNodeExports({ ...t, outputs: [] }, 'amd', nodes, { hasDependents: true });
    expect(byNode['d']).toEqual([{ kind: 'handoff-layout' }]);
    expect(planNodeExports(t, 'amd', nodes, { hasDependents: true }).byNode['d']).toEqual([{ kind: 'engine-store', attrs: { name: 'tsbake-local/amd:latest' } }, { kind: 'handoff-layout' }]);
    // One node: its engine store is the hand-over, by name, as on a builder without nodes.
    expect(planNodeExports(t, 'amd', nodes.slice(0, 1), { hasDependents: true }).byNode['d']).toEqual([{ kind: 'engine-store', attrs: { name: 'tsbake-local/amd:latest' } }]);
  });
});
