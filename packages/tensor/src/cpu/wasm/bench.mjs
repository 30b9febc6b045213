#!/usr/bin/env node
// Hand-run benchmark of the WebAssembly matmul (not part of the test suite).
//
//   node packages/tensor/scripts/build-wasm.mjs          # once, produces the .generated.ts
//   node packages/tensor/src/cpu/wasm/bench.mjs [sizes...] [--threads=1,2] [--secs=1]
//
// It bundles matmul.ts and the worker entry with tsup into a temporary directory laid
// out like dist/ (index.js + cpu/matmul-worker.js), so it also exercises the file
// worker path that the published package uses. Times include the copies in and out
// of wasm memory, as a caller sees them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';

const here = dirname(fileURLToPath(import.meta.url));
const opts = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => a.slice(2).split('=')),
);
const sizes = process.argv.slice(2).filter((a) => !a.startsWith('--')).map(Number);
if (sizes.length === 0) sizes.push(256, 512, 1024);
const threadCounts = (opts.threads ?? '1,2').split(',').map(Number);
const secs = Number(opts.secs ?? 1);

const outDir = mkdtempSync(join(tmpdir(), 'rr-wasm-bench-'));
try {
  await build({
    entry: { index: join(here, 'matmul.ts'), 'cpu/matmul-worker': join(here, 'matmul-worker.ts') },
    outDir,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: false,
    sourcemap: false,
    silent: true,
    config: false,
    // Fixed names whatever the cwd's package.json says, as in the real dist/.
    outExtension: () => ({ js: '.js' }),
  });
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}\n');
  const { createWasmMatmul } = await import(pathToFileURL(join(outDir, 'index.js')).href);

  const rand = (len) => {
    const x = new Float32Array(len);
    for (let i = 0; i < len; i++) x[i] = Math.random() * 2 - 1;
    return x;
  };

  console.log('size  case          threads  GFLOP/s (best)  GFLOP/s (median)  ms/call');
  for (const threads of threadCounts) {
    const mm = createWasmMatmul({ threads });
    await mm.ready();
    for (const s of sizes) {
      for (const transB of [false, true]) {
        const args = { a: rand(s * s), b: rand(s * s), out: new Float32Array(s * s), batch: 1, m: s, n: s, k: s, transA: false, transB, bBatched: false };
        const flops = 2 * s * s * s;
        // Warm-up: lets V8 tier the wasm up from its baseline compiler.
        const warmEnd = performance.now() + 300;
        while (performance.now() < warmEnd) mm.run(args);
        const rates = [];
        const end = performance.now() + secs * 1000;
        while (performance.now() < end || rates.length < 5) {
          const t0 = performance.now();
          mm.run(args);
          rates.push(flops / ((performance.now() - t0) * 1e6));
        }
        rates.sort((x, y) => x - y);
        const best = rates[rates.length - 1];
        const median = rates[rates.length >> 1];
        console.log(
          `${String(s).padEnd(5)} ${(transB ? 'A @ B^T' : 'A @ B').padEnd(13)} ${String(threads).padEnd(8)} ` +
            `${best.toFixed(1).padStart(14)}  ${median.toFixed(1).padStart(16)}  ${(flops / median / 1e6).toFixed(2).padStart(7)}`,
        );
      }
    }
    mm.destroy();
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
