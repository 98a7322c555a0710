/**
 * Config text → plain value, diagnostics, and a map from key paths back to file positions.
 * YAML and JSON go through the same position machinery (the `yaml` package: JSON is YAML 1.2);
 * JSON text is first tried with JSON.parse, which is ~100× faster, and the YAML AST is only built
 * when a position is asked for.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { createRequire } from 'node:module';
import type { Document, Node, Pair } from 'yaml';
import type { Diagnostic } from '../errors.js';
import type { SourcePos } from './types.js';

// `yaml` costs tens of ms to load: JSON configs (the common docker-bake.json case) never need it unless a
// position is asked for. A YAML file's reader imports it first (preloadYaml): in the CLI's bundle that is
// a chunk of its own, compiled through the code cache (src/code-cache.ts), where Node's require() of the
// package (~80 files, resolved and compiled one by one) took ~20 ms. A position asked in a JSON file
// without it requires the package synchronously.
const requireModule = createRequire(import.meta.url);
let yamlModule: typeof import('yaml') | undefined;
function yamlLib(): typeof import('yaml') {
  return (yamlModule ??= requireModule('yaml') as typeof import('yaml'));
}

/** Loads `yaml` ahead of a synchronous parse that needs it (a YAML file, not JSON). */
export async function preloadYaml(): Promise<void> {
  if (yamlModule) return;
  const m = await import('yaml');
  yamlModule ??= m;
}

/** Whether parsing `file` needs `yaml`: anything but JSON and HCL (YAML, or text of no known kind). */
export function needsYaml(file: string): boolean {
  const ext = extname(file).toLowerCase();
  return ext !== '.json' && ext !== '.hcl';
}

export type KeyPath = readonly (string | number)[];
/** 'key': where the map key starts (the element itself for list items); 'value': where the value starts. */
export type PositionPart = 'key' | 'value';

export interface ParsedConfig {
  /** The plain value, or undefined when the text could not be parsed at all. */
  value: unknown;
  diagnostics: Diagnostic[];
  positionOf(path: KeyPath, part?: PositionPart): SourcePos | undefined;
}

/** Internal view with what interpolation needs to point inside a string. */
export interface ParsedFile extends ParsedConfig {
  file: string;
  text: string;
  /** Source offsets [start, end) of the value node at path. */
  valueRange(path: KeyPath): [number, number] | undefined;
  /** 1-based line and column of an offset in text. */
  posAt(offset: number): SourcePos;
}

/** Files above this size are refused rather than parsed: no real config is this big. */
export const MAX_CONFIG_BYTES = 5 * 1024 * 1024;
/** yaml's guard against alias bombs ("billion laughs"). */
const MAX_ALIAS_COUNT = 1000;
/**
 * Deepest nesting of maps and lists accepted. A bake file nests a handful of levels; the `yaml`
 * package recurses per level (a 4 MB `[[[…` took 44 s and 2.3 GB before "Maximum call stack size
 * exceeded"), so deeper text is refused by a linear pre-scan before any parser sees it.
 */
export const MAX_NESTING = 64;

/**
 * `uniqueKeys: false`: the package's own duplicate check compares each key with every earlier key of
 * its map (quadratic: 100,000 targets took 430 s); duplicateKeyOffsets does it with one Set per map.
 */
const YAML_OPTIONS = { merge: true, uniqueKeys: false, prettyErrors: false, keepSourceTokens: false } as const;

function diag(file: string, message: string, pos?: { line: number; column: number }, extra?: Partial<Diagnostic>): Diagnostic {
  return { file, line: pos?.line ?? 0, column: pos?.column ?? 0, message, severity: 'error', ...extra };
}

/** Parses config text (YAML or JSON). Pure: no I/O. `file` names the source in diagnostics and positions. */
export function parseConfigText(text: string, file: string): ParsedConfig {
  return parseFileText(text, file);
}

export function parseFileText(text: string, file: string): ParsedFile {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let lineStarts: number[] | undefined;
  const posAt = (offset: number): SourcePos => {
    lineStarts ??= computeLineStarts(text);
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file, line: lo + 1, column: offset - (lineStarts[lo] ?? 0) + 1 };
  };

  let doc: Document.Parsed | undefined;
  let docFailed = false;
  const getDoc = (): Document.Parsed | undefined => {
    if (doc === undefined && !docFailed) {
      try {
        doc = yamlLib().parseDocument(text, YAML_OPTIONS);
      } catch {
        docFailed = true;
      }
    }
    return doc;
  };

  const result: ParsedFile = {
    file,
    text,
    value: undefined,
    diagnostics: [],
    posAt,
    valueRange(path) {
      const d = getDoc();
      if (!d) return undefined;
      const found = findNode(d, path);
      const r = found?.value?.range;
      return r ? [r[0], r[1]] : undefined;
    },
    positionOf(path, part = 'key') {
      const d = getDoc();
      if (!d) return undefined;
      const found = findNode(d, path);
      if (!found) return undefined;
      const node = part === 'value' ? (found.value ?? found.key) : (found.key ?? found.value);
      const start = node?.range?.[0];
      return start === undefined ? undefined : posAt(start);
    },
  };

  if (text.trim() === '') {
    result.diagnostics.push(diag(file, 'the file is empty'));
    return result;
  }

  const tooDeep = findTooDeep(text, MAX_NESTING);
  if (tooDeep !== undefined) {
    result.diagnostics.push(
      diag(file, `the config nests maps and lists deeper than ${MAX_NESTING} levels here; tsbake refuses such files (a bake file needs a few levels)`, posAt(tooDeep)),
    );
    docFailed = true;
    return result;
  }

  const trimmed = text.trimStart();
  const isJson = extname(file).toLowerCase() === '.json';
  if (isJson || trimmed.startsWith('{')) {
    try {
      result.value = JSON.parse(text);
      checkTopLevel(result);
      return result;
    } catch (err: unknown) {
      if (isJson) {
        const { message, offset } = describeJsonError(err, text);
        result.diagnostics.push(diag(file, `invalid JSON: ${message}`, offset === undefined ? undefined : posAt(offset)));
        return result;
      }
      // Not strict JSON: a YAML flow mapping, parsed below.
    }
  }

  let d: Document.Parsed;
  try {
    d = yamlLib().parseDocument(text, YAML_OPTIONS);
  } catch (err: unknown) {
    // The parser recursing through pathological nesting is the realistic case here.
    result.diagnostics.push(diag(file, `cannot parse YAML: ${err instanceof Error ? err.message : String(err)}`));
    return result;
  }
  doc = d;
  const problems: { offset: number; message: string; code: string }[] = d.errors.map((e) => ({
    offset: e.pos[0],
    message: yamlMessage(e.message),
    code: e.code,
  }));
  if (!problems.some((p) => p.code === 'MULTIPLE_DOCS')) {
    for (const offset of duplicateKeyOffsets(d)) problems.push({ offset, message: 'Map keys must be unique', code: 'DUPLICATE_KEY' });
  }
  if (problems.length > 0) {
    problems.sort((a, b) => a.offset - b.offset);
    for (const p of problems) {
      if (p.code === 'MULTIPLE_DOCS') {
        result.diagnostics.push(
          diag(file, 'the file holds several YAML documents (separated by ---); tsbake reads exactly one', posAt(p.offset)),
        );
        break;
      }
      result.diagnostics.push(diag(file, `invalid YAML: ${p.message}`, posAt(p.offset)));
    }
    return result;
  }
  if (d.contents === null || (yamlLib().isScalar(d.contents) && d.contents.value === null)) {
    result.diagnostics.push(diag(file, 'the file is empty'));
    return result;
  }
  try {
    result.value = d.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err: unknown) {
    const msg = err instanceof Error ? err.message : String(err);
    result.diagnostics.push(
      diag(
        file,
        /alias/i.test(msg)
          ? `too many YAML alias expansions (over ${MAX_ALIAS_COUNT}): refusing what looks like an alias bomb`
          : `cannot read YAML: ${msg}`,
      ),
    );
    result.value = undefined;
    return result;
  }
  checkTopLevel(result);
  return result;
}

/**
 * Offsets of map keys that repeat an earlier key of the same map, as the `yaml` package's uniqueKeys
 * check reports them: scalar keys are equal when their values are (`1` and `"1"` differ), collection
 * keys never are, and `<<` merge keys may repeat. One Set per map: linear.
 */
function duplicateKeyOffsets(doc: Document.Parsed): number[] {
  const Y = yamlLib();
  const out: number[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Y.isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items as Pair[]) {
        const k = pair.key;
        if (Y.isScalar(k)) {
          const v = k.value;
          // With `merge: true` a `<<` key's value is the package's merge symbol (plain '<<' otherwise).
          if (typeof v !== 'symbol' && v !== '<<') {
            const id = `${typeof v}:${String(v)}`;
            if (seen.has(id)) out.push(k.range?.[0] ?? 0);
            else seen.add(id);
          }
        } else if (k !== null && typeof k === 'object') {
          stack.push(k);
        }
        if (pair.value !== null && typeof pair.value === 'object') stack.push(pair.value);
      }
    } else if (Y.isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return out;
}

const Ch = {
  Tab: 0x09,
  Lf: 0x0a,
  Cr: 0x0d,
  Space: 0x20,
  DQuote: 0x22,
  Hash: 0x23,
  SQuote: 0x27,
  Comma: 0x2c,
  Dash: 0x2d,
  Colon: 0x3a,
  Gt: 0x3e,
  OpenBracket: 0x5b,
  Backslash: 0x5c,
  CloseBracket: 0x5d,
  OpenBrace: 0x7b,
  Pipe: 0x7c,
  CloseBrace: 0x7d,
} as const;

/**
 * Offset of the first map or list nested deeper than `limit`, by one linear pass over YAML (or JSON)
 * text without building anything: block nesting is the stack of indentation levels plus `- ` entries
 * on a line, flow nesting counts `[`/`{` where a value starts or inside a flow collection; quoted
 * strings, comments and block scalars (`|`, `>`) are skipped. It may overestimate a little (a plain
 * scalar continued on a more indented line counts as a level), never by the margin between a real
 * config and the limit.
 */
export function findTooDeep(text: string, limit: number): number | undefined {
  const n = text.length;
  const indents: number[] = [];
  let flow = 0;
  /** While >= 0: inside a block scalar whose header line had this indentation. */
  let blockScalar = -1;
  let i = 0;
  const isBlank = (c: number): boolean => c === Ch.Space || c === Ch.Tab || c === Ch.Lf || c === Ch.Cr || Number.isNaN(c);
  const skipLine = (): void => {
    const nl = text.indexOf('\n', i);
    i = nl === -1 ? n : nl + 1;
  };
  while (i < n) {
    let col = 0;
    while (i < n && text.charCodeAt(i) === Ch.Space) {
      i++;
      col++;
    }
    if (i >= n) break;
    const first = text.charCodeAt(i);
    if (first === Ch.Lf || first === Ch.Cr) {
      i++;
      continue;
    }
    if (blockScalar >= 0) {
      if (col > blockScalar) {
        skipLine();
        continue;
      }
      blockScalar = -1;
    }
    if (first === Ch.Hash) {
      skipLine();
      continue;
    }
    if (flow === 0) {
      while (indents.length > 0 && (indents[indents.length - 1] ?? 0) >= col) indents.pop();
      indents.push(col);
      if (indents.length > limit) return i;
    }
    let valueStart = true;
    let dashes = 0;
    let keyed = false;
    /** Depth of the node that holds the open flow collection. */
    let flowBase = 0;
    let prev: number = Ch.Space;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === Ch.Lf) {
        i++;
        break;
      }
      // A quote opens a quoted scalar only where a scalar starts (`it's` is a plain scalar).
      const tokenStart =
        valueStart ||
        (flow > 0 && (isBlank(prev) || prev === Ch.OpenBracket || prev === Ch.OpenBrace || prev === Ch.Comma || prev === Ch.Colon));
      if ((c === Ch.DQuote || c === Ch.SQuote) && tokenStart) {
        i++;
        while (i < n) {
          const q = text.charCodeAt(i);
          if (c === Ch.DQuote && q === Ch.Backslash) i += 2;
          else if (q === c) {
            if (c === Ch.SQuote && text.charCodeAt(i + 1) === Ch.SQuote) i += 2;
            else break;
          } else i++;
        }
        i++;
        valueStart = false;
        prev = c;
        continue;
      }
      if (c === Ch.Hash && (prev === Ch.Space || prev === Ch.Tab)) {
        skipLine();
        break;
      }
      if (flow > 0) {
        if (c === Ch.OpenBracket || c === Ch.OpenBrace) {
          flow++;
          if (flowBase + flow > limit) return i;
        } else if (c === Ch.CloseBracket || c === Ch.CloseBrace) {
          flow--;
        }
      } else if (valueStart) {
        if (c === Ch.OpenBracket || c === Ch.OpenBrace) {
          // A collection opening a line is the node at that indentation, not one inside it.
          flowBase = indents.length + dashes - (keyed || dashes > 0 ? 0 : 1);
          flow = 1;
          valueStart = false;
          if (flowBase + flow > limit) return i;
        } else if (c === Ch.Dash && isBlank(text.charCodeAt(i + 1))) {
          dashes++;
          if (indents.length + dashes > limit) return i;
        } else if (c === Ch.Pipe || c === Ch.Gt) {
          blockScalar = col;
          skipLine();
          break;
        } else if (c !== Ch.Space && c !== Ch.Tab && c !== Ch.Cr) {
          valueStart = false;
        }
      }
      if (flow === 0 && c === Ch.Colon && isBlank(text.charCodeAt(i + 1))) {
        valueStart = true;
        keyed = true;
      }
      prev = c;
      i++;
    }
  }
  return undefined;
}

function checkTopLevel(result: ParsedFile): void {
  const v = result.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    const got = v === null ? 'null' : Array.isArray(v) ? 'a list' : `a ${typeof v}`;
    result.diagnostics.push(
      diag(result.file, `the top level must be a map (with keys such as variable, builder, group, target), got ${got}`, result.positionOf([], 'value')),
    );
    result.value = undefined;
  }
}

function yamlMessage(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

function describeJsonError(err: unknown, text: string): { message: string; offset?: number } {
  const raw = err instanceof Error ? err.message : String(err);
  const m = /at position (\d+)/.exec(raw);
  const message = raw.replace(/\s*in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)$/, '');
  if (m?.[1] !== undefined) return { message, offset: Number(m[1]) };
  if (/end of (JSON )?input/i.test(raw)) return { message, offset: text.length };
  return { message };
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

interface Found {
  key?: Node;
  value?: Node;
}

/**
 * Walks the YAML AST along a key path. Follows aliases and `<<` merge keys (position of the merged
 * source), and lets `env.FOO` find a nested `env: {FOO: …}` so flattened driver options still map back.
 */
function findNode(doc: Document.Parsed, path: KeyPath): Found | undefined {
  let current: Found = { value: (doc.contents ?? undefined) as Node | undefined };
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string | number;
    let node = current.value;
    if (node && yamlLib().isAlias(node)) node = (node.resolve(doc) ?? undefined) as Node | undefined;
    if (!node) return undefined;
    if (yamlLib().isMap(node)) {
      const pair = findPair(doc, node.items as Pair[], String(seg), 0);
      if (pair) {
        current = { key: pair.key as Node, value: (pair.value ?? undefined) as Node | undefined };
        continue;
      }
      const dot = typeof seg === 'string' ? seg.indexOf('.') : -1;
      if (typeof seg === 'string' && dot > 0) {
        const nested = findNode(doc, [...path.slice(0, i), seg.slice(0, dot), seg.slice(dot + 1), ...path.slice(i + 1)]);
        if (nested) return nested;
      }
      return undefined;
    }
    if (yamlLib().isSeq(node)) {
      const idx = typeof seg === 'number' ? seg : Number(seg);
      const item = Number.isInteger(idx) ? node.items[idx] : undefined;
      if (!item) return undefined;
      current = { value: item as Node };
      continue;
    }
    return undefined;
  }
  return current;
}

function findPair(doc: Document.Parsed, items: Pair[], key: string, depth: number): Pair | undefined {
  if (depth > 20) return undefined;
  let merged: Pair | undefined;
  for (const pair of items) {
    const k = pair.key;
    const kv = yamlLib().isScalar(k) ? k.value : k;
    if (kv !== null && typeof kv !== 'object' && String(kv) === key) return pair;
    if (merged === undefined && yamlLib().isScalar(k) && k.value === '<<') {
      const sources = yamlLib().isSeq(pair.value) ? pair.value.items : [pair.value];
      for (const src of sources) {
        const resolved = yamlLib().isAlias(src) ? src.resolve(doc) : src;
        if (yamlLib().isMap(resolved)) {
          merged = findPair(doc, resolved.items as Pair[], key, depth + 1);
          if (merged) break;
        }
      }
    }
  }
  return merged;
}

/** Reads and parses one config file; every failure becomes a diagnostic, never an exception. */
export async function readConfigFile(file: string): Promise<ParsedFile> {
  const r = await readConfigText(file);
  if (!('text' in r)) return r.failed;
  if (needsYaml(file)) await preloadYaml();
  return parseFileText(r.text, file);
}

/** Reads one config file's text (size, NUL and UTF-8 checked); a failure comes back as a ParsedFile with its diagnostic. */
export async function readConfigText(file: string): Promise<{ text: string } | { failed: ParsedFile }> {
  const failed = (message: string): { failed: ParsedFile } => {
    const p = parseFileText('', file);
    p.diagnostics = [diag(file, message)];
    return { failed: p };
  };
  let size: number;
  try {
    const st = await stat(file);
    if (st.isDirectory()) return failed('this path is a directory, not a config file');
    if (!st.isFile()) return failed('this path is not a regular file');
    size = st.size;
  } catch (err: unknown) {
    return failed(ioMessage(err));
  }
  if (size > MAX_CONFIG_BYTES) {
    return failed(
      `the file is ${(size / 1024 / 1024).toFixed(1)} MB; tsbake refuses config files over ${MAX_CONFIG_BYTES / 1024 / 1024} MB`,
    );
  }
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err: unknown) {
    return failed(ioMessage(err));
  }
  if (buf.includes(0)) return failed('not a text file (it contains NUL bytes)');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return failed('not a text file (it is not valid UTF-8)');
  }
  return { text };
}

function ioMessage(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'this path is a directory, not a config file';
  return `cannot read: ${err instanceof Error ? err.message : String(err)}`;
}
