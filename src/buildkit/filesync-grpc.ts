/**
 * A grpc-js server call as the FileSync sender's PacketCall (filesync.ts). grpc-js writes one message
 * per write and waits for each one's callback before the next, so a batch of frames goes to the call's
 * HTTP/2 stream directly when grpc-js's call object has the shape this was written against (1.14:
 * the stream and the response headers of `BaseServerInterceptingCall`); otherwise the call itself is
 * returned, and the sender writes each frame's message through it (`encodePacket`, the FileSync
 * serializer, passes bytes through). Drop this file when the session's gRPC server changes: the
 * sender takes a PacketCall, or any message Duplex as a MessageCall.
 */
import type { ServerHttp2Stream } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type { MessageCall, PacketCall } from './filesync.js';
import type { PbPacket } from './proto.js';

type FileSyncCall = grpc.ServerDuplexStream<PbPacket, PbPacket | Uint8Array>;

/** grpc-js 1.14's BaseServerInterceptingCall, as far as this adapter uses it. */
interface BaseCall {
  stream: ServerHttp2Stream;
  metadataSent: boolean;
  sendMetadata(md: grpc.Metadata): void;
  nextCall?: unknown;
}

function baseCallOf(call: FileSyncCall): BaseCall | undefined {
  let c = (call as unknown as { call?: unknown }).call;
  // Interceptors wrap the base call (none are installed today).
  for (let depth = 0; depth < 8 && c !== undefined && c !== null; depth++) {
    const b = c as Partial<BaseCall>;
    if (b.stream && typeof b.stream.write === 'function' && typeof b.sendMetadata === 'function' && typeof b.metadataSent === 'boolean') return b as BaseCall;
    c = b.nextCall;
  }
  return undefined;
}

export function grpcPacketCall(call: FileSyncCall): PacketCall | MessageCall {
  const base = baseCallOf(call);
  if (!base) return call as unknown as MessageCall;
  const h2 = base.stream;
  return {
    writeFrames(frames: Buffer): boolean {
      // A call the daemon has gone from: its 'close' / 'cancelled' ends the transfer.
      if (h2.destroyed || h2.writableEnded) return false;
      if (!base.metadataSent) base.sendMetadata(new grpc.Metadata());
      return h2.write(frames);
    },
    end: () => call.end(),
    get destroyed() {
      return call.destroyed || h2.destroyed;
    },
    get writableEnded() {
      return call.writableEnded;
    },
    on(event: string, listener: (...args: never[]) => void) {
      (event === 'drain' ? h2 : call).on(event, listener as (...args: unknown[]) => void);
      return this;
    },
    off(event: string, listener: (...args: never[]) => void) {
      (event === 'drain' ? h2 : call).off(event, listener as (...args: unknown[]) => void);
      return this;
    },
  } as PacketCall;
}
