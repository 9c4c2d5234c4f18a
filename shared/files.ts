import { randomBytes } from 'node:crypto'
import {
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { SuiteError } from './errors.ts'

/**
 * Writes a whole file or nothing: the bytes go to a hidden temporary name in the same folder, created with the
 * final mode (0600 for secrets, never world-readable even for an instant), are synced, then take the final name.
 * A failure (disk full, Ctrl-C) removes the temporary file, so a half-written file never carries the real name.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, options: { mode: number; overwrite: boolean }): void {
  writeFilesAtomic([{ path, bytes }], options)
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

/** Removes a file, ignoring one that is already gone. */
function removeQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // already gone
  }
}

/** Writes `bytes` to a new hidden file next to `path` (mode set at creation), synced; returns its name. */
function writeTemporary(path: string, bytes: Uint8Array, mode: number): string {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`)
  let fd: number
  try {
    fd = openSync(temporary, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode)
  } catch (error) {
    throw fileError(error, dirname(path), 'create a file in')
  }
  try {
    let offset = 0
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset)
    fsyncSync(fd)
  } catch (error) {
    try {
      closeSync(fd)
    } catch {
      // already closed
    }
    removeQuietly(temporary)
    throw fileError(error, path, 'write')
  }
  closeSync(fd)
  return temporary
}

/**
 * Several files, all or none: every target is checked first (none may exist unless `overwrite`), every file is
 * written in full under a hidden name, then all take their names; a failure at any step (an existing file, a full
 * disk, Ctrl-C between files) removes every file of this call and puts back any it replaced, so no file of the run
 * remains. Used for decoded secrets, so the mode (0600) is set at creation.
 */
export function writeFilesAtomic(
  files: readonly { path: string; bytes: Uint8Array }[],
  options: { mode: number; overwrite: boolean },
): void {
  if (!options.overwrite)
    for (const file of files)
      if (existsSync(file.path) || isLink(file.path)) throw nothingLeft(fileError(errno('EEXIST'), file.path, 'write'))
  const temporaries: string[] = []
  try {
    for (const file of files) temporaries.push(writeTemporary(file.path, file.bytes, options.mode))
  } catch (error) {
    for (const temporary of temporaries) removeQuietly(temporary)
    throw nothingLeft(error)
  }
  // Commit: each name is taken by link (fails if it appeared meanwhile) or, with overwrite, after the file it
  // replaces is kept under a backup name, so a failure half-way can put everything back.
  const created: string[] = []
  const backups: { path: string; backup: string }[] = []
  let current = ''
  try {
    files.forEach((file, index) => {
      current = file.path
      const temporary = temporaries[index] as string
      if (options.overwrite && (existsSync(file.path) || isLink(file.path))) {
        const backup = `${temporary}.previous`
        linkSync(file.path, backup)
        backups.push({ path: file.path, backup })
        renameSync(temporary, file.path)
      } else {
        try {
          linkSync(temporary, file.path)
        } catch (error) {
          throw fileError(error, file.path, 'write')
        }
        created.push(file.path)
        unlinkSync(temporary)
      }
    })
  } catch (error) {
    for (const path of created) removeQuietly(path)
    for (const { path, backup } of backups) {
      try {
        renameSync(backup, path)
      } catch {
        // leave the backup in place rather than lose it
      }
    }
    for (const temporary of temporaries) removeQuietly(temporary)
    throw nothingLeft(error instanceof SuiteError ? error : fileError(error, current, 'write'))
  }
  for (const { backup } of backups) removeQuietly(backup)
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink()
  } catch {
    return false
  }
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code })
}

/** The same error, saying that no file of this run was kept. */
function nothingLeft(error: unknown): unknown {
  if (!(error instanceof SuiteError)) return error
  return new SuiteError(error.kind, `${error.message}; no file was written`, {
    ...(error.hint === undefined ? {} : { hint: error.hint.replace(/; nothing was left behind$/, '') }),
    cause: error.cause,
  })
}
