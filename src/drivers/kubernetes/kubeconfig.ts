/**
 * Finding the cluster: the kubeconfig (the `kubeconfig` option, else KUBECONFIG, else ~/.kube/config), its
 * context (the `context` option, else the current one), falling back to the in-cluster service account;
 * and turning the API's failures into one line that names the kubeconfig, context and namespace.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { TsbakeError } from '../../errors.js';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ClusterAccess {
  kc: KubeConfig;
  /** What to name in messages: the file(s) read, or "in-cluster service account". */
  source: string;
  context: string;
  namespace: string;
}

export interface LoadOptions {
  builder: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  env: Record<string, string | undefined>;
  /** For tests: where the in-cluster service account files live. */
  serviceAccountDir?: string;
}

export function loadClusterAccess(o: LoadOptions): ClusterAccess {
  const kc = new KubeConfig();
  const explicit = o.kubeconfig ?? (o.env.KUBECONFIG || undefined);
  const home = o.env.HOME || homedir();
  const files = explicit
    ? explicit.split(path.delimiter).filter(Boolean)
    : [path.join(home, '.kube', 'config')].filter((f) => existsSync(f));
  const saDir = o.serviceAccountDir ?? SA_DIR;
  const fail = (source: string, context: string, what: string): TsbakeError =>
    new TsbakeError(
      'daemon-unreachable',
      `builder "${o.builder}": ${what} (kubeconfig ${source}, context ${context || '(none)'}, namespace ${o.namespace ?? '(from context)'})`,
    );

  if (files.length === 0) {
    const host = o.env.KUBERNETES_SERVICE_HOST;
    if (host && existsSync(path.join(saDir, 'token'))) {
      const port = o.env.KUBERNETES_SERVICE_PORT ?? '443';
      const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
      kc.loadFromClusterAndUser(
        { name: 'inCluster', server, caFile: path.join(saDir, 'ca.crt'), skipTLSVerify: false },
        { name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile: path.join(saDir, 'token') } } },
      );
      let ns = o.namespace;
      if (!ns) {
        try {
          ns = readFileSync(path.join(saDir, 'namespace'), 'utf8').trim();
        } catch {
          ns = 'default';
        }
      }
      return { kc, source: 'in-cluster service account', context: 'in-cluster', namespace: ns || 'default' };
    }
    throw fail(path.join(home, '.kube', 'config'), o.context ?? '', 'no kubeconfig found and not running in a cluster; set KUBECONFIG or the kubeconfig driver option');
  }

  const source = files.join(path.delimiter);
  for (const [i, file] of files.entries()) {
    if (!existsSync(file)) throw fail(source, o.context ?? '', `kubeconfig file ${file} does not exist`);
    try {
      if (i === 0) kc.loadFromFile(file);
      else {
        // kubectl's rule: the first file to define a name wins (client-node's mergeConfig throws instead).
        const more = new KubeConfig();
        more.loadFromFile(file);
        for (const c of more.getClusters()) if (!kc.getCluster(c.name)) kc.addCluster(c);
        for (const u of more.getUsers()) if (!kc.getUser(u.name)) kc.addUser(u);
        for (const c of more.getContexts()) if (!kc.getContextObject(c.name)) kc.addContext(c);
        if (!kc.getCurrentContext()) kc.setCurrentContext(more.getCurrentContext());
      }
    } catch (err) {
      throw fail(source, o.context ?? '', `cannot read kubeconfig ${file}: ${firstLine(err)}`);
    }
  }
  if (o.context) {
    if (!kc.getContextObject(o.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw fail(source, o.context, `context "${o.context}" is not in the kubeconfig (contexts: ${known.join(', ') || 'none'})`);
    }
    kc.setCurrentContext(o.context);
  }
  const context = kc.getCurrentContext();
  const ctxObj = context ? kc.getContextObject(context) : null;
  if (!ctxObj) throw fail(source, context, 'the kubeconfig has no current context; set the context driver option');
  if (!kc.getCurrentCluster()) throw fail(source, context, `context "${context}" names no known cluster`);
  const namespace = o.namespace || ctxObj.namespace || 'default';
  return { kc, source, context, namespace };
}

/**
 * One line for an API failure. 401 and 403 get their own wording because the fix differs
 * (log in again vs. get a Role in the namespace).
 */
export function describeApiError(access: ClusterAccess, builder: string, doing: string, err: unknown): TsbakeError {
  const where = `(kubeconfig ${access.source}, context ${access.context}, namespace ${access.namespace})`;
  const code = apiStatusCode(err);
  let what: string;
  if (code === 401) {
    what = `the cluster refused the credentials while ${doing} (401 Unauthorized): they are missing or expired; log in again or refresh the kubeconfig`;
  } else if (code === 403) {
    what = `forbidden while ${doing} (403): ${apiMessage(err) || 'the user may not do this in the namespace'}; grant the Role described in docs/kubernetes.md`;
  } else if (code !== undefined) {
    what = `the API server answered ${code} while ${doing}: ${apiMessage(err) || 'no message'}`;
  } else {
    what = `cannot reach the API server ${access.kc.getCurrentCluster()?.server ?? ''} while ${doing}: ${firstLine(err)}`;
  }
  return new TsbakeError('daemon-unreachable', `builder "${builder}": ${what} ${where}`, { cause: err });
}

export function apiStatusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'number') {
    return (err as { code: number }).code;
  }
  return undefined;
}

/** The `message` of the API server's Status body, when there is one. */
export function apiMessage(err: unknown): string {
  if (!(err instanceof ApiException)) return '';
  let body: unknown = err.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return firstLine(body);
    }
  }
  if (body && typeof body === 'object' && 'message' in body) return firstLine(String((body as { message: unknown }).message));
  return '';
}

export function firstLine(err: unknown): string {
  const s = err instanceof Error ? err.message : String(err);
  return (s.split('\n')[0] ?? '').trim();
}
