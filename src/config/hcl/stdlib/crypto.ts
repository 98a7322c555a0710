/**
 * Hashes, bcrypt, RSA decryption and UUIDs (hashicorp/go-cty-funcs crypto and uuid).
 * https://github.com/hashicorp/go-cty-funcs/tree/main/crypto
 */
import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { FunctionError, type StdlibFunction } from '../value.js';
import { fixed, int, str, variadic } from './args.js';
import { rsaDecryptPKCS1v15 } from './rsa.js';

// bcryptjs (~37 kB) is evaluated only for a config that calls bcrypt(): the loader imports it first
// (preloadBcrypt, a chunk of the CLI's bundle compiled through the code cache) when a file's text names
// the function; any other caller of the evaluator (the library API) gets it through require().
type Bcrypt = Pick<typeof import('bcryptjs'), 'hashSync' | 'genSaltSync'>;
let bcryptModule: Bcrypt | undefined;
const requireModule = createRequire(import.meta.url);
function bcryptLib(): Bcrypt {
  return (bcryptModule ??= requireModule('bcryptjs') as Bcrypt);
}

/** Loads bcryptjs ahead of an evaluation that may call bcrypt() (a synchronous call). */
export async function preloadBcrypt(): Promise<void> {
  if (bcryptModule) return;
  const m = (await import('bcryptjs')).default;
  bcryptModule ??= m;
}

const hash = (algo: string): StdlibFunction =>
  fixed(1, (a) => createHash(algo).update(str(a, 0, 'str'), 'utf8').digest('hex'));

const NAMESPACES: Record<string, string> = {
  dns: '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
  url: '6ba7b811-9dad-11d1-80b4-00c04fd430c8',
  oid: '6ba7b812-9dad-11d1-80b4-00c04fd430c8',
  x500: '6ba7b814-9dad-11d1-80b4-00c04fd430c8',
};

/** google/uuid's Parse: the 36-character form, optionally as urn:uuid: or in braces, or 32 hex digits. */
function parseUUID(s: string): Buffer {
  let t = s;
  if (t.length === 45 && t.toLowerCase().startsWith('urn:uuid:')) t = t.slice(9);
  else if (t.length === 38 && t.startsWith('{') && t.endsWith('}')) t = t.slice(1, -1);
  if (t.length === 36) {
    if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(t)) throw new Error('invalid UUID format');
    return Buffer.from(t.replaceAll('-', ''), 'hex');
  }
  if (t.length === 32) {
    if (!/^[0-9a-fA-F]{32}$/.test(t)) throw new Error('invalid UUID format');
    return Buffer.from(t, 'hex');
  }
  throw new Error(`invalid UUID length: ${s.length}`);
}

function formatUUID(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function uuidV5(namespace: string, name: string): string {
  let ns: Buffer;
  try {
    ns = parseUUID(NAMESPACES[namespace] ?? namespace);
  } catch (e) {
    throw new FunctionError(`uuidv5() doesn't support namespace ${namespace} (${(e as Error).message})`);
  }
  const h = createHash('sha1').update(ns).update(Buffer.from(name, 'utf8')).digest().subarray(0, 16);
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  return formatUUID(Buffer.from(h));
}

export const cryptoFunctions: Record<string, StdlibFunction> = {
  md5: hash('md5'),
  sha1: hash('sha1'),
  sha256: hash('sha256'),
  sha512: hash('sha512'),
  bcrypt: variadic(1, (a) => {
    const input = str(a, 0, 'str');
    let cost = 10;
    if (a.length > 1) cost = int(a, 1, 'cost');
    if (a.length > 2) throw new FunctionError('bcrypt() takes no more than two arguments');
    if (cost < 4 || cost > 31)
      throw new FunctionError(`error occured generating password crypto/bcrypt: cost ${cost} is outside allowed inclusive range 4..31`);
    if (Buffer.byteLength(input) > 72)
      throw new FunctionError('error occured generating password bcrypt: password length exceeds 72 bytes');
    // Go's x/crypto/bcrypt writes the $2a$ prefix.
    const bcryptjs = bcryptLib();
    return bcryptjs.hashSync(input, bcryptjs.genSaltSync(cost)).replace(/^\$2b\$/, '$2a$');
  }),
  rsadecrypt: fixed(2, (a) => {
    const ciphertext = str(a, 0, 'ciphertext');
    const key = str(a, 1, 'privatekey');
    return rsaDecryptPKCS1v15(ciphertext, key);
  }),
  uuidv4: fixed(0, () => randomUUID()),
  uuidv5: fixed(2, (a) => uuidV5(str(a, 0, 'namespace'), str(a, 1, 'name'))),
};

