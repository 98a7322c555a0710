/** Telling a compose file from the others, apart from the compose mapper (loaded only for one). */

/** Whether a parsed YAML/JSON value is a compose file (bake: it has `services`). */
export function isComposeValue(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, 'services');
}
