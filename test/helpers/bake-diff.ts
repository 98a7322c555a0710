/**
 * The differential harness: the same fixture directory, arguments and environment through
 * `docker buildx bake --print` (the reference binary, $TSBAKE_TEST_BUILDX, buildx 0.29.1 from Debian,
 * installed by scripts/test-env.sh) and `tsbake print`, compared as parsed JSON.
 *
 * The one rule for tsbake's own additions: the top-level `builder` block and each target's `builder`
 * and `depends-on` keys are removed from tsbake's print before comparing. Nothing else is.
 *
 * A fixture is a directory under test/fixtures/bake/ with bake files and an optional `cases.json`:
 * a list of `{ "name"?, "args"?: string[], "env"?: {…}, "error"?: true, "unorderedGroups"?: true, "list"?: "targets" }` (default: one case, no
 * arguments, so the default file lookup is exercised). `error` cases must fail in both, tsbake with
 * exit 2 and a `file:line:column: message` diagnostic.
 */
import { execa } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, repoRoot } from './cli.js';

export const FIXTURES = path.join(repoRoot, 'test/fixtures/bake');

export interface DiffCase {
  name?: string;
  args?: string[];
  env?: Record<string, string>;
  error?: boolean;
  /**
   * Compare groups' `targets` as sorted lists: buildx orders a multi-axis matrix's forks by Go map
   * iteration, so its own order changes from run to run.
   */
  unorderedGroups?: boolean;
  /** `--list` spec: compare `bake --list X` with `tsbake print --list X`, output text for text. */
  list?: string;
}

export interface Fixture {
  name: string;
  dir: string;
  cases: DiffCase[];
}

export function listFixtures(): Fixture[] {
  return fs
    .readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = path.join(FIXTURES, name);
      const casesFile = path.join(dir, 'cases.json');
      const cases = fs.existsSync(casesFile) ? (JSON.parse(fs.readFileSync(casesFile, 'utf8')) as DiffCase[]) : [{}];
      return { name, dir, cases };
    });
}

/** The reference binary, or an error that says how to get it. The suite never skips. */
export function buildxBinary(): string {
  const b = process.env.TSBAKE_TEST_BUILDX;
  if (!b || !fs.existsSync(b)) {
    throw new Error(
      'TSBAKE_TEST_BUILDX is not set (or the file is missing): the differential tests need docker buildx 0.29.1. Run `bash scripts/test-env.sh` and `source /var/lib/tsbake-test/env.sh` (npm test does both).',
    );
  }
  return b;
}

let home: string | undefined;
/** A clean environment: no DOCKER_*, BUILDX_*, COMPOSE_* or variables of the machine leak into either side. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  home ??= fs.mkdtempSync(path.join(os.tmpdir(), 'tsbake-diff-home-'));
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, DOCKER_CONFIG: path.join(home, '.docker'), CI: 'true', ...extra };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runBuildx(dir: string, c: DiffCase): Promise<RunResult> {
  const r = await execa(buildxBinary(), ['bake', ...(c.list !== undefined ? ['--list', c.list] : ['--print']), '--progress', 'quiet', ...(c.args ?? [])], {
    cwd: dir,
    env: cleanEnv(c.env),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export async function runTsbake(dir: string, c: DiffCase): Promise<RunResult> {
  const r = await execa(bin, ['print', ...(c.list !== undefined ? ['--list', c.list] : []), ...(c.args ?? [])], {
    cwd: dir,
    env: cleanEnv(c.env),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Groups' target lists sorted (for `unorderedGroups` cases). */
export function sortGroups(printed: Record<string, unknown>): Record<string, unknown> {
  const groups = printed.group as Record<string, { targets: string[] }> | undefined;
  if (groups) for (const g of Object.values(groups)) g.targets = [...g.targets].sort();
  return printed;
}

/** tsbake's print without its documented additions. */
export function stripAdditions(printed: Record<string, unknown>): Record<string, unknown> {
  const out = { ...printed };
  delete out.builder;
  const targets = out.target as Record<string, Record<string, unknown>> | undefined;
  if (targets) {
    const t2: Record<string, Record<string, unknown>> = {};
    for (const [name, t] of Object.entries(targets)) {
      const { builder: _b, 'depends-on': _d, ...rest } = t;
      t2[name] = rest;
    }
    out.target = t2;
  }
  return out;
}
