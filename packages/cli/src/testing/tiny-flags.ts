/**
 * The layer shape the benchmark tests run (`rr bench block`, `rr bench train`, on CPU and WebGPU):
 * small enough for seconds on two cores, still with grouped-query attention.
 */
export const TINY_LAYER = ['--dim', '32', '--heads', '4', '--kv-heads', '2', '--seq', '16', '--batch', '2'];

/** `rr bench block` on the tiny layer: a warm-up and two timed steps. */
export const TINY_BLOCK = [...TINY_LAYER, '--ffn', '48', '--steps', '2'];
