import { createWebGPUBackend } from '../dist/index.js';
const be = await createWebGPUBackend();
const t = (s) => performance.now() - s;
for (const [transA, transB] of [[false,false],[false,true],[true,false],[true,true]]) for (const sz of [64, 37]) {
  const a = be.upload(new Float32Array(sz*sz).fill(1), [sz, sz], 'f32');
  const s = performance.now();
  const c = be.matmul(a, a, { transA, transB });
  await c.read();
  console.log(transA, transB, sz, t(s).toFixed(0), 'ms');
}
be.destroy();
