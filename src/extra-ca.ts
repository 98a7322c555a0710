/**
 * `NODE_EXTRA_CA_CERTS` without its start-up cost.
 *
 * When the variable is set, Node 20 builds its whole root store (its ~145 bundled certificates) and reads
 * the extra file while it starts, before any tsbake code runs: 40–80 ms of every command on the machines
 * measured here (`node -e 0`: 100–120 ms with it, 30–40 ms without), for commands that mostly never open a
 * TLS connection (a build over a unix socket, `print`, `plan`). Node 20 offers no way to add certificates to
 * its default store later (`tls.setDefaultCACertificates` is Node 22.15+).
 *
 * So `bin/tsbake.js` starts Node through /bin/sh with the variable moved to `TSBAKE_EXTRA_CA_CERTS`, and
 * this module gives back what Node would have done, lazily:
 * - the variable is put back into `process.env`, so child processes (credential helpers, `ssh-add`) see it;
 * - every TLS secure context created without a `ca` option (tls.connect, https, fetch, and the Docker and
 *   Kubernetes clients' requests) trusts Node's bundled roots plus the file's certificates. A context given
 *   its own `ca` is left alone, as Node leaves it (its docs: neither the well-known nor the extra
 *   certificates are used when `ca` is given).
 * - the file is read at the first such context; one that cannot be read or parsed is ignored with Node's
 *   own warning, once, as Node ignores it.
 * Not deferred (the /bin/sh line in bin/tsbake.js leaves the variable to Node): `--use-openssl-ca` or
 * `--use-system-ca` in NODE_OPTIONS, whose default store is not Node's bundled one.
 */
import fs from 'node:fs';
import tls from 'node:tls';

/** Where bin/tsbake.js's /bin/sh line moved `NODE_EXTRA_CA_CERTS` to. */
export const DEFERRED_EXTRA_CA_ENV = 'TSBAKE_EXTRA_CA_CERTS';

type CreateSecureContext = typeof tls.createSecureContext;

let installed: { file: string; original: CreateSecureContext } | undefined;

/**
 * Puts a deferred `NODE_EXTRA_CA_CERTS` back (see the module comment). Returns the file, or undefined when
 * nothing was deferred. Called once, first thing, by bin/tsbake.js.
 */
export function restoreExtraCaCertificates(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env[DEFERRED_EXTRA_CA_ENV];
  delete env[DEFERRED_EXTRA_CA_ENV];
  if (!file) return undefined;
  env['NODE_EXTRA_CA_CERTS'] = file;
  if (installed) return file;
  const original = tls.createSecureContext;
  installed = { file, original };
  let ca: string[] | undefined;
  const withExtraCa: CreateSecureContext = (options) => {
    if (options?.ca !== undefined) return original(options);
    ca ??= readExtraCa(file, original);
    return original({ ...options, ca });
  };
  // The module object is what tls.connect, https and fetch (undici) call through, so one assignment covers them.
  (tls as { createSecureContext: CreateSecureContext }).createSecureContext = withExtraCa;
  return file;
}

/** Node's bundled roots plus the file's certificates; the roots alone (with Node's warning) when the file is unusable. */
function readExtraCa(file: string, original: CreateSecureContext): string[] {
  const roots = [...tls.rootCertificates];
  try {
    const pem = fs.readFileSync(file, 'utf8');
    original({ ca: pem }); // parses it once, so a bad file is one warning rather than a failure per connection
    return [...roots, pem];
  } catch (err) {
    process.stderr.write(`Warning: Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}\n`);
    return roots;
  }
}
