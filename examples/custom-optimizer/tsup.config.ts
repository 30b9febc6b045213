import { packageConfig } from '../../tsup.base';

export default packageConfig({ entry: ['src/main.ts', 'src/bench.ts'], dts: false });
