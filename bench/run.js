// `npm run bench [name…]`: runs the benchmark scripts (all by default) and appends their tables to
// bench/out/results.md. Needs the test environment (scripts/test-env.sh) and a build (npm run build).
const all = ['print', 'hcl', 'build', 'load', 'kubernetes', 'watch', 'push', 'issue11', 'multinode'];
const names = process.argv.slice(2).length ? process.argv.slice(2) : all;
for (const name of names) {
  let mod;
  try {
    mod = await import(`./${name}.js`);
  } catch (err) {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && !process.argv.slice(2).length) continue;
    throw err;
  }
  process.stdout.write(`\n# bench: ${name}\n`);
  await mod.main();
}
