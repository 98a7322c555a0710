export { createWatcher, type WatchOptions, type Watcher, type WatchEventMap } from './watcher.js';
export type { WatchEvent, WatchEventOf, WatchEventType, RebuildSummary } from '../events.js';
export { isNoisePath } from './noise.js';
export { createWatchSet, classifyPath, isWatched, type WatchSet, type TargetWatchSpec } from './watch-set.js';
