/**
 * The entitlement rules as functions: --allow parsing, what --set grants, which paths a target uses,
 * real paths through symlinks and `..`, and the flags listed for what is missing.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowFlags,
  grantedBySet,
  missingEntitlements,
  parseAllow,
  realExistingPrefix,
  requestedAccess,
} from '../../src/plan/entitlements.js';
import type { ResolvedTarget } from '../../src/plan/types.js';
import { resolvedTarget } from '../helpers/targets.js';

function target(over: Partial<ResolvedTarget>): ResolvedTarget {
  return resolvedTarget({ name: 'app', context: '/p', ...over });
}

describe('parseAllow', () => {
  it.each([
    [['fs.read=/a'], { read: ['/a'], write: [] }],
    [['fs.write=b'], { read: [], write: ['/cwd/b'] }],
    [['fs=../c'], { read: ['/c'], write: ['/c'] }],
  ])('%j', (values, want) => {
    const a = parseAllow(values, '/cwd');
    expect({ read: a.read, write: a.write }).toEqual(want);
  });

  it('* and the named entitlements', () => {
    const a = parseAllow(['fs.read=*', 'network.host', 'security.insecure'], '/cwd');
    expect(a.anyRead).toBe(true);
    expect(a.anyWrite).toBe(false);
    expect([...a.entitlements].sort()).toEqual(['network.host', 'security.insecure']);
  });

  it.each([['fs.exec=/'], ['fs.read'], ['image.push=x']])('%j is a usage error', (v) => {
    expect(() => parseAllow([v], '/cwd')).toThrow(/--allow/);
  });
});

describe('grantedBySet', () => {
  it('output/cache-to dest writable, cache-from/secrets src and ssh paths readable, entitlements granted', () => {
    const g = grantedBySet(
      ['app.output=type=local,dest=../out', '*.cache-to=type=local,dest=/c', 'app.cache-from=type=local,src=cf', 'app.secrets=id=x,src=/s', 'app.ssh=k=/k1,/k2', 'app.entitlements=network.host', 'app.args.X=/etc'],
      '/cwd',
    );
    expect(g.write).toEqual(['/out', '/c']);
    expect(g.read).toEqual(['/cwd/cf', '/s', '/k1', '/k2']);
    expect([...g.entitlements]).toEqual(['network.host']);
  });
});

describe('requestedAccess', () => {
  it('collects each path kind and entitlement', () => {
    const r = requestedAccess([
      target({
        context: '/p',
        dockerfile: '../df/Dockerfile',
        contexts: { a: { kind: 'local', path: '/nc' }, b: { kind: 'target', target: 'x' }, c: { kind: 'image', ref: 'busybox' }, d: { kind: 'url', url: 'https://x/y.git' } },
        secrets: [{ id: 's', source: { kind: 'file', path: '/sec' } }, { id: 'e', source: { kind: 'env', env: 'E' } }],
        ssh: [{ id: 'k', paths: ['/key', '$SSH_AUTH_SOCK'] }],
        cacheFrom: [{ type: 'local', attrs: { src: '/cf' } }, { type: 'registry', attrs: { ref: 'r' } }],
        cacheTo: [{ type: 'local', attrs: { dest: '/ct' } }],
        outputs: [
          { type: 'local', attrs: { dest: '/o1' } },
          { type: 'tar', attrs: { dest: '-' } },
          { type: 'oci', attrs: { dest: '/o2' } },
          { type: 'docker', attrs: {} },
          { type: 'image', attrs: { push: 'true' } },
        ],
        entitlements: ['security.insecure'],
        network: 'host',
      }),
    ]);
    expect(r.reads.map((u) => u.path)).toEqual(['/p', '/df/Dockerfile', '/nc', '/sec', '/key', '/cf']);
    expect(r.writes.map((u) => u.path)).toEqual(['/ct', '/o1', '/o2']);
    expect([...r.entitlements.keys()].sort()).toEqual(['network.host', 'security.insecure']);
  });

  it('a remote context and an inline Dockerfile read nothing local', () => {
    const r = requestedAccess([target({ context: 'https://example.com/r.git', contextIsLocal: false, dockerfileInline: 'FROM scratch' })]);
    expect(r.reads).toEqual([]);
  });
});

describe('real paths', () => {
  let root = '';
  beforeAll(async () => {
    root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-ent-')));
    await fs.mkdir(path.join(root, 'proj/sub'), { recursive: true });
    await fs.mkdir(path.join(root, 'outside'));
    await fs.symlink('../outside', path.join(root, 'proj/out-link'));
    await fs.symlink(path.join(root, 'outside/missing/x'), path.join(root, 'proj/dangling'));
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it.each([
    ['proj/sub/../sub', 'proj/sub', ''],
    ['proj/out-link/new/file', 'outside', 'new/file'],
    ['proj/dangling', 'outside', 'missing/x'],
    ['proj/sub/../../outside', 'outside', ''],
  ])('%s → %s + %s', async (p, real, rest) => {
    const r = await realExistingPrefix(path.join(root, p));
    expect(r).toEqual({ real: path.join(root, real), rest });
  });

  it('missing paths are deduplicated under a common parent and listed as flags', async () => {
    const cwd = path.join(root, 'proj');
    const m = await missingEntitlements(
      [
        target({
          context: cwd,
          contexts: { a: { kind: 'local', path: path.join(root, 'outside') }, b: { kind: 'local', path: path.join(cwd, 'out-link/deeper') } },
          cacheTo: [{ type: 'local', attrs: { dest: path.join(root, 'outside') } }],
          entitlements: ['network.host'],
        }),
      ],
      parseAllow([], cwd),
      cwd,
    );
    expect(m.read).toEqual([path.join(root, 'outside')]);
    expect(allowFlags(m, cwd)).toEqual(['--allow=network.host', '--allow=fs=../outside']);
    const ok = await missingEntitlements([target({ context: path.join(cwd, 'out-link') })], parseAllow(['fs.read=out-link'], cwd), cwd);
    expect(ok.read).toEqual([]);
  });
});
