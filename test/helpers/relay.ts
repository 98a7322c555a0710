/**
 * A relay that turns a Docker engine's embedded BuildKit into a standalone-looking endpoint for the
 * tests (remote driver over unix/tcp/TLS, docker-container stand-in, Kubernetes stand-in).
 *
 * The engine answers `POST /grpc` with `Upgrade: h2c` by `101 Switching Protocols`; after the response
 * headers the same socket speaks gRPC (HTTP/2 with prior knowledge). This is how the docker CLI reaches
 * the engine's BuildKit (moby api/server/router/grpc). Per accepted connection the relay opens the
 * engine socket, performs that upgrade, drops the response headers and pipes both ways.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';

export interface RelayTlsOptions {
  /** PEM contents, or a path to a PEM file. */
  key: string | Buffer;
  cert: string | Buffer;
  /** CA used to verify client certificates. */
  ca?: string | Buffer;
  /** Ask for (and require) a client certificate signed by `ca`. */
  requestCert?: boolean;
}

export interface GrpcRelayOptions {
  /** The engine's API socket: a path or a `unix://` address. */
  engineSocket: string;
  listen: { unix: string } | { tcp: { host: string; port: number } };
  tls?: RelayTlsOptions;
  /** Accepted connections wait for this before the relay opens the engine side (a slow endpoint). */
  hold?: Promise<unknown>;
  /** Called as each connection is accepted (before `hold`), so a test can act while a client connects. */
  onAccept?: (count: number) => void;
}

export interface GrpcRelay {
  /** `unix:///path` or `tcp://127.0.0.1:port` */
  address: string;
  /** The TCP port when listening on TCP (0 for unix). */
  port: number;
  /** Connections accepted and still open. */
  activeConnections(): number;
  /** Connections accepted since start (tests use it to tell that a client came through the relay). */
  acceptedConnections(): number;
  /** Stop listening and destroy every open connection. */
  close(): Promise<void>;
}

const MAX_HEADER_BYTES = 16 * 1024;

export function socketPathOf(address: string): string {
  return address.startsWith('unix://') ? address.slice('unix://'.length) : address;
}

async function pem(value: string | Buffer | undefined): Promise<string | Buffer | undefined> {
  if (value === undefined || Buffer.isBuffer(value) || value.includes('-----BEGIN')) return value;
  return readFile(value);
}

/**
 * Open the engine socket and upgrade it to h2c. `ready` resolves with any bytes the engine sent after
 * the response headers (they belong to the HTTP/2 stream); the socket is returned at once so callers
 * can track (and destroy) it while the upgrade is under way.
 */
export function upgradeEngineSocket(engineSocket: string): { socket: net.Socket; ready: Promise<Buffer> } {
  const socket = net.connect(socketPathOf(engineSocket));
  const ready = new Promise<Buffer>((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > MAX_HEADER_BYTES) fail(new Error('engine sent an oversized HTTP response to POST /grpc'));
        return;
      }
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('close', onClose);
      socket.on('error', () => socket.destroy());
      socket.pause();
      const head = buffered.subarray(0, end).toString('latin1');
      const statusLine = head.split('\r\n', 1)[0] ?? '';
      if (!/^HTTP\/1\.[01] 101 /.test(statusLine)) {
        fail(new Error(`engine at ${engineSocket} refused the h2c upgrade of POST /grpc: ${statusLine}`));
        return;
      }
      resolve(buffered.subarray(end + 4));
    };
    const onClose = (): void => fail(new Error(`engine at ${engineSocket} closed the connection during POST /grpc`));
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onClose);
    socket.on('connect', () => {
      socket.write(
        'POST /grpc HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n',
      );
    });
  });
  return { socket, ready };
}

export async function startGrpcRelay(options: GrpcRelayOptions): Promise<GrpcRelay> {
  const open = new Set<net.Socket>();
  let accepted = 0;

  const track = (socket: net.Socket): void => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };

  let stopped = false;
  const onClient = (client: net.Socket): void => {
    if (stopped) {
      client.destroy();
      return;
    }
    accepted += 1;
    track(client);
    // Hold what the client sends (the HTTP/2 preface) until the engine side is upgraded.
    client.pause();
    client.on('error', () => client.destroy());
    options.onAccept?.(accepted);
    if (options.hold) {
      void options.hold.then(() => {
        if (!client.destroyed && !stopped) relayTo(client);
      });
    } else relayTo(client);
  };

  const relayTo = (client: net.Socket): void => {
    const { socket: upstream, ready } = upgradeEngineSocket(options.engineSocket);
    track(upstream);
    // Either side ending or failing ends the other; no half-open pairs are left behind.
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
    ready.then(
      (rest) => {
        if (rest.length > 0) client.write(rest);
        upstream.pipe(client);
        client.pipe(upstream);
        upstream.resume();
        client.resume();
      },
      () => client.destroy(),
    );
  };

  let server: net.Server;
  if (options.tls) {
    const key = await pem(options.tls.key);
    const cert = await pem(options.tls.cert);
    const ca = await pem(options.tls.ca);
    server = tls.createServer(
      {
        key,
        cert,
        ...(ca !== undefined ? { ca } : {}),
        requestCert: options.tls.requestCert ?? false,
        rejectUnauthorized: options.tls.requestCert ?? false,
        // gRPC clients (grpc-go ≥ 1.67, grpc-js) expect ALPN to settle on h2.
        ALPNProtocols: ['h2'],
      },
      onClient,
    );
    // Failed handshakes (wrong CA, no client certificate) are expected in tests; don't crash.
    server.on('tlsClientError', () => {});
  } else {
    server = net.createServer(onClient);
  }

  let address: string;
  let port = 0;
  if ('unix' in options.listen) {
    const socketPath = options.listen.unix;
    await mkdir(path.dirname(socketPath), { recursive: true });
    await rm(socketPath, { force: true });
    await listen(server, { path: socketPath });
    address = `unix://${socketPath}`;
  } else {
    const { host, port: wanted } = options.listen.tcp;
    await listen(server, { host, port: wanted });
    const info = server.address();
    if (info === null || typeof info === 'string') throw new Error('relay: no TCP address after listen');
    port = info.port;
    address = `tcp://${host}:${port}`;
  }

  let closing: Promise<void> | undefined;
  return {
    address,
    port,
    activeConnections: () => open.size,
    acceptedConnections: () => accepted,
    close() {
      closing ??= (async () => {
        stopped = true;
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        const socketsClosed = [...open].map(
          (socket) =>
            new Promise<void>((resolve) => {
              // Still in `open`, so its 'close' event is yet to come (even if `closed` is already set).
              socket.once('close', () => resolve());
              socket.destroy();
            }),
        );
        await Promise.all([serverClosed, ...socketsClosed]);
      })();
      return closing;
    },
  };
}

function listen(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export interface TlsFiles {
  dir: string;
  caCert: string;
  caKey: string;
  /** For 127.0.0.1 (IP SAN) and localhost (DNS SAN). */
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second CA that signed nothing above: for "wrong CA" tests. */
  otherCaCert: string;
  otherCaKey: string;
  /** A client certificate signed by the other CA (rejected by a relay trusting `caCert`). */
  otherClientCert: string;
  otherClientKey: string;
}

/** Generate a CA, server and client certificates (and an unrelated CA) with openssl into `dir`. */
export async function generateTlsFiles(dir: string): Promise<TlsFiles> {
  await mkdir(dir, { recursive: true });
  const f = (name: string): string => path.join(dir, name);
  const files: TlsFiles = {
    dir,
    caCert: f('ca.pem'),
    caKey: f('ca-key.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server-key.pem'),
    clientCert: f('client.pem'),
    clientKey: f('client-key.pem'),
    otherCaCert: f('other-ca.pem'),
    otherCaKey: f('other-ca-key.pem'),
    otherClientCert: f('other-client.pem'),
    otherClientKey: f('other-client-key.pem'),
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  const makeCa = async (cert: string, key: string, cn: string): Promise<void> => {
    await execa('openssl', [
      'req', '-x509', ...ec, '-keyout', key, '-out', cert, '-days', '7', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  };
  const makeLeaf = async (
    cert: string, key: string, cn: string, caCert: string, caKey: string, extensions: string,
  ): Promise<void> => {
    const csr = `${cert}.csr`;
    const ext = `${cert}.ext`;
    await execa('openssl', ['req', '-new', ...ec, '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
    await writeFile(ext, extensions);
    await execa('openssl', [
      'x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-out', cert, '-days', '7',
      '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-extfile', ext,
    ]);
    await rm(csr, { force: true });
    await rm(ext, { force: true });
  };

  const serverExt =
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' +
    'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n';
  const clientExt =
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

  await Promise.all([
    makeCa(files.caCert, files.caKey, 'tsbake-test-ca'),
    makeCa(files.otherCaCert, files.otherCaKey, 'tsbake-test-other-ca'),
  ]);
  await Promise.all([
    makeLeaf(files.serverCert, files.serverKey, 'localhost', files.caCert, files.caKey, serverExt),
    makeLeaf(files.clientCert, files.clientKey, 'tsbake-test-client', files.caCert, files.caKey, clientExt),
    makeLeaf(
      files.otherClientCert, files.otherClientKey, 'tsbake-test-other-client',
      files.otherCaCert, files.otherCaKey, clientExt,
    ),
  ]);
  return files;
}
