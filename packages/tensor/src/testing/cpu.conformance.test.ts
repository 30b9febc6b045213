import { createCpuBackend } from '../cpu/backend.js';
import { defineBackendConformance } from './conformance.js';

defineBackendConformance('cpu', () => createCpuBackend());

// The single-threaded path of the CPU matmul (no workers) gets its own run of the cases whose
// kernels depend on the thread count: matmul itself and the composites built on it.
defineBackendConformance('cpu (1 thread)', () => createCpuBackend({ threads: 1 }), {
  dtypes: ['f32'],
  filter: (c) => c.group === 'matmul' || c.group === 'composite',
});
