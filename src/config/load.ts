/**
 * loadConfig: find the files, parse, validate each against the schema, merge (builders.yaml first,
 * then the -f files in order), resolve variables, interpolate, check. Every problem of every file is
 * collected and thrown at once as TsbakeError('invalid-config').
 */
import { access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { TsbakeError, type Diagnostic } from '../errors.js';
import { checkConfig } from './check.js';
import { mergeConfigs } from './merge.js';
import { readConfigFile, type KeyPath, type ParsedFile, type PositionPart } from './parse.js';
import { validateStructure } from './schema.js';
import { formatKeyPath } from './suggest.js';
import type { BuilderConfig, ConfigFile, LoadedConfig, LoadOptions, SourcePos } from './types.js';
import { interpolateConfig, resolveVariables, type InterpolationIssue } from './variables.js';

/** Looked for in this order when no -f is given; the first that exists is used. */
export const DEFAULT_CONFIG_FILES = ['tsbake.yaml', 'tsbake.yml', 'tsbake.json', 'docker-bake.json'] as const;
export const BUILDERS_FILES = ['builders.yaml', 'builders.yml'] as const;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The default config file in cwd, as a one-element list, or [] when there is none. */
export async function findConfigFiles(cwd: string): Promise<string[]> {
  for (const name of DEFAULT_CONFIG_FILES) {
    const p = resolve(cwd, name);
    if (await exists(p)) return [p];
  }
  return [];
}

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  let files = (options.files ?? []).map((f) => resolve(cwd, f));
  if (files.length === 0) {
    files = await findConfigFiles(cwd);
    if (files.length === 0) {
      throw new TsbakeError('usage', `no config file found in ${cwd} (looked for ${DEFAULT_CONFIG_FILES.join(', ')})`);
    }
  }
  const baseDir = dirname(files[0] as string);

  const parsed: ParsedFile[] = await Promise.all(files.map((f) => readConfigFile(f)));
  let buildersFile: ParsedFile | undefined;
  for (const name of BUILDERS_FILES) {
    const p = join(baseDir, name);
    if (!files.includes(p) && (await exists(p))) {
      buildersFile = await readConfigFile(p);
      break;
    }
  }
  const all = buildersFile ? [...parsed, buildersFile] : parsed;

  const diagnostics: Diagnostic[] = [];
  for (const p of all) {
    diagnostics.push(...p.diagnostics);
    if (p.diagnostics.length === 0) diagnostics.push(...validateStructure(p, p === buildersFile ? 'builders' : 'config'));
  }
  if (diagnostics.length > 0) throw invalid(diagnostics);

  // builders.yaml is merged first so the config's own entries (whole, per builder name) win.
  const order = buildersFile ? [all.length - 1, ...parsed.map((_, i) => i)] : parsed.map((_, i) => i);
  const { config: merged, provenance } = mergeConfigs(
    order.map((i) => ({ value: (all[i] as ParsedFile).value as ConfigFile, fileIndex: i })),
  );

  const positionOf = (path: KeyPath, part: PositionPart = 'key'): SourcePos | undefined => {
    const origin = provenance.resolve(path);
    if (!origin) return undefined;
    return (all[origin.file] as ParsedFile).positionOf(origin.path, part);
  };

  const issues: InterpolationIssue[] = [];
  const variables = resolveVariables(merged, env, issues);
  const config = normalize(interpolateConfig(merged, variables, issues));
  for (const issue of issues) diagnostics.push(interpolationDiagnostic(issue, provenance.resolve(issue.path), all, positionOf));
  for (const c of checkConfig(config)) {
    const pos = positionOf(c.path, c.part);
    const d: Diagnostic = { file: pos?.file ?? '', line: pos?.line ?? 0, column: pos?.column ?? 0, message: c.message, key: formatKeyPath(c.path), severity: 'error' };
    if (c.suggestion !== undefined) d.suggestion = c.suggestion;
    diagnostics.push(d);
  }
  if (diagnostics.length > 0) throw invalid(diagnostics);

  return { config, files: all.map((p) => p.file), baseDir, positionOf: (path) => positionOf(path), variables };
}

function invalid(diagnostics: Diagnostic[]): TsbakeError {
  diagnostics.sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : 0));
  const files = new Set(diagnostics.map((d) => d.file).filter(Boolean));
  const n = diagnostics.length;
  return new TsbakeError(
    'invalid-config',
    `invalid configuration: ${n} problem${n === 1 ? '' : 's'}${files.size > 0 ? ` in ${[...files].join(', ')}` : ''}`,
    { diagnostics },
  );
}

/** Points at the `${NAME}` inside the string when the source text holds it verbatim. */
function interpolationDiagnostic(
  issue: InterpolationIssue,
  origin: { file: number; path: (string | number)[] } | undefined,
  all: ParsedFile[],
  positionOf: (path: KeyPath, part?: PositionPart) => SourcePos | undefined,
): Diagnostic {
  let pos = positionOf(issue.path, 'value');
  const src = origin ? all[origin.file] : undefined;
  const range = src && origin ? src.valueRange(origin.path) : undefined;
  if (src && range) {
    const text = src.text.slice(range[0], range[1]);
    let idx = -1;
    for (let n = 0; n <= issue.occurrence; n++) {
      idx = text.indexOf(issue.token, idx + 1);
      if (idx < 0) break;
    }
    if (idx >= 0) pos = src.posAt(range[0] + idx);
  }
  const d: Diagnostic = {
    file: pos?.file ?? src?.file ?? '',
    line: pos?.line ?? 0,
    column: pos?.column ?? 0,
    message: `${issue.message} (in ${formatKeyPath(issue.path)})`,
    key: formatKeyPath(issue.path),
    severity: 'error',
  };
  if (issue.suggestion !== undefined) d.suggestion = issue.suggestion;
  return d;
}

/** Nested driver options (`env: {FOO: x}`) become the flat form (`env.FOO: x`) drivers read. */
function normalize(config: ConfigFile): ConfigFile {
  if (!config.builder) return config;
  const builder: Record<string, BuilderConfig> = {};
  for (const [name, b] of Object.entries(config.builder)) {
    const opts = b['driver-opts'];
    if (!opts) {
      builder[name] = b;
      continue;
    }
    const flat: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(opts)) {
      if (v !== null && typeof v === 'object') for (const [sub, sv] of Object.entries(v)) flat[`${k}.${sub}`] = sv;
      else flat[k] = v;
    }
    builder[name] = { ...b, 'driver-opts': flat };
  }
  return { ...config, builder };
}
