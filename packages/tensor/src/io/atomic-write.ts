import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { RRError } from '../errors.js';
import { MAX_IO_BYTES } from './byte-source.js';
import { fsError } from './fs-errors.js';

/**
 * Writes a file so that readers only ever see the old content or the complete new content, even if
 * the process dies or the producer throws halfway: the bytes go to `${path}.tmp-<pid>-<random>` in
 * the same directory, are fsync'ed, and the temp file is renamed over `path` (atomic on POSIX within
 * one file system). On any failure the temp file is removed and `path` is left as it was.
 *
 * `produce` receives `append`, which writes one chunk immediately, so the content is streamed and
 * never has to exist as a single buffer.
 */
export function writeFileAtomically(path: string, produce: (append: (chunk: Uint8Array) => void) => void): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fd: number | undefined;
  try {
    try {
      // 'wx': fail rather than share a temp file with anyone (the name is random, so this is paranoia).
      fd = openSync(tmp, 'wx');
    } catch (err) {
      // the temp name is ours, not the user's: errors name the file they asked for
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new RRError(
          'FILE_NOT_FOUND',
          `Cannot create ${path}: the folder ${dirname(path)} does not exist. Create it first, or choose another path.`,
          { path },
          { cause: err },
        );
      }
      throw fsError(err, path, 'create');
    }
    const out = fd;
    produce((chunk) => {
      let done = 0;
      while (done < chunk.length) {
        try {
          done += writeSync(out, chunk, done, Math.min(chunk.length - done, MAX_IO_BYTES));
        } catch (err) {
          throw fsError(err, path, 'write');
        }
      }
    });
    try {
      fsyncSync(out);
      closeSync(out);
      fd = undefined;
      renameSync(tmp, path);
    } catch (err) {
      throw fsError(err, path, 'finish writing');
    }
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Already failing; the original error is the one worth reporting.
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // Never created, or already renamed: nothing to clean up.
    }
    if (err instanceof RRError) throw err;
    throw new RRError(
      'FILE_WRITE_FAILED',
      `Writing ${path} failed: ${err instanceof Error ? err.message : String(err)}. The previous content of ${path}, if any, is untouched.`,
      { path },
      { cause: err },
    );
  }
  syncDirectory(dirname(path));
}

/**
 * fsyncs the directory so the rename itself survives a power cut. Best effort: some platforms and
 * file systems refuse to open or fsync directories, and the data is already safely in place.
 */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // See above: not an error worth failing a completed write for.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
