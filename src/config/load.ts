/**
 * loadConfig: find the files, tell each file's kind, read each kind its way, merge, resolve tsbake's
 * variables, check. Every problem of every file is collected and thrown at once as
 * TsbakeError('invalid-config').
 *
 * Kinds (bake's ParseFiles order of trying): a YAML/JSON file with `services` is a compose file; then
 * `.hcl`, or any file that is neither JSON nor YAML, is HCL; a `.json` file is HCL's JSON syntax unless it
 * is tsbake's (named tsbake.json, or with `$schema`, `builder` or `default-builder`); other YAML is
 * tsbake YAML (with `${NAME}` variables of its own).
 *
 * Merge order, later wins (bake's Target.Merge rules, src/config/merge.ts): builders.yaml, then the
 * compose files, then the HCL and JSON files evaluated together as one body (bake's MergeFiles), then
 * tsbake's YAML/JSON files — tsbake's own layer on top, whatever the -f order between kinds.
 */
import { access } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { TsbakeError, type Diagnostic } from '../errors.js';
import { checkConfig } from './check.js';
import { isComposeValue } from './compose/detect.js';
import type { BakeSource } from './hcl/index.js';
import { mergeConfigs } from './merge.js';
import { needsYaml, parseFileText, preloadYaml, readConfigFile, readConfigText, type KeyPath, type ParsedFile, type PositionPart } from './parse.js';
import { formatKeyPath } from './suggest.js';
import type { BuilderConfig, ConfigFile, LoadedConfig, LoadOptions, SourcePos, VariableInfo } from './types.js';
import { interpolateConfig, loadExpressionEvaluator, needsExpressionEvaluator, resolveVariables, type InterpolationIssue } from './variables.js';

/** tsbake's own files, looked for first (the first one found). */
export const TSBAKE_CONFIG_FILES = ['tsbake.yaml', 'tsbake.yml', 'tsbake.json'] as const;
/** bake's default files (buildx defaultFilenames: compose-go's names, then bake's): every one found is read. */
export const BAKE_DEFAULT_FILES = [
  'compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml',
  'docker-bake.json', 'docker-bake.hcl', 'docker-bake.override.json', 'docker-bake.override.hcl',
] as const;
/** Everything the default lookup considers, in order. */
export const DEFAULT_CONFIG_FILES = [...TSBAKE_CONFIG_FILES, ...BAKE_DEFAULT_FILES] as const;
export const BUILDERS_FILES = ['builders.yaml', 'builders.yml'] as const;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The default config files in cwd: the first tsbake file, then every bake default file that exists. */
export async function findConfigFiles(cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of TSBAKE_CONFIG_FILES) {
    const p = resolve(cwd, name);
    if (await exists(p)) {
      out.push(p);
      break;
    }
  }
  for (const name of BAKE_DEFAULT_FILES) {
    const p = resolve(cwd, name);
    if (await exists(p)) out.push(p);
  }
  return out;
}

/** One contributor to the merge, with a way back to positions in its file(s). */
interface Source {
  value: ConfigFile;
  positionOf(path: KeyPath, part?: PositionPart): SourcePos | undefined;
  /** tsbake YAML/JSON (and builders.yaml): for pointing inside interpolated strings. */
  parsed?: ParsedFile;
}

type Kind = 'compose' | 'hcl' | 'json' | 'tsbake';

/** What kind of file this is, and its YAML/JSON parse when it has one. */
function classify(file: string, text: string): { kind: Kind; parsed?: ParsedFile } {
  const ext = extname(file).toLowerCase();
  if (ext === '.hcl') return { kind: 'hcl' };
  const parsed = parseFileText(text, file);
  const ok = parsed.diagnostics.length === 0 && parsed.value !== undefined;
  if (ok && isComposeValue(parsed.value)) return { kind: 'compose', parsed };
  if (ext === '.json') {
    const v = parsed.value as Record<string, unknown> | undefined;
    const tsbake = basename(file).toLowerCase().startsWith('tsbake') || (ok && v !== undefined && ('$schema' in v || 'builder' in v || 'default-builder' in v));
    return tsbake || !ok ? { kind: 'tsbake', parsed } : { kind: 'json' };
  }
  if (ext === '.yaml' || ext === '.yml') return { kind: 'tsbake', parsed };
  // Neither JSON nor YAML (or YAML that is not a map, as HCL often reads): HCL.
  return ok ? { kind: 'tsbake', parsed } : { kind: 'hcl' };
}

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const vars = options.vars ?? {};
  let files = (options.files ?? []).map((f) => resolve(cwd, f));
  if (files.length === 0) {
    files = await findConfigFiles(cwd);
    if (files.length === 0) {
      throw new TsbakeError('usage', `no config file found in ${cwd} (looked for ${DEFAULT_CONFIG_FILES.join(', ')})`);
    }
  }
  const baseDir = dirname(files[0] as string);
  const diagnostics: Diagnostic[] = [];

  const texts = await Promise.all(files.map((f) => readConfigText(f)));
  if (files.some((f, i) => needsYaml(f) && 'text' in texts[i]!)) await preloadYaml();
  const compose: ParsedFile[] = [];
  const hcl: BakeSource[] = [];
  const tsbake: ParsedFile[] = [];
  texts.forEach((r, i) => {
    const file = files[i] as string;
    if (!('text' in r)) {
      diagnostics.push(...r.failed.diagnostics);
      return;
    }
    const { kind, parsed } = classify(file, r.text);
    if (kind === 'compose') compose.push(parsed!);
    else if (kind === 'hcl' || kind === 'json') hcl.push({ file, text: r.text, syntax: kind });
    else tsbake.push(parsed!);
  });

  let buildersFile: ParsedFile | undefined;
  for (const name of BUILDERS_FILES) {
    const p = join(baseDir, name);
    if (!files.includes(p) && (await exists(p))) {
      buildersFile = await readConfigFile(p);
      break;
    }
  }

  // tsbake's files: YAML/JSON checks, then the schema.
  const own = buildersFile ? [buildersFile, ...tsbake] : tsbake;
  const validateStructure = own.length > 0 ? await loadValidator() : undefined;
  for (const p of own) {
    diagnostics.push(...p.diagnostics);
    if (p.diagnostics.length === 0) diagnostics.push(...validateStructure!(p, p === buildersFile ? 'builders' : 'config'));
  }

  // Bake's evaluator and the compose mapper are chunks of their own in the CLI's bundle, loaded only for a
  // file that needs them (bcryptjs only for a text that names bcrypt()): a plain JSON or YAML run
  // evaluates neither.
  const bcrypt = texts.some((r) => 'text' in r && r.text.includes('bcrypt'));
  const sources: Source[] = [];
  // Compose: the environment over `.env` beside the first file (compose-go's precedence).
  if (compose.length > 0) {
    const { composeEnvFiles, mapCompose, parseDotEnv } = await import('./compose/index.js');
    const dotenv = await readDotEnv(dirname(compose[0]!.file), env, parseDotEnv);
    const lookup = (name: string): string | undefined => env[name] ?? dotenv[name];
    for (const parsed of compose) {
      // env_file paths are relative to the compose file's directory
      const envFiles = new Map<string, string | undefined>();
      for (const { path } of composeEnvFiles(parsed.value)) {
        if (envFiles.has(path)) continue;
        const r = await readConfigText(resolve(dirname(parsed.file), path));
        envFiles.set(path, 'text' in r ? r.text : undefined);
      }
      const r = mapCompose(parsed, { lookup, envFiles });
      diagnostics.push(...r.diagnostics);
      sources.push({ value: r.config, positionOf: (p, part) => parsed.positionOf(r.sourcePath(p) ?? p, part) });
    }
  }
  let hclVariables: VariableInfo[] = [];
  const plainJson = hcl.length > 0 ? await plainBakeJson(hcl) : undefined;
  if (plainJson) {
    // Nothing to evaluate: the values are what the evaluator would return, read ~3x faster.
    for (const p of plainJson) sources.push({ value: p.value as ConfigFile, positionOf: (path, part) => p.positionOf(path, part) });
  } else if (hcl.length > 0) {
    const { evaluateBake, preloadBcrypt } = await import('./hcl/index.js');
    if (bcrypt) await preloadBcrypt();
    const ev = evaluateBake(hcl, { env, vars, cwd });
    diagnostics.push(...ev.diagnostics);
    hclVariables = ev.variables.map((v) => ({ ...v }));
    sources.push({ value: ev.config, positionOf: (p, part) => ev.positionOf(p, part) });
  }
  if (diagnostics.length > 0) throw invalid(diagnostics);

  // tsbake's `${NAME}` variables: declared in any tsbake file, overridden by --var, then the environment.
  const issues: { issue: InterpolationIssue; src: ParsedFile }[] = [];
  const declared: NonNullable<ConfigFile['variable']> = {};
  for (const p of tsbake) Object.assign(declared, (p.value as ConfigFile).variable ?? {});
  const evaluate = own.some((p) => needsExpressionEvaluator(p.value)) ? await loadExpressionEvaluator(bcrypt) : undefined;
  const varIssues: InterpolationIssue[] = [];
  const values = resolveVariables({ variable: declared }, { ...env, ...vars }, varIssues, evaluate);
  for (const issue of varIssues) {
    const name = String(issue.path[1]);
    const src = [...tsbake].reverse().find((p) => Object.hasOwn((p.value as ConfigFile).variable ?? {}, name));
    if (src) issues.push({ issue, src });
  }
  for (const p of own) {
    const fileIssues: InterpolationIssue[] = [];
    const { variable: _v, ...rest } = p.value as ConfigFile & { $schema?: string };
    delete (rest as { $schema?: string }).$schema;
    const value = interpolateConfig(rest, values, fileIssues, evaluate);
    for (const issue of fileIssues) issues.push({ issue, src: p });
    sources.push({ value, positionOf: (path, part) => p.positionOf(path, part), parsed: p });
  }
  for (const { issue, src } of issues) diagnostics.push(interpolationDiagnostic(issue, src));
  if (diagnostics.length > 0) throw invalid(diagnostics);

  // builders.yaml first so the config's own entries (whole, per builder name) win.
  const order = buildersFile ? [sources.length - own.length, ...sources.map((_, i) => i).filter((i) => i !== sources.length - own.length)] : sources.map((_, i) => i);
  const { config: merged, provenance } = mergeConfigs(order.map((i) => ({ value: (sources[i] as Source).value, fileIndex: i })));
  const config = normalize(merged);

  const positionOf = (path: KeyPath, part: PositionPart = 'key'): SourcePos | undefined => {
    const origin = provenance.resolve(path);
    if (!origin) return undefined;
    return (sources[origin.file] as Source).positionOf(origin.path, part);
  };

  for (const c of checkConfig(config, options.checkBuilder)) {
    const pos = positionOf(c.path, c.part);
    const d: Diagnostic = { file: pos?.file ?? '', line: pos?.line ?? 0, column: pos?.column ?? 0, message: c.message, key: formatKeyPath(c.path), severity: 'error' };
    if (c.suggestion !== undefined) d.suggestion = c.suggestion;
    diagnostics.push(d);
  }
  if (diagnostics.length > 0) throw invalid(diagnostics);

  const variables: Record<string, string> = {};
  for (const v of hclVariables) if (v.value !== null) variables[v.name] = v.value;
  Object.assign(variables, values);
  const variableList: VariableInfo[] = [...hclVariables];
  for (const [name, value] of Object.entries(values)) {
    const decl = declared[name];
    const info: VariableInfo = { name, value };
    if (decl !== null && typeof decl === 'object' && decl.description !== undefined) info.description = decl.description;
    variableList.push(info);
  }

  const allFiles = [...compose.map((p) => p.file), ...hcl.map((h) => h.file), ...tsbake.map((p) => p.file), ...(buildersFile ? [buildersFile.file] : [])];
  return { config, files: allFiles, baseDir, positionOf: (path) => positionOf(path), variables, variableList };
}

/**
 * bake JSON files with nothing for HCL to do — only JSON syntax, no `${`/`%{` templates, no variables or
 * functions — and valid against tsbake's schema (strings where bake wants strings, lists where lists):
 * parsed with JSON.parse instead of evaluated. Anything else goes through the evaluator.
 */
async function plainBakeJson(sources: readonly BakeSource[]): Promise<ParsedFile[] | undefined> {
  const out: ParsedFile[] = [];
  for (const src of sources) {
    if (src.syntax !== 'json' || src.text.includes('${') || src.text.includes('%{') || src.text.includes('"matrix"')) return undefined;
  }
  const validateStructure = await loadValidator();
  for (const src of sources) {
    const parsed = parseFileText(src.text, src.file);
    const v = parsed.value as Record<string, unknown> | undefined;
    if (parsed.diagnostics.length > 0 || v === undefined || 'variable' in v || 'function' in v) return undefined;
    if (validateStructure(parsed, 'config').length > 0) return undefined;
    out.push(parsed);
  }
  return out;
}

/**
 * The schema check (ajv's generated validator, ~140 kB of code) is imported only when a file needs it:
 * an HCL-only config never does, and compiling it was a measurable part of `tsbake print`'s start-up.
 */
async function loadValidator(): Promise<typeof import('./schema.js').validateStructure> {
  return (await import('./schema.js')).validateStructure;
}

async function readDotEnv(
  dir: string,
  env: Record<string, string | undefined>,
  parseDotEnv: typeof import('./compose/interpolate.js').parseDotEnv,
): Promise<Record<string, string>> {
  const r = await readConfigText(join(dir, '.env'));
  if (!('text' in r)) return {};
  return parseDotEnv(r.text, (n) => env[n]);
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
function interpolationDiagnostic(issue: InterpolationIssue, src: ParsedFile): Diagnostic {
  let pos = src.positionOf(issue.path, 'value');
  const range = src.valueRange(issue.path);
  if (range) {
    const text = src.text.slice(range[0], range[1]);
    let idx = -1;
    for (let n = 0; n <= issue.occurrence; n++) {
      idx = text.indexOf(issue.token, idx + 1);
      if (idx < 0) break;
    }
    if (idx >= 0) pos = src.posAt(range[0] + idx);
  }
  const d: Diagnostic = {
    file: pos?.file ?? src.file,
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
