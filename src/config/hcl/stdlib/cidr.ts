/**
 * cidrhost, cidrnetmask, cidrsubnet, cidrsubnets (hashicorp/go-cty-funcs cidr, on
 * apparentlymart/go-cidr), for IPv4 and IPv6, addresses printed as Go's net.IP prints them.
 * https://github.com/hashicorp/go-cty-funcs/tree/main/cidr
 */
import { FunctionError, type StdlibFunction, type Value } from '../value.js';
import { argError, fixed, int, str, variadic } from './args.js';

interface Network {
  ip: bigint;
  bits: number; // 32 or 128
  prefix: number;
}

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith('0'))) return undefined;
    n = (n << 8n) | BigInt(p);
  }
  return n;
}

function parseIPv6(s: string): bigint | undefined {
  if (s.includes('.')) {
    const i = s.lastIndexOf(':');
    const v4 = parseIPv4(s.slice(i + 1));
    if (v4 === undefined || i < 0) return undefined;
    return parseIPv6(`${s.slice(0, i + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string): bigint[] | undefined => {
    if (h === '') return [];
    const out: bigint[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt('0x' + g));
    }
    return out;
  };
  const head = parse(halves[0] as string);
  const back = halves.length === 2 ? parse(halves[1] as string) : [];
  if (!head || !back) return undefined;
  const count = head.length + back.length;
  if (halves.length === 2 ? count > 7 : count !== 8) return undefined;
  const all = [...head, ...new Array<bigint>(8 - count).fill(0n), ...back];
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}

function parseCIDR(s: string): Network {
  const fail = (): FunctionError => new FunctionError(`invalid CIDR expression: invalid CIDR address: ${s}`);
  const slash = s.indexOf('/');
  if (slash < 0) throw fail();
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  const v4 = parseIPv4(addr);
  const ip = v4 ?? parseIPv6(addr);
  if (ip === undefined || !/^\d+$/.test(len)) throw fail();
  let bits = v4 !== undefined ? 32 : 128;
  let prefix = Number(len);
  let value = ip;
  // An IPv4-mapped IPv6 address is IPv4 to Go's net package.
  if (bits === 128 && ip >> 32n === 0xffffn && prefix >= 96) {
    bits = 32;
    prefix -= 96;
    value = ip & 0xffffffffn;
  }
  if (prefix > bits) throw fail();
  return { ip: value & mask(bits, prefix), bits, prefix };
}

function mask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

export function formatIP(ip: bigint, bits: number): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((s) => String((ip >> s) & 0xffn)).join('.');
  if (ip >> 32n === 0xffffn) return '::ffff:' + formatIP(ip & 0xffffffffn, 32);
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip >> BigInt((7 - i) * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

const formatNet = (n: Network): string => `${formatIP(n.ip, n.bits)}/${n.prefix}`;

function host(n: Network, num: number): string {
  const hostBits = BigInt(n.bits - n.prefix);
  const max = 1n << hostBits;
  let k = BigInt(num);
  if (k < 0n) k += max;
  if (k < 0n || k >= max) throw new FunctionError(`prefix of ${n.prefix} does not accommodate a host numbered ${num}`);
  return formatIP(n.ip | k, n.bits);
}

function subnet(n: Network, newbits: number, num: number): Network {
  const prefix = n.prefix + newbits;
  if (prefix > n.bits) throw new FunctionError(`insufficient address space to extend prefix of ${n.prefix} by ${newbits}`);
  const max = 1n << BigInt(newbits);
  if (BigInt(num) >= max || num < 0) throw new FunctionError(`prefix extension of ${newbits} does not accommodate a subnet numbered ${num}`);
  return { ip: n.ip | (BigInt(num) << BigInt(n.bits - prefix)), bits: n.bits, prefix };
}

export const cidrFunctions: Record<string, StdlibFunction> = {
  cidrhost: fixed(2, (a) => {
    const num = int(a, 1, 'hostnum');
    return host(parseCIDR(str(a, 0, 'prefix')), num);
  }),
  cidrnetmask: fixed(1, (a) => {
    const n = parseCIDR(str(a, 0, 'prefix'));
    return formatIP(mask(n.bits, n.prefix), n.bits === 32 ? 32 : 0);
  }),
  cidrsubnet: fixed(3, (a) => {
    const newbits = int(a, 1, 'newbits');
    const netnum = int(a, 2, 'netnum');
    const n = parseCIDR(str(a, 0, 'prefix'));
    if (newbits > 32) throw new FunctionError('may not extend prefix by more than 32 bits');
    return formatNet(subnet(n, newbits, netnum));
  }),
  cidrsubnets: variadic(1, (a) => {
    let n: Network;
    try {
      n = parseCIDR(str(a, 0, 'prefix'));
    } catch (e) {
      throw argError(0, 'prefix', (e as Error).message);
    }
    const out: Value[] = [];
    let next = n.ip;
    const end = n.ip + (1n << BigInt(n.bits - n.prefix));
    for (let i = 1; i < a.length; i++) {
      const bits = int(a, i, 'newbits');
      if (bits < 1) throw argError(i, 'newbits', 'must extend prefix by at least one bit');
      if (bits > 32) throw argError(i, 'newbits', 'may not extend prefix by more than 32 bits');
      const length = n.prefix + bits;
      if (length > n.bits)
        throw argError(i, 'newbits', `would extend prefix to ${length} bits, which is too long for an ${n.bits === 32 ? 'IPv4' : 'IPv6'} address`);
      const size = 1n << BigInt(n.bits - length);
      const start = ((next + size - 1n) / size) * size;
      if (start + size > end) {
        const prev = out.length > 0 ? (out[out.length - 1] as string) : formatNet({ ip: n.ip - size < 0n ? 0n : n.ip - size, bits: n.bits, prefix: length });
        throw argError(i, 'newbits', `not enough remaining address space for a subnet with a prefix of ${length} bits after ${prev}`);
      }
      out.push(formatNet({ ip: start, bits: n.bits, prefix: length }));
      next = start + size;
    }
    return out;
  }),
};
