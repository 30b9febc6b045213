import { packageConfig } from '../../tsup.base';

export default packageConfig({ entry: ['src/main.ts', 'src/write-recipes.ts'], dts: false });
