/**
 * `.dockerignore` rules for one build context, with Docker's semantics (see buildkit/pattern-matcher:
 * patterns anchored at the context root, a parent match excludes the whole subtree, the last matching
 * pattern wins, `!` re-includes, case-sensitive).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  createPatternMatcher,
  matchSegment,
  normalizeDockerignoreLine,
  parseDockerignore,
  type PatternMatcher,
} from '../buildkit/pattern-matcher.js';

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

/** The patterns of a `.dockerignore` text, normalised as BuildKit's reader does. */
export function parsePatterns(text: string): string[] {
  return parseDockerignore(text);
}

export function createContextIgnore(patterns: string[], source: string | undefined): ContextIgnore {
  let ig: PatternMatcher;
  try {
    ig = createPatternMatcher(patterns.map(normalizeDockerignoreLine));
  } catch {
    // A malformed pattern fails the build itself (the daemon's frontend or our filesync reports it);
    // for watching, exclude nothing rather than stop the watcher.
    ig = createPatternMatcher([]);
  }
  const negations = ig.patterns
    .filter((p) => p.exclusion && p.text !== '.')
    .map((p) => p.text.split('/'));
  return {
    source,
    patterns,
    excludes: (rel) => (rel === '' || rel === '.' ? false : ig.matches(rel)),
    canPrune: (relDir) => {
      if (relDir === '' || relDir === '.' || !ig.matches(relDir)) return false;
      const dirSegs = relDir.split('/');
      return !negations.some((segs) => mayMatchBelow(segs, dirSegs));
    },
  };
}

/**
 * Could a pattern (split in segments) match a path strictly below `dirSegs`? A pattern with no more
 * segments than the directory can only match the directory or an ancestor, which re-includes the
 * directory itself and so was already accounted for by `ignores(relDir)`.
 */
function mayMatchBelow(patSegs: string[], dirSegs: string[]): boolean {
  if (patSegs.some((s) => s.includes('**'))) return true;
  if (patSegs.length <= dirSegs.length) return false;
  return dirSegs.every((seg, i) => segmentMayMatch(patSegs[i] ?? '', seg));
}

function segmentMayMatch(pattern: string, name: string): boolean {
  return matchSegment(pattern, name);
}
