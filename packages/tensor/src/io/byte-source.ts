import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { RRError } from '../errors.js';
import { fsError } from './fs-errors.js';

/**
 * Random-access bytes of a safetensors file, either on disk or in memory.
 *
 * Node has no mmap, so "memory-mapped" is not on offer: a file source keeps a file descriptor open
 * and reads each requested range with `fs.readSync` at its offset, on demand. Only the ranges asked
 * for are ever in memory, which is what lets multi-GB checkpoints be opened and read tensor by
 * tensor.
 */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Fills `dest` with the bytes at [offset, offset + dest.length). `what` names the range in
   * messages (e.g. `tensor "wte"`).
   */
  readInto(offset: number, dest: Uint8Array, what: string): void;
  close(): void;
}

/** Largest single read or write request; larger transfers loop. */
export const MAX_IO_BYTES = 1 << 30;

/** Opens `path` for reading; the caller must `close()` it. */
export function openFileSource(path: string): ByteSource {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw fsError(err, path, 'open');
  }
  let size: number;
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) {
      throw new RRError('FILE_IS_DIRECTORY', `Cannot open ${path}: it is a directory. Pass the path of a .safetensors file.`, { path });
    }
    size = stat.size;
  } catch (err) {
    closeSync(fd);
    throw fsError(err, path, 'open');
  }

  let open = true;
  return {
    size,
    readInto(offset, dest, what) {
      let done = 0;
      while (done < dest.length) {
        let n: number;
        try {
          // One call reads at most ~2 GiB on Linux and may return less than asked; ask for at most
          // 1 GiB (well inside every platform's per-call limit) and loop.
          n = readSync(fd, dest, done, Math.min(dest.length - done, MAX_IO_BYTES), offset + done);
        } catch (err) {
          throw fsError(err, path, `read ${what} from`);
        }
        if (n === 0) {
          throw new RRError(
            'SAFETENSORS_TRUNCATED',
            `${path}: reading ${what} hit the end of the file at byte ${offset + done}; the file shrank after it was opened. Re-open it once whatever is writing it has finished.`,
            { file: path, offset: offset + done },
          );
        }
        done += n;
      }
    },
    close() {
      if (open) {
        open = false;
        closeSync(fd);
      }
    },
  };
}

/** A source over bytes already in memory (they are copied on read, never aliased). */
export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    readInto(offset, dest) {
      dest.set(bytes.subarray(offset, offset + dest.length));
    },
    close() {},
  };
}
