import { type Options, defineConfig } from 'tsup';

/** The one tsup setup of every package and example: ESM for Node 20, declarations, source maps. */
export function packageConfig(overrides: Options = {}): ReturnType<typeof defineConfig> {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    ...overrides,
  });
}
