/**
 * Writing a user's file destination (`type=tar|oci|docker,dest=…`, `--metadata-file`) without
 * replacing what is not a regular file:
 * - a symlink is followed (to its end); the file it points to is written, the link stays a link;
 * - a character or block device or a FIFO is written through, as buildx does (it opens the path with
 *   os.Create): `dest=/dev/null` discards, a FIFO feeds its reader;
 * - a regular file, or nothing yet, gets a temp file beside it that is renamed over it at the end, so
 *   the old file stays intact until the new one is complete;
 * - a directory or a socket is refused.
 * And directory destinations (`type=local`, OCI layouts): merged into, never replaced (moveDirIntoPlace).
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Linux's MAXSYMLINKS: a longer chain is a loop. */
const MAX_LINK_HOPS = 40;

export interface FileDestination {
  /** The real destination, after following symlinks. */
  path: string;
  /** What to open and write: a temp file beside `path`, or `path` itself when `direct`. */
  writePath: string;
  /** Writes go straight to a device or FIFO: there is no temp file and nothing to rename or remove. */
  direct: boolean;
  /** Move the temp file into place (nothing for a direct destination). */
  commit(): Promise<void>;
  /** Remove the temp file (nothing for a direct destination). */
  discard(): Promise<void>;
}

/** The path `p` leads to once symlinks are followed, and what is there (undefined: nothing yet). */
export async function followLinks(p: string): Promise<{ path: string; stat: Stats | undefined }> {
  let current = path.resolve(p);
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    let st: Stats;
    try {
      st = await fs.lstat(current);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path: current, stat: undefined };
      throw err;
    }
    if (!st.isSymbolicLink()) return { path: current, stat: st };
    current = path.resolve(path.dirname(current), await fs.readlink(current));
  }
  throw new Error(`${p}: too many levels of symbolic links`);
}

/** Decide how to write `dest` (see the file comment). Creates the parent directory when missing. */
export async function openFileDestination(dest: string): Promise<FileDestination> {
  const { path: real, stat } = await followLinks(dest);
  const shown = real === path.resolve(dest) ? dest : `${dest} (→ ${real})`;
  if (stat?.isDirectory()) throw new Error(`destination ${shown} is a directory: give a file path`);
  if (stat?.isSocket()) throw new Error(`destination ${shown} is a socket: give a file path`);
  if (stat && (stat.isCharacterDevice() || stat.isBlockDevice() || stat.isFIFO())) {
    const nothing = async (): Promise<void> => undefined;
    return { path: real, writePath: real, direct: true, commit: nothing, discard: nothing };
  }
  await fs.mkdir(path.dirname(real), { recursive: true });
  const tmp = `${real}.tmp-${randomBytes(4).toString('hex')}`;
  // An existing file keeps its permissions, as it would if it were truncated and rewritten.
  const mode = stat ? stat.mode & 0o7777 : undefined;
  return {
    path: real,
    writePath: tmp,
    direct: false,
    commit: async () => {
      if (mode !== undefined) await fs.chmod(tmp, mode);
      await fs.rename(tmp, real);
    },
    discard: () => fs.rm(tmp, { force: true }),
  };
}

/** Write `data` to `dest` as a whole (the metadata file): through a device or FIFO, atomically otherwise. */
export async function writeFileToDestination(dest: string, data: string | Uint8Array): Promise<void> {
  const d = await openFileDestination(dest);
  if (d.direct) {
    await fs.writeFile(d.writePath, data);
    return;
  }
  try {
    await fs.writeFile(d.writePath, data, { mode: 0o644 });
    await d.commit();
  } catch (err) {
    await d.discard();
    throw err;
  }
}

/**
 * Why `dest` cannot take a file, checked before any build (`--metadata-file`): a missing or unwritable
 * directory, or a directory at `dest` itself. Undefined when it can. Does not create anything.
 */
export async function fileDestinationProblem(dest: string): Promise<string | undefined> {
  let real: string;
  let stat: Stats | undefined;
  try {
    ({ path: real, stat } = await followLinks(dest));
  } catch (err) {
    return (err as Error).message;
  }
  if (stat?.isDirectory()) return `${dest} is a directory`;
  if (stat?.isSocket()) return `${dest} is a socket`;
  if (stat && !stat.isFile()) return undefined; // a device or FIFO: written through
  const dir = path.dirname(real);
  const dirStat = await fs.stat(dir).catch(() => undefined);
  if (!dirStat) return `directory ${dir} does not exist`;
  if (!dirStat.isDirectory()) return `${dir} is not a directory`;
  try {
    await fs.access(dir, fs.constants.W_OK);
  } catch {
    return `directory ${dir} is not writable`;
  }
  return undefined;
}

/**
 * Put a complete temp dir (a local export, an OCI layout) where `dest` is: renamed to it when there is
 * nothing yet, merged into it otherwise (see mergeInto), never replacing `dest` as a whole: `dest=.`
 * must not take the project with it. Several streams may end in one dest at once (`platform-split`: one
 * stream per platform, each with its own `linux_<arch>/`), so moves into the same dest are serialised.
 */
const moving = new Map<string, Promise<void>>();

export async function moveDirIntoPlace(tmp: string, dest: string): Promise<void> {
  const run = (moving.get(dest) ?? Promise.resolve()).catch(() => undefined).then(() => moveIntoPlaceNow(tmp, dest));
  moving.set(dest, run);
  try {
    await run;
  } finally {
    if (moving.get(dest) === run) moving.delete(dest);
  }
}

async function moveIntoPlaceNow(tmp: string, dest: string): Promise<void> {
  const existing = await fs.lstat(dest).catch(() => undefined);
  if (!existing) {
    await fs.rename(tmp, dest);
    return;
  }
  if (!existing.isDirectory()) throw new Error(`export destination ${dest} exists and is not a directory`);
  // Checked before anything moves, so a refused export leaves dest as it was.
  const conflicts: string[] = [];
  await findConflicts(tmp, dest, conflicts);
  if (conflicts.length > 0) {
    throw new Error(
      `export destination ${dest}: ${conflicts.map((c) => path.relative(dest, c)).join(', ')} ${conflicts.length === 1 ? 'is a directory' : 'are directories'} ` +
        `with files the export does not have, where the export has a file; nothing was written (move ${conflicts.length === 1 ? 'it' : 'them'} away, or export to another dest)`,
    );
  }
  await mergeInto(tmp, dest);
  await fs.rm(tmp, { recursive: true, force: true });
}

/** Directories under `dst` that the export would replace by a non-directory: their files would be lost. */
async function findConflicts(src: string, dst: string, out: string[]): Promise<void> {
  for (const entry of await fs.readdir(src, { withFileTypes: true })) {
    const there = path.join(dst, entry.name);
    const st = await fs.lstat(there).catch(() => undefined);
    if (!st?.isDirectory()) continue;
    if (entry.isDirectory()) await findConflicts(path.join(src, entry.name), there, out);
    else if ((await fs.readdir(there)).length > 0) out.push(there);
  }
}

/**
 * Merge the received tree into an existing directory: exported files overwrite theirs (one rename each),
 * directories merge, and everything in `dst` that the export does not contain stays. Symlinks in `dst`
 * are never followed: an exported entry replaces the link itself, so nothing is written outside `dst`.
 * (BuildKit's own local exporter also keeps other files unless asked for its newer `mode=delete`.)
 */
async function mergeInto(src: string, dst: string): Promise<void> {
  for (const entry of await fs.readdir(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    const to = path.join(dst, entry.name);
    const st = await fs.lstat(to).catch(() => undefined);
    if (entry.isDirectory() && st?.isDirectory()) {
      await mergeInto(from, to);
      continue;
    }
    // rename() replaces a file or link in one step, but not a directory by a file or a file by a directory.
    if (st?.isDirectory()) await fs.rmdir(to); // empty: findConflicts refused the others
    else if (st && entry.isDirectory()) await fs.unlink(to);
    await fs.rename(from, to);
  }
}
