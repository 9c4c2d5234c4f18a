import { createHash, randomBytes } from 'node:crypto'
import { readSync } from 'node:fs'
import { lstat, open, readdir, readlink, stat } from 'node:fs/promises'
import { basename, join, posix, resolve } from 'node:path'
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { SuiteError } from '../errors.ts'
import type { Kube } from '../kube/connect.ts'
import { cutError, execCapture, execInPod } from '../kube/exec.ts'
import { withClaimPod } from './claim-pod.ts'
import { uploadIdentity } from './identity.ts'
import { checkRan, couldNotRun, type Remote, remote, remoteHashes, remoteTotals, run, toolProbe } from './remote.ts'
import { outsideWarning, skippedWarning } from './safe-extract.ts'
import { checkedVolumePath, counting, remotePath, type TransferOptions, type TransferResult } from './transfer.ts'

/**
 * Uploads: a local tree planned (hard links, symlinks inside, special files skipped), packed as tar into a staging
 * folder in the volume, counted (and with --verify hashed) there, then renamed into place.
 */
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

/**
 * The buffers files are read into, used again once their bytes are in a WebSocket frame (exec's onSent gives them
 * back): a fresh megabyte per read cost page faults and, as external memory, full collections (2 s per GiB). A
 * buffer that is not given back is simply not reused; past four in use, reads get fresh ones.
 */
export class ReadBuffers {
  static readonly SIZE = 1024 * 1024
  private readonly free: Buffer[] = []
  private readonly owned = new Map<ArrayBufferLike, Buffer>()

  take(): Buffer {
    const spare = this.free.pop()
    if (spare !== undefined) return spare
    const fresh = Buffer.allocUnsafeSlow(ReadBuffers.SIZE)
    if (this.owned.size < 4) this.owned.set(fresh.buffer, fresh)
    return fresh
  }

  /** Chunks whose bytes have been copied out: the pool's own buffers among them can be read into again. */
  release(chunks: readonly Buffer[]): void {
    for (const chunk of chunks) {
      const buffer = this.owned.get(chunk.buffer)
      if (buffer !== undefined && !this.free.includes(buffer)) this.free.push(buffer)
    }
  }
}

type EntrySink = ReturnType<tar.Pack['entry']>

/** Writes a chunk into a stream, waiting while it is full; rejects if the stream fails or closes first. */
function gone(sink: EntrySink): boolean {
  return sink.destroyed || (sink as { destroying?: boolean }).destroying === true
}

function writeInto(sink: EntrySink, chunk: Buffer): Promise<void> {
  // A destroyed entry (the archive failed: a cut stream, Ctrl-C) neither drains nor closes again.
  if (gone(sink)) return Promise.reject(new Error('the archive closed while a file was sent'))
  if (sink.write(chunk)) return Promise.resolve()
  return new Promise((drained, fail) => {
    const cleanup = (): void => {
      sink.off('drain', onDrain)
      sink.off('error', onError)
      sink.off('close', onClose)
    }
    const onDrain = (): void => {
      cleanup()
      drained()
    }
    const onError = (error: Error): void => {
      cleanup()
      fail(error)
    }
    const onClose = (): void => {
      cleanup()
      fail(new Error('the archive closed while a file was sent'))
    }
    sink.on('drain', onDrain)
    sink.on('error', onError)
    sink.on('close', onClose)
  })
}

/** A file's bytes into its tar entry, exactly `entry.size` of them, hashed on the way when asked. */
async function sendFile(
  sink: EntrySink,
  entry: PlanEntry,
  hash: ReturnType<typeof createHash> | undefined,
  reads: ReadBuffers,
): Promise<void> {
  const handle = await open(entry.path, 'r')
  try {
    for (let position = 0; position < entry.size; ) {
      const buffer = reads.take()
      // A plain read(2) on this thread: from the page cache it takes a fraction of a millisecond, where a read on
      // libuv's thread pool handed over between threads twice per megabyte, each hand-over a wait for a core on a
      // busy machine (the same change on the download side took its socket pauses from 6.7 s to none).
      const bytesRead = readSync(handle.fd, buffer, 0, Math.min(buffer.length, entry.size - position), position)
      if (bytesRead === 0) throw changedWhileSent(entry.path)
      const view = buffer.subarray(0, bytesRead)
      position += bytesRead
      hash?.update(view)
      await writeInto(sink, view)
    }
  } finally {
    await handle.close()
  }
  if (gone(sink)) throw new Error('the archive closed while a file was sent')
  await new Promise<void>((done, fail) => {
    sink.once('error', fail)
    sink.once('close', () => (gone(sink) ? fail(new Error('the archive closed while a file was sent')) : done()))
    sink.end(() => done())
  })
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
  reads: ReadBuffers = new ReadBuffers(),
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
      // When the stream to the pod is cut (Ctrl-C, a lost connection) the pack destroys this entry, and streamx
      // emits that error on it after sendFile has stopped listening: an uncaught exception instead of the one-line
      // error. The failure reaches the upload through the pipeline and sendFile already.
      sink.on('error', () => undefined)
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
        await sendFile(sink, entry, hash, reads)
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
  const tools = ['tar', 'find', 'stat', 'test', 'mkdir', 'mv', 'rm', 'id', ...(options.verify ? ['sha256sum'] : [])]
  // Paths in the volume (relative to its root) an attempt made and could not remove (a consumer pod that could not
  // run the transfer after all, then a helper took over): the next attempt removes them.
  const madeDirs: string[] = []
  const stale: string[] = []
  return withClaimPod(
    kube,
    {
      ...options,
      write: true,
      probe: toolProbe(kube, options.namespace, tools, options.signal),
      identity: (access) =>
        uploadIdentity({ kube, access, namespace: options.namespace, signal: options.signal }, inVolume, options),
    },
    (access) =>
      uploadThrough(
        { kube, access, namespace: options.namespace, signal: options.signal },
        plan,
        name,
        inVolume,
        options,
        {
          madeDirs,
          stale,
        },
      ),
  )
}

async function uploadThrough(
  r: Remote,
  plan: UploadPlan,
  name: string,
  inVolume: string,
  options: TransferOptions,
  leftovers: { madeDirs: string[]; stale: string[] },
): Promise<TransferResult> {
  const { kube, access } = r
  const inside = (path: string): string => posix.join(access.mountPath, path)
  const parent = remotePath(access, inVolume)
  const destination = posix.join(parent, name)
  const stagingName = `.pvclaim-upload-${randomBytes(4).toString('hex')}`
  const staging = posix.join(parent, stagingName)
  let succeeded = false
  try {
    // The folders of the path that do not exist yet (deepest first): on failure they go again, so no empty folder
    // is left in the volume.
    // One exec before the stream (each costs a round trip and a process in the pod): the folders of the path that
    // do not exist yet (deepest first, NUL-separated: on failure they go again, so no empty folder is left in the
    // volume), the staging folder made, whether the destination exists, and who owns the folder it lands in.
    const made = await run(r, [
      'sh',
      '-c',
      'd="$1"; while [ ! -e "$d" ]; do printf "%s\\000" "$d"; d=$(dirname "$d"); done; mkdir -p "$2" || exit 4; if [ -e "$3" ]; then e=1; else e=0; fi; printf "\\n%s %s %s" "$e" "$(stat -c "%u %g" "$1")" "$(id -u)"',
      'sh',
      parent,
      staging,
      destination,
    ])
    const out = made.stdout.toString('utf8')
    const cut = out.lastIndexOf('\n')
    for (const dir of (cut < 0 ? out : out.slice(0, cut)).split('\0'))
      if (dir !== '') leftovers.madeDirs.push(posix.relative(access.mountPath, dir))
    if (made.exitCode !== 0 || cut < 0)
      throw new SuiteError(
        'invalid',
        `cannot write into ${inVolume} in the volume: ${made.stderr.trim().split('\n')[0] || made.message}`,
        {
          hint: access.helper
            ? `the helper pod runs as uid ${access.runAs?.uid ?? 'unknown'} gid ${access.runAs?.gid ?? 'unknown'} (the owner of the folder it lands in), which may not write there: make the folder writable for its owner, or upload through a running pod that mounts the claim and may write there`
            : 'check the claim is not mounted read-only, and that the folder is writable by the pod',
        },
      )
    const [flag, uid, gid, self] = out
      .slice(cut + 1)
      .split(' ')
      .map((n) => Number.parseInt(n, 10))
    const exists = flag === 1
    if (exists && !options.overwrite)
      throw new SuiteError('conflict', `${posix.join(inVolume, name)} already exists in the volume`, {
        hint: 'pass --overwrite to replace it, or upload to another path',
      })
    // Files get the owner of the folder they land in: a helper pod runs as that owner (claim-pod.ts), and tar run
    // by root (a consumer pod) restores the archive's owner, which is that owner too, never root because the archive
    // said 0.
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
    // A tar not run by root masks the archive's modes with the umask (busybox's even with -p), and an uploaded file
    // is to keep its local mode (a 0664 file stays group-writable): there it runs under umask 0. Root's tar restores
    // modes and owners as they are, and runs on its own (no shell between: a pod whose tar cannot run says so).
    const umask = self === 0 ? '' : 'umask 0; '
    const command = sized
      ? ['sh', '-c', `${umask}head -c "$1" | tar xf - -C "$2"`, 'sh', String(length), staging]
      : self === 0
        ? ['tar', 'xf', '-', '-C', staging]
        : ['sh', '-c', `${umask}exec tar xf - -C "$1"`, 'sh', staging]
    const reads = new ReadBuffers()
    const session = await execInPod(kube, {
      namespace: options.namespace,
      pod: access.pod,
      container: access.container,
      command,
      stdin: true,
      halfClose: !sized,
      onSent: (chunks) => reads.release(chunks),
      signal: options.signal,
    })
    const errors: Buffer[] = []
    session.stderr.on('data', (c: Buffer) => errors.push(c))
    session.stdout.resume()
    const pack = tar.pack()
    const hashes = new Map<string, string>()
    const sending = pipeline(pack, counting(options.onBytes), session.stdin as Writable)
    // Hashed only for --verify: sha256 of every byte is CPU a plain upload does not need to spend.
    const packing = packPlan(pack, plan, owner, options.verify ? hashes : undefined, false, reads).then(() =>
      pack.finalize(),
    )
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
      if (options.signal?.aborted === true) throw new SuiteError('interrupted', 'interrupted')
      // tar that could not start in a consumer pod closes the stream under us: a helper pod takes over.
      const ended = await session.result.catch(() => undefined)
      if (ended !== undefined) checkRan(r, command, ended, Buffer.concat(errors).toString('utf8'))
      // A changed source is ours to report (exit 9); the rest of what breaks a stream is the connection (exit 4).
      const changed = await packing.then(
        () => undefined,
        (e: unknown) => (e instanceof SuiteError && e.kind === 'invalid' ? e : undefined),
      )
      if (changed !== undefined) throw changed
      throw error instanceof SuiteError && error.kind !== 'internal' ? error : cutError()
    }
    checkRan(r, command, outcome, Buffer.concat(errors).toString('utf8'))
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
    const totals = await remoteTotals(r, landed)
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
      const theirs = await remoteHashes(r, landed, staging)
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
    // Into place, and the staging folder gone, in one exec.
    await remote(r, [
      'sh',
      '-c',
      'if [ "$4" = replace ]; then rm -rf "$2" || exit 1; fi; mv "$1" "$2" && rm -rf "$3"',
      'sh',
      landed,
      destination,
      staging,
      exists ? 'replace' : '',
    ])
    succeeded = true
    return { files: plan.files, bytes: plan.bytes, destination: posix.join(inVolume, name), via: access, verified }
  } finally {
    // On a new exec without the signal: the cleanup must run even after Ctrl-C.
    const exec = (command: string[]) =>
      execCapture(kube, { namespace: options.namespace, pod: access.pod, container: access.container, command }).then(
        (result) => !couldNotRun(result),
        () => false,
      )
    // After success the staging folder is gone already; only what earlier attempts left may remain.
    const staged = [
      ...(succeeded ? [] : [posix.join(posix.relative(access.mountPath, parent), stagingName)]),
      ...leftovers.stale,
    ]
    if (staged.length === 0 || (await exec(['rm', '-rf', ...staged.map(inside)]))) leftovers.stale.splice(0)
    else leftovers.stale.splice(0, leftovers.stale.length, ...staged)
    if (!succeeded && leftovers.madeDirs.length > 0) {
      // Deepest first; a folder that is not empty (another upload's) stays.
      const dirs = [...new Set(leftovers.madeDirs)].sort((a, b) => b.length - a.length)
      await exec(['rmdir', ...dirs.map(inside)])
    }
  }
}
