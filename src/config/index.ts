export { loadConfig, findConfigFiles, DEFAULT_CONFIG_FILES, BUILDERS_FILES } from './load.js';
export { parseConfigText, MAX_CONFIG_BYTES, type ParsedConfig, type KeyPath, type PositionPart } from './parse.js';
export { MERGE_RULES } from './merge.js';
export type * from './types.js';
