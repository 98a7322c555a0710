export { BuildkitClient, type ConnectOptions } from './client.js';
export { Session, type SessionStats, defaultSharedKey, localName, type SessionOptions, type SecretProvider, type AuthProvider, type SourceProvider } from './session.js';
export { dialDockerGrpc, type DockerDialOptions } from './docker-upgrade.js';
export { BuildkitConnectError, BuildkitConnectionLostError, BuildkitSolveError, BuildkitError, type SourceLocation } from './errors.js';
export { type TransferStats } from './filesync.js';
export { walkDir, type WalkFilter } from './walk.js';
export type * from './types.js';
export { dockerConfigAuth, dockerConfigPath } from './auth.js';
export {
  LayoutContentStore,
  addContentService,
  putIndexEntry,
  indexEntryFor,
  CONTENT_METHODS,
  STORE_ID_HEADER,
  type ContentStoreDir,
  type ContentStoreStats,
} from './content-store.js';
