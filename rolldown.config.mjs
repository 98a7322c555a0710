// The CLI as a few CommonJS chunks (`npm run build` runs tsc, then this): loading ~150 small modules one
// by one (tsbake's own and @grpc/grpc-js's) was most of the CLI's start-up. Entry: dist/cli/main.js
// (tsc's output); output: dist/bundle/cli.cjs and its chunks, run by bin/tsbake.js through
// src/code-cache.ts, which compiles each chunk with V8's code cache (Node 20 has none for ES modules).
// bin/tsbake.js (CommonJS) requires two more entries, code-cache.cjs and extra-ca.cjs. The HCL
// evaluator, compose, yaml, bcryptjs, the drivers, watch, kubernetes, the schema validator, the report
// and execa stay separate chunks, loaded only when used. The library entry (dist/index.js) is not bundled.
// External: Node's modules; dockerode and @kubernetes/client-node (heavy, loaded lazily, with native and
// optional parts of their own; the latter is an ES module, which the CommonJS chunks require() — Node
// 20.19+, see bin/tsbake.js). protobufjs is bundled: its optional `require(name)` (long, buffer) is the
// chunk's own require, Node's. `strict`: every chunk starts with "use strict", as the ES modules it is
// made of are strict (and bundled CommonJS packages ran strict in the ESM bundle before).
// protobufjs finds `long` with an eval'd require (`util.inquire("long")`), which a bundler cannot see, so
// Node resolved and compiled the package on every run that loaded the gRPC client (~5 ms). As a plain
// require it is bundled into the client chunk, which the code cache holds.
const protobufLong = {
  name: 'protobufjs-long',
  transform(code, id) {
    if (!/protobufjs[\\/]src[\\/]util[\\/]minimal\.js$/.test(id)) return null;
    const out = code.replace('util.inquire("long")', 'require("long")');
    if (out === code) throw new Error(`protobufjs-long: util.inquire("long") is no longer in ${id}`);
    return { code: out, map: null };
  },
};

// commander requires node:child_process at its top, for executable subcommands tsbake has none of: that
// loaded child_process, dgram and their bindings on every run. Required when a spawn happens instead.
const commanderLazySpawn = {
  name: 'commander-lazy-child-process',
  transform(code, id) {
    if (!/commander[\\/]lib[\\/]command\.js$/.test(id)) return null;
    const eager = "const childProcess = require('node:child_process');";
    if (!code.includes(eager)) throw new Error(`commander-lazy-child-process: "${eager}" is no longer in ${id}`);
    return { code: code.replace(eager, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"), map: null };
  },
};

// A package that is a lazy chunk (`await import(name)` before a synchronous use) may still be needed by a
// synchronous path that did not load it first: src/config/parse.ts's `yaml` for a position asked in a
// JSON file (a warning of the planner), src/config/hcl/stdlib/crypto.ts's `bcryptjs` for a caller of the
// evaluator that did not preload it. Their fallback, `requireModule("<name>")` (createRequire), would go
// through Node's loader (yaml: ~80 files resolved and compiled, no code cache); here it becomes a require()
// of the package's own chunk, which the bundle's loader (src/code-cache.ts) compiles through the cache.
const LAZY_PACKAGES = { yaml: 'node_modules/yaml/dist/index.js', bcryptjs: 'node_modules/bcryptjs/index.js' };
const lazyPackageRequires = {
  name: 'lazy-package-requires',
  generateBundle(_options, bundle) {
    const chunks = Object.values(bundle).filter((c) => c.type === 'chunk');
    for (const [name, entry] of Object.entries(LAZY_PACKAGES)) {
      const own = chunks.find((c) => c.moduleIds.some((id) => id.replaceAll('\\', '/').endsWith(entry)));
      if (!own) throw new Error(`lazy-package-requires: no chunk holds ${entry}`);
      const call = new RegExp(`\\brequireModule(?:\\$\\d+)?\\(${JSON.stringify(name)}\\)`, 'g');
      let found = 0;
      for (const c of chunks) {
        c.code = c.code.replace(call, () => {
          found++;
          return `require(${JSON.stringify(`./${own.fileName}`)}).default`;
        });
      }
      if (found !== 1) throw new Error(`lazy-package-requires: expected one requireModule(${JSON.stringify(name)}), found ${found}`);
    }
  },
};

export default {
  input: { cli: 'dist/cli/main.js', 'code-cache': 'dist/code-cache.js', 'extra-ca': 'dist/extra-ca.js' },
  plugins: [protobufLong, commanderLazySpawn, lazyPackageRequires],
  platform: 'node',
  external: [/^node:/, /^dockerode(\/|$)/, /^@kubernetes\//, /^ssh2(\/|$)/, /^cpu-features(\/|$)/],
  output: { dir: 'dist/bundle', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: (c) => (c.moduleIds.some((id) => id.replaceAll('\\', '/').endsWith(LAZY_PACKAGES.yaml)) ? 'yaml-[hash].cjs' : '[name]-[hash].cjs'), cleanDir: true, strict: true, comments: { legal: true, annotation: false, jsdoc: false } },
  logLevel: 'warn',
};
