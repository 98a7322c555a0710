import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TsbakeError } from '../../src/errors.js';
import { loadClusterAccess } from '../../src/drivers/kubernetes/kubeconfig.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tsbake-kc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function kubeconfig(name: string, contexts: { name: string; namespace?: string; server?: string }[], current?: string): string {
  const file = path.join(tmp, name);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: contexts.map((c) => ({ name: `c-${c.name}`, cluster: { server: c.server ?? `https://${c.name}.example:6443` } })),
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: contexts.map((c) => ({ name: c.name, context: { cluster: `c-${c.name}`, user: 'u', ...(c.namespace ? { namespace: c.namespace } : {}) } })),
      'current-context': current ?? contexts[0]?.name ?? '',
    }),
  );
  return file;
}

function dangling(): string {
  const file = path.join(tmp, 'dangling');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [], users: [{ name: 'u', user: {} }], contexts: [{ name: 'lost', context: { cluster: 'gone', user: 'u' } }], 'current-context': 'lost' }));
  return file;
}

describe('loadClusterAccess', () => {
  const a = kubeconfig('a', [{ name: 'dev', namespace: 'dev-ns' }, { name: 'prod' }]);
  const b = kubeconfig('b', [{ name: 'other', namespace: 'other-ns' }]);

  it.each([
    ['current context and its namespace', {}, 'dev', 'dev-ns', 'https://dev.example:6443'],
    ['context option', { context: 'prod' }, 'prod', 'default', 'https://prod.example:6443'],
    ['namespace option wins', { namespace: 'mine' }, 'dev', 'mine', 'https://dev.example:6443'],
  ])('%s', (_what, o, context, namespace, server) => {
    const acc = loadClusterAccess({ builder: 'b', env: { KUBECONFIG: a, HOME: tmp }, ...o });
    expect(acc.context).toBe(context);
    expect(acc.namespace).toBe(namespace);
    expect(acc.source).toBe(a);
    expect(acc.kc.getCurrentCluster()?.server).toBe(server);
  });

  it('merges KUBECONFIG files, the first one setting the current context', () => {
    const acc = loadClusterAccess({ builder: 'b', env: { KUBECONFIG: `${a}${path.delimiter}${b}`, HOME: tmp }, context: 'other' });
    expect(acc.namespace).toBe('other-ns');
    expect(acc.source).toBe(`${a}${path.delimiter}${b}`);
    expect(loadClusterAccess({ builder: 'b', env: { KUBECONFIG: `${a}${path.delimiter}${b}`, HOME: tmp } }).context).toBe('dev');
  });

  it('the kubeconfig option wins over KUBECONFIG; ~/.kube/config is the default', () => {
    expect(loadClusterAccess({ builder: 'b', env: { KUBECONFIG: a, HOME: tmp }, kubeconfig: b }).context).toBe('other');
    const home = path.join(tmp, 'home');
    mkdirSync(path.join(home, '.kube'), { recursive: true });
    writeFileSync(path.join(home, '.kube', 'config'), JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'h', cluster: { server: 'https://home:6443' } }], users: [{ name: 'u', user: {} }], contexts: [{ name: 'home', context: { cluster: 'h', user: 'u' } }], 'current-context': 'home' }));
    const acc = loadClusterAccess({ builder: 'b', env: { HOME: home } });
    expect(acc.context).toBe('home');
    expect(acc.source).toBe(path.join(home, '.kube', 'config'));
  });

  it('falls back to the in-cluster service account', () => {
    const sa = path.join(tmp, 'sa');
    mkdirSync(sa, { recursive: true });
    writeFileSync(path.join(sa, 'token'), 'tok');
    writeFileSync(path.join(sa, 'ca.crt'), '');
    writeFileSync(path.join(sa, 'namespace'), 'ci\n');
    const acc = loadClusterAccess({ builder: 'b', env: { HOME: path.join(tmp, 'nohome'), KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa });
    expect(acc.source).toBe('in-cluster service account');
    expect(acc.namespace).toBe('ci');
    expect(acc.kc.getCurrentCluster()?.server).toBe('https://10.0.0.1:443');
  });

  it.each([
    ['no kubeconfig and not in a cluster', { env: { HOME: path.join(tmp, 'nohome') } }, /no kubeconfig found and not running in a cluster/],
    ['a file that is not a kubeconfig', { kubeconfig: __filename, env: {} }, /cannot read kubeconfig/],
    ['a context that names no cluster', { kubeconfig: dangling(), env: {} }, /context "lost" names no known cluster/],
  ])('%s', (_what, o, re) => {
    const run = () => loadClusterAccess({ builder: 'b', serviceAccountDir: path.join(tmp, 'nosa'), ...(o as { env: Record<string, string> }) });
    let err: unknown;
    try {
      run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TsbakeError);
    expect((err as TsbakeError).reason).toBe('daemon-unreachable');
    expect((err as TsbakeError).message).toMatch(re);
    expect((err as TsbakeError).message).toMatch(/\(kubeconfig .*, context .*, namespace .*\)$/);
    expect((err as TsbakeError).message).not.toContain('\n');
  });
});
