/**
 * The refusals made before anything is sent to a daemon, from what each builder's driver can do (the
 * descriptors' tables, src/drivers/<name>/descriptor.ts, passed in through PlanOptions). Messages use
 * buildx's words where buildx has them (build/build.go notSupported) and always name target and builder.
 */
import type { Diagnostic } from '../errors.js';
import type { DriverCapabilities, Plan, ResolvedBuilder, TypedEntry } from './types.js';

const SWITCH = 'Switch to a different driver, or turn on the containerd image store, and try again.';

/** Whether an output writes an image tarball (refused where tarballOutput is false). */
export function isTarballOutput(o: TypedEntry): boolean {
  return o.type === 'tar' || o.type === 'oci' || (o.type === 'docker' && o.attrs.dest !== undefined);
}

export type PositionLookup = (path: readonly (string | number)[]) => { file: string; line: number; column: number } | undefined;

/**
 * Every refusal for the plan's targets and the builders they use. `origin` maps a target (a matrix
 * fork) to the target block it was written in, for positions.
 */
export function checkCapabilities(
  plan: Plan,
  caps: (b: ResolvedBuilder) => DriverCapabilities,
  where?: { positionOf?: PositionLookup; origin?: (target: string) => string },
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const diag = (path: (string | number)[], message: string): void => {
    const pos = where?.positionOf?.(path);
    out.push({ file: pos?.file ?? '', line: pos?.line ?? 0, column: pos?.column ?? 0, key: path.join('.'), message, severity: 'error' });
  };
  const builderUsers = new Map<string, string[]>();
  for (const name of Object.keys(plan.targets).sort()) {
    const t = plan.targets[name]!;
    const builder = plan.builders[t.builder];
    if (!builder) continue;
    const users = builderUsers.get(builder.name) ?? [];
    users.push(name);
    builderUsers.set(builder.name, users);
    const c = caps(builder);
    const origin = where?.origin?.(name) ?? name;
    const who = `target "${name}" (builder "${builder.name}")`;
    const driver = `the ${builder.driver} driver`;
    const daemon = c.daemon ?? `the daemon of builder "${builder.name}"`;

    if (c.cacheExport === 'inline') {
      t.cacheTo.forEach((e, i) => {
        if (e.type !== 'inline') diag(['target', origin, 'cache-to', i], `${who}: Cache export is not supported for ${driver}. ${SWITCH} (type=${e.type}; only type=inline works here)`);
      });
    }
    if (!c.tarballOutput) {
      t.outputs.forEach((o, i) => {
        if (!isTarballOutput(o)) return;
        const what = o.type === 'oci' ? 'OCI exporter' : o.type === 'docker' ? 'Docker exporter' : 'Tar exporter';
        diag(['target', origin, 'output', i], `${who}: ${what} is not supported for ${driver}. ${SWITCH}`);
      });
    }
    if (!c.multiPlatform && t.platforms.length > 1) {
      diag(['target', origin, 'platforms'], `${who}: Multi-platform build is not supported for ${driver}. ${SWITCH} (platforms: ${t.platforms.join(', ')})`);
    }
    const contextNames = Object.keys(t.contexts);
    if (!c.namedContexts && contextNames.length > 0) {
      diag(['target', origin, 'contexts'], `${who}: named contexts (${contextNames.join(', ')}) are not supported by ${daemon}; they need BuildKit v0.10 or newer. Use a builder with a newer BuildKit (for example the docker-container driver)`);
    }
    // Frontend attributes newer than the connected daemon: refused, not silently ignored by it.
    if (c.buildkitMinor !== undefined) {
      const needs: [boolean, string, number][] = [
        [t.shmSize !== undefined, 'shm-size', 10],
        [t.ulimits.length > 0, 'ulimits', 10],
        [t.attest.length > 0, 'attest', 11],
      ];
      for (const [used, field, minor] of needs) {
        if (used && c.buildkitMinor < minor) {
          diag(['target', origin, field], `${who}: ${field} is not supported by ${daemon}; it needs BuildKit v0.${minor} or newer. Remove it, or use a builder with a newer BuildKit`);
        }
      }
    }
    if (!c.multipleExporters && t.outputs.length > 1) {
      const list = t.outputs.map((o) => `type=${o.type}`).join(', ');
      diag(['target', origin, 'output'], `${who}: ${daemon} supports one output per build, but ${t.outputs.length} are planned (${list}). Keep one (--load and --push each add one), or use a builder with BuildKit v0.13 or newer`);
    }
  }
  for (const [name, users] of [...builderUsers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const b = plan.builders[name]!;
    if (caps(b).buildkitConfig) continue;
    const why = caps(b).buildkitConfigRefusal ?? 'the BuildKit daemon is managed externally';
    const fields: [string, unknown][] = [
      ['buildkitd-config', b.buildkitdConfig],
      ['buildkitd-config-inline', b.buildkitdConfigInline],
      ['buildkitd-flags', b.buildkitdFlags],
    ];
    for (const [field, value] of fields) {
      if (value === undefined) continue;
      diag(['builder', name, field], `builder "${name}" (${b.driver} driver, used by target "${users[0]}"${users.length > 1 ? ` and ${users.length - 1} more` : ''}): ${field} is not supported for the ${b.driver} driver: ${why}. Remove it, or use the docker-container or kubernetes driver`);
    }
  }
  return out;
}
