import { defineConfig } from 'vitest/config';

// Tests that prune a shared BuildKit's cache (`prune --all`) would pull layers from under builds of other
// test files running at the same time, so they run in a second group, after everything else.
const pruning = [
  'test/integration/builder-cli.test.ts',
  'test/integration/outputs-push-cache.test.ts',
  'test/integration/content-store-remote.test.ts',
];

const common = {
  testTimeout: 120_000,
  hookTimeout: 180_000,
  pool: 'forks' as const,
  maxWorkers: 2,
  setupFiles: ['test/helpers/cleanup.ts'],
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...common, name: 'main', include: ['test/**/*.test.ts'], exclude: pruning, sequence: { groupOrder: 0 } } },
      { test: { ...common, name: 'pruning', include: pruning, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
