import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, mkdir, readdir, readlink, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path'
import { Transform, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { pushAll } from '../arrays.ts'
import { SuiteError } from '../errors.ts'
import type { Kube } from '../kube/connect.ts'
import { execCapture, execInPod } from '../kube/exec.ts'
import { type ClaimAccess, withClaimPod } from './claim-pod.ts'
import { safeExtract } from './safe-extract.ts'

/**
 * Moving a claim's files in and out through pod exec and tar streams (what `kubectl cp` does, made safe): staged
 * under a hidden name and renamed into place only when complete and verified, so an interrupted or failed transfer
 * never leaves a half-written file under its real name, locally or in the volume.
 */
export interface TransferOptions {
  namespace: string
  claim: string
  /** Path inside the volume ('.' = its root). */
  pathInVolume: string
  image?: string | undefined
  managedBy: string
  /** Compare sha256 of every file on both sides, beyond the file count and byte total always compared. */
  verify: boolean
  overwrite: boolean
  /** Download what is inside the path rather than the path's folder itself (mrun fetch: the outputs, not runs/<id>). */
  contentsOnly?: boolean
  signal?: AbortSignal | undefined
  onBytes?: (bytes: number) => void
  /** Total bytes to expect, once known (for a progress bar). */
  onTotal?: (bytes: number) => void
  log?: (message: string) => void
}

export interface TransferResult {
  files: number
  bytes: number
  /** Where the files are now: a local folder, or a path in the volume. */
  destination: string
  /** The pod used, and whether it was a helper made for this transfer. */
  via: ClaimAccess
  verified: 'sha256' | 'count-and-size'
}

/** Local file-system failures as one line with the fix; anything else passes through. */
export function localWriteError(error: unknown, target: string): unknown {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new SuiteError('invalid', `the local disk is full while writing into ${target}; nothing was kept`, {
      hint: 'free some space (or download a smaller path) and run it again',
      cause: error,
    })
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new SuiteError('invalid', `cannot write into ${target}: permission denied`, {
      hint: 'choose a folder you can write to',
      cause: error,
    })
  return error
}

function remotePath(access: ClaimAccess, pathInVolume: string): string {
  const inside = posix.normalize(`/${pathInVolume}`)
  return posix.join(access.mountPath, inside)
}

function checkedVolumePath(path: string): string {
  const normal = posix.normalize(`/${path}`)
  if (normal.split('/').includes('..'))
    throw new SuiteError('usage', `invalid path in the volume "${path}"`, { hint: 'use a path without ..' })
  return normal === '/' ? '.' : normal.slice(1)
}

async function remote(kube: Kube, access: ClaimAccess, options: TransferOptions, command: string[]): Promise<string> {
  const result = await execCapture(kube, {
    namespace: options.namespace,
    pod: access.pod,
    container: access.container,
    command,
    signal: options.signal,
  })
  if (result.exitCode !== 0) {
    const reason = result.stderr.trim().split('\n')[0] || result.message || `exit code ${result.exitCode}`
    throw new SuiteError(
      /No such file/.test(reason) ? 'not-found' : 'invalid',
      `${command[0]} in pod ${access.pod} failed: ${reason}`,
    )
  }
  return result.stdout.toString('utf8')
}

/** Whether a path exists in the volume (`test -e`, which fails quietly when it does not). */
async function remoteExists(kube: Kube, access: ClaimAccess, options: TransferOptions, path: string): Promise<boolean> {
  const result = await execCapture(kube, {
    namespace: options.namespace,
    pod: access.pod,
    container: access.container,
    command: ['test', '-e', path],
    signal: options.signal,
  })
  return result.exitCode === 0
}

/**
 * The regular files under a path in the volume and their total size: `find -type f` and `stat -c %s`, which GNU
 * coreutils and busybox both have (du is no good here: its byte count includes folders).
 */
async function remoteTotals(
  kube: Kube,
  access: ClaimAccess,
  options: TransferOptions,
  path: string,
): Promise<{ files: string[]; bytes: number }> {
  const listing = await remote(kube, access, options, ['find', path, '-type', 'f'])
  const files = listing.split('\n').filter((line) => line !== '')
  let bytes = 0
  for (let i = 0; i < files.length; i += 200) {
    const sizes = await remote(kube, access, options, ['stat', '-c', '%s', ...files.slice(i, i + 200)])
    for (const line of sizes.split('\n')) if (line.trim() !== '') bytes += Number.parseInt(line, 10)
  }
  return { files, bytes }
}

async function remoteHashes(
  kube: Kube,
  access: ClaimAccess,
  options: TransferOptions,
  files: string[],
): Promise<Map<string, string>> {
  const hashes = new Map<string, string>()
  // In batches, so a volume with many files never builds one enormous argv.
  for (let i = 0; i < files.length; i += 200) {
    const out = await remote(kube, access, options, ['sha256sum', ...files.slice(i, i + 200)])
    for (const line of out.split('\n')) {
      const match = /^([0-9a-f]{64}) {2}(.*)$/.exec(line)
      if (match !== null) hashes.set(match[2] as string, match[1] as string)
    }
  }
  return hashes
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}

/** Regular files under a local folder (or the file itself), relative to `root`, symlinks not followed. */
async function localFiles(root: string, start: string): Promise<{ path: string; size: number }[]> {
  const info = await lstat(start)
  if (info.isFile()) return [{ path: relative(root, start), size: info.size }]
  if (!info.isDirectory()) return []
  const out: { path: string; size: number }[] = []
  for (const entry of await readdir(start)) pushAll(out, await localFiles(root, join(start, entry)))
  return out
}

function counting(onBytes?: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes?.(chunk.length)
      done(null, chunk)
    },
  })
}

/** Copies a folder (or file) of the volume into `localDir`, which is created if missing. */
export async function downloadFromClaim(
  kube: Kube,
  localDir: string,
  options: TransferOptions,
): Promise<TransferResult> {
  const inVolume = checkedVolumePath(options.pathInVolume)
  const target = resolve(localDir)
  await mkdir(target, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new SuiteError('invalid', `cannot create ${target}: ${error.code ?? String(error)}`, {
      hint: 'choose a folder you can write to',
    })
  })
  // Staged inside the target so the final rename never crosses a file system.
  const staging = join(target, `.pvclaim-partial-${randomBytes(4).toString('hex')}`)
  try {
    await mkdir(staging, { mode: 0o700 })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new SuiteError(
      'invalid',
      `cannot write to ${target}: ${code === 'EACCES' ? 'permission denied' : (code ?? String(error))}`,
      {
        hint: 'choose a folder you can write to',
      },
    )
  }
  try {
    return await withClaimPod(kube, { ...options, write: false }, async (access) => {
      const source = remotePath(access, inVolume)
      // The volume's root, or a folder asked for by its contents, lands in the target itself; else it keeps its name.
      const flat = inVolume === '.' || options.contentsOnly === true
      if (!(await remoteExists(kube, access, options, source)))
        throw new SuiteError('not-found', `"${inVolume}" does not exist in persistentvolumeclaim "${options.claim}"`, {
          hint: 'give a path relative to the volume root, or leave it out to download everything',
        })
      const totals = await remoteTotals(kube, access, options, source)
      options.onTotal?.(totals.bytes)
      const session = await execInPod(kube, {
        namespace: options.namespace,
        pod: access.pod,
        container: access.container,
        // The volume's root lands in the folder itself; a path in it keeps its name (as kubectl cp does).
        command: flat
          ? ['tar', 'cf', '-', '-C', source, '.']
          : ['tar', 'cf', '-', '-C', posix.dirname(source), posix.basename(source)],
        signal: options.signal,
      })
      const errors: Buffer[] = []
      session.stderr.on('data', (c: Buffer) => errors.push(c))
      let extracted: Awaited<ReturnType<typeof safeExtract>>
      try {
        extracted = await safeExtract(session.stdout, staging, {
          ...(options.onBytes === undefined ? {} : { onBytes: options.onBytes }),
        })
      } catch (error) {
        session.abort()
        throw localWriteError(error, target)
      }
      const { exitCode, message } = await session.result
      if (exitCode !== 0) {
        const reason =
          Buffer.concat(errors).toString('utf8').trim().split('\n')[0] || message || `exit code ${exitCode}`
        throw new SuiteError(
          /No such file|Cannot stat/.test(reason) ? 'not-found' : 'invalid',
          `reading ${inVolume} from the volume failed: ${reason}`,
          {
            hint: `list what is there with \`kubectl pvclaim describe ${options.claim}\`, or give another path`,
          },
        )
      }
      if (extracted.files !== totals.files.length || extracted.bytes !== totals.bytes)
        throw new SuiteError(
          'invalid',
          `incomplete transfer: got ${extracted.files} files / ${extracted.bytes} bytes, the volume has ${totals.files.length} / ${totals.bytes}`,
          {
            hint: 'the files changed during the copy, or the connection broke; run it again',
          },
        )
      let verified: TransferResult['verified'] = 'count-and-size'
      if (options.verify) {
        const theirs = await remoteHashes(kube, access, options, totals.files)
        for (const [file, hash] of theirs) {
          const local = join(staging, posix.relative(flat ? source : posix.dirname(source), file))
          if ((await sha256File(local)) !== hash)
            throw new SuiteError('invalid', `sha256 of ${file} differs after the transfer`, {
              hint: 'run it again; nothing was kept',
            })
        }
        verified = 'sha256'
      }
      // Everything is here and checked: now the real names, refusing to replace what exists unless asked.
      const entries = await readdir(staging)
      for (const entry of entries) {
        const exists = await lstat(join(target, entry)).then(
          () => true,
          () => false,
        )
        if (exists && !options.overwrite)
          throw new SuiteError('conflict', `${join(target, entry)} already exists`, {
            hint: 'remove it, choose another folder, or pass --overwrite',
          })
      }
      for (const entry of entries) {
        if (options.overwrite) await rm(join(target, entry), { recursive: true, force: true })
        await rename(join(staging, entry), join(target, entry))
      }
      return {
        files: extracted.files,
        bytes: extracted.bytes,
        destination: flat ? target : join(target, posix.basename(source)),
        via: access,
        verified,
      }
    })
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

/** Copies a local file or folder into the volume under `pathInVolume`, keeping its name. */
export async function uploadToClaim(kube: Kube, localPath: string, options: TransferOptions): Promise<TransferResult> {
  const source = resolve(localPath)
  const info = await stat(source).catch((error: NodeJS.ErrnoException) => {
    throw new SuiteError(
      'usage',
      `cannot read ${localPath}: ${error.code === 'ENOENT' ? 'no such file or folder' : (error.code ?? String(error))}`,
      { hint: 'check the path' },
    )
  })
  if (!info.isFile() && !info.isDirectory())
    throw new SuiteError('usage', `${localPath} is neither a file nor a folder`)
  const name = basename(source)
  const files = await localFiles(dirname(source), source)
  const total = files.reduce((n, f) => n + f.size, 0)
  options.onTotal?.(total)
  const inVolume = checkedVolumePath(options.pathInVolume)
  return withClaimPod(kube, { ...options, write: true }, async (access) => {
    const parent = remotePath(access, inVolume)
    const destination = posix.join(parent, name)
    const staging = posix.join(parent, `.pvclaim-upload-${randomBytes(4).toString('hex')}`)
    await remote(kube, access, options, ['mkdir', '-p', staging])
    try {
      const exists = await remoteExists(kube, access, options, destination)
      if (exists && !options.overwrite)
        throw new SuiteError('conflict', `${posix.join(inVolume, name)} already exists in the volume`, {
          hint: 'pass --overwrite to replace it, or upload to another path',
        })
      const session = await execInPod(kube, {
        namespace: options.namespace,
        pod: access.pod,
        container: access.container,
        command: ['tar', 'xf', '-', '-C', staging],
        stdin: true,
        signal: options.signal,
      })
      const errors: Buffer[] = []
      session.stderr.on('data', (c: Buffer) => errors.push(c))
      session.stdout.resume()
      const pack = tar.pack()
      const sending = pipeline(pack, counting(options.onBytes), session.stdin as Writable)
      await packTree(pack, dirname(source), source)
      pack.finalize()
      await sending
      const { exitCode, message } = await session.result
      if (exitCode !== 0)
        throw new SuiteError(
          'invalid',
          `writing into the volume failed: ${Buffer.concat(errors).toString('utf8').trim().split('\n')[0] || message}`,
          {
            hint: 'check the claim has room (kubectl pvclaim list) and is not mounted read-only',
          },
        )
      const totals = await remoteTotals(kube, access, options, posix.join(staging, name))
      if (totals.files.length !== files.length || totals.bytes !== total)
        throw new SuiteError(
          'invalid',
          `incomplete transfer: the volume got ${totals.files.length} files / ${totals.bytes} bytes of ${files.length} / ${total}`,
          {
            hint: 'the volume may be full, or the files changed during the copy; nothing was kept',
          },
        )
      let verified: TransferResult['verified'] = 'count-and-size'
      if (options.verify) {
        const theirs = await remoteHashes(kube, access, options, totals.files)
        for (const file of files) {
          const remoteFile = posix.join(staging, file.path.split(sep).join('/'))
          if (theirs.get(remoteFile) !== (await sha256File(join(dirname(source), file.path))))
            throw new SuiteError('invalid', `sha256 of ${file.path} differs after the transfer`, {
              hint: 'run it again; nothing was kept',
            })
        }
        verified = 'sha256'
      }
      if (exists) await remote(kube, access, options, ['rm', '-rf', destination])
      await remote(kube, access, options, ['mv', posix.join(staging, name), destination])
      return { files: files.length, bytes: total, destination: posix.join(inVolume, name), via: access, verified }
    } finally {
      await execCapture(kube, {
        namespace: options.namespace,
        pod: access.pod,
        container: access.container,
        command: ['rm', '-rf', staging],
      }).catch(() => undefined)
    }
  })
}

/** Adds a local tree to a tar pack: files, folders and symlinks that stay inside it, relative to `root`. */
async function packTree(pack: tar.Pack, root: string, path: string): Promise<void> {
  const info = await lstat(path)
  const name = relative(root, path).split(sep).join('/')
  const header = { name, mode: info.mode & 0o7777, mtime: info.mtime }
  if (info.isDirectory()) {
    await new Promise<void>((done, fail) => pack.entry({ ...header, type: 'directory' }, (e) => (e ? fail(e) : done())))
    for (const entry of (await readdir(path)).sort()) await packTree(pack, root, join(path, entry))
  } else if (info.isSymbolicLink()) {
    const link = await readlink(path)
    const landing = resolve(dirname(path), link)
    if (!landing.startsWith(`${root}${sep}`)) return
    await new Promise<void>((done, fail) =>
      pack.entry({ ...header, type: 'symlink', linkname: link }, (e) => (e ? fail(e) : done())),
    )
  } else if (info.isFile()) {
    const entry = pack.entry({ ...header, type: 'file', size: info.size })
    await pipeline(createReadStream(path), entry)
  }
}
