/**
 * `.dockerignore` rules for one build context, with Docker's semantics (@balena/dockerignore mirrors
 * moby's fileutils: patterns anchored at the context root, a parent match excludes the whole subtree,
 * the last matching pattern wins, `!` re-includes).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import dockerignoreModule from '@balena/dockerignore';

// A CommonJS module typed as `export default`: under NodeNext the function is its `.default`
// (the package sets `factory.default = factory` for this).
const ignore = dockerignoreModule.default;

export interface ContextIgnore {
  /** The file the rules came from, or undefined when there is none. */
  source: string | undefined;
  /** Raw pattern lines, for comparing two versions. */
  patterns: string[];
  /** True when the path (relative to the context, `/`-separated) is excluded from the build context. */
  excludes(rel: string): boolean;
  /**
   * True when a directory may be left unwatched: it is excluded and no `!` pattern can re-include
   * anything below it. Dockerignore can re-include files under an excluded directory, so a directory
   * is pruned only when that is impossible.
   */
  canPrune(relDir: string): boolean;
}

/**
 * Docker reads `<Dockerfile>.dockerignore` when it exists, else `<context>/.dockerignore`
 * (https://docs.docker.com/build/concepts/context/#filename-and-location).
 */
export function dockerignoreCandidates(contextDir: string, dockerfileAbs: string | undefined): string[] {
  const list: string[] = [];
  if (dockerfileAbs) list.push(`${dockerfileAbs}.dockerignore`);
  list.push(path.join(contextDir, '.dockerignore'));
  return list;
}

export function loadContextIgnore(candidates: string[]): ContextIgnore {
  for (const file of candidates) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    return createContextIgnore(parsePatterns(text), file);
  }
  return createContextIgnore([], undefined);
}

export function parsePatterns(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export function createContextIgnore(patterns: string[], source: string | undefined): ContextIgnore {
  const ig = ignore().add(patterns);
  const negations = patterns
    .filter((p) => p.startsWith('!'))
    .map((p) => cleanPattern(p.slice(1)))
    .filter((p) => p !== '')
    .map((p) => p.split('/'));
  return {
    source,
    patterns,
    excludes: (rel) => (rel === '' || rel === '.' ? false : ig.ignores(rel)),
    canPrune: (relDir) => {
      if (relDir === '' || relDir === '.' || !ig.ignores(relDir)) return false;
      const dirSegs = relDir.split('/');
      return !negations.some((segs) => mayMatchBelow(segs, dirSegs));
    },
  };
}

function cleanPattern(p: string): string {
  let out = path.posix.normalize(p.trim().replace(/\\/g, '/'));
  while (out.startsWith('/')) out = out.slice(1);
  if (out === '.' || out === './') return '';
  return out.replace(/\/+$/, '');
}

/**
 * Could a pattern (split in segments) match a path strictly below `dirSegs`? A pattern with no more
 * segments than the directory can only match the directory or an ancestor, which re-includes the
 * directory itself and so was already accounted for by `ignores(relDir)`.
 */
function mayMatchBelow(patSegs: string[], dirSegs: string[]): boolean {
  if (patSegs.includes('**')) return true;
  if (patSegs.length <= dirSegs.length) return false;
  return dirSegs.every((seg, i) => segmentMayMatch(patSegs[i] ?? '', seg));
}

function segmentMayMatch(pattern: string, name: string): boolean {
  // Character classes and escapes are rare; treat them as "may match" rather than reimplementing them.
  if (/[[\\]/.test(pattern)) return true;
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|]/g, '\\$&')))
        .join('') +
      '$',
  );
  return re.test(name);
}
