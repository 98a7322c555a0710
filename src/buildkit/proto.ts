/**
 * The protobuf types of the subset of the BuildKit API tsbake speaks (definitions in proto-text.ts),
 * their codecs for the gRPC layer, and the wire shapes of the messages tsbake reads.
 */
import protobuf from 'protobufjs/light.js';
import { descriptor, statics } from './proto-gen.js';

/** The generated functions of one message type (see scripts/gen-proto.mjs); each factory takes the scope protobufjs would give it. */
interface TypeStatics {
  ctor: (this: Record<string, unknown>, p?: Record<string, unknown>) => void;
  encode: (Writer: unknown, types: unknown[], util: unknown) => protobuf.Type['encode'];
  decode: (Reader: unknown, types: unknown[], util: unknown) => protobuf.Type['decode'];
  fromObject: (types: unknown[], util: unknown) => protobuf.Type['fromObject'];
  toObject: (types: unknown[], util: unknown) => protobuf.Type['toObject'];
}

// The definitions come as a prebuilt JSON descriptor and each type's codec as prebuilt functions
// (src/buildkit/proto-gen.ts, generated from proto-text.ts by `npm run build`): nothing is parsed and no
// `new Function` runs at start-up, and V8's code cache (src/code-cache.ts) holds the functions.
// `addJSON`, not `Root.fromJSON`, which resolves every type at once (and gives each a constructor made by
// `new Function`): the generator checked the references, and each type resolves its own fields on first use.
const root = new protobuf.Root().addJSON((descriptor as protobuf.INamespace).nested!);
const table = statics as unknown as Record<string, TypeStatics>;

/**
 * Does what protobufjs's `Type#setup` does on a type's first encode/decode (it replaces the type's
 * methods with its generated functions), with the prebuilt functions instead; `verify` (unused by
 * tsbake) keeps protobufjs's own generator.
 */
function setupStatic(this: protobuf.Type): protobuf.Type {
  const s = table[this.fullName];
  if (!s) return protobuf.Type.prototype.setup.call(this);
  // The constructor goes in first: resolving a field sets its default on `ctor.prototype`, and the
  // `ctor` getter would otherwise generate one (`new Function`). The setter resolves the fields.
  this.ctor = s.ctor as unknown as protobuf.Constructor<object>;
  const types: unknown[] = [];
  for (const f of this.fieldsArray) types.push(f.resolve().resolvedType);
  const util = protobuf.util;
  this.encode = s.encode(protobuf.Writer, types, util);
  this.decode = s.decode(protobuf.Reader, types, util);
  this.verify = (message) => protobuf.verifier(this)({ types, util })(message);
  this.fromObject = s.fromObject(types, util);
  this.toObject = s.toObject(types, util);
  const wrapper = (protobuf.wrappers as Record<string, protobuf.IWrapper | undefined>)[this.fullName];
  if (wrapper) {
    const original = Object.create(this) as protobuf.Type;
    original.fromObject = this.fromObject;
    this.fromObject = wrapper.fromObject!.bind(original);
    original.toObject = this.toObject;
    this.toObject = wrapper.toObject!.bind(original);
  }
  return this;
}

(function install(ns: protobuf.NamespaceBase): void {
  for (const o of ns.nestedArray) {
    if (o instanceof protobuf.Type) o.setup = setupStatic;
    if (o instanceof protobuf.Namespace) install(o);
  }
})(root);

export function protoType(name: string): protobuf.Type {
  return root.lookupType(name);
}

/** fsutil packet types (wire.proto `Packet.PacketType`). */
export const PacketType = { STAT: 0, REQ: 1, DATA: 2, FIN: 3, ERR: 4 } as const;

/** Go os.FileMode type bits as they travel in fsutil Stat.mode. */
export const GoMode = {
  dir: 0x80000000,
  symlink: 1 << 27,
  device: 1 << 26,
  namedPipe: 1 << 25,
  socket: 1 << 24,
  setuid: 1 << 23,
  setgid: 1 << 22,
  charDevice: 1 << 21,
  sticky: 1 << 20,
} as const;

/** Encode/decode helpers for the gRPC layer (grpc-client.ts, grpc-server.ts). Decoding yields plain objects (longs as numbers, bytes as Buffers). */
export interface Codec<T> {
  serialize(value: T): Buffer;
  deserialize(buf: Buffer): T;
}

export function codec<T>(typeName: string): Codec<T> {
  const t = protoType(typeName);
  return {
    serialize(value: T): Buffer {
      return Buffer.from(t.encode(t.fromObject(value as Record<string, unknown>)).finish());
    },
    deserialize(buf: Buffer): T {
      return t.toObject(t.decode(buf), { longs: Number, bytes: Buffer, defaults: true, arrays: true, objects: true }) as T;
    },
  };
}

// Wire shapes (plain objects as produced by `codec().deserialize`).
export interface PbTimestamp {
  seconds: number;
  nanos: number;
}
export interface PbVertex {
  digest: string;
  inputs: string[];
  name: string;
  cached: boolean;
  started?: PbTimestamp | null;
  completed?: PbTimestamp | null;
  error: string;
}
export interface PbVertexStatus {
  ID: string;
  vertex: string;
  name: string;
  current: number;
  total: number;
  timestamp?: PbTimestamp | null;
  started?: PbTimestamp | null;
  completed?: PbTimestamp | null;
}
export interface PbVertexLog {
  vertex: string;
  timestamp?: PbTimestamp | null;
  stream: number;
  msg: Buffer;
}
export interface PbRange {
  start?: { line: number; character: number } | null;
  end?: { line: number; character: number } | null;
}
export interface PbVertexWarning {
  vertex: string;
  level: number;
  short: Buffer;
  detail: Buffer[];
  url: string;
  info?: { filename: string; data: Buffer } | null;
  ranges: PbRange[];
}
export interface PbStatusResponse {
  vertexes: PbVertex[];
  statuses: PbVertexStatus[];
  logs: PbVertexLog[];
  warnings: PbVertexWarning[];
}
export interface PbStat {
  path: string;
  mode: number;
  uid?: number;
  gid?: number;
  size: number | string;
  /** Unix ns; a decimal string on the way out keeps full int64 precision. */
  modTime: number | string;
  linkname: string;
  devmajor?: number;
  devminor?: number;
}
export interface PbPacket {
  type: number;
  stat?: PbStat | null;
  ID: number;
  data?: Buffer | Uint8Array;
}
export interface PbBuildkitVersion {
  package: string;
  version: string;
  revision: string;
}
export interface PbWorkerRecord {
  ID: string;
  Labels: Record<string, string>;
  platforms: { Architecture: string; OS: string; Variant: string; OSVersion: string; OSFeatures: string[] }[];
  GCPolicy: unknown[];
  BuildkitVersion?: PbBuildkitVersion | null;
}
export interface PbUsageRecord {
  ID: string;
  Mutable: boolean;
  InUse: boolean;
  Size: number;
  Parent: string;
  CreatedAt?: PbTimestamp | null;
  LastUsedAt?: PbTimestamp | null;
  UsageCount: number;
  Description: string;
  RecordType: string;
  Shared: boolean;
  Parents: string[];
}

/** containerd WriteAction (content.proto): STAT answers the ingest's state, WRITE appends, COMMIT ends it. */
export const WriteAction = { STAT: 0, WRITE: 1, COMMIT: 2 } as const;
export interface PbContentInfo {
  digest: string;
  size: number;
  created_at?: PbTimestamp | null;
  updated_at?: PbTimestamp | null;
  labels: Record<string, string>;
}
export interface PbContentStatus {
  started_at?: PbTimestamp | null;
  updated_at?: PbTimestamp | null;
  ref: string;
  offset: number;
  total: number;
  expected: string;
}
export interface PbWriteContentRequest {
  action: number;
  ref: string;
  total: number;
  expected: string;
  offset: number;
  data: Buffer;
  labels: Record<string, string>;
}
export interface PbWriteContentResponse {
  action: number;
  started_at?: PbTimestamp | null;
  updated_at?: PbTimestamp | null;
  offset: number;
  total: number;
  digest: string;
}
