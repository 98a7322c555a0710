/**
 * Paths no watcher should react to: VCS metadata and the temp files editors write while saving
 * (vim's swap files and its `4913` probe, emacs lock and autosave files, backup files, macOS metadata).
 */
import path from 'node:path';

const NOISE_DIRS = new Set(['.git', '.hg', '.svn']);

export function isNoisePath(file: string): boolean {
  const parts = file.split(path.sep);
  for (const part of parts) if (NOISE_DIRS.has(part)) return true;
  const base = parts[parts.length - 1] ?? '';
  return isNoiseName(base);
}

export function isNoiseName(base: string): boolean {
  if (base === '4913' || base === '.DS_Store') return true;
  if (base.endsWith('~') || base.endsWith('.tmp')) return true;
  // vim: .swp, .swo, .swn … and .swx
  if (/\.sw[a-px]$/.test(base)) return true;
  // emacs: lock files `.#name` and autosave `#name#`
  if (base.startsWith('.#')) return true;
  if (base.length > 1 && base.startsWith('#') && base.endsWith('#')) return true;
  return false;
}
