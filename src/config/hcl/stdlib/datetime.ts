/**
 * Date and time functions: formatdate and timeadd (go-cty stdlib datetime.go), and bake's own
 * timestamp, formattimestamp and unixtimestampparse (buildx bake/hclparser/stdlib.go).
 * Times carry their UTC offset, as Go's time.Time parsed from RFC 3339 does.
 * https://github.com/zclconf/go-cty/blob/main/cty/function/stdlib/datetime.go
 */
import { FunctionError, makeObject, type StdlibFunction, type Value } from '../value.js';
import { any, argError, fixed, str } from './args.js';

interface Time {
  /** Nanoseconds since the Unix epoch. */
  ns: bigint;
  /** Offset from UTC in seconds. */
  offset: number;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const NS_PER_MS = 1_000_000n;

const bad = (why: string): FunctionError => new FunctionError(`not a valid RFC3339 timestamp: ${why}`);

/** Go's time.Parse(time.RFC3339, s), with cty's wording of its errors. */
export function parseTimestamp(s: string): Time {
  const segs: [string, RegExp][] = [
    ['year', /^\d{4}/],
    ['-', /^-/],
    ['month', /^\d{2}/],
    ['-', /^-/],
    ['day of month', /^\d{2}/],
    ['T', /^T/],
    ['hour', /^\d{1,2}/], // Go's time.Parse takes one or two digits for the hour
    [':', /^:/],
    ['minute', /^\d{2}/],
    [':', /^:/],
    ['second', /^\d{2}/],
  ];
  const ranges: Record<string, number> = { month: 12, hour: 23, minute: 59, second: 59 };
  let rest = s;
  const parts: string[] = [];
  for (const [what, re] of segs) {
    const m = re.exec(rest);
    if (!m) {
      if (what === 'T') throw bad("missing required time introducer 'T'");
      if (what === '-' || what === ':') {
        if (rest === '') throw bad(`end of string where ${JSON.stringify(what)} is expected`);
        throw bad(`found ${JSON.stringify(rest)} where ${JSON.stringify(what)} is expected`);
      }
      if (rest === '') throw bad(`end of string before ${what}`);
      throw bad(`cannot use ${JSON.stringify(rest)} as ${what}`);
    }
    parts.push(m[0]);
    rest = rest.slice(m[0].length);
    const max = ranges[what];
    // time.Parse reports a value out of range with the text after it.
    if (max !== undefined && (Number(m[0]) > max || (what === 'month' && Number(m[0]) === 0)))
      throw bad(`cannot use ${JSON.stringify(rest)} as ${what}`);
  }
  let frac = 0n;
  const f = /^\.(\d+)/.exec(rest);
  if (f) {
    frac = BigInt(((f[1] as string) + '000000000').slice(0, 9));
    rest = rest.slice(f[0].length);
  }
  let offset = 0;
  if (rest === 'Z') offset = 0;
  else {
    const z = /^([+-])(\d{2}):(\d{2})$/.exec(rest);
    if (!z) {
      if (rest === '') throw bad('end of string before UTC offset');
      throw bad(`cannot use ${JSON.stringify(rest)} as UTC offset`);
    }
    offset = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 3600 + Number(z[3]) * 60);
  }
  const [y, mo, d, h, mi, se] = [parts[0], parts[2], parts[4], parts[6], parts[8], parts[10]].map(Number) as number[];
  const ms = Date.UTC(y as number, (mo as number) - 1, d as number, h, mi, se);
  if ((d as number) < 1 || new Date(ms).getUTCDate() !== d) throw bad('day out of range');
  // Date.UTC maps years 0-99 to 1900-1999.
  const fixedMs = (y as number) < 100 ? new Date(ms).setUTCFullYear(y as number) : ms;
  return { ns: BigInt(fixedMs) * NS_PER_MS + frac - BigInt(offset) * 1_000_000_000n, offset };
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
  yearDay: number;
}

function fields(t: Time): Fields {
  const local = t.ns + BigInt(t.offset) * 1_000_000_000n;
  let ms = local / NS_PER_MS;
  if (local < 0n && local % NS_PER_MS !== 0n) ms -= 1n;
  const d = new Date(Number(ms));
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
    yearDay: Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - start) / 86_400_000) + 1,
  };
}

const pad = (n: number, w = 2): string => (n < 0 ? '-' + String(-n).padStart(w, '0') : String(n).padStart(w, '0'));

function offsetString(offset: number, colon: boolean): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  return `${sign}${pad(Math.floor(a / 3600))}${colon ? ':' : ''}${pad(Math.floor((a % 3600) / 60))}`;
}

/** time.RFC3339: whole seconds, Z for UTC. */
export function formatRFC3339(t: Time): string {
  const f = fields(t);
  const zone = t.offset === 0 ? 'Z' : offsetString(t.offset, true);
  return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}${zone}`;
}

function verbError(tok: string, why?: string): FunctionError {
  return argError(0, 'format', `invalid date format verb ${JSON.stringify(tok)}${why ? ': ' + why : ''}`);
}

/** The tokens of a formatdate format: quoted literals, runs of one letter, other literal text. */
function tokens(format: string): string[] {
  const out: string[] = [];
  let i = 0;
  const isLetter = (c: string | undefined): boolean => c !== undefined && /[a-zA-Z]/.test(c);
  while (i < format.length) {
    const c = format[i] as string;
    let j = i + 1;
    if (c === "'") {
      if (format[i + 1] === "'") j = i + 2;
      else {
        j = format.length;
        for (let k = i + 1; k < format.length; k++) {
          if (format[k] === "'") {
            if (format[k + 1] === "'") {
              k++;
              continue;
            }
            j = k + 1;
            break;
          }
        }
      }
    } else if (isLetter(c)) while (format[j] === c) j++;
    else while (j < format.length && format[j] !== "'" && !isLetter(format[j])) j++;
    out.push(format.slice(i, j));
    i = j;
  }
  return out;
}

export function formatDate(format: string, t: Time): string {
  const f = fields(t);
  let out = '';
  for (const tok of tokens(format)) {
    const c = tok[0] as string;
    const n = tok.length;
    if (c === "'") {
      if (tok[n - 1] !== "'" || n === 1) throw argError(0, 'format', "unterminated literal '");
      out += n === 2 ? "'" : tok.slice(1, -1).replaceAll("''", "'");
      continue;
    }
    if (!/[a-zA-Z]/.test(c)) {
      out += tok;
      continue;
    }
    const one = (v: number, why: string): string => {
      if (n === 1) return String(v);
      if (n === 2) return pad(v);
      throw verbError(tok, why);
    };
    switch (c) {
      case 'Y':
        if (n === 2) out += pad(((f.year % 100) + 100) % 100);
        else if (n === 4) out += pad(f.year, 4);
        else throw verbError(tok, 'year must either be "YY" or "YYYY"');
        break;
      case 'M':
        if (n <= 2) out += one(f.month, '');
        else if (n === 3) out += (MONTHS[f.month - 1] as string).slice(0, 3);
        else if (n === 4) out += MONTHS[f.month - 1] as string;
        else throw verbError(tok, 'month must be "M", "MM", "MMM", or "MMMM"');
        break;
      case 'D':
        out += one(f.day, 'day of month must either be "D" or "DD"');
        break;
      case 'E':
        if (n === 3) out += (DAYS[f.weekday] as string).slice(0, 3);
        else if (n === 4) out += DAYS[f.weekday] as string;
        else throw verbError(tok, 'day of week must either be "EEE" or "EEEE"');
        break;
      case 'h':
        out += one(f.hour, '24-hour must either be "h" or "hh"');
        break;
      case 'H':
        out += one(f.hour % 12 || 12, '12-hour must either be "H" or "HH"');
        break;
      case 'A':
      case 'a':
        if (n !== 2) throw verbError(tok, `must be "${c}${c}"`);
        out += f.hour < 12 ? (c === 'A' ? 'AM' : 'am') : c === 'A' ? 'PM' : 'pm';
        break;
      case 'm':
        out += one(f.minute, 'minute must either be "m" or "mm"');
        break;
      case 's':
        out += one(f.second, 'second must either be "s" or "ss"');
        break;
      case 'Z':
        if (n === 1) out += t.offset === 0 ? 'Z' : offsetString(t.offset, true);
        else if (n === 3) out += t.offset === 0 ? 'UTC' : offsetString(t.offset, false);
        else if (n === 4) out += offsetString(t.offset, false);
        else if (n === 5) out += offsetString(t.offset, true);
        else throw verbError(tok, 'timezone must be Z, ZZZZ, or ZZZZZ');
        break;
      default:
        throw verbError(tok);
    }
  }
  return out;
}

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  'µs': 1000n,
  'μs': 1000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go's time.ParseDuration, in nanoseconds. */
export function parseDuration(s: string): bigint {
  const quoted = JSON.stringify(s);
  const invalid = (): FunctionError => new FunctionError(`time: invalid duration ${quoted}`);
  let rest = s;
  let neg = false;
  if (rest[0] === '-' || rest[0] === '+') {
    neg = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw invalid();
  let total = 0n;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(rest) as RegExpExecArray;
    const whole = m[1] ?? '';
    const frac = m[2];
    if (whole === '' && (frac === undefined || frac === '')) throw invalid();
    rest = rest.slice(m[0].length);
    const u = /^[^\d.]*/.exec(rest) as RegExpExecArray;
    const unit = u[0];
    if (unit === '') throw new FunctionError(`time: missing unit in duration ${quoted}`);
    const scale = UNITS[unit];
    if (scale === undefined) throw new FunctionError(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    rest = rest.slice(unit.length);
    let v = BigInt(whole || '0') * scale;
    if (frac) v += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    total += v;
  }
  return neg ? -total : total;
}

function unixTime(v: Value, index: number, name: string): Time {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw argError(index, name, 'unix timestamp must be an integer');
  return { ns: BigInt(v) * 1_000_000_000n, offset: 0 };
}

function isoWeek(f: Fields): [number, number] {
  const date = Date.UTC(f.year, f.month - 1, f.day);
  const dow = (f.weekday + 6) % 7; // Monday 0
  const thursday = new Date(date + (3 - dow) * 86_400_000);
  const y = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(y, 0, 1)) / (7 * 86_400_000)) + 1;
  return [y, week];
}

export const datetimeFunctions: Record<string, StdlibFunction> = {
  formatdate: fixed(2, (a) => {
    const format = str(a, 0, 'format');
    let t: Time;
    try {
      t = parseTimestamp(str(a, 1, 'time'));
    } catch (e) {
      if (e instanceof FunctionError) throw argError(1, 'time', e.message);
      throw e;
    }
    return formatDate(format, t);
  }),
  formattimestamp: fixed(2, (a) => {
    const format = str(a, 0, 'format');
    const v = any(a, 1, 'time');
    let t: Time;
    if (typeof v === 'string') {
      try {
        t = parseTimestamp(v);
      } catch (e) {
        if (format === 'X') throw argError(1, 'time', 'timestamp string must be RFC3339');
        throw argError(1, 'time', (e as Error).message);
      }
    } else if (typeof v === 'number') t = unixTime(v, 1, 'time');
    else throw argError(1, 'time', 'must be a string timestamp or a unix timestamp number');
    if (format === 'X') {
      const s = t.ns / 1_000_000_000n - (t.ns < 0n && t.ns % 1_000_000_000n !== 0n ? 1n : 0n);
      return String(s);
    }
    return formatDate(format, t);
  }),
  timeadd: fixed(2, (a) => {
    const t = parseTimestamp(str(a, 0, 'timestamp'));
    const d = parseDuration(str(a, 1, 'duration'));
    return formatRFC3339({ ns: t.ns + d, offset: t.offset });
  }),
  timestamp: fixed(0, (_a, ctx) => formatRFC3339({ ns: BigInt(Math.floor(ctx.now.getTime() / 1000)) * 1_000_000_000n, offset: 0 })),
  unixtimestampparse: fixed(1, (a) => {
    const v = a[0] ?? null;
    if (v === null) throw argError(0, 'unix_timestamp', 'argument must not be null');
    if (typeof v !== 'number') throw argError(0, 'unix_timestamp', 'number required');
    const t = unixTime(v, 0, 'unix_timestamp');
    const f = fields(t);
    const [isoYear, isoWk] = isoWeek(f);
    return makeObject([
      ['day', f.day],
      ['hour', f.hour],
      ['iso_week', isoWk],
      ['iso_year', isoYear],
      ['minute', f.minute],
      ['month', f.month],
      ['month_name', MONTHS[f.month - 1] as string],
      ['rfc3339', formatRFC3339(t)],
      ['second', f.second],
      ['weekday', f.weekday],
      ['weekday_name', DAYS[f.weekday] as string],
      ['year', f.year],
      ['year_day', f.yearDay],
    ]);
  }),
};
