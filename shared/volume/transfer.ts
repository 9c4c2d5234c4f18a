import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, mkdir, readdir, readlink, rename, rm, rmdir, stat } from 'node:fs/promises'
import { basename, dirname, join, posix, resolve } from 'node:path'
import { Transform, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { SuiteError } from '../errors.ts'
import type { Kube } from '../kube/connect.ts'
import { cutError, execCapture, execInPod } from '../kube/exec.ts'
import { type ClaimAccess, HELPER_UID, withClaimPod } from './claim-pod.ts'
import { outsideWarning, safeExtract, skippedWarning } from './safe-extract.ts'

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

function remotePath(access: ClaimAccess, pathInVolume: string): string {
  const inside = posix.normalize(`/${pathInVolume}`)
  return posix.join(access.mountPath, inside)
}

function checkedVolumePath(path: string): string {
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

/**
 * Whether a consumer pod has what a transfer runs (one exec): a reason it cannot be used, or undefined. An image with
 * no shell (distroless) fails the exec itself, with no exit code; a missing tool exits 127 naming it.
 */
function toolProbe(kube: Kube, options: TransferOptions, tools: readonly string[]) {
  return async (access: ClaimAccess): Promise<string | undefined> => {
    const result = await execCapture(kube, {
      namespace: options.namespace,
      pod: access.pod,
      container: access.container,
      command: [
        'sh',
        '-c',
        'for t in "$@"; do command -v "$t" >/dev/null 2>&1 || { echo "$t"; exit 127; }; done',
        'sh',
        ...tools,
      ],
      signal: options.signal,
    })
    if (result.exitCode === 0) return undefined
    const missing = result.stdout.toString('utf8').trim()
    if (result.exitCode === 127 && missing !== '') return `its image has no ${missing}`
    return `cannot run a shell there (${result.message ?? `exit code ${result.exitCode}`})`
  }
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
 * The regular files under a path in the volume, counted once per inode (the names of a hard-linked file are one file,
 * as tar sends its content once), and their bytes. One exec whatever the number of files: `find -exec stat {} +`
 * batches the names itself, so no request carries a list of paths, and no name is ever parsed (only numbers come
 * back). GNU coreutils and busybox both have it (du is no good here: its byte count includes folders).
 */
async function remoteTotals(
  kube: Kube,
  access: ClaimAccess,
  options: TransferOptions,
  path: string,
): Promise<{ files: number; bytes: number }> {
  const listing = await remote(kube, access, options, [
    'find',
    path,
    '-type',
    'f',
    '-exec',
    'stat',
    '-c',
    '%d:%i %s',
    '{}',
    '+',
  ])
  const inodes = new Map<string, number>()
  for (const line of listing.split('\n')) {
    const match = /^(\d+:\d+) (\d+)$/.exec(line)
    if (match !== null) inodes.set(match[1] as string, Number.parseInt(match[2] as string, 10))
  }
  let bytes = 0
  for (const size of inodes.values()) bytes += size
  return { files: inodes.size, bytes }
}

/** Undoes GNU sha256sum's escaping of a name (a line that starts with `\\` has `\\\\`, `\\n`, `\\r` in its name). */
function unescapeSumName(text: string, start: number): { name: string; end: number } | undefined {
  let name = ''
  for (let i = start; i < text.length; i++) {
    const c = text[i] as string
    if (c === '\n') return { name, end: i + 1 }
    if (c !== '\\') {
      name += c
      continue
    }
    const next = text[++i]
    if (next === '\\') name += '\\'
    else if (next === 'n') name += '\n'
    else if (next === 'r') name += '\r'
    else return undefined
  }
  return undefined
}

/**
 * Pairs `sha256sum` output with the names it was given, in order. A name may hold a newline (busybox prints it as
 * is) or a backslash (GNU escapes the line), so the output is read name by name, never split at newlines.
 */
export function parseSums(names: readonly string[], text: string): Map<string, string> | string {
  const hashes = new Map<string, string>()
  let at = 0
  for (const name of names) {
    const escaped = text[at] === '\\'
    if (escaped) at++
    const hash = text.slice(at, at + 64)
    if (!/^[0-9a-f]{64}$/.test(hash) || text[at + 64] !== ' ' || !' *'.includes(text[at + 65] ?? '')) return name
    at += 66
    if (escaped) {
      const parsed = unescapeSumName(text, at)
      if (parsed === undefined || parsed.name !== name) return name
      at = parsed.end
    } else {
      if (!text.startsWith(`${name}\n`, at)) return name
      at += name.length + 1
    }
    hashes.set(name, hash)
  }
  return hashes
}

/**
 * sha256 of every regular file under a path in the volume, keyed by path relative to `base`. The names come from
 * `find -print0` (NUL-separated: any byte but NUL and / may be in a name), the sums from `find -exec sha256sum {} +`
 * in the same order; a file without a sum is an error, never a file left unchecked.
 */
async function remoteHashes(
  kube: Kube,
  access: ClaimAccess,
  options: TransferOptions,
  path: string,
  base: string,
): Promise<Map<string, string>> {
  const result = await execCapture(kube, {
    namespace: options.namespace,
    pod: access.pod,
    container: access.container,
    command: [
      'sh',
      '-c',
      'find "$1" -type f -print0 && printf \'\\000\' && find "$1" -type f -exec sha256sum {} +',
      'sh',
      path,
    ],
    signal: options.signal,
  })
  if (result.exitCode !== 0) {
    const reason = result.stderr.trim().split('\n')[0] || result.message || `exit code ${result.exitCode}`
    throw new SuiteError('invalid', `sha256sum in pod ${access.pod} failed: ${reason}`, {
      hint: 'the files changed while they were read, or the pod lacks sha256sum; run it again without --verify',
    })
  }
  const out = result.stdout
  const end = out[0] === 0 ? 0 : out.indexOf(Buffer.from([0, 0]))
  if (end < 0) throw new SuiteError('invalid', `cannot read the file list of ${path} in pod ${access.pod}`)
  const names = end === 0 ? [] : out.subarray(0, end).toString('utf8').split('\0')
  const sums = parseSums(names, out.subarray(end === 0 ? 1 : end + 2).toString('utf8'))
  if (typeof sums === 'string')
    throw new SuiteError('invalid', `${JSON.stringify(sums)} has no sha256 from the volume; it was not verified`, {
      hint: 'the files changed while they were read; run it again',
    })
  const byMember = new Map<string, string>()
  for (const [name, hash] of sums) byMember.set(posix.relative(base, name), hash)
  return byMember
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
      { ...options, write: false, probe: toolProbe(kube, options, tools) },
      async (access) => {
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
        if (!(await remoteExists(kube, access, options, source)))
          throw new SuiteError(
            'not-found',
            `"${inVolume}" does not exist in persistentvolumeclaim "${options.claim}"`,
            {
              hint: 'give a path relative to the volume root, or leave it out to download everything',
            },
          )
        // What exists locally is refused before a byte moves, not after the whole transfer.
        if (!flat) await refuseExisting([posix.basename(source)])
        else if (!options.overwrite) {
          const top = await execCapture(kube, {
            namespace: options.namespace,
            pod: access.pod,
            container: access.container,
            command: ['find', source, '-mindepth', '1', '-maxdepth', '1', '-print0'],
            signal: options.signal,
          })
          if (top.exitCode === 0)
            await refuseExisting(
              top.stdout
                .toString('utf8')
                .split('\0')
                .filter((n) => n !== '')
                .map((n) => posix.basename(n)),
            )
        }
        const totals = await remoteTotals(kube, access, options, source)
        options.onTotal?.(totals.bytes)
        const base = flat ? source : posix.dirname(source)
        // The volume's sums are computed while the archive streams, and ours as its bytes are written.
        const theirs = options.verify ? remoteHashes(kube, access, options, source, base) : undefined
        theirs?.catch(() => undefined)
        const session = await execInPod(kube, {
          namespace: options.namespace,
          pod: access.pod,
          container: access.container,
          // The volume's root lands in the folder itself; a path in it keeps its name (as kubectl cp does). The name
          // goes as ./NAME so one that starts with a dash is not read as an option.
          command: flat
            ? ['tar', 'cf', '-', '-C', source, '.']
            : ['tar', 'cf', '-', '-C', posix.dirname(source), `./${posix.basename(source)}`],
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
          const local = localWriteError(error, target)
          // A stream that broke (not a refusal of ours, not the local disk) is a cut connection: one line, exit 4.
          if (local === error && !(error instanceof SuiteError) && options.signal?.aborted !== true) throw cutError()
          throw local
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

/** One entry of a local tree to upload, in the order it is sent. */
interface PlanEntry {
  member: string
  path: string
  type: 'directory' | 'file' | 'symlink' | 'link'
  mode: number
  mtime: Date
  mtimeMs: number
  size: number
  linkname?: string
}

/** What an upload sends: entries, and the files (one per inode) and bytes the volume must then hold. */
interface UploadPlan {
  entries: PlanEntry[]
  files: number
  bytes: number
  /** FIFOs, sockets, device files: not sent. */
  skipped: string[]
  /** Symlinks that point out of the uploaded tree (or are absolute): not sent, never followed. */
  outside: string[]
}

/** Whether a symlink at `member` pointing to `link` lands inside the uploaded tree `top`. */
function linkInsideTree(top: string, member: string, link: string): boolean {
  if (posix.isAbsolute(link)) return false
  const landing = posix.normalize(posix.join(posix.dirname(member), link))
  return landing === top || landing.startsWith(`${top}/`)
}

/**
 * Walks a local tree (the top itself followed when it is a symlink, nothing below it followed): folders, files,
 * symlinks that stay inside the tree, and a second name of a hard-linked file as a `link` entry, so its content is
 * sent once and the volume gets a hard link.
 */
async function planTree(
  plan: UploadPlan,
  inodes: Map<string, string>,
  top: string,
  path: string,
  member: string,
  follow: boolean,
): Promise<void> {
  const info = follow ? await stat(path) : await lstat(path)
  const base = { member, path, mode: info.mode & 0o7777, mtime: info.mtime, mtimeMs: info.mtimeMs, size: 0 }
  if (info.isDirectory()) {
    plan.entries.push({ ...base, type: 'directory' })
    for (const entry of (await readdir(path)).sort())
      await planTree(plan, inodes, top, join(path, entry), `${member}/${entry}`, false)
  } else if (info.isSymbolicLink()) {
    const link = await readlink(path)
    if (linkInsideTree(top, member, link)) plan.entries.push({ ...base, type: 'symlink', linkname: link })
    else plan.outside.push(`${member} → ${link}`)
  } else if (info.isFile()) {
    const key = `${info.dev}:${info.ino}`
    const first = info.nlink > 1 ? inodes.get(key) : undefined
    if (first !== undefined) {
      plan.entries.push({ ...base, type: 'link', linkname: first })
      return
    }
    inodes.set(key, member)
    plan.entries.push({ ...base, type: 'file', size: info.size })
    plan.files++
    plan.bytes += info.size
  } else plan.skipped.push(member)
}

function changedWhileSent(path: string): SuiteError {
  return new SuiteError('invalid', `${path} changed while it was sent; nothing was kept`, {
    hint: 'run it again once the file is no longer written to',
  })
}

/**
 * Sends the plan's entries into a tar pack, owned by `owner` (the folder they land in), hashing each file as its
 * bytes pass (for --verify, so nothing is read twice). A file whose size or time changes while sent is an error.
 */
async function packPlan(
  pack: tar.Pack,
  plan: UploadPlan,
  owner: { uid: number; gid: number },
  /** Filled with the sha256 of every name when given (for --verify); undefined hashes nothing. */
  hashes: Map<string, string> | undefined,
  /** Zeros instead of the files' bytes: the same archive length without reading anything (to measure it). */
  zeros = false,
): Promise<void> {
  const add = (header: Parameters<tar.Pack['entry']>[0]): Promise<void> =>
    new Promise((done, fail) => pack.entry(header, (e) => (e ? fail(e) : done())))
  for (const entry of plan.entries) {
    const header = { name: entry.member, mode: entry.mode, mtime: entry.mtime, uid: owner.uid, gid: owner.gid }
    if (entry.type === 'directory') await add({ ...header, type: 'directory' })
    else if (entry.type === 'symlink') await add({ ...header, type: 'symlink', linkname: entry.linkname as string })
    else if (entry.type === 'link') {
      await add({ ...header, type: 'link', linkname: entry.linkname as string })
      const hash = hashes?.get(entry.linkname as string)
      if (hash !== undefined) hashes?.set(entry.member, hash)
    } else {
      const hash = hashes === undefined ? undefined : createHash('sha256')
      const sink = pack.entry({ ...header, type: 'file', size: entry.size })
      if (zeros) {
        const block = Buffer.alloc(Math.min(entry.size, 1024 * 1024))
        let left = entry.size
        while (left > 0) {
          const piece = left >= block.length ? block : block.subarray(0, left)
          left -= piece.length
          if (!sink.write(piece)) await new Promise<void>((drained) => sink.once('drain', () => drained()))
        }
        await new Promise<void>((done, fail) => {
          sink.once('error', fail)
          sink.end(() => done())
        })
        continue
      }
      try {
        if (entry.size === 0) sink.end(Buffer.alloc(0))
        else
          await pipeline(
            createReadStream(entry.path, { start: 0, end: entry.size - 1 }),
            new Transform({
              transform(chunk: Buffer, _encoding, done) {
                hash?.update(chunk)
                done(null, chunk)
              },
            }),
            sink,
          )
      } catch (error) {
        const now = await stat(entry.path).catch(() => undefined)
        if (now === undefined || now.size !== entry.size) throw changedWhileSent(entry.path)
        throw error
      }
      const now = await stat(entry.path).catch(() => undefined)
      if (now === undefined || now.size !== entry.size || now.mtimeMs !== entry.mtimeMs)
        throw changedWhileSent(entry.path)
      if (hash !== undefined) hashes?.set(entry.member, hash.digest('hex'))
    }
  }
}

/** Copies a local file or folder into the volume under `pathInVolume`, keeping its name. */
export async function uploadToClaim(kube: Kube, localPath: string, options: TransferOptions): Promise<TransferResult> {
  if (localPath === '')
    throw new SuiteError('usage', 'the local path is empty', {
      hint: "give a file or folder, or '.' for the current one",
    })
  const source = resolve(localPath)
  // A path that is itself a symlink means what it points to (as cp does): its content is sent, under its own name.
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
  const plan: UploadPlan = { entries: [], files: 0, bytes: 0, skipped: [], outside: [] }
  await planTree(plan, new Map(), name, source, name, true)
  if (plan.skipped.length > 0) options.warn?.(skippedWarning(plan.skipped))
  if (plan.outside.length > 0) options.warn?.(outsideWarning(plan.outside))
  options.onTotal?.(plan.bytes)
  const inVolume = checkedVolumePath(options.pathInVolume)
  const tools = ['tar', 'find', 'stat', 'test', 'mkdir', 'mv', 'rm', ...(options.verify ? ['sha256sum'] : [])]
  return withClaimPod(kube, { ...options, write: true, probe: toolProbe(kube, options, tools) }, async (access) => {
    const parent = remotePath(access, inVolume)
    const destination = posix.join(parent, name)
    const staging = posix.join(parent, `.pvclaim-upload-${randomBytes(4).toString('hex')}`)
    // The folders of the path that do not exist yet (deepest first): on failure they go again, so no empty folder
    // is left in the volume.
    const missing = await execCapture(kube, {
      namespace: options.namespace,
      pod: access.pod,
      container: access.container,
      command: [
        'sh',
        '-c',
        'd="$1"; while [ ! -e "$d" ]; do printf "%s\\000" "$d"; d=$(dirname "$d"); done',
        'sh',
        parent,
      ],
      signal: options.signal,
    })
    const createdDirs = missing.stdout
      .toString('utf8')
      .split('\0')
      .filter((d) => d !== '')
    let succeeded = false
    const made = await execCapture(kube, {
      namespace: options.namespace,
      pod: access.pod,
      container: access.container,
      command: ['mkdir', '-p', staging],
      signal: options.signal,
    })
    if (made.exitCode !== 0)
      throw new SuiteError(
        'invalid',
        `cannot write into ${inVolume} in the volume: ${made.stderr.trim().split('\n')[0] || made.message}`,
        {
          hint: access.helper
            ? `the helper pod runs as uid ${HELPER_UID} (PodSecurity restricted): make the folder writable for it, or run a pod that mounts the claim as the folder's owner and transfer through that`
            : 'check the claim is not mounted read-only, and that the folder is writable by the pod',
        },
      )
    try {
      const exists = await remoteExists(kube, access, options, destination)
      if (exists && !options.overwrite)
        throw new SuiteError('conflict', `${posix.join(inVolume, name)} already exists in the volume`, {
          hint: 'pass --overwrite to replace it, or upload to another path',
        })
      // Files get the owner of the folder they land in (tar run by root restores the archive's owner; run by that
      // owner, it is theirs anyway), never root because the archive said 0.
      const [uid, gid] = (await remote(kube, access, options, ['stat', '-c', '%u %g', parent]))
        .trim()
        .split(' ')
        .map((n) => Number.parseInt(n, 10))
      const owner = { uid: Number.isFinite(uid) ? (uid as number) : 0, gid: Number.isFinite(gid) ? (gid as number) : 0 }
      // Before 1.30 (v4 only) stdin cannot be half-closed, so tar would wait for EOF for ever: the archive's length
      // goes first and head passes exactly that many bytes to tar, which then ends on its own.
      const sized = made.protocol !== 'v5.channel.k8s.io'
      let length = 0
      if (sized) {
        const measure = tar.pack()
        const counted = (async () => {
          for await (const chunk of measure) length += (chunk as Buffer).length
        })()
        await packPlan(measure, plan, owner, undefined, true)
        measure.finalize()
        await counted
        options.log?.(`the server speaks ${made.protocol}: sending the archive's length (${length} bytes) first`)
      }
      const session = await execInPod(kube, {
        namespace: options.namespace,
        pod: access.pod,
        container: access.container,
        command: sized
          ? ['sh', '-c', 'head -c "$1" | tar xf - -C "$2"', 'sh', String(length), staging]
          : ['tar', 'xf', '-', '-C', staging],
        stdin: true,
        halfClose: !sized,
        signal: options.signal,
      })
      const errors: Buffer[] = []
      session.stderr.on('data', (c: Buffer) => errors.push(c))
      session.stdout.resume()
      const pack = tar.pack()
      const hashes = new Map<string, string>()
      const sending = pipeline(pack, counting(options.onBytes), session.stdin as Writable)
      // Hashed only for --verify: sha256 of every byte is CPU a plain upload does not need to spend.
      const packing = packPlan(pack, plan, owner, options.verify ? hashes : undefined).then(() => pack.finalize())
      sending.catch(() => undefined)
      packing.catch(() => undefined)
      let outcome: Awaited<typeof session.result>
      try {
        await Promise.all([packing, sending])
        outcome = await session.result
      } catch (error) {
        session.abort()
        pack.destroy()
        await Promise.allSettled([packing, sending, session.result])
        // A changed source is ours to report (exit 9); the rest of what breaks a stream is the connection (exit 4).
        const changed = await packing.then(
          () => undefined,
          (e: unknown) => (e instanceof SuiteError && e.kind === 'invalid' ? e : undefined),
        )
        if (changed !== undefined) throw changed
        if (options.signal?.aborted === true) throw new SuiteError('interrupted', 'interrupted')
        throw error instanceof SuiteError && error.kind !== 'internal' ? error : cutError()
      }
      const { exitCode, message } = outcome
      if (exitCode !== 0)
        throw new SuiteError(
          'invalid',
          `writing into the volume failed: ${Buffer.concat(errors).toString('utf8').trim().split('\n')[0] || message}`,
          {
            hint: 'check the claim has room (kubectl pvclaim list) and is not mounted read-only',
          },
        )
      const landed = posix.join(staging, name)
      const totals = await remoteTotals(kube, access, options, landed)
      if (totals.files !== plan.files || totals.bytes !== plan.bytes)
        throw new SuiteError(
          'invalid',
          `incomplete transfer: the volume got ${totals.files} files / ${totals.bytes} bytes of ${plan.files} / ${plan.bytes}`,
          {
            hint: 'the volume may be full, or the files changed during the copy; nothing was kept',
          },
        )
      let verified: TransferResult['verified'] = 'count-and-size'
      if (options.verify) {
        const theirs = await remoteHashes(kube, access, options, landed, staging)
        for (const [member, hash] of hashes)
          if (theirs.get(member) !== hash)
            throw new SuiteError('invalid', `sha256 of ${JSON.stringify(member)} differs after the transfer`, {
              hint: 'run it again; nothing was kept',
            })
        if (theirs.size !== hashes.size)
          throw new SuiteError('invalid', `the volume holds ${theirs.size} names, ${hashes.size} were sent`, {
            hint: 'run it again; nothing was kept',
          })
        verified = 'sha256'
      }
      if (exists) await remote(kube, access, options, ['rm', '-rf', destination])
      await remote(kube, access, options, ['mv', landed, destination])
      succeeded = true
      succeeded = true
      return { files: plan.files, bytes: plan.bytes, destination: posix.join(inVolume, name), via: access, verified }
    } finally {
      await execCapture(kube, {
        namespace: options.namespace,
        pod: access.pod,
        container: access.container,
        command: ['rm', '-rf', staging],
      }).catch(() => undefined)
      if (!succeeded && createdDirs.length > 0)
        await execCapture(kube, {
          namespace: options.namespace,
          pod: access.pod,
          container: access.container,
          command: ['rmdir', ...createdDirs],
        }).catch(() => undefined)
    }
  })
}
