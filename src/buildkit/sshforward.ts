/**
 * SSH agent forwarding for `RUN --mount=type=ssh`: the session's `moby.sshforward.v1.SSH` service.
 *
 * - `CheckAgent{ID}`: is an agent forwarded under that id? BuildKit asks when it sets up the mount; an
 *   error makes a `required=true` mount fail and an optional one (the default) absent.
 * - `ForwardAgent`: one byte stream (`BytesMessage`) per connection a build makes to its agent socket;
 *   the id is in the metadata `buildkit.ssh.id` (empty means `default`).
 *
 * Each stream is relayed to the agent's unix socket **read-only**, as buildx does: the agent protocol is
 * framed (uint32 length, then a type byte), and only identity listing (11) and signing (13) reach the
 * agent; adding, removing, locking and extensions are answered SSH_AGENT_FAILURE here, so a build can
 * use the user's keys but never change the agent. Requests go one at a time (the protocol is strictly
 * request → response), so answers given here never overtake the agent's.
 */
import net from 'node:net';
import { streamMethod, unaryMethod, type MethodHandler, type ServerCall } from './grpc-server.js';
import { decodeBytesMessage, encodeBytesMessage, GrpcError, Status } from './grpc-wire.js';
import { codec } from './proto.js';

/** The agent socket forwarded under `id`, or undefined when none is. */
export type SshAgentProvider = (id: string) => string | undefined;

export const SSH_METHODS = {
  checkAgent: '/moby.sshforward.v1.SSH/CheckAgent',
  forwardAgent: '/moby.sshforward.v1.SSH/ForwardAgent',
} as const;

export const SSH_ID_KEY = 'buildkit.ssh.id';
export const DEFAULT_SSH_ID = 'default';

const REQUEST_IDENTITIES = 11;
const SIGN_REQUEST = 13;
const ALLOWED = new Set([REQUEST_IDENTITIES, SIGN_REQUEST]);
/** SSH_AGENT_FAILURE (5) as a framed message. */
const FAILURE = Buffer.from([0, 0, 0, 1, 5]);
/** OpenSSH's own limit on an agent message. */
const MAX_MESSAGE = 256 * 1024;

interface BytesMessage {
  data: Buffer;
}

/** The first complete framed agent message of `buf` and what follows it; throws on an oversized frame. */
export function takeMessage(buf: Buffer): [Buffer | undefined, Buffer] {
  if (buf.length < 4) return [undefined, buf];
  const len = buf.readUInt32BE(0);
  if (len > MAX_MESSAGE) throw new Error(`agent message of ${len} bytes is over the ${MAX_MESSAGE}-byte limit`);
  if (buf.length < 4 + len) return [undefined, buf];
  return [buf.subarray(0, 4 + len), buf.subarray(4 + len)];
}

/** The SSH service's methods by path. */
export function sshMethods(provider: SshAgentProvider): [string, MethodHandler][] {
  const check = {
    req: codec<{ ID: string }>('moby.sshforward.v1.CheckAgentRequest'),
    res: codec<Record<string, never>>('moby.sshforward.v1.CheckAgentResponse'),
  };
  const bytes = {
    decode: (b: Buffer): BytesMessage => ({ data: decodeBytesMessage(b) }),
    encode: (m: BytesMessage): Buffer => encodeBytesMessage(m.data),
  };
  return [
    [
      SSH_METHODS.checkAgent,
      unaryMethod(check.req.deserialize, check.res.serialize, (req) => {
        const id = req.ID || DEFAULT_SSH_ID;
        if (provider(id) === undefined) throw notForwarded(id);
        return {};
      }),
    ],
    [SSH_METHODS.forwardAgent, streamMethod(bytes.decode, bytes.encode, (call) => forward(call, provider))],
  ];
}

function notForwarded(id: string): GrpcError {
  return new GrpcError(Status.NOT_FOUND, `no SSH agent forwarded as "${id}": add ssh: ["${id}"] to the target (or --set TARGET.ssh=${id})`);
}

function forward(call: ServerCall<BytesMessage, BytesMessage>, provider: SshAgentProvider): void {
  const id = call.metadata.get(SSH_ID_KEY)?.[0] || DEFAULT_SSH_ID;
  const socket = provider(id);
  if (socket === undefined) {
    call.sendStatus(Status.NOT_FOUND, notForwarded(id).details);
    return;
  }
  const agent = net.createConnection(socket);
  let fromBuild: Buffer = Buffer.alloc(0);
  let fromAgent: Buffer = Buffer.alloc(0);
  let waiting = false;
  let done = false;

  const finish = (err?: Error): void => {
    if (done) return;
    done = true;
    agent.destroy();
    if (err) call.sendStatus(Status.UNAVAILABLE, `SSH agent "${id}" (${socket}): ${err.message}`);
    else call.end();
  };
  /** The next complete message of `buf` and the rest; on an oversized frame ends the stream, returns undefined. */
  const next = (buf: Buffer): [Buffer | undefined, Buffer] | undefined => {
    try {
      return takeMessage(buf);
    } catch (err) {
      finish(err as Error);
      return undefined;
    }
  };
  const pump = (): void => {
    while (!waiting && !done) {
      const got = next(fromBuild);
      if (!got) return;
      const [msg, rest] = got;
      fromBuild = rest;
      if (!msg) return;
      if (msg.length > 4 && ALLOWED.has(msg[4]!)) {
        waiting = true;
        agent.write(msg);
      } else {
        call.write({ data: FAILURE });
      }
    }
  };

  call.on('data', (m: BytesMessage) => {
    fromBuild = fromBuild.length === 0 ? Buffer.from(m.data) : Buffer.concat([fromBuild, m.data]);
    pump();
  });
  call.on('end', () => finish());
  call.on('cancelled', () => finish());
  call.on('error', () => finish());
  agent.on('data', (chunk: Buffer) => {
    fromAgent = fromAgent.length === 0 ? chunk : Buffer.concat([fromAgent, chunk]);
    for (;;) {
      const got = next(fromAgent);
      if (!got) return;
      const [msg, rest] = got;
      fromAgent = rest;
      if (!msg) break;
      call.write({ data: Buffer.from(msg) });
      waiting = false;
    }
    pump();
  });
  agent.on('error', (err) => finish(err));
  agent.on('close', () => finish());
}
