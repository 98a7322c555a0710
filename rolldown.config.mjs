// The CLI as a few ESM chunks (`npm run build` runs tsc, then this): loading ~150 small modules one by
// one (tsbake's own and @grpc/grpc-js's) was most of the CLI's start-up. Entry: dist/cli/main.js
// (tsc's output); output: dist/bundle/, loaded by bin/tsbake.js. Drivers, watch and kubernetes stay
// separate chunks, imported only when used. The library entry (dist/index.js) is not bundled.
// External: Node's modules; dockerode and @kubernetes/client-node (heavy, loaded lazily, with native
// and optional parts of their own); protobufjs (it looks up optional modules with an eval'd `require`
// that a bundle cannot see).
export default {
  input: { cli: 'dist/cli/main.js' },
  platform: 'node',
  external: [/^node:/, /^dockerode(\/|$)/, /^@kubernetes\//, /^ssh2(\/|$)/, /^cpu-features(\/|$)/, /^protobufjs(\/|$)/],
  output: { dir: 'dist/bundle', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs' },
  logLevel: 'warn',
};
