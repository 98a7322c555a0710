/**
 * semvercmp: whether a version satisfies a constraint, with Masterminds/semver v3's rules (the
 * library buildx uses): loose versions ("v1.2", "1"), constraints joined by "," or space (and) and
 * "||" (or), operators = != > < >= <= ~ ~> ^, wildcards x X *, hyphen ranges "1.2 - 1.4", and
 * pre-releases matching only constraints that name a pre-release.
 * https://github.com/Masterminds/semver/blob/master/constraints.go
 */
import { FunctionError, type StdlibFunction } from '../value.js';
import { fixed, str } from './args.js';

interface Version {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: string;
}

const LOOSE = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;
const CV = String.raw`v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const OPS = String.raw`=||!=|>|<|>=|=>|<=|=<|~|~>|\^`;
const CONSTRAINT = new RegExp(String.raw`^\s*(${OPS})\s*(${CV})\s*$`);
const RANGE = new RegExp(String.raw`\s*(${CV})\s+-\s+(${CV})\s*`, 'g');
const FIND = new RegExp(String.raw`(${OPS})\s*(${CV})`, 'g');
const VALID = new RegExp(String.raw`^(\s*(${OPS})\s*(${CV})\s*)((?:\s+|,\s*)(${OPS})\s*(${CV})\s*)*$`);

const U64_MAX = 2n ** 64n - 1n;

function segment(s: string): bigint {
  const n = BigInt(s);
  if (n > U64_MAX) throw new FunctionError(`error parsing version segment: strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

function validatePre(p: string): void {
  for (const part of p.split('.')) {
    if (part === '') throw new FunctionError('invalid prerelease string');
    if (/^[0-9]+$/.test(part)) {
      if (part.length > 1 && part.startsWith('0')) throw new FunctionError('version segment starts with 0');
    } else if (!/^[0-9A-Za-z-]+$/.test(part)) throw new FunctionError('invalid prerelease string');
  }
}

/** semver.NewVersion with coercion on (the default). */
export function parseVersion(v: string): Version {
  const m = LOOSE.exec(v);
  if (!m) throw new FunctionError('invalid semantic version');
  const version = {
    major: segment(m[1] as string),
    minor: m[2] ? segment(m[2].slice(1)) : 0n,
    patch: m[3] ? segment(m[3].slice(1)) : 0n,
    pre: m[5] ?? '',
  };
  if (version.pre !== '') validatePre(version.pre);
  return version;
}

function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === '') return o !== '' ? -1 : 1;
  if (o === '') return 1;
  const sNum = /^[0-9]+$/.test(s);
  const oNum = /^[0-9]+$/.test(o);
  if (!sNum && !oNum) return s > o ? 1 : -1;
  if (!oNum) return -1;
  if (!sNum) return 1;
  const a = BigInt(s);
  const b = BigInt(o);
  return a > b ? 1 : a < b ? -1 : 0;
}

function comparePre(v: string, o: string): number {
  const sp = v.split('.');
  const op = o.split('.');
  for (let i = 0; i < Math.max(sp.length, op.length); i++) {
    const d = comparePrePart(sp[i] ?? '', op[i] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

function cmp(a: bigint, b: bigint): number {
  return a > b ? 1 : a < b ? -1 : 0;
}

export function compareVersions(v: Version, o: Version): number {
  const d = cmp(v.major, o.major) || cmp(v.minor, o.minor) || cmp(v.patch, o.patch);
  if (d !== 0) return d;
  if (v.pre === '' && o.pre === '') return 0;
  if (v.pre === '') return 1;
  if (o.pre === '') return -1;
  return comparePre(v.pre, o.pre);
}

interface Constraint {
  op: string;
  con: Version;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

const isX = (s: string): boolean => s === 'x' || s === 'X' || s === '*';

function parseConstraint(c: string): Constraint {
  const m = CONSTRAINT.exec(c);
  if (!m) throw new FunctionError(`improper constraint: ${c}`);
  const [major, minor, patch, pre] = [m[3] ?? '', m[4] ?? '', m[5] ?? '', m[6] ?? ''];
  let ver = m[2] as string;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(major) || major === '') {
    ver = `0.0.0${pre}`;
    dirty = true;
  } else if (isX(minor.replace(/^\./, '')) || minor === '') {
    minorDirty = dirty = true;
    ver = `${major}.0.0${pre}`;
  } else if (isX(patch.replace(/^\./, '')) || patch === '') {
    patchDirty = dirty = true;
    ver = `${major}${minor}.0${pre}`;
  }
  let con: Version;
  try {
    con = parseVersion(ver);
  } catch {
    throw new FunctionError('constraint parser error');
  }
  return { op: m[1] as string, con, dirty, minorDirty, patchDirty };
}

function tilde(v: Version, c: Constraint): boolean {
  if (compareVersions(v, c.con) < 0) return false;
  if (c.con.major === 0n && c.con.minor === 0n && c.con.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  return !(v.minor !== c.con.minor && !c.minorDirty);
}

function check(v: Version, c: Constraint, includePre: boolean): boolean {
  if (v.pre !== '' && !includePre) return false;
  const k = c.con;
  switch (c.op) {
    case '':
    case '=':
      return c.dirty ? tilde(v, c) : compareVersions(v, k) === 0;
    case '!=':
      if (c.dirty) {
        if (k.major !== v.major) return true;
        if (k.minor !== v.minor && !c.minorDirty) return true;
        if (c.minorDirty) return false;
        if (k.patch !== v.patch && !c.patchDirty) return true;
        if (c.patchDirty) return (v.pre !== '' || k.pre !== '') && comparePre(v.pre, k.pre) !== 0;
      }
      return compareVersions(v, k) !== 0;
    case '>':
      if (!c.dirty) return compareVersions(v, k) === 1;
      if (v.major > k.major) return true;
      if (v.major < k.major || c.minorDirty) return false;
      if (c.patchDirty) return v.minor > k.minor;
      return compareVersions(v, k) === 1;
    case '<':
      return compareVersions(v, k) < 0;
    case '>=':
    case '=>':
      return compareVersions(v, k) >= 0;
    case '<=':
    case '=<':
      if (!c.dirty) return compareVersions(v, k) <= 0;
      if (v.major > k.major) return false;
      return !(v.major === k.major && v.minor > k.minor && !c.minorDirty);
    case '~':
    case '~>':
      return tilde(v, c);
    case '^':
      if (compareVersions(v, k) < 0) return false;
      if (k.major > 0n || c.minorDirty) return v.major === k.major;
      if (v.major > 0n) return false;
      if (k.minor > 0n || c.patchDirty) return v.minor === k.minor;
      if (v.minor > 0n) return false;
      return k.patch === v.patch;
    default:
      return false;
  }
}

/** semver.NewConstraint(c).Check(v). */
export function satisfies(version: string, constraint: string): boolean {
  const v = parseVersion(version);
  const rewritten = constraint.replace(RANGE, (_all, from: string, ...rest: unknown[]) => `>= ${from}, <= ${rest[9] as string} `);
  return rewritten.split('||').some((or) => {
    if (!VALID.test(or)) throw new FunctionError(`improper constraint: ${or}`);
    const found = [...or.matchAll(FIND)].map((m) => m[0]);
    const parts = (found.length > 0 ? found : [or]).map(parseConstraint);
    const includePre = parts.some((p) => p.con.pre !== '');
    return parts.every((p) => check(v, p, includePre));
  });
}

export const semverFunctions: Record<string, StdlibFunction> = {
  semvercmp: fixed(2, (a) => satisfies(str(a, 0, 'version'), str(a, 1, 'contraint'))),
};
