/**
 * The digits bake prints for a fraction such as 1/3: HCL computes with 512-bit floats and prints
 * the shortest decimal that identifies that float (big.Float.Text('f', -1), about 155 digits for
 * a repeating fraction). A double cannot carry that, but a double that is exactly p/q for a small
 * q is taken to be that ratio, and its 512-bit float's digits are produced as Go produces them.
 * https://cs.opensource.google/go/go/+/refs/tags/go1.22.0:src/math/big/ftoa.go (roundShortest)
 */

const PREC = 512;
const MAX_DENOMINATOR = 1_000_000n;

const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

/** The ratio p/q, q ≤ 10^6, whose nearest double is x; by continued fractions. */
function smallRatio(x: number): [bigint, bigint] | undefined {
  let h0 = 0n;
  let h1 = 1n;
  let k0 = 1n;
  let k1 = 0n;
  let f = x;
  for (let i = 0; i < 40; i++) {
    const a = Math.floor(f);
    if (!Number.isFinite(a) || Math.abs(a) > 1e15) return undefined;
    const ai = BigInt(a);
    [h0, h1] = [h1, ai * h1 + h0];
    [k0, k1] = [k1, ai * k1 + k0];
    if (k1 > MAX_DENOMINATOR) return undefined;
    if (Number(h1) / Number(k1) === x) return [h1, k1];
    const frac = f - a;
    if (frac === 0) return undefined;
    f = 1 / frac;
  }
  return undefined;
}

interface Digits {
  mant: string; // no trailing zeros
  exp: number; // value = 0.mant × 10^exp
}

/** The exact decimal of n × 2^e2 (e2 < 0). */
function exactDigits(n: bigint, e2: number): Digits {
  const s = (n * 5n ** BigInt(-e2)).toString();
  const mant = s.replace(/0+$/, '');
  return { mant, exp: s.length + e2 };
}

function roundUpAt(d: Digits, n: number): Digits {
  let i = n - 1;
  while (i >= 0 && d.mant[i] === '9') i--;
  if (i < 0) return { mant: '1', exp: d.exp + 1 };
  return { mant: d.mant.slice(0, i) + String(Number(d.mant[i]) + 1), exp: d.exp };
}

function roundDownAt(d: Digits, n: number): Digits {
  return { mant: d.mant.slice(0, n).replace(/0+$/, ''), exp: d.exp };
}

function roundAt(d: Digits, n: number): Digits {
  const c = d.mant[n] ?? '0';
  const up = c === '5' && n + 1 === d.mant.length ? n > 0 && (Number(d.mant[n - 1]) & 1) === 1 : c >= '5';
  return up ? roundUpAt(d, n) : roundDownAt(d, n);
}

/** big.Float's shortest digits for the 512-bit float nearest to p/q (p, q > 0). */
function shortest512(p: bigint, q: bigint): Digits | undefined {
  // m × 2^-k with 2^511 ≤ m < 2^512, rounded half to even.
  let k = PREC - (bitLength(p) - bitLength(q));
  let num = k >= 0 ? p << BigInt(k) : p;
  let den = k >= 0 ? q : q << BigInt(-k);
  if (num / den >= 1n << BigInt(PREC)) {
    k--;
    if (k >= 0) num = p << BigInt(k);
    else den = q << BigInt(-k);
  } else if (num / den < 1n << BigInt(PREC - 1)) {
    k++;
    if (k >= 0) num = p << BigInt(k);
    else den = q << BigInt(-k);
  }
  let m = num / den;
  const r = num % den;
  if (2n * r > den || (2n * r === den && (m & 1n) === 1n)) m += 1n;
  if (bitLength(m) > PREC) {
    m >>= 1n;
    k--;
  }
  // Half-ulp resolution: M = 2m at 2^-(k+1).
  const M = 2n * m;
  const e2 = -(k + 1);
  if (e2 >= 0) return undefined;
  const d = exactDigits(M, e2);
  const lower = exactDigits(M - 1n, e2);
  const upper = exactDigits(M + 1n, e2);
  if (lower.exp !== d.exp || upper.exp !== d.exp) return undefined;
  const inclusive = (m & 1n) === 0n;
  for (let i = 0; i < d.mant.length; i++) {
    const c = d.mant[i] as string;
    const l = lower.mant[i] ?? '0';
    const u = upper.mant[i] ?? '0';
    const okDown = l !== c || (inclusive && i + 1 === lower.mant.length);
    const okUp = c !== u && (inclusive || Number(c) + 1 < Number(u) || i + 1 < upper.mant.length);
    if (okDown && okUp) return roundAt(d, i + 1);
    if (okDown) return roundDownAt(d, i + 1);
    if (okUp) return roundUpAt(d, i + 1);
  }
  return d;
}

/** The digits bake prints for x if x is a small ratio that a double cannot print exactly; else undefined. */
export function ratioText(x: number): string | undefined {
  const neg = x < 0;
  const r = smallRatio(Math.abs(x));
  if (!r) return undefined;
  const [p, q] = r;
  // A ratio whose decimal terminates is printed right by a double's digits.
  let qq = q;
  while (qq % 2n === 0n) qq /= 2n;
  while (qq % 5n === 0n) qq /= 5n;
  if (qq === 1n) return undefined;
  const d = shortest512(p, q);
  if (!d) return undefined;
  let out: string;
  if (d.exp <= 0) out = '0.' + '0'.repeat(-d.exp) + d.mant;
  else if (d.exp >= d.mant.length) out = d.mant + '0'.repeat(d.exp - d.mant.length);
  else out = d.mant.slice(0, d.exp) + '.' + d.mant.slice(d.exp);
  return (neg ? '-' : '') + out;
}
