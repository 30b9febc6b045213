import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RRError } from '../errors.js';
import { fsError, makeDirectory, statPath, userPathError } from './fs-errors.js';

const dir = mkdtempSync(join(tmpdir(), 'rr-fs-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: something, open '/tmp/x.tmp-123'`), { code });

describe('fsError', () => {
  it.each([
    ['ENOENT', 'FILE_NOT_FOUND', /does not exist/],
    ['EACCES', 'FILE_ACCESS_DENIED', /permission denied/],
    ['EPERM', 'FILE_ACCESS_DENIED', /permission denied/],
    ['EROFS', 'FILE_READ_ONLY', /read-only.*writable disk/],
    ['EISDIR', 'FILE_IS_DIRECTORY', /is a directory/],
    ['ENOTDIR', 'FILE_NOT_DIRECTORY', /part of the path is a file/],
    ['EEXIST', 'FILE_EXISTS', /already exists/],
    ['ENOSPC', 'FILE_NO_SPACE', /disk is full/],
    ['EIO', 'FILE_IO_ERROR', /EIO/],
  ])('%s becomes %s naming the path', (code, rrCode, message) => {
    const e = fsError(errno(code), '/data/run', 'write');
    expect(e).toBeInstanceOf(RRError);
    expect(e.code).toBe(rrCode);
    expect(e.message).toMatch(/^Cannot write \/data\/run: /);
    expect(e.message).toMatch(message);
  });

  it('userPathError re-addresses an error about an internal temp name to the user path', () => {
    const inner = fsError(errno('ENOSPC'), '/data/run/.step-1.tmp-1/model.safetensors', 'write');
    const e = userPathError(inner, '/data/run/step-1', 'write the checkpoint');
    expect(e.code).toBe('FILE_NO_SPACE');
    expect(e.message).toBe('Cannot write the checkpoint /data/run/step-1: the disk is full. Free some space (or choose another disk) and retry.');
    const named = new RRError('SOMETHING', 'kept as it is');
    expect(userPathError(named, '/x', 'write')).toBe(named);
  });
});

describe('makeDirectory', () => {
  it('creates nested folders and accepts an existing one', () => {
    makeDirectory(join(dir, 'a/b/c'));
    makeDirectory(join(dir, 'a/b/c'));
    expect(statPath(join(dir, 'a/b/c'))?.isDirectory()).toBe(true);
  });

  it('refuses a file in the way, naming it', () => {
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expect(() => makeDirectory(file)).toThrowError(expect.objectContaining({ code: 'FILE_EXISTS', message: expect.stringContaining(file) }));
    expect(() => makeDirectory(join(file, 'below', 'deeper'))).toThrowError(
      expect.objectContaining({ code: expect.stringMatching(/FILE_NOT_DIRECTORY|FILE_EXISTS/) }),
    );
    expect(() => statPath(join(file, 'below'))).toThrowError(expect.objectContaining({ code: 'FILE_NOT_DIRECTORY' }));
  });

  it('reports the real cause behind a missing-ancestor failure (permissions: as root, checked in a child process run as nobody)', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    const target = join(locked, 'x', 'y');
    if (process.getuid?.() !== 0) {
      expect(() => makeDirectory(target)).toThrowError(expect.objectContaining({ code: 'FILE_ACCESS_DENIED' }));
      return;
    }
    // root ignores permission bits, so the same call runs as an unprivileged user through the built
    // package, copied beside the test folder: the clone itself may sit where that user cannot read
    // (a mktemp -d folder, a 0700 home)
    chmodSync(dir, 0o755);
    chownSync(locked, 65534, 65534);
    const pkg = join(dir, 'pkg');
    cpSync(fileURLToPath(new URL('../../dist', import.meta.url)), pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), '{ "type": "module" }');
    const entry = pathToFileURL(join(pkg, 'index.js')).href;
    const script = `import(${JSON.stringify(entry)}).then(({ makeDirectory }) => { try { makeDirectory(${JSON.stringify(target)}); console.log('created'); } catch (e) { console.log(e.code); } });`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: dir });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('FILE_ACCESS_DENIED');
  });
});
