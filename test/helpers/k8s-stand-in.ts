/**
 * A STAND-IN FOR A KUBERNETES API SERVER, NOT A CLUSTER. No cluster can run on the test machines, so this
 * small HTTP server answers the few endpoints the kubernetes driver uses, the way a real API server shapes
 * them, and nothing more: ConfigMaps and apps/v1 Deployments in a namespace (create, get, list, replace,
 * merge-patch, delete), the pods a Deployment implies (no scheduler, no kubelet: they turn Running/Ready
 * after a delay, or stay Pending with a waiting reason), pod list by label selector, events, pod logs, and
 * pod exec over WebSocket (channel.k8s.io v4/v5 framing) whose stdin/stdout are relayed to a TCP or unix
 * address — in the tests, a `/grpc` relay to the REAL BuildKit of a test engine, so `buildctl dial-stdio`
 * "in the pod" carries real gRPC. Errors are `Status` objects as a real API server sends them.
 * Every request is recorded so tests can assert what the driver created.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  body?: unknown;
  status: number;
}

export interface RecordedExec {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** false when the stand-in refused the upgrade (failExecs, pod not running). */
  accepted: boolean;
}

export interface StuckPods {
  /** The container's waiting reason, e.g. ImagePullBackOff. */
  reason: string;
  message: string;
  /** Warning events recorded for each pod. */
  events?: { reason: string; message: string }[];
}

export interface StandInOptions {
  /** Pods turn Running/Ready this long after they are created (default 50 ms). */
  readyAfterMs?: number;
  /** Pods never start: they stay Pending with this waiting reason. */
  stuck?: StuckPods;
  /** Where a pod's `buildctl dial-stdio` exec is relayed: a unix socket path or a TCP port on 127.0.0.1. */
  execTarget?: (pod: string) => string | number | undefined;
  /** Refuse this many exec upgrades first (500 "unable to upgrade connection"), as while containers start. */
  failExecs?: number;
  /** When set, requests must carry `Authorization: Bearer <token>`; others get 401. */
  token?: string;
  /** Namespaces where every request gets 403 Forbidden. */
  forbiddenNamespaces?: string[];
  /** Log text of a pod (default: a few buildkitd-like lines). */
  logs?: (pod: string) => string;
}

export interface KubeconfigContext {
  name: string;
  namespace?: string;
  token?: string;
}

export interface K8sStandIn {
  url: string;
  requests: RecordedRequest[];
  execs: RecordedExec[];
  configMaps: Map<string, Json>;
  deployments: Map<string, Json>;
  pods: Map<string, Json>;
  events: Json[];
  /** Write a kubeconfig for this server (http:// with insecure-skip-tls-verify, as client-node requires). */
  writeKubeconfig(file: string, contexts: KubeconfigContext[], current?: string): string;
  /** Pods of a namespace/deployment, sorted by name. */
  podsOf(namespace: string, deployment: string): Json[];
  /** Mark a pod Running/Ready now (tests that control timing themselves). */
  setPodReady(namespace: string, pod: string): void;
  close(): Promise<void>;
}

const key = (ns: string, name: string): string => `${ns}/${name}`;

function status(code: number, reason: string, message: string, details?: Json): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(details ? { details } : {}) };
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Json = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Json) } : {};
  for (const [k, v] of Object.entries(patch as Json)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return k !== undefined && labels?.[k.trim()] === (v ?? '').trim();
  });
}

export async function startK8sStandIn(options: StandInOptions = {}): Promise<K8sStandIn> {
  const readyAfterMs = options.readyAfterMs ?? 50;
  const requests: RecordedRequest[] = [];
  const execs: RecordedExec[] = [];
  const configMaps = new Map<string, Json>();
  const deployments = new Map<string, Json>();
  const pods = new Map<string, Json>();
  const events: Json[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<net.Socket>();
  let failExecs = options.failExecs ?? 0;
  let version = 1;
  const now = (): string => new Date().toISOString();

  function addEvent(ns: string, kind: string, name: string, type: string, reason: string, message: string): void {
    events.push({
      metadata: { name: `${name}.${(version++).toString(16)}`, namespace: ns },
      involvedObject: { kind, name, namespace: ns },
      type,
      reason,
      message,
      count: 1,
      lastTimestamp: now(),
    });
  }

  function setReady(p: Json): void {
    p.status = {
      phase: 'Running',
      podIP: '10.0.0.1',
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: 'True' },
      ],
      containerStatuses: (p.spec.containers as Json[]).map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: now() } },
      })),
    };
    p.metadata.resourceVersion = String(version++);
    addEvent(p.metadata.namespace, 'Pod', p.metadata.name, 'Normal', 'Started', 'Started container (stand-in)');
    updateDeploymentStatus(p.metadata.namespace, p.metadata.labels?.['__deployment'] ?? '');
  }

  function updateDeploymentStatus(ns: string, depName: string): void {
    const d = deployments.get(key(ns, depName));
    if (!d) return;
    const mine = podsOf(ns, depName);
    d.status = {
      replicas: mine.length,
      readyReplicas: mine.filter((p) => p.status.phase === 'Running').length,
      availableReplicas: mine.filter((p) => p.status.phase === 'Running').length,
    };
  }

  function podsOf(ns: string, depName: string): Json[] {
    return [...pods.values()]
      .filter((p) => p.metadata.namespace === ns && p.__owner === depName)
      .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
  }

  /** What the deployment controller and kubelet would do, minus everything real. */
  function reconcile(ns: string, depName: string): void {
    const d = deployments.get(key(ns, depName));
    const existing = podsOf(ns, depName);
    if (!d) {
      for (const p of existing) pods.delete(key(ns, p.metadata.name));
      return;
    }
    const template = d.spec?.template ?? {};
    const hash = createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 10);
    const replicas = typeof d.spec?.replicas === 'number' ? d.spec.replicas : 1;
    for (const p of existing) {
      const idx = Number(String(p.metadata.name).split('-').pop());
      if (p.__hash !== hash || idx >= replicas) pods.delete(key(ns, p.metadata.name));
    }
    for (let i = 0; i < replicas; i++) {
      const name = `${depName}-${hash}-${i}`;
      if (pods.has(key(ns, name))) continue;
      const spec = JSON.parse(JSON.stringify(template.spec ?? { containers: [] })) as Json;
      spec.nodeName = `stand-in-node-${i % 2}`;
      const p: Json = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: ns,
          uid: `uid-${version}`,
          resourceVersion: String(version++),
          creationTimestamp: now(),
          labels: { ...(template.metadata?.labels ?? {}) },
          annotations: { ...(template.metadata?.annotations ?? {}) },
        },
        spec,
        status: {
          phase: 'Pending',
          conditions: [
            { type: 'PodScheduled', status: 'True' },
            { type: 'Ready', status: 'False' },
          ],
          containerStatuses: (spec.containers as Json[]).map((c) => ({
            name: c.name,
            image: c.image,
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ContainerCreating' } },
          })),
        },
      };
      Object.defineProperty(p, '__owner', { value: depName, enumerable: false });
      Object.defineProperty(p, '__hash', { value: hash, enumerable: false });
      pods.set(key(ns, name), p);
      addEvent(ns, 'Pod', name, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${spec.nodeName}`);
      if (options.stuck) {
        const stuck = options.stuck;
        for (const cs of p.status.containerStatuses as Json[]) cs.state = { waiting: { reason: stuck.reason, message: stuck.message } };
        for (const e of stuck.events ?? []) addEvent(ns, 'Pod', name, 'Warning', e.reason, e.message);
      } else {
        const t = setTimeout(() => {
          timers.delete(t);
          if (pods.get(key(ns, name)) === p) setReady(p);
          updateDeploymentStatus(ns, depName);
        }, readyAfterMs);
        timers.add(t);
      }
    }
    updateDeploymentStatus(ns, depName);
  }

  function defaultLogs(pod: string): string {
    return [
      `time="${now()}" level=info msg="auto snapshotter: using overlayfs" pod=${pod}`,
      `time="${now()}" level=info msg="found worker \\"stand-in\\""`,
      `time="${now()}" level=info msg="running server on /run/buildkit/buildkitd.sock"`,
      '',
    ].join('\n');
  }

  async function readBody(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (chunks.length === 0) return undefined;
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  /** 401/403 as a real API server words them; undefined when the request may proceed. */
  function authorize(req: http.IncomingMessage, ns: string | undefined, resource: string, verb: string): [number, Json] | undefined {
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return [401, status(401, 'Unauthorized', 'Unauthorized')];
    }
    if (ns && options.forbiddenNamespaces?.includes(ns)) {
      return [
        403,
        status(403, 'Forbidden', `${resource} is forbidden: User "stand-in-user" cannot ${verb} resource "${resource}" in API group "" in the namespace "${ns}"`, { kind: resource }),
      ];
    }
    return undefined;
  }

  type Collection = { map: Map<string, Json>; kind: string; apiVersion: string; resource: string; onChange?: (ns: string, name: string) => void };
  const collections: Record<string, Collection> = {
    configmaps: { map: configMaps, kind: 'ConfigMap', apiVersion: 'v1', resource: 'configmaps' },
    deployments: { map: deployments, kind: 'Deployment', apiVersion: 'apps/v1', resource: 'deployments', onChange: reconcile },
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    const rec: RecordedRequest = { method, path: url.pathname, query, status: 0 };
    if (body !== undefined) rec.body = body;
    requests.push(rec);
    const send = (code: number, obj: unknown, contentType = 'application/json'): void => {
      rec.status = code;
      res.writeHead(code, { 'Content-Type': contentType });
      res.end(typeof obj === 'string' ? obj : JSON.stringify(obj));
    };

    let m = /^\/(?:api\/v1|apis\/apps\/v1)\/namespaces\/([^/]+)\/(configmaps|deployments)(?:\/([^/]+))?$/.exec(url.pathname);
    if (m) {
      const [, ns = '', res_ = '', name] = m;
      const col = collections[res_]!;
      const verb = { GET: name ? 'get' : 'list', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? method;
      const denied = authorize(req, ns, col.resource, verb);
      if (denied) return send(...denied);
      const notFound = (): void => send(404, status(404, 'NotFound', `${col.resource} "${name}" not found`, { name, kind: col.resource }));
      if (!name && method === 'GET') {
        const items = [...col.map.values()].filter((o) => o.metadata.namespace === ns && matchesSelector(o.metadata.labels, url.searchParams.get('labelSelector') ?? undefined));
        return send(200, { kind: `${col.kind}List`, apiVersion: col.apiVersion, metadata: { resourceVersion: String(version) }, items });
      }
      if (!name && method === 'POST') {
        const obj = body as Json;
        const n = obj?.metadata?.name as string | undefined;
        if (!n) return send(422, status(422, 'Invalid', `${col.kind} is invalid: metadata.name: Required value`));
        if (col.map.has(key(ns, n))) return send(409, status(409, 'AlreadyExists', `${col.resource} "${n}" already exists`));
        const stored: Json = {
          ...obj,
          kind: col.kind,
          apiVersion: col.apiVersion,
          metadata: { ...obj.metadata, namespace: ns, uid: `uid-${version}`, resourceVersion: String(version++), creationTimestamp: now() },
        };
        col.map.set(key(ns, n), stored);
        col.onChange?.(ns, n);
        return send(201, stored);
      }
      if (!name) return send(405, status(405, 'MethodNotAllowed', `${method} not allowed`));
      const live = col.map.get(key(ns, name));
      if (method === 'GET') return live ? send(200, live) : notFound();
      if (method === 'DELETE') {
        if (!live) return notFound();
        col.map.delete(key(ns, name));
        col.onChange?.(ns, name);
        return send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: col.resource } });
      }
      if (method === 'PUT' || method === 'PATCH') {
        if (!live) return notFound();
        let next: Json;
        if (method === 'PUT') {
          const obj = body as Json;
          const rv = obj?.metadata?.resourceVersion as string | undefined;
          if (rv && rv !== live.metadata.resourceVersion) {
            return send(409, status(409, 'Conflict', `Operation cannot be fulfilled on ${col.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`));
          }
          next = { ...obj };
        } else {
          next = mergePatch(live, body) as Json;
        }
        next.kind = col.kind;
        next.apiVersion = col.apiVersion;
        next.metadata = { ...next.metadata, name, namespace: ns, uid: live.metadata.uid, creationTimestamp: live.metadata.creationTimestamp, resourceVersion: String(version++) };
        col.map.set(key(ns, name), next);
        col.onChange?.(ns, name);
        return send(200, next);
      }
      return send(405, status(405, 'MethodNotAllowed', `${method} not allowed`));
    }

    m = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+)(?:\/(log))?)?$/.exec(url.pathname);
    if (m && method === 'GET') {
      const [, ns = '', name, sub] = m;
      const denied = authorize(req, ns, sub ? 'pods/log' : 'pods', name ? 'get' : 'list');
      if (denied) return send(...denied);
      if (!name) {
        const selector = url.searchParams.get('labelSelector') ?? undefined;
        const items = [...pods.values()].filter((p) => p.metadata.namespace === ns && matchesSelector(p.metadata.labels, selector));
        items.sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
        return send(200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(version) }, items });
      }
      const p = pods.get(key(ns, name));
      if (!p) return send(404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }));
      if (!sub) return send(200, p);
      let text = (options.logs ?? defaultLogs)(name);
      const tail = Number(url.searchParams.get('tailLines'));
      if (tail > 0) text = text.trimEnd().split('\n').slice(-tail).join('\n') + '\n';
      return send(200, text, 'text/plain');
    }

    m = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(url.pathname);
    if (m && method === 'GET') {
      const ns = m[1] ?? '';
      const denied = authorize(req, ns, 'events', 'list');
      if (denied) return send(...denied);
      return send(200, { kind: 'EventList', apiVersion: 'v1', metadata: {}, items: events.filter((e) => e.metadata.namespace === ns) });
    }
    send(404, status(404, 'NotFound', `the server could not find the requested resource (stand-in: ${method} ${url.pathname})`));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(status(500, 'InternalError', String(err))));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => {
      for (const p of ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io']) if (protocols.has(p)) return p;
      return false;
    },
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const refuse = (code: number, obj: Json): void => {
      const text = JSON.stringify(obj);
      socket.end(`HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
    };
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    const command = url.searchParams.getAll('command');
    const rec: RecordedRequest = { method: 'GET', path: url.pathname, query: { command, container: url.searchParams.get('container') ?? '' }, status: 0 };
    requests.push(rec);
    if (!m) {
      rec.status = 404;
      return refuse(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    }
    const [, ns = '', podName = ''] = m;
    const exec: RecordedExec = { namespace: ns, pod: podName, container: url.searchParams.get('container') ?? '', command, accepted: false };
    execs.push(exec);
    const denied = authorize(req, ns, 'pods/exec', 'create');
    if (denied) {
      rec.status = denied[0];
      return refuse(...denied);
    }
    const p = pods.get(key(ns, podName));
    if (!p) {
      rec.status = 404;
      return refuse(404, status(404, 'NotFound', `pods "${podName}" not found`));
    }
    if (p.status.phase !== 'Running') {
      rec.status = 400;
      return refuse(400, status(400, 'BadRequest', `pod ${podName} does not have a host assigned or is not running (phase ${p.status.phase})`));
    }
    if (failExecs > 0) {
      failExecs--;
      rec.status = 500;
      return refuse(500, status(500, 'InternalError', `unable to upgrade connection: container not found ("${exec.container}")`));
    }
    exec.accepted = true;
    rec.status = 101;
    wss.handleUpgrade(req, socket, head, (ws) => relayExec(ws, podName, command));
  });

  function sendStatus(ws: WebSocket, obj: Json): void {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(obj))]), () => ws.close(1000));
  }

  /** stdin frames → the pod's target address; its bytes → stdout frames; its end → Status Success. */
  function relayExec(ws: WebSocket, pod: string, command: string[]): void {
    if (command.join(' ') !== 'buildctl dial-stdio') {
      ws.send(Buffer.concat([Buffer.from([2]), Buffer.from(`stand-in: only "buildctl dial-stdio" runs here, not "${command.join(' ')}"\n`)]));
      sendStatus(ws, { metadata: {}, status: 'Failure', reason: 'NonZeroExitCode', message: 'command terminated with non-zero exit code: exit status 127', details: { causes: [{ reason: 'ExitCode', message: '127' }] } });
      return;
    }
    const target = options.execTarget?.(pod);
    if (target === undefined) {
      ws.send(Buffer.concat([Buffer.from([2]), Buffer.from('stand-in: no exec target configured for this pod\n')]));
      sendStatus(ws, { metadata: {}, status: 'Failure', reason: 'NonZeroExitCode', message: 'command terminated with non-zero exit code: exit status 1' });
      return;
    }
    const conn = typeof target === 'number' ? net.connect(target, '127.0.0.1') : net.connect(target);
    sockets.add(conn);
    let finished = false;
    conn.on('data', (chunk: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([1]), chunk]));
    });
    conn.on('end', () => {
      if (finished) return;
      finished = true;
      sendStatus(ws, { metadata: {}, status: 'Success' });
    });
    conn.on('error', (err) => {
      if (finished) return;
      finished = true;
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([2]), Buffer.from(`dial-stdio: ${err.message}\n`)]));
      sendStatus(ws, { metadata: {}, status: 'Failure', reason: 'NonZeroExitCode', message: 'command terminated with non-zero exit code: exit status 1' });
    });
    conn.on('close', () => sockets.delete(conn));
    ws.on('message', (data: Buffer) => {
      if (data.length < 1) return;
      if (data[0] === 0) conn.write(data.subarray(1));
      else if (data[0] === 255 && data[1] === 0) conn.end();
    });
    ws.on('close', () => conn.destroy());
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    execs,
    configMaps,
    deployments,
    pods,
    events,
    podsOf,
    setPodReady(ns, pod) {
      const p = pods.get(key(ns, pod));
      if (p) setReady(p);
    },
    writeKubeconfig(file, contexts, current) {
      const cfg = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'stand-in', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
        users: contexts.map((c) => ({ name: `user-${c.name}`, user: c.token ? { token: c.token } : {} })),
        contexts: contexts.map((c) => ({
          name: c.name,
          context: { cluster: 'stand-in', user: `user-${c.name}`, ...(c.namespace ? { namespace: c.namespace } : {}) },
        })),
        'current-context': current ?? contexts[0]?.name ?? '',
      };
      writeFileSync(file, JSON.stringify(cfg, null, 2));
      return file;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const c of wss.clients) c.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}
