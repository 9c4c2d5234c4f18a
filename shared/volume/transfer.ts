import { randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises'
import { dirname, join, posix, resolve } from 'node:path'
import { Transform } from 'node:stream'
import { SuiteError } from '../errors.ts'
import type { Kube } from '../kube/connect.ts'
import { cutError, execInPod } from '../kube/exec.ts'
import { type ClaimAccess, withClaimPod } from './claim-pod.ts'
import { downloadIdentity } from './identity.ts'
import { checkRan, type Remote, remoteHashes, remoteTotals, run, toolProbe } from './remote.ts'
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
  /** What was not copied (special files, links out of the tree): one line each kind, shown at every -v. */
  warn?: (message: string) => void
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

export function remotePath(access: ClaimAccess, pathInVolume: string): string {
  const inside = posix.normalize(`/${pathInVolume}`)
  return posix.join(access.mountPath, inside)
}

export function checkedVolumePath(path: string): string {
  // '' is not "the volume's root": an unset shell variable must not turn into a transfer of everything.
  if (path === '')
    throw new SuiteError('usage', 'the path in the volume is empty', {
      hint: "give a path relative to the volume root, or '.' for all of it",
    })
  const normal = posix.normalize(`/${path}`)
  if (normal.split('/').includes('..'))
    throw new SuiteError('usage', `invalid path in the volume "${path}"`, { hint: 'use a path without ..' })
  return normal === '/' ? '.' : normal.slice(1)
}

export function counting(onBytes?: (bytes: number) => void): Transform {
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
  if (localDir === '')
    throw new SuiteError('usage', 'the local folder is empty', { hint: "give a folder, or '.' for the current one" })
  const target = resolve(localDir)
  // The first folder this download creates: on failure it goes again, so no empty folder is left behind.
  const created = await mkdir(target, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new SuiteError('invalid', `cannot create ${target}: ${error.code ?? String(error)}`, {
      hint: 'choose a folder you can write to',
    })
  })
  let succeeded = false
  const removeCreated = async (): Promise<void> => {
    if (succeeded || created === undefined) return
    for (let dir = target; ; dir = dirname(dir)) {
      if (
        !(await rmdir(dir).then(
          () => true,
          () => false,
        ))
      )
        return
      if (dir === created || dirname(dir) === dir) return
    }
  }
  // Staged inside the target so the final rename never crosses a file system.
  const staging = join(target, `.pvclaim-partial-${randomBytes(4).toString('hex')}`)
  try {
    await mkdir(staging, { mode: 0o700 })
  } catch (error) {
    await removeCreated()
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
    const tools = ['tar', 'find', 'stat', 'test', ...(options.verify ? ['sha256sum'] : [])]
    return await withClaimPod(
      kube,
      {
        ...options,
        write: false,
        probe: toolProbe(kube, options.namespace, tools, options.signal),
        // Files only their owners may read: a helper that may (see identity.ts), never a download that leaves them out.
        identity: (access) =>
          downloadIdentity({ kube, access, namespace: options.namespace, signal: options.signal }, inVolume, options),
      },
      async (access) => {
        const r: Remote = { kube, access, namespace: options.namespace, signal: options.signal }
        // Every attempt starts from an empty staging folder: one through a consumer pod that could not run tar after
        // all (then a helper pod takes over) must leave nothing behind.
        await rm(staging, { recursive: true, force: true })
        await mkdir(staging, { mode: 0o700 })
        const source = remotePath(access, inVolume)
        // The volume's root, or a folder asked for by its contents, lands in the target itself; else it keeps its name.
        const flat = inVolume === '.' || options.contentsOnly === true
        const refuseExisting = async (names: readonly string[]): Promise<void> => {
          if (options.overwrite) return
          for (const entry of names)
            if (
              await lstat(join(target, entry)).then(
                () => true,
                () => false,
              )
            )
              throw new SuiteError('conflict', `${join(target, entry)} already exists`, {
                hint: 'remove it, choose another folder, or pass --overwrite',
              })
        }
        // One exec before any byte moves: whether the path exists and, for a download into the target itself
        // without --overwrite, the names at its top (so what exists locally is refused first, not after the
        // transfer). Through sh, which the probe found: each exec costs a round trip and a process in the pod.
        const look = await run(r, [
          'sh',
          '-c',
          '[ -e "$1" ] || exit 3; if [ "$2" = list ]; then find "$1" -mindepth 1 -maxdepth 1 -print0; fi; exit 0',
          'sh',
          source,
          flat && !options.overwrite ? 'list' : '',
        ])
        if (look.exitCode === 3)
          throw new SuiteError(
            'not-found',
            `"${inVolume}" does not exist in persistentvolumeclaim "${options.claim}"`,
            {
              hint: 'give a path relative to the volume root, or leave it out to download everything',
            },
          )
        if (look.exitCode !== 0)
          throw new SuiteError(
            'invalid',
            `cannot read "${inVolume}" in pod ${access.pod}: ${look.stderr.trim().split('\n')[0] || look.message}`,
          )
        if (!flat) await refuseExisting([posix.basename(source)])
        else
          await refuseExisting(
            look.stdout
              .toString('utf8')
              .split('\0')
              .filter((n) => n !== '')
              .map((n) => posix.basename(n)),
          )
        // Counted while the archive streams (it is needed only to compare at the end, and for the progress bar).
        const tally = remoteTotals(r, source)
        tally.then((t) => options.onTotal?.(t.bytes)).catch(() => undefined)
        const base = flat ? source : posix.dirname(source)
        // The volume's sums are computed while the archive streams, and ours as its bytes are written.
        const theirs = options.verify ? remoteHashes(r, source, base) : undefined
        theirs?.catch(() => undefined)
        // The volume's root lands in the folder itself; a path in it keeps its name (as kubectl cp does). The name
        // goes as ./NAME so one that starts with a dash is not read as an option.
        const command = flat
          ? ['tar', 'cf', '-', '-C', source, '.']
          : ['tar', 'cf', '-', '-C', posix.dirname(source), `./${posix.basename(source)}`]
        const session = await execInPod(kube, {
          namespace: options.namespace,
          pod: access.pod,
          container: access.container,
          command,
          signal: options.signal,
        })
        const errors: Buffer[] = []
        session.stderr.on('data', (c: Buffer) => errors.push(c))
        let extracted: Awaited<ReturnType<typeof safeExtract>>
        try {
          extracted = await safeExtract(session.stdout, staging, {
            ...(options.onBytes === undefined ? {} : { onBytes: options.onBytes }),
            hash: options.verify,
            ...(options.warn === undefined ? {} : { warn: options.warn }),
          })
        } catch (error) {
          session.abort()
          const ended = await session.result.catch(() => undefined)
          if (ended !== undefined) checkRan(r, command, ended, Buffer.concat(errors).toString('utf8'))
          const local = localWriteError(error, target)
          // A stream that broke (not a refusal of ours, not the local disk) is a cut connection: one line, exit 4.
          if (local === error && !(error instanceof SuiteError) && options.signal?.aborted !== true) throw cutError()
          throw local
        }
        const ended = await session.result
        checkRan(r, command, ended, Buffer.concat(errors).toString('utf8'))
        const { exitCode, message } = ended
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
        const totals = await tally
        if (extracted.files !== totals.files || extracted.bytes !== totals.bytes)
          throw new SuiteError(
            'invalid',
            `incomplete transfer: got ${extracted.files} files / ${extracted.bytes} bytes, the volume has ${totals.files} / ${totals.bytes}`,
            {
              hint: 'the files changed during the copy, or the connection broke; run it again',
            },
          )
        let verified: TransferResult['verified'] = 'count-and-size'
        if (theirs !== undefined) {
          for (const [member, hash] of await theirs) {
            const ours = extracted.hashes.get(member)
            if (ours === undefined)
              throw new SuiteError('invalid', `${JSON.stringify(member)} was not received, so it has no sha256 here`, {
                hint: 'the files changed during the copy; run it again; nothing was kept',
              })
            if (ours !== hash)
              throw new SuiteError('invalid', `sha256 of ${JSON.stringify(member)} differs after the transfer`, {
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
        succeeded = true
        return {
          files: extracted.files,
          bytes: extracted.bytes,
          destination: flat ? target : join(target, posix.basename(source)),
          via: access,
          verified,
        }
      },
    )
  } finally {
    await rm(staging, { recursive: true, force: true })
    await removeCreated()
  }
}

export { parseSums } from './remote.ts'
export { uploadToClaim } from './upload.ts'
