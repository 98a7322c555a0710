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
 * `TSBAKE_CODE_CACHE=0` turns it off.
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
    return written;
  }

  private compile(file: string, source: string, bytes: Buffer): vm.Script {
    const wrapped = WRAP_HEAD + source + WRAP_TAIL;
    const options: vm.ScriptOptions = {
      filename: file,
      // A chunk's import() of an ES module (none today) goes through Node's own loader.
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
