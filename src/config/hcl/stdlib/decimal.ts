import { ratioText } from '../number-text.js';
import { denoise } from '../value.js';

/**
 * Decimal digits of a number and Go's rounding of them, for the formatting of numbers as Go's
 * math/big does it (ftoa.go, decimal.go): a value is 0.<mant> × 10^exp, mant without trailing zeros.
 * The digits come from the double's shortest representation, so a decimal written in the file
 * rounds as bake's 512-bit float of it does.
 */
export interface Decimal {
  mant: string;
  exp: number;
}

const bitLength = (n: bigint): number => n.toString(2).length;

/**
 * Whether the 512-bit float nearest to the decimal 0.<mant> × 10^exp (how HCL parses a number
 * literal) lies above (1), below (-1) or on (0) it.
 */
function bigFloatSide(d: Decimal): number {
  const frac = d.mant.length - d.exp; // value = mant × 10^-frac
  let num = BigInt(d.mant);
  let den = 1n;
  if (frac > 0) den = 10n ** BigInt(frac);
  else num *= 10n ** BigInt(-frac);
  // Scale by 2^s so the quotient has 512 bits: the float's mantissa.
  const s = 512 - (bitLength(num) - bitLength(den));
  const scaledNum = s >= 0 ? num << BigInt(s) : num;
  const scaledDen = s >= 0 ? den : den << BigInt(-s);
  let q = scaledNum / scaledDen;
  let r = scaledNum % scaledDen;
  if (bitLength(q) > 512) {
    // One bit too many: halve, keeping the remainder exact.
    r = (q & 1n) * scaledDen + r;
    q >>= 1n;
    return compareHalf(r, 2n * scaledDen);
  }
  return compareHalf(r, scaledDen);
}

/** Rounding q + r/den to nearest: up (the float lies above) when r/den > 1/2, down when less. */
function compareHalf(r: bigint, den: bigint): number {
  if (r === 0n || 2n * r === den) return 0;
  return 2n * r > den ? 1 : -1;
}

export function toDecimal(x: number): Decimal {
  const a = Math.abs(x);
  if (a === 0) return { mant: '', exp: 0 };
  // A small ratio (1/3) has the digits of bake's 512-bit float of it.
  const ratio = Number.isInteger(a) ? undefined : ratioText(a);
  if (ratio !== undefined) {
    const [int = '', frac = ''] = ratio.split('.');
    const all = (int === '0' ? '' : int) + frac;
    const lead = all.length - all.replace(/^0+/, '').length;
    return { mant: all.replace(/^0+/, '').replace(/0+$/, ''), exp: (int === '0' ? 0 : int.length) - lead };
  }
  // Noise from arithmetic on decimals (0.1+0.2) is below bake's 512-bit precision: drop it.
  const [m, e] = Number(denoise(a)).toExponential().split('e') as [string, string];
  const digits = m.replace('.', '').replace(/0+$/, '');
  return { mant: digits, exp: Number(e) + 1 };
}

function shouldRoundUp(d: Decimal, n: number): boolean {
  const c = d.mant[n] as string;
  if (c === '5' && n + 1 === d.mant.length) {
    // A tie in the short digits: bake's 512-bit float of that decimal lies just above or below it.
    const side = bigFloatSide(d);
    if (side !== 0) return side > 0;
    return n > 0 && (Number(d.mant[n - 1]) & 1) !== 0;
  }
  return c >= '5';
}

/** Round to n digits, half to even (big.decimal.round). */
export function roundDecimal(d: Decimal, n: number): Decimal {
  if (n < 0 || n >= d.mant.length) return d;
  if (shouldRoundUp(d, n)) {
    let i = n - 1;
    while (i >= 0 && d.mant[i] === '9') i--;
    if (i < 0) return { mant: '1', exp: d.exp + 1 };
    return { mant: d.mant.slice(0, i) + String(Number(d.mant[i]) + 1), exp: d.exp };
  }
  return { mant: d.mant.slice(0, n).replace(/0+$/, ''), exp: d.mant.slice(0, n).replace(/0+$/, '') === '' ? 0 : d.exp };
}

export function fmtF(d: Decimal, prec: number): string {
  let out = '';
  if (d.exp > 0) {
    let m = Math.min(d.mant.length, d.exp);
    out += d.mant.slice(0, m);
    for (; m < d.exp; m++) out += '0';
  } else out += '0';
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = d.exp + i - 1;
      out += j >= 0 && j < d.mant.length ? d.mant[j] : '0';
    }
  }
  return out;
}

export function fmtE(d: Decimal, prec: number, e: 'e' | 'E'): string {
  let out = d.mant.length > 0 ? (d.mant[0] as string) : '0';
  if (prec > 0) {
    out += '.';
    let i = 1;
    const m = Math.min(d.mant.length, prec + 1);
    if (i < m) {
      out += d.mant.slice(i, m);
      i = m;
    }
    for (; i <= prec; i++) out += '0';
  }
  let exp = d.mant.length === 0 ? 0 : d.exp - 1;
  const sign = exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  return `${out}${e}${sign}${exp < 10 ? '0' : ''}${exp}`;
}

/** big.Float.Text(format, prec) for e, E, f, g, G; prec -1 means the shortest digits. */
export function floatText(x: number, format: string, prec: number): string {
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  let d = toDecimal(x);
  const shortest = prec < 0;
  if (shortest) {
    if (format === 'e' || format === 'E') prec = d.mant.length - 1;
    else if (format === 'f') prec = Math.max(d.mant.length - d.exp, 0);
    else prec = d.mant.length;
  } else if (format === 'e' || format === 'E') d = roundDecimal(d, 1 + prec);
  else if (format === 'f') d = roundDecimal(d, d.exp + prec);
  else {
    if (prec === 0) prec = 1;
    d = roundDecimal(d, prec);
  }
  let body: string;
  if (format === 'e' || format === 'E') body = fmtE(d, prec, format);
  else if (format === 'f') body = fmtF(d, prec);
  else {
    let eprec = prec;
    if (eprec > d.mant.length && d.mant.length >= d.exp) eprec = d.mant.length;
    if (shortest) eprec = 6;
    const exp = d.exp - 1;
    if (exp < -4 || exp >= eprec) {
      if (prec > d.mant.length) prec = d.mant.length;
      body = fmtE(d, prec - 1, format === 'G' ? 'E' : 'e');
    } else {
      if (prec > d.exp) prec = d.mant.length;
      body = fmtF(d, Math.max(prec - d.exp, 0));
    }
  }
  return (neg ? '-' : '') + body;
}
