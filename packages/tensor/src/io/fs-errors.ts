import { RRError } from '../errors.js';

/**
 * Turns a Node fs exception into an RRError that names the path, so callers never see a bare
 * `ENOENT: no such file or directory` without knowing which of their files it was about.
 * RRErrors pass through untouched.
 */
export function fsError(err: unknown, path: string, action: string): RRError {
  if (err instanceof RRError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ENOENT':
      return new RRError(
        'FILE_NOT_FOUND',
        `Cannot ${action} ${path}: it does not exist. Check the path (relative paths are resolved against ${process.cwd()}).`,
        { path },
        { cause: err },
      );
    case 'EACCES':
    case 'EPERM':
      return new RRError('FILE_ACCESS_DENIED', `Cannot ${action} ${path}: permission denied. Check its permissions.`, { path }, { cause: err });
    case 'EISDIR':
      return new RRError('FILE_IS_DIRECTORY', `Cannot ${action} ${path}: it is a directory. Pass the path of a file inside it.`, { path }, { cause: err });
    case 'ENOSPC':
      return new RRError('FILE_NO_SPACE', `Cannot ${action} ${path}: the disk is full. Free some space and retry.`, { path }, { cause: err });
    default:
      return new RRError('FILE_IO_ERROR', `Cannot ${action} ${path}: ${reason}`, { path, errno: code }, { cause: err });
  }
}
