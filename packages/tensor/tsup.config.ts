import { packageConfig } from '../../tsup.base';

export default packageConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'cpu/matmul-worker': 'src/cpu/wasm/matmul-worker.ts',
  },
  external: ['vitest'],
});
