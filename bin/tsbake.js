#!/bin/sh
":" //; case "$NODE_EXTRA_CA_CERTS:$NODE_OPTIONS" in :*|*openssl-ca*|*system-ca*) ;; *) export TSBAKE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"; unset NODE_EXTRA_CA_CERTS;; esac; case "$1:$NODE_OPTIONS" in run:*semi-space*|watch:*semi-space*) ;; run:*|watch:*) exec node --max-semi-space-size=1 "$0" "$@";; esac; exec node "$0" "$@"
// The line above is /bin/sh's (for JavaScript it is a string and a comment): run as a program, this file
// starts Node with NODE_EXTRA_CA_CERTS moved aside, because Node 20 reads that file and builds its whole
// root store while it starts (40-80 ms of every command where it is set); src/extra-ca.ts puts it back and
// adds the certificates lazily where Node would have. `node bin/tsbake.js` skips the line and works as before.
//
// `run` and `watch` also get a young generation of at most 1 MB per semi-space (V8's default grows it to
// 16 MB; the size can only be set when Node starts, `v8.setFlagsFromString` comes too late). A transfer's
// Buffers (Node's JS stream wrapper copies every HTTP/2 frame of a Control.Session, reads land in fresh
// buffers) die young, but their memory is only freed by a scavenge: with 16 MB semi-spaces scavenges came
// every ~30 MB of dead buffers (arrayBuffers oscillated 3-33 MB), beside a 32 MB new space, all resident.
// Peak RSS of a 10,000-file context 113 -> 80 MB (remote builder), 84 -> 74 MB (docker driver), of a
// 200 MB `--load` 110 -> 84 MB; instructions (cachegrind) unchanged within run-to-run noise on those, +1%
// on a tiny cached build. A NODE_OPTIONS that sets a semi-space size is left as it is; the flag applies
// only when the command is the first argument.
//
// Entry point, a CommonJS script (bin/package.json): an ES module entry costs Node its ES module loader
// at start-up (~18 M instructions, ~4% of a cached run); the code cache loader and extra-ca.ts come as
// CommonJS entries of the bundle. `--version` answers without loading anything heavy. The CLI runs from
// its CommonJS bundle (dist/bundle, see rolldown.config.mjs) through V8's code cache (src/code-cache.ts),
// and falls back to tsc's ES modules when there is no bundle or when this Node cannot require() an ES
// module (before 20.19; the kubernetes driver's client is one).
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const bundle = path.join(dist, 'bundle');
// A bundle only where this Node can require() an ES module (the kubernetes driver's client is one).
const bundled = process.features.require_module && existsSync(path.join(bundle, 'cli.cjs'));

async function start() {
  if (process.env.TSBAKE_EXTRA_CA_CERTS !== undefined) {
    (bundled ? require(path.join(bundle, 'extra-ca.cjs')) : await import('../dist/extra-ca.js')).restoreExtraCaCertificates();
  }
  const first = process.argv[2];
  const version = () => JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
  if (first === '--version' || first === '-V' || first === '-v') {
    process.stdout.write(`tsbake ${version()}\n`);
    return;
  }
  // The young generation grows 8x per step instead of 2x: a config's parse tree and values survive to
  // the end, so each of the ~11 scavenges of a 1,000-target print copied them again (GC was ~20% of it);
  // now ~6 scavenges, about half the GC time, for ~5 MB more peak RSS. V8 reads this flag at each growth.
  // Only for the short config commands: a long run or watch keeps V8's defaults.
  if (['print', 'plan', 'list', 'validate'].includes(first)) require('node:v8').setFlagsFromString('--semi-space-growth-factor=8');
  const argv = process.argv.slice(2);
  if (bundled) {
    const { runBundle } = require(path.join(bundle, 'code-cache.cjs'));
    process.exitCode = await runBundle(path.join(bundle, 'cli.cjs'), argv, { env: process.env, version: version(), command: first ?? '' });
  } else {
    const { main } = await import('../dist/cli/main.js');
    process.exitCode = await main(argv);
  }
}

start().catch((err) => {
  process.stderr.write(`tsbake: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
