/**
 * The docker-container driver, described: a BuildKit container tsbake creates in a Docker engine (as
 * `docker buildx create` does by default). Its results reach the local engine as streamed tarballs.
 */
import type { DriverDescriptor } from '../types.js';
import { STANDALONE_CAPABILITIES } from '../standalone.js';
import { dockerHostIssue } from '../endpoint.js';

export const dockerContainerDescriptor: DriverDescriptor = {
  name: 'docker-container',
  summary: 'a BuildKit container',
  optionsSchema: {
    type: 'object',
    title: 'docker-container driver options',
    properties: {
      image: { type: 'string', description: 'BuildKit image to run (default moby/buildkit:buildx-stable-1).' },
      network: { type: 'string', description: 'Docker network mode of the BuildKit container.' },
      memory: { $ref: '#/$defs/scalar', description: 'Memory limit of the container, e.g. 2g.' },
      'memory-swap': { $ref: '#/$defs/scalar', description: 'Memory plus swap limit, e.g. 4g (-1: unlimited).' },
      'cpu-period': { $ref: '#/$defs/scalar', description: 'CPU CFS period in microseconds.' },
      'cpu-quota': { $ref: '#/$defs/scalar', description: 'CPU CFS quota in microseconds.' },
      'cpu-shares': { $ref: '#/$defs/scalar', description: 'Relative CPU weight.' },
      'cpuset-cpus': { $ref: '#/$defs/scalar', description: 'CPUs the container may use, e.g. 0-3.' },
      'cpuset-mems': { $ref: '#/$defs/scalar', description: 'Memory nodes the container may use.' },
      'cgroup-parent': { type: 'string', description: 'Parent cgroup of the container.' },
      'restart-policy': { type: 'string', description: 'Docker restart policy (default unless-stopped).' },
      env: { $ref: '#/$defs/scalarMap', description: 'Environment variables of the BuildKit container (also written env.NAME: value).' },
      'default-load': { $ref: '#/$defs/boolish', description: 'Load the result into Docker when a target has no output.' },
      privileged: {
        $ref: '#/$defs/boolish',
        description: 'tsbake: run the BuildKit container privileged (default true); false runs it unprivileged (rootless BuildKit image recommended).',
      },
    },
    patternProperties: { '^env\\..+$': { $ref: '#/$defs/scalar', description: 'An environment variable of the BuildKit container.' } },
    additionalProperties: false,
  },
  resultStore: 'tarball',
  capabilities: () => ({ ...STANDALONE_CAPABILITIES }),
  daemonMayAdd: {},
  refine: (caps) => caps,
  checkBuilder: (name, b) => dockerHostIssue(name, b.endpoint),
  load: async () => (await import('./index.js')).createDockerContainerDriver,
};
