export { createWatcher, type WatchOptions, type Watcher } from './watcher.js';
export type { WatchEvents, WatchEventName, RebuildSummary } from './events.js';
export { isNoisePath } from './noise.js';
export { createWatchSet, classifyPath, isWatched, type WatchSet, type TargetWatchSpec } from './watch-set.js';
