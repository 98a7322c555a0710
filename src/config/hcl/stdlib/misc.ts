/**
 * bake's own functions (buildx bake/hclparser/stdlib.go): basename, dirname, homedir, indexof,
 * sanitize; and go-cty's byte-buffer functions, which take a capsule type no HCL expression can
 * produce, so they always fail as bake's do.
 * https://github.com/docker/buildx/blob/master/bake/hclparser/stdlib.go
 */
import { FunctionError, valuesEqual, type StdlibFunction } from '../value.js';
import { any, argError, fixed, str } from './args.js';

/** Go's path.Clean. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const s = (rooted ? '/' : '') + out.join('/');
  return s === '' ? '.' : s;
}

/** Go's path.Base. */
export function basename(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Go's path.Dir. */
export function dirname(p: string): string {
  return cleanPath(p.slice(0, p.lastIndexOf('/') + 1));
}

export const miscFunctions: Record<string, StdlibFunction> = {
  basename: fixed(1, (a) => basename(str(a, 0, 'path'))),
  dirname: fixed(1, (a) => dirname(str(a, 0, 'path'))),
  homedir: fixed(0, (_a, ctx) => {
    const home = ctx.env.HOME;
    if (home === undefined || home === '') throw new FunctionError('$HOME is not defined');
    return home;
  }),
  sanitize: fixed(1, (a) => [...str(a, 0, 'name')].map((c) => (/[a-zA-Z0-9_-]/.test(c) ? c : '_')).join('')),
  indexof: fixed(2, (a) => {
    const list = any(a, 0, 'list');
    if (!Array.isArray(list)) throw new FunctionError('argument must be a list or tuple');
    if (list.length === 0) throw new FunctionError('cannot search an empty list');
    const v = a[1] ?? null;
    const i = list.findIndex((e) => valuesEqual(e, v));
    if (i < 0) throw new FunctionError('item not found');
    return i;
  }),
  byteslen: fixed(1, () => {
    throw argError(0, 'buf', 'bytes required');
  }),
  bytesslice: fixed(3, () => {
    throw argError(0, 'buf', 'bytes required');
  }),
};
