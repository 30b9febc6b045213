import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create([]);
globalThis.navigator = { gpu };
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-webgpu');
await tf.setBackend('webgpu'); await tf.ready();
console.log('backend', tf.getBackend());
for (const n of (process.env.SIZES ?? "256,512,1024").split(",").map(Number)) {
  const a = tf.randomUniform([n, n]); const b = tf.randomUniform([n, n]);
  const once = async () => { const t0 = performance.now(); const c = tf.matMul(a, b); await c.data(); c.dispose(); return performance.now() - t0; };
  await once(); await once();
  const c0 = process.cpuUsage(); const ts = []; const end = performance.now() + 2000; while (ts.length < 3 || performance.now() < end) ts.push(await once()); const cu = process.cpuUsage(c0); console.log("cpu-rate", (2 * n ** 3 / ((cu.user + cu.system) / 1000 / ts.length) / 1e6).toFixed(2));
  ts.sort((x, y) => x - y); const ms = ts[ts.length >> 1];
  console.log(n, ms.toFixed(2), (2 * n ** 3 / ms / 1e6).toFixed(2), 'GFLOP/s', ts.length);
}
tf.engine().backend.device?.destroy?.();
process.exit(0);
