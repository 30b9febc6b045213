// Small tmpfs mounts for the disk-full and read-only tests (root only; callers skip otherwise).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';

/** Whether this process may mount a tmpfs (root on Linux). */
export function canMountTmpfs() {
  return process.platform === 'linux' && process.getuid?.() === 0;
}

export function mountTmpfs(dir, size, { readOnly = false } = {}) {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${readOnly ? ',ro' : ''}`, 'tmpfs', dir]);
}

export function unmount(dir) {
  execFileSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
}
