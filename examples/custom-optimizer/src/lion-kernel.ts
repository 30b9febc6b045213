import type { Tensor } from '@rr/tensor';
import { jsKernel } from '@rr/js-kernels';
import { Lion } from './lion.js';

/**
 * Lion's update written once, as plain JavaScript kernels (@rr/js-kernels): on the CPU backend
 * the functions run as they are, on WebGPU gpu.js translates them to WGSL that runs on the
 * backend's own device and buffers. `assign` updates p and m in place; the kernels read p and m
 * while writing them, which the ping-pong behind `assign` makes safe.
 */
const lionParameter = jsKernel(function lionParameter(p, m, g, lr, decay, w1) {
  const i = this.thread.x;
  return p[i] * decay - lr * Math.sign(m[i] + w1 * (g[i] - m[i]));
});

const lionMomentum = jsKernel(function lionMomentum(m, g, w2) {
  const i = this.thread.x;
  return m[i] + w2 * (g[i] - m[i]);
});

export class KernelLion extends Lion {
  protected override update(p: Tensor, m: Tensor, g: Tensor, lr: number): void {
    lionParameter.assign(p, p, m, g, lr, 1 - lr * this.weightDecay, 1 - this.beta1);
    lionMomentum.assign(m, m, g, 1 - this.beta2);
  }
}
