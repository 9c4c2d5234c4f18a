import { randomBytes } from 'node:crypto'
import { closeSync, constants, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { SuiteError } from './errors.ts'

/**
 * Writes a whole file or nothing: the bytes go to a hidden temporary name in the same folder, created with the
 * final mode (0600 for secrets, never world-readable even for an instant), are synced, then take the final name.
 * A failure (disk full, Ctrl-C) removes the temporary file, so a half-written file never carries the real name.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, options: { mode: number; overwrite: boolean }): void {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`)
  let fd: number
  try {
    fd = openSync(temporary, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, options.mode)
  } catch (error) {
    throw fileError(error, dirname(path), 'create a file in')
  }
  try {
    let offset = 0
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset)
    fsyncSync(fd)
    closeSync(fd)
    if (options.overwrite) renameSync(temporary, path)
    else {
      // link() fails when the name exists, so a file created meanwhile is never replaced behind the user's back.
      linkSync(temporary, path)
      unlinkSync(temporary)
    }
  } catch (error) {
    try {
      closeSync(fd)
    } catch {
      // already closed
    }
    try {
      unlinkSync(temporary)
    } catch {
      // never created or already renamed
    }
    throw fileError(error, path, 'write')
  }
}

function fileError(error: unknown, path: string, verb: string): SuiteError {
  const code = (error as NodeJS.ErrnoException).code
  const reason =
    code === 'EEXIST'
      ? 'it already exists'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ENOSPC'
          ? 'the disk is full'
          : code === 'ENOENT'
            ? 'the folder does not exist'
            : (code ?? String(error))
  const hint =
    code === 'EEXIST'
      ? 'remove it, choose another folder, or pass --overwrite'
      : code === 'ENOSPC'
        ? 'free some space and run the command again; nothing was left behind'
        : 'choose a folder you can write to'
  return new SuiteError(code === 'EEXIST' ? 'conflict' : 'invalid', `cannot ${verb} ${path}: ${reason}`, {
    hint,
    cause: error,
  })
}
