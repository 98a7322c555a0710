/**
 * Runs the CLI's CommonJS bundle (dist/bundle/*.cjs, see rolldown.config.mjs) through V8's code cache.
 *
 * Node 20 has no compile cache for ES modules (`module.enableCompileCache` is 22.1+), but a script
 * compiled with `vm.Script` takes V8's `cachedData`. Each chunk is compiled here as a CommonJS function
 * wrapper; a chunk compiled without a usable cache has its cache written when the process exits, so the
 * cache also holds every function the run compiled lazily (`script.createCachedData()` after running),
 * not only the top level. The next run of the same command skips parsing and compiling them.
 *
 * The cache lives in `$XDG_CACHE_HOME/tsbake/v8` (else `~/.cache/tsbake/v8`), one directory per tsbake
 * version, Node version and architecture, one file per chunk, command and content hash. It is only an
 * optimisation: a missing, stale, corrupt or unwritable cache means compiling as usual, never a failure.
 * Files are written to a temporary name and renamed, so a concurrent run reads a whole file or none; each
 * starts with a CRC-32 of the rest (V8 checks its version, flags and the source's length, not the bytes).
 * `TSBAKE_CODE_CACHE=0` turns it off. A run that writes also prunes (`pruneCodeCache`).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import zlib from 'node:zlib';

export interface CodeCacheOptions {
  env: Record<string, string | undefined>;
  /** tsbake's version, part of the cache directory's name. */
  version: string;
  /**
   * The command (`run`, `print`…): each has its own cache files, since each compiles other functions of
   * the same chunks (and `print` runs with other V8 flags, which makes V8 refuse a cache made without them).
   */
  command: string;
}

export interface CodeCacheStats {
  /** Chunks compiled from the cache. */
  hits: number;
  /** Chunks compiled without one (none yet, or refused: stale, corrupt). */
  misses: number;
  /** Where the cache lives, or undefined when it is off. */
  dir: string | undefined;
}

interface Compiled {
  script: vm.Script;
  cacheFile: string;
}

const COMMANDS = new Set(['run', 'watch', 'print', 'plan', 'list', 'validate', 'builder']);
/** The CommonJS module wrapper, on the chunk's first line so stack traces keep its line numbers. */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {';
const WRAP_TAIL = '\n})';

/** The cache directory for this tsbake and Node, or undefined when the cache is turned off. */
export function codeCacheDir(env: Record<string, string | undefined>, version: string): string | undefined {
  if (env['TSBAKE_CODE_CACHE'] === '0' || env['TSBAKE_CODE_CACHE'] === 'off') return undefined;
  const xdg = env['XDG_CACHE_HOME'];
  let base: string;
  if (xdg && path.isAbsolute(xdg)) base = xdg;
  else {
    const home = env['HOME'] || os.homedir();
    if (!home) return undefined;
    base = path.join(home, '.cache');
  }
  const key = `${version}-node${process.versions.node}-v8-${process.versions.v8}-${process.arch}`.replace(/[^\w.-]/g, '_');
  return path.join(base, 'tsbake', 'v8', key);
}

/**
 * Loads CommonJS chunks (`.cjs`) of one bundle directory: `require('./x.cjs')` between chunks goes
 * through the cache, anything else to Node's own `require`.
 */
export class BundleLoader {
  private readonly modules = new Map<string, { exports: unknown }>();
  private readonly toWrite: Compiled[] = [];
  private readonly dir: string | undefined;
  private readonly command: string;
  /** The bundle's directory (of the first chunk required): its chunk names tell which cache files are current. */
  private bundleDir: string | undefined;
  readonly stats: CodeCacheStats;

  constructor(options: CodeCacheOptions) {
    this.dir = codeCacheDir(options.env, options.version);
    this.command = COMMANDS.has(options.command) ? options.command : 'other';
    this.stats = { hits: 0, misses: 0, dir: this.dir };
  }

  /** The exports of the chunk at `file` (an absolute path), evaluated once. */
  require(file: string): unknown {
    const known = this.modules.get(file);
    if (known) return known.exports;
    const bytes = fs.readFileSync(file);
    const source = bytes.toString('utf8');
    this.bundleDir ??= path.dirname(file);
    const module = { exports: {} as unknown, filename: file, id: file, loaded: false };
    this.modules.set(file, module);
    const script = this.compile(file, source, bytes);
    const fn = script.runInThisContext() as (...args: unknown[]) => void;
    const dir = path.dirname(file);
    const nodeRequire = createRequire(file);
    const chunkRequire = Object.assign(
      (id: string): unknown => (id.startsWith('./') && id.endsWith('.cjs') ? this.require(path.join(dir, id)) : nodeRequire(id)),
      { resolve: nodeRequire.resolve, cache: nodeRequire.cache, main: nodeRequire.main },
    );
    try {
      fn.call(module.exports, module.exports, chunkRequire, module, file, dir);
    } catch (err) {
      this.modules.delete(file);
      throw err;
    }
    module.loaded = true;
    return module.exports;
  }

  /**
   * Writes the cache of every chunk compiled without one; what fails is left out. Meant for the
   * process's `exit` event (synchronous), when the run has compiled what it needed.
   */
  save(): number {
    if (!this.dir || this.toWrite.length === 0) return 0;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
    } catch {
      return 0;
    }
    let written = 0;
    for (const { script, cacheFile } of this.toWrite.splice(0)) {
      const tmp = `${cacheFile}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
      try {
        const data = script.createCachedData();
        const head = Buffer.alloc(4);
        head.writeUInt32BE(zlib.crc32(data) >>> 0);
        fs.writeFileSync(tmp, Buffer.concat([head, data]), { mode: 0o600 });
        fs.renameSync(tmp, cacheFile);
        written++;
      } catch {
        try {
          fs.rmSync(tmp, { force: true });
        } catch {
          // nothing to clean up
        }
      }
    }
    if (written > 0) pruneCodeCache(this.dir, this.bundleDir);
    return written;
  }

  private compile(file: string, source: string, bytes: Buffer): vm.Script {
    const wrapped = WRAP_HEAD + source + WRAP_TAIL;
    const options: vm.ScriptOptions = {
      filename: file,
      // Meant to send a chunk's import() (none today) to Node's own loader. A standalone check passes, cold
      // and from the cache, but a lazy `import('node:readline')` in cli/allow.ts failed inside the CLI with
      // ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING (cause not found): chunks require() what they load lazily.
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    };
    if (!this.dir) return new vm.Script(wrapped, options);
    // The file's bytes, not the wrapped string: hashing a string converts it to UTF-8 first, which took
    // three times as long (~3 ms of a run's start-up). The wrapper is the same for every chunk.
    const hash = createHash('sha256').update(bytes).digest('base64url').slice(0, 22);
    const cacheFile = path.join(this.dir, `${path.basename(file, '.cjs')}.${this.command}.${hash}.bin`);
    const cachedData = readCache(cacheFile);
    const script = new vm.Script(wrapped, cachedData ? { ...options, cachedData } : options);
    if (cachedData && !script.cachedDataRejected) this.stats.hits++;
    else {
      this.stats.misses++;
      this.toWrite.push({ script, cacheFile });
    }
    return script;
  }
}

/** A cache directory of another tsbake or Node that no run has written to for this long is removed. */
const STALE_DIR_MS = 30 * 24 * 3600 * 1000;

/**
 * Keeps the cache from growing without end; called only after a run wrote something (a cold start), so
 * warm runs never pay for it. In `dir`, removes the files of chunks the bundle no longer has (chunk names
 * carry a content hash, so every rebuild or upgrade makes new ones) and stray temporary files; beside
 * `dir`, the directories of other tsbake or Node versions untouched for 30 days. Best effort: a file
 * another run is writing or reading is at worst written again by that run.
 */
export function pruneCodeCache(dir: string, bundleDir: string | undefined, now = Date.now()): void {
  try {
    if (bundleDir) {
      const chunks = new Set(fs.readdirSync(bundleDir).filter((f) => f.endsWith('.cjs')).map((f) => f.slice(0, -'.cjs'.length)));
      for (const f of fs.readdirSync(dir)) {
        // <chunk>.<command>.<hash>.bin, or <that>.<pid>-<random>.tmp left by a run that died while writing.
        const chunk = f.split('.')[0]!;
        const stray = f.endsWith('.tmp') && now - fs.statSync(path.join(dir, f)).mtimeMs > 3600_000;
        if (stray || (f.endsWith('.bin') && chunks.size > 0 && !chunks.has(chunk))) fs.rmSync(path.join(dir, f), { force: true });
      }
    }
    const parent = path.dirname(dir);
    for (const other of fs.readdirSync(parent)) {
      const full = path.join(parent, other);
      if (full === dir) continue;
      const st = fs.statSync(full);
      if (st.isDirectory() && now - st.mtimeMs > STALE_DIR_MS) fs.rmSync(full, { recursive: true, force: true });
    }
  } catch {
    // only an optimisation: whatever could not be read or removed stays
  }
}

/** The V8 data of a cache file whose checksum holds, else undefined. */
function readCache(file: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (bytes.length <= 4) return undefined;
  const data = bytes.subarray(4);
  return (zlib.crc32(data) >>> 0) === bytes.readUInt32BE(0) ? data : undefined;
}

/**
 * Runs `main` of the bundle's entry chunk with the cache, writing what is missing at exit (and, with
 * `TSBAKE_TRACE`, a `code-cache` line: chunks compiled from the cache, without one, caches written).
 */
export async function runBundle(entry: string, argv: string[], options: CodeCacheOptions): Promise<number> {
  const loader = new BundleLoader(options);
  process.once('exit', () => {
    const written = loader.save();
    if (options.env['TSBAKE_TRACE']) {
      const { hits, misses } = loader.stats;
      process.stderr.write(`tsbake-trace code-cache ${performance.now().toFixed(0)}ms hits=${hits} misses=${misses} written=${written}\n`);
    }
  });
  const { main } = loader.require(entry) as { main(argv: string[]): Promise<number> };
  return main(argv);
}
