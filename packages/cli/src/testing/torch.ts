import { execFileSync } from 'node:child_process';
import { PYTHON } from '../commands/torch-python.js';

/** Whether the PyTorch peers can run here: tests that need them skip, with this reason, where they cannot. */
function torchAvailable(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

export const hasTorch = torchAvailable();
export const NO_TORCH = `skipped: ${PYTHON} cannot import torch`;
