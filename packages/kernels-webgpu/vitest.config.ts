import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Dawn is a native addon with its own threads: one process per test file, reused for nothing
    // else, so that a device torn down at the end of a file can never take another file's with it.
    pool: 'forks',
    isolate: true,
  },
});
