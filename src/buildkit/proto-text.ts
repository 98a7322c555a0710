/**
 * tsbake's own protobuf definitions for the subset of the BuildKit API it speaks. Written from the
 * public protocol facts (field names and numbers as in moby/buildkit's control.proto, worker.proto,
 * ops.proto, tonistiigi/fsutil's wire.proto/stat.proto, the session secrets/auth protos and
 * grpc.health.v1); the facts they rely on are in src/buildkit/README.md. Field names keep upstream spelling
 * so JSON dumps compare easily with buildctl's debug output.
 *
 * Nothing imports this module at run time: `npm run build` (scripts/gen-proto.mjs) turns these texts into
 * src/buildkit/proto-gen.ts (a JSON descriptor and static encoders/decoders), which src/buildkit/proto.ts
 * loads. After editing a text here, run `node scripts/gen-proto.mjs` (or `npm run build`); the unit test
 * buildkit-proto-gen.test.ts fails while the generated module is stale. Each text is one
 * `export const NAME = \`…\`;` with no `${}` (the generator reads this file as text).
 */

export const PROTO = `
syntax = "proto3";

package google.protobuf;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message Any { string type_url = 1; bytes value = 2; }
`;

// google.rpc.Status as carried in grpc-status-details-bin, and BuildKit's errdefs.Source detail
// (Source{1 info SourceInfo, 2 ranges}).
export const RPC = `
syntax = "proto3";
package google.rpc;
message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
`;

export const CONTROL = `
syntax = "proto3";
package moby.buildkit.v1;

message PruneRequest {
  repeated string filter = 1;
  bool all = 2;
  int64 keepDuration = 3;
  int64 keepBytes = 4;
}
message DiskUsageRequest { repeated string filter = 1; }
message DiskUsageResponse { repeated UsageRecord record = 1; }
message UsageRecord {
  string ID = 1;
  bool Mutable = 2;
  bool InUse = 3;
  int64 Size = 4;
  string Parent = 5;
  google.protobuf.Timestamp CreatedAt = 6;
  google.protobuf.Timestamp LastUsedAt = 7;
  int64 UsageCount = 8;
  string Description = 9;
  string RecordType = 10;
  bool Shared = 11;
  repeated string Parents = 12;
}

// pb.Definition is treated as an opaque holder of marshalled LLB ops (field 1); the metadata map (2)
// and source (3) are not produced by tsbake.
message Definition { repeated bytes def = 1; }

message Exporter {
  string Type = 1;
  map<string, string> Attrs = 2;
}

message SolveRequest {
  string Ref = 1;
  Definition Definition = 2;
  string Exporter = 3;
  map<string, string> ExporterAttrs = 4;
  string Session = 5;
  string Frontend = 6;
  map<string, string> FrontendAttrs = 7;
  CacheOptions Cache = 8;
  repeated string Entitlements = 9;
  map<string, Definition> FrontendInputs = 10;
  bool Internal = 11;
  repeated Exporter Exporters = 13;
}
message CacheOptions {
  repeated CacheOptionsEntry Exports = 4;
  repeated CacheOptionsEntry Imports = 5;
}
message CacheOptionsEntry {
  string Type = 1;
  map<string, string> Attrs = 2;
}
message SolveResponse { map<string, string> ExporterResponse = 1; }

message StatusRequest { string Ref = 1; }
message StatusResponse {
  repeated Vertex vertexes = 1;
  repeated VertexStatus statuses = 2;
  repeated VertexLog logs = 3;
  repeated VertexWarning warnings = 4;
}
message Vertex {
  string digest = 1;
  repeated string inputs = 2;
  string name = 3;
  bool cached = 4;
  google.protobuf.Timestamp started = 5;
  google.protobuf.Timestamp completed = 6;
  string error = 7;
}
message VertexStatus {
  string ID = 1;
  string vertex = 2;
  string name = 3;
  int64 current = 4;
  int64 total = 5;
  google.protobuf.Timestamp timestamp = 6;
  google.protobuf.Timestamp started = 7;
  google.protobuf.Timestamp completed = 8;
}
message VertexLog {
  string vertex = 1;
  google.protobuf.Timestamp timestamp = 2;
  int64 stream = 3;
  bytes msg = 4;
}
message Position { int32 line = 1; int32 character = 2; }
message Range { Position start = 1; Position end = 2; }
message SourceInfo { string filename = 1; bytes data = 2; }
message VertexWarning {
  string vertex = 1;
  int64 level = 2;
  bytes short = 3;
  repeated bytes detail = 4;
  string url = 5;
  SourceInfo info = 6;
  repeated Range ranges = 7;
}
message BytesMessage { bytes data = 1; }
message ErrSource { SourceInfo info = 1; repeated Range ranges = 2; }

message Platform {
  string Architecture = 1;
  string OS = 2;
  string Variant = 3;
  string OSVersion = 4;
  repeated string OSFeatures = 5;
}
message GCPolicy {
  bool all = 1;
  int64 keepDuration = 2;
  int64 keepBytes = 3;
  repeated string filters = 4;
}
message BuildkitVersion {
  string package = 1;
  string version = 2;
  string revision = 3;
}
message WorkerRecord {
  string ID = 1;
  map<string, string> Labels = 2;
  repeated Platform platforms = 3;
  repeated GCPolicy GCPolicy = 4;
  BuildkitVersion BuildkitVersion = 5;
}
message ListWorkersRequest { repeated string filter = 1; }
message ListWorkersResponse { repeated WorkerRecord record = 1; }
message InfoRequest {}
message InfoResponse { BuildkitVersion buildkitVersion = 1; }
`;

export const SESSION = `
syntax = "proto3";
package fsutil.types;
message Stat {
  string path = 1;
  uint32 mode = 2;
  uint32 uid = 3;
  uint32 gid = 4;
  int64 size = 5;
  int64 modTime = 6;
  string linkname = 7;
  int64 devmajor = 8;
  int64 devminor = 9;
  map<string, bytes> xattrs = 10;
}
message Packet {
  int32 type = 1;
  Stat stat = 2;
  uint32 ID = 3;
  bytes data = 4;
}
`;

export const SERVICES = `
syntax = "proto3";
package moby.filesync.v1;
message CredentialsRequest { string Host = 1; }
message CredentialsResponse { string Username = 1; string Secret = 2; }
`;

export const SECRETS = `
syntax = "proto3";
package moby.buildkit.secrets.v1;
message GetSecretRequest { string ID = 1; map<string, string> annotations = 2; }
message GetSecretResponse { bytes data = 1; }
`;

// moby.sshforward.v1 (session/sshforward/ssh.proto): CheckAgent and a byte stream per agent connection.
export const SSHFORWARD = `
syntax = "proto3";
package moby.sshforward.v1;
message BytesMessage { bytes data = 1; }
message CheckAgentRequest { string ID = 1; }
message CheckAgentResponse {}
`;

export const HEALTH = `
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse { int32 status = 1; }
`;

// containerd's content service (api/services/content/v1/content.proto, containerd 1.x field numbers),
// served in the session as BuildKit's client-side content store. Only the messages are declared: the
// service is registered with custom serializers.
export const CONTENT = `
syntax = "proto3";
package containerd.services.content.v1;
message Info {
  string digest = 1;
  int64 size = 2;
  google.protobuf.Timestamp created_at = 3;
  google.protobuf.Timestamp updated_at = 4;
  map<string, string> labels = 5;
}
message InfoRequest { string digest = 1; }
message InfoResponse { Info info = 1; }
message FieldMask { repeated string paths = 1; }
message UpdateRequest { Info info = 1; FieldMask update_mask = 2; }
message UpdateResponse { Info info = 1; }
message ListContentRequest { repeated string filters = 1; }
message ListContentResponse { repeated Info info = 1; }
message DeleteContentRequest { string digest = 1; }
message ReadContentRequest { string digest = 1; int64 offset = 2; int64 size = 3; }
message ReadContentResponse { int64 offset = 1; bytes data = 2; }
message Status {
  google.protobuf.Timestamp started_at = 1;
  google.protobuf.Timestamp updated_at = 2;
  string ref = 3;
  int64 offset = 4;
  int64 total = 5;
  string expected = 6;
}
message StatusRequest { string ref = 1; }
message StatusResponse { Status status = 1; }
message ListStatusesRequest { repeated string filters = 1; }
message ListStatusesResponse { repeated Status statuses = 1; }
message WriteContentRequest {
  int32 action = 1;
  string ref = 2;
  int64 total = 3;
  string expected = 4;
  int64 offset = 5;
  bytes data = 6;
  map<string, string> labels = 7;
}
message WriteContentResponse {
  int32 action = 1;
  google.protobuf.Timestamp started_at = 2;
  google.protobuf.Timestamp updated_at = 3;
  int64 offset = 4;
  int64 total = 5;
  string digest = 6;
}
message AbortRequest { string ref = 1; }
message Empty {}
`;
