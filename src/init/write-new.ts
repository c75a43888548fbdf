import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { OttoError } from '../errors.js';

/** `otto init` would overwrite a file, or the host key is not the one to trust. Exit 1. */
export class InitRefusedError extends OttoError {
  override readonly code = 'init_refused';
}

/** The refusal for an otto.yml that is already there. */
export function alreadyThere(path: string): InitRefusedError {
  return new InitRefusedError(
    `${path} is already there, and Otto never overwrites an otto.yml. Nothing was written.`,
    'Move it aside (mv otto.yml otto.yml.old), or write the new one elsewhere with --file other.yml.',
  );
}

/**
 * Writes `text` to `path`, which must not exist: first to a temporary file in the
 * same folder (synced), then linked into place, so the file appears whole or not
 * at all, and a file that appeared meanwhile is not replaced (the link fails with
 * EEXIST). Where the file system has no hard links, a rename after a last look.
 * The folder is created when it is missing.
 */
export function writeNewFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path)) throw alreadyThere(path);
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw alreadyThere(path);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV') throw e;
    if (existsSync(path)) throw alreadyThere(path);
    renameSync(temp, path);
  } finally {
    if (existsSync(temp)) unlinkSync(temp);
  }
}
