/** BuildKit versions: what a daemon says, and what to go by when it does not say. No imports: the CLI's read-only commands use it. */

/** BuildKit version embedded in a Docker engine release (moby's vendor.mod), for engines whose daemon does not answer Info. */
function buildkitOfDocker(engine: string): string | undefined {
  const major = Number(engine.split('.')[0]);
  if (!Number.isFinite(major)) return undefined;
  if (major <= 19) return 'v0.6';
  if (major === 20) return 'v0.8';
  if (major <= 22) return 'v0.10';
  if (major === 23) return 'v0.10';
  if (major === 24) return 'v0.11';
  if (major === 25) return 'v0.12';
  if (major === 26) return 'v0.13';
  if (major === 27) return 'v0.15';
  return 'v0.20';
}

/**
 * The BuildKit version to go by. Info exists from v0.11 on. Builds without a release version (Docker's
 * embedded BuildKit, a development buildkitd) answer `v0.0.0+unknown`: for the docker driver the
 * engine's release tells the version; for the others such a daemon is at least v0.11 and taken as current
 * (`v0.99`). Undefined: older than v0.11 and nothing else to go by.
 */
export function effectiveBuildkitVersion(infoVersion: string | undefined, engineVersion: string | undefined): string | undefined {
  const unversioned = infoVersion !== undefined && /^v?0\.0\.0/.test(infoVersion);
  const reported = infoVersion && !unversioned ? infoVersion : undefined;
  return reported ?? (engineVersion ? buildkitOfDocker(engineVersion) : undefined) ?? (unversioned ? 'v0.99' : undefined);
}

/** The version as `builder ls`/`inspect` show it. */
export function describeBuildkitVersion(infoVersion: string | undefined, engineVersion: string | undefined): string {
  const v = effectiveBuildkitVersion(infoVersion, engineVersion);
  if (!v) return '(older than v0.11)';
  if (engineVersion && v !== infoVersion) return `${v} (embedded in Docker ${engineVersion})`;
  if (v === 'v0.99') return `${infoVersion} (unreleased build)`;
  return v;
}

