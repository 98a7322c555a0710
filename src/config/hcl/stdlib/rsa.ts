/**
 * rsadecrypt: RSA PKCS #1 v1.5 decryption with a PEM PKCS #1 private key, as go-cty-funcs does it.
 * Node's privateDecrypt refuses PKCS #1 v1.5 padding since the Marvin advisory, so the modular
 * exponentiation is done here with BigInt (bake files hold small, non-secret demo values at most).
 * https://github.com/hashicorp/go-cty-funcs/blob/main/crypto/rsa.go
 */
import { createPrivateKey } from 'node:crypto';
import { FunctionError } from '../value.js';

const b64url = (s: string): bigint => BigInt('0x' + (Buffer.from(s, 'base64url').toString('hex') || '0'));

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

export function rsaDecryptPKCS1v15(ciphertext: string, pem: string): string {
  const clean = ciphertext.replace(/[\r\n]/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(clean))
    throw new FunctionError(`failed to decode input ${JSON.stringify(ciphertext)}: cipher text must be base64-encoded`);
  const block = /-----BEGIN ([A-Z ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(pem);
  if (!block) throw new FunctionError('failed to parse key: no key found');
  if (/Proc-Type:\s*4,ENCRYPTED/.test(block[2] ?? ''))
    throw new FunctionError('failed to parse key: password protected keys are not supported. Please decrypt the key prior to use');
  if (block[1] !== 'RSA PRIVATE KEY')
    throw new FunctionError('x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)');
  let jwk: { n?: string; d?: string };
  try {
    jwk = createPrivateKey({ key: block[0], format: 'pem' }).export({ format: 'jwk' }) as { n?: string; d?: string };
  } catch {
    throw new FunctionError('x509: malformed private key');
  }
  if (!jwk.n || !jwk.d) throw new FunctionError('x509: malformed private key');
  const n = b64url(jwk.n);
  const k = Buffer.from(jwk.n, 'base64url').length;
  const c = Buffer.from(clean, 'base64');
  if (c.length > k || k < 11) throw new FunctionError('crypto/rsa: decryption error');
  const m = modPow(BigInt('0x' + (c.toString('hex') || '0')), b64url(jwk.d), n);
  const em = Buffer.from(m.toString(16).padStart(k * 2, '0'), 'hex');
  if (em[0] !== 0 || em[1] !== 2) throw new FunctionError('crypto/rsa: decryption error');
  const sep = em.indexOf(0, 2);
  if (sep < 10) throw new FunctionError('crypto/rsa: decryption error');
  return em.subarray(sep + 1).toString('utf8');
}
