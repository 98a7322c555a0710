/**
 * Builders: the declared ones resolved, plus an implicit `default` (the Docker engine's own BuildKit)
 * when none is declared; and which builder builds each target.
 */
import path from 'node:path';
import type { BuilderConfig, ConfigFile, Scalar } from '../config/types.js';
import { type Problems, suggest } from './problems.js';
import type { DriverSet, ResolvedBuilder } from './types.js';

export const IMPLICIT_BUILDER = 'default';

function flattenOpts(opts: BuilderConfig['driver-opts']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts ?? {})) {
    if (v !== null && typeof v === 'object') {
      for (const [k2, v2] of Object.entries(v as Record<string, Scalar>)) out[`${k}.${k2}`] = String(v2);
    } else out[k] = String(v);
  }
  return out;
}

export function resolveBuilder(name: string, b: BuilderConfig, baseDir: string, drivers: DriverSet, problems: Problems): ResolvedBuilder {
  if (b.nodes !== undefined) return resolveMultiNodeBuilder(name, b, baseDir, drivers, problems);
  // Without `driver`, a builder is a BuildKit container as `docker buildx create` makes by default.
  let driver = drivers.defaultDriver;
  if (b.driver !== undefined) {
    const names = Object.keys(drivers.descriptors);
    if (Object.hasOwn(drivers.descriptors, b.driver)) driver = b.driver;
    else {
      problems.error('invalid-config', ['builder', name, 'driver'], `builder "${name}": unknown driver "${String(b.driver)}" (drivers: ${names.join(', ')})`, {
        suggestion: suggest(String(b.driver), names),
      });
    }
  }
  const driverOpts = flattenOpts(b['driver-opts']);
  const r: ResolvedBuilder = {
    name,
    driver,
    driverOpts,
    platforms: [...(b.platforms ?? [])],
    defaultLoad: driverOpts['default-load'] === 'true',
    implicit: false,
  };
  if (b.endpoint !== undefined) r.endpoint = b.endpoint;
  if (b['buildkitd-config'] !== undefined) r.buildkitdConfig = path.resolve(baseDir, b['buildkitd-config']);
  if (b['buildkitd-config-inline'] !== undefined) r.buildkitdConfigInline = b['buildkitd-config-inline'];
  if (b['buildkitd-flags'] !== undefined) r.buildkitdFlags = b['buildkitd-flags'];
  if (b.parallelism !== undefined) r.parallelism = b.parallelism;
  if (b.push !== undefined) r.push = b.push;
  if (b.description !== undefined) r.description = b.description;
  return r;
}

/**
 * A builder of several daemons: each node resolves like a builder of its own (its driver, endpoint,
 * options and platforms); the builder's platforms are the union of the nodes' declared ones (the
 * daemons add theirs at run time, src/exec/nodes.ts). The builder-wide keys (parallelism, push,
 * buildkitd-*) apply to every node.
 */
function resolveMultiNodeBuilder(name: string, b: BuilderConfig, baseDir: string, drivers: DriverSet, problems: Problems): ResolvedBuilder {
  for (const key of ['driver', 'endpoint', 'driver-opts'] as const) {
    if (b[key] !== undefined) {
      problems.error('invalid-config', ['builder', name, key], `builder "${name}": "${key}" belongs to each of its nodes when the builder declares nodes; move it into the nodes`);
    }
  }
  const seen = new Set<string>();
  const nodes: ResolvedBuilder[] = [];
  for (const [i, n] of (b.nodes ?? []).entries()) {
    if (seen.has(n.name)) {
      problems.error('invalid-config', ['builder', name, 'nodes', i, 'name'], `builder "${name}": two nodes are named "${n.name}"; node names must be unique in a builder`);
      continue;
    }
    seen.add(n.name);
    const { nodes: _none, ...shared } = b;
    const node = resolveBuilder(
      `${name}.${n.name}`,
      {
        ...shared,
        driver: n.driver,
        ...(n['driver-opts'] !== undefined ? { 'driver-opts': n['driver-opts'] } : {}),
        ...(n.endpoint !== undefined ? { endpoint: n.endpoint } : {}),
        ...(n.platforms !== undefined ? { platforms: n.platforms } : { platforms: [] }),
      },
      baseDir,
      drivers,
      problems,
    );
    node.node = n.name;
    nodes.push(node);
  }
  const r: ResolvedBuilder = {
    name,
    // The first node's driver stands for the builder where one driver name is asked for (messages).
    driver: nodes[0]?.driver ?? drivers.defaultDriver,
    driverOpts: {},
    platforms: [...new Set(nodes.flatMap((n) => n.platforms))],
    defaultLoad: nodes.some((n) => n.defaultLoad),
    implicit: false,
    nodes,
  };
  if (b.parallelism !== undefined) r.parallelism = b.parallelism;
  if (b.push !== undefined) r.push = b.push;
  if (b.description !== undefined) r.description = b.description;
  return r;
}

export function resolveBuilders(
  config: ConfigFile,
  baseDir: string,
  env: Record<string, string | undefined>,
  drivers: DriverSet,
  problems: Problems,
): Record<string, ResolvedBuilder> {
  const declared = config.builder ?? {};
  const out: Record<string, ResolvedBuilder> = {};
  for (const name of Object.keys(declared).sort()) out[name] = resolveBuilder(name, declared[name]!, baseDir, drivers, problems);
  if (Object.keys(out).length === 0) {
    const endpoint = drivers.descriptors[drivers.implicitDriver]?.defaultEndpoint?.(env);
    out[IMPLICIT_BUILDER] = {
      name: IMPLICIT_BUILDER,
      driver: drivers.implicitDriver,
      driverOpts: {},
      ...(endpoint !== undefined ? { endpoint } : {}),
      platforms: [],
      defaultLoad: false,
      implicit: true,
    };
  }
  return out;
}

/**
 * Chooses each target's builder, strongest first: --builder, TSBAKE_BUILDER, the target's `builder`,
 * `default-builder`, then the only builder there is (the implicit one, or the single declared one).
 * Returns undefined (and reports) when no choice can be made.
 */
export function createBuilderChooser(
  config: ConfigFile,
  builders: Record<string, ResolvedBuilder>,
  option: string | undefined,
  env: Record<string, string | undefined>,
  problems: Problems,
): (target: string, origin: string, own: string | undefined) => string | undefined {
  const names = Object.keys(builders);
  const reported = new Set<string>();
  const check = (name: string, where: readonly (string | number)[] | undefined, source: string): boolean => {
    if (Object.hasOwn(builders, name)) return true;
    const id = `${source}\0${name}`;
    if (!reported.has(id)) {
      reported.add(id);
      problems.error(where ? 'invalid-config' : 'usage', where, `${source}: unknown builder "${name}" (builders: ${names.join(', ')})`, {
        suggestion: suggest(name, names),
      });
    }
    return false;
  };
  const fromEnv = env.TSBAKE_BUILDER || undefined;
  const fileDefault = config['default-builder'];
  const single = names.length === 1 ? names[0] : undefined;
  return (target, origin, own) => {
    if (option) return check(option, undefined, '--builder') ? option : undefined;
    if (fromEnv) return check(fromEnv, undefined, 'TSBAKE_BUILDER') ? fromEnv : undefined;
    if (own) return check(own, ['target', origin, 'builder'], `target "${target}"`) ? own : undefined;
    if (fileDefault) return check(fileDefault, ['default-builder'], 'default-builder') ? fileDefault : undefined;
    if (single) return single;
    if (!reported.has('\0none')) {
      reported.add('\0none');
      problems.error('invalid-config', ['builder'], `target "${target}" has no builder and several builders are declared (${names.join(', ')}): set "default-builder", or "builder" on the target, or pass --builder`);
    }
    return undefined;
  };
}
