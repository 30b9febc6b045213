import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The read-only shared data folder: RR_SHARED_DATA, else `../shared/data` beside the repository
 * root (where CI has it). Tests that need it skip with this reason when it is absent.
 */
export function sharedDataDir(): string | undefined {
  if (process.env.RR_SHARED_DATA) return process.env.RR_SHARED_DATA;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, '..', 'shared', 'data');
    if (existsSync(join(candidate, 'README.md'))) return resolve(candidate);
    dir = dirname(dir);
  }
  return undefined;
}

export const SHARED_DATA_MISSING = 'shared data not found (set RR_SHARED_DATA or place it at ../shared/data)';
