/** Endpoint checks shared by the drivers that reach a Docker engine. */
import type { BuilderIssue } from './types.js';

const DOCKER_HOST = /^(unix|tcp|ssh|npipe):\/\//;

/** An `endpoint` that is not a Docker host address. */
export function dockerHostIssue(name: string, endpoint: string | undefined): BuilderIssue[] {
  if (endpoint === undefined || DOCKER_HOST.test(endpoint)) return [];
  return [{ path: ['builder', name, 'endpoint'], part: 'value', message: `endpoint of builder "${name}" must be a Docker host (unix://, tcp://, ssh:// or npipe://), got "${endpoint}"` }];
}
