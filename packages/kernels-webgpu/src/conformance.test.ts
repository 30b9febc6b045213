import { isRRError } from '@rr/tensor';
import { defineBackendConformance } from '@rr/tensor/testing';
import { createWebGPUBackend } from './create.js';
import { NO_ADAPTER } from './test-support.js';

/**
 * The conformance suite of @rr/tensor (every op forward and backward against an f64 reference,
 * f32 and, where the adapter has shader-f16, f16). Without an adapter it is skipped with the
 * reason, and on CI (CI=true) it fails instead.
 */
defineBackendConformance(
  'webgpu',
  async () => {
    try {
      return await createWebGPUBackend();
    } catch (e) {
      if (isRRError(e, 'WEBGPU_NO_ADAPTER')) return null;
      throw e;
    }
  },
  // f16 is held to the suite's default bound, 2e-3 forward and backward
  { skipReason: NO_ADAPTER },
);
