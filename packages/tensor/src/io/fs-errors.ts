import { type Stats, existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { RRError } from '../errors.js';

/**
 * Turns a Node fs exception into an RRError that names the path, so callers never see a bare
 * `ENOENT: no such file or directory` without knowing which of their files it was about, or a
 * stack trace for a full or read-only disk. RRErrors pass through untouched.
 */
export function fsError(err: unknown, path: string, action: string): RRError {
  if (err instanceof RRError) return err;
  const code = errnoCode(err);
  const reason = err instanceof Error ? err.message : String(err);
  const named = (rrCode: string, why: string): RRError => new RRError(rrCode, `Cannot ${action} ${path}: ${why}`, { path, errno: code }, { cause: err });
  switch (code) {
    case 'ENOENT':
      return named('FILE_NOT_FOUND', `it does not exist. Check the path (relative paths are resolved against ${process.cwd()}).`);
    case 'EACCES':
    case 'EPERM':
      return named('FILE_ACCESS_DENIED', 'permission denied. Check its permissions, or choose a location you can write to.');
    case 'EROFS':
      return named('FILE_READ_ONLY', 'the file system is read-only. Choose a location on a writable disk.');
    case 'EISDIR':
      return named('FILE_IS_DIRECTORY', 'it is a directory. Pass the path of a file inside it, or another name.');
    case 'ENOTDIR':
      return named('FILE_NOT_DIRECTORY', 'a part of the path is a file, not a folder. Choose a path whose parents are folders.');
    case 'EEXIST':
      return named('FILE_EXISTS', 'a file with that name already exists where a folder is needed. Choose another path, or remove the file.');
    case 'ENOSPC':
    case 'EDQUOT':
      return named('FILE_NO_SPACE', 'the disk is full. Free some space (or choose another disk) and retry.');
    default:
      return new RRError('FILE_IO_ERROR', `Cannot ${action} ${path}: ${reason}`, { path, errno: code }, { cause: err });
  }
}

/**
 * Like {@link fsError}, but also re-addresses an RRError that some lower layer raised for an
 * internal name (a temp file inside `path`): the user is told about their own path.
 */
export function userPathError(err: unknown, path: string, action: string): RRError {
  const cause = err instanceof RRError ? err.cause : err;
  if (errnoCode(cause) !== undefined) return fsError(cause, path, action);
  return err instanceof RRError ? err : fsError(err, path, action);
}

/**
 * Creates the folder `path` (and its parents) for output, or accepts it as it is: every failure
 * (a file in the way, a read-only or full disk, no permission) is a named RRError about `path`.
 */
export function makeDirectory(path: string, what = 'output folder'): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    throw fsError(errnoCode(err) === 'ENOENT' ? (realMkdirError(path) ?? err) : err, path, `create the ${what}`);
  }
  if (!statSync(path).isDirectory()) {
    throw new RRError('FILE_EXISTS', `Cannot create the ${what} ${path}: a file with that name already exists. Choose another path, or remove the file.`, {
      path,
    });
  }
}

/**
 * Node's recursive mkdir reports ENOENT for a failure on any missing ancestor, even when the real
 * cause is a read-only disk or a permission: creating the first missing ancestor on its own
 * brings out the real error.
 */
function realMkdirError(path: string): unknown {
  let child = resolve(path);
  let parent = dirname(child);
  while (parent !== child && !existsSync(parent)) {
    child = parent;
    parent = dirname(child);
  }
  try {
    mkdirSync(child);
    rmdirSync(child);
    return undefined;
  } catch (err) {
    return err;
  }
}

/** `statSync` that returns undefined for a missing path and names the path for any other failure. */
export function statPath(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    throw fsError(err, path, 'look at');
  }
}

function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}
