import { createHash } from 'node:crypto'
import { constants, writeSync } from 'node:fs'
import { copyFile, link, lstat, mkdir, open, symlink } from 'node:fs/promises'
import { isAbsolute, join, normalize, posix, relative, sep } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { SuiteError } from '../errors.ts'

/**
 * Extracts a tar stream into a folder that nothing outside may be written through. tar-stream parses; the checks
 * are ours, because no tar library we could use refuses all of these together: absolute names, `..` components,
 * writing through a symlink an earlier entry planted, hard links to anything
 * but a file this extraction made. Every file is created new (O_EXCL), so nothing that exists is ever overwritten or
 * followed. Hard links (`link` entries) become hard links inside the folder, or copies where the file system cannot
 * link; FIFOs, sockets and device files are skipped and named in one warning, and so are symlinks that point out of
 * the folder (absolute or climbing out with ..): never made, so never followed.
 */
export interface ExtractStats {
  /** Regular files with their own content (one per inode: the second name of a hard link is in `links`). */
  files: number
  /** Further names of files already extracted (tar `link` entries). */
  links: number
  directories: number
  symlinks: number
  /** Bytes of content (each inode once). */
  bytes: number
  /** Entries not extracted because they are not files: FIFOs, sockets, device files. */
  skipped: string[]
  /** Symlinks not made because they point out of the folder (absolute, or climbing out), as `name → target`. */
  outside: string[]
  /** sha256 of every file and link name, by member path, when asked for (computed while the bytes pass). */
  hashes: Map<string, string>
}

export interface ExtractOptions {
  onBytes?: (bytes: number) => void
  /** Hash every file while it is written (for --verify, without reading it again). */
  hash?: boolean
  /** One line naming what was skipped. */
  warn?: (message: string) => void
}

/** The one warning line for symlinks that point out of the tree: not copied, never followed. */
export function outsideWarning(links: readonly string[]): string {
  return `skipped ${links.length} symlink${links.length === 1 ? '' : 's'} pointing outside the folder (not copied, never followed): ${links.map((n) => JSON.stringify(n)).join(', ')}`
}

/** The one warning line for entries that are not copied. */
export function skippedWarning(names: readonly string[]): string {
  return `skipped ${names.length} special file${names.length === 1 ? '' : 's'} (FIFOs, sockets and devices hold no data to copy): ${names.map((n) => JSON.stringify(n)).join(', ')}`
}

export function unsafeEntry(name: string, why: string): SuiteError {
  return new SuiteError('invalid', `the archive entry "${name}" ${why}; nothing was extracted`, {
    hint: 'the volume holds a path that would land outside the target folder; inspect it from a pod',
  })
}

/** The member name as a safe relative path, or an error: no absolute paths, no `..`, no empty names. */
export function safeMemberPath(name: string): string {
  const cleaned = name.replace(/^(\.\/)+/, '')
  if (cleaned === '' || cleaned === '.') return '.'
  if (cleaned.includes('\0')) throw unsafeEntry(name, 'contains a NUL byte')
  if (posix.isAbsolute(cleaned) || isAbsolute(cleaned)) throw unsafeEntry(name, 'is an absolute path')
  const normal = posix.normalize(cleaned).replace(/\/+$/, '')
  if (normal === '..' || normal.startsWith('../') || cleaned.split('/').includes('..'))
    throw unsafeEntry(name, 'climbs out with ..')
  return normal
}

/** Whether a symlink at `member` pointing to `target` stays inside the root. */
export function symlinkStaysInside(member: string, target: string): boolean {
  if (posix.isAbsolute(target)) return false
  const resolved = posix.normalize(posix.join(posix.dirname(member), target))
  return resolved !== '..' && !resolved.startsWith('../')
}

/** Refuses to write through any symlink between the root and the path (one an earlier entry could have made). */
async function assertNoSymlinkOnPath(root: string, member: string): Promise<void> {
  const parts = member.split('/').slice(0, -1)
  let current = root
  for (const part of parts) {
    current = join(current, part)
    try {
      if ((await lstat(current)).isSymbolicLink()) throw unsafeEntry(member, 'would be written through a symlink')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
  }
}

/** The size of the buffer a file's bytes are gathered in and written from. */
const BLOCK = 64 * 1024

export async function safeExtract(input: Readable, root: string, options: ExtractOptions = {}): Promise<ExtractStats> {
  const stats: ExtractStats = {
    files: 0,
    links: 0,
    directories: 0,
    symlinks: 0,
    bytes: 0,
    skipped: [],
    outside: [],
    hashes: new Map(),
  }
  // Files this extraction created: the only things a `link` entry may point to.
  const made = new Set<string>()
  // The one write buffer, reused by every file in turn (entries are written one at a time).
  const block = Buffer.allocUnsafeSlow(BLOCK)
  const extract = tar.extract()
  let failure: unknown
  let current: { stream: { destroy(): void }; settled: Promise<void> } | undefined
  extract.on('entry', (header, stream, next) => {
    const run = async (): Promise<void> => {
      const member = safeMemberPath(header.name)
      const target = join(root, member)
      if (relative(root, target).split(sep)[0] === '..') throw unsafeEntry(header.name, 'climbs out of the folder')
      if (member !== '.') await assertNoSymlinkOnPath(root, member)
      switch (header.type) {
        case 'directory':
          await mkdir(target, { recursive: true, mode: 0o755 })
          if (member !== '.') stats.directories++
          stream.resume()
          return
        case 'symlink': {
          const link = header.linkname ?? ''
          if (!symlinkStaysInside(member, link)) {
            // Never made, so never followed: an entry later written "through" it lands in a real folder here.
            stats.outside.push(`${member} → ${link}`)
            stream.resume()
            return
          }
          await mkdir(join(target, '..'), { recursive: true })
          await symlink(link, target)
          stats.symlinks++
          stream.resume()
          return
        }
        case 'link': {
          const existing = safeMemberPath(header.linkname ?? '')
          if (!made.has(existing))
            throw unsafeEntry(
              header.name,
              `is a hard link to ${header.linkname ?? ''}, which is not a file of this archive`,
            )
          await assertNoSymlinkOnPath(root, existing)
          await mkdir(join(target, '..'), { recursive: true })
          try {
            await link(join(root, existing), target)
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code
            if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw error
            // A file system without hard links (FAT, some network mounts): a copy keeps the content.
            await copyFile(join(root, existing), target, constants.COPYFILE_EXCL)
          }
          const hash = stats.hashes.get(existing)
          if (hash !== undefined) stats.hashes.set(member, hash)
          made.add(member)
          stats.links++
          stream.resume()
          return
        }
        case 'fifo':
        case 'character-device':
        case 'block-device':
          stats.skipped.push(member)
          stream.resume()
          return
        case 'file':
        case 'contiguous-file': {
          await mkdir(join(target, '..'), { recursive: true })
          const hash = options.hash === true ? createHash('sha256') : undefined
          // 'wx': a new file or an error, so an entry can never replace or write through what is there. Chunks go
          // straight to the file handle: a write stream per entry costs a third of the throughput on big files.
          const file = await open(target, 'wx', (header.mode ?? 0o644) & 0o777)
          // Chunks are copied into a 64 KiB block, written when full with a plain write(2) on this thread, as each
          // chunk arrives. Measured on a loaded 2-core machine, 1 GiB: 4 MiB writes on libuv's thread pool (as
          // before) cost 2.4 s of system time and every write handed over between threads, so the socket sat paused
          // for 6.7 s of a 15 s download; 64 KiB written here cost 0.6-0.8 s and the socket is never paused (the
          // kernel's socket buffer holds what arrives meanwhile). 4 MiB written alone into the page cache took 4x
          // the system time of 64 KiB. The chunks die young: nothing holds a gigabyte's worth through collections.
          try {
            await new Promise<void>((resolve, reject) => {
              let filled = 0
              // Settled: ended or failed (a 'close' after the end, or data after a failure, is ignored).
              let over = false
              const flush = (): void => {
                for (let at = 0; at < filled; ) at += writeSync(file.fd, block, at, filled - at)
                filled = 0
              }
              const fail = (error: unknown): void => {
                if (over) return
                over = true
                reject(error)
                stream.destroy()
              }
              stream.on('data', (data: unknown) => {
                if (over) return
                const bytes = data as Buffer
                try {
                  hash?.update(bytes)
                  stats.bytes += bytes.length
                  options.onBytes?.(bytes.length)
                  for (let at = 0; at < bytes.length; ) {
                    const n = Math.min(bytes.length - at, BLOCK - filled)
                    bytes.copy(block, filled, at, at + n)
                    filled += n
                    at += n
                    if (filled === BLOCK) flush()
                  }
                } catch (error) {
                  fail(error)
                }
              })
              stream.once('end', () => {
                if (over) return
                try {
                  flush()
                  over = true
                  resolve()
                } catch (error) {
                  fail(error)
                }
              })
              stream.once('error', fail)
              // Destroyed before its end (the extraction failed elsewhere): the file is incomplete.
              stream.once('close', () => fail(new Error('the archive ended within a file')))
            })
          } finally {
            await file.close()
          }
          if (hash !== undefined) stats.hashes.set(member, hash.digest('hex'))
          made.add(member)
          stats.files++
          return
        }
        default:
          // Sockets and unknown types: nothing that holds data, so skipped like FIFOs.
          stats.skipped.push(member)
          stream.resume()
          return
      }
    }
    // A cut archive (Ctrl-C, a dropped connection) errors the entry too; that error reaches us through the
    // pipeline, so the entry's own copy must not go unhandled.
    stream.on('error', () => undefined)
    const settled = run().then(
      () => next(),
      (error: unknown) => {
        // The first refusal ends the whole extraction; streamx would rethrow an error handed to next().
        failure ??= error
        stream.resume()
        extract.destroy(error as Error)
      },
    )
    current = { stream, settled }
  })
  try {
    await pipeline(input, extract)
  } catch (error) {
    // Stop the entry being written and wait until its file handle is closed before reporting.
    current?.stream.destroy()
    await current?.settled
    throw failure ?? error
  }
  if (failure !== undefined) throw failure
  if (stats.skipped.length > 0) options.warn?.(skippedWarning(stats.skipped))
  if (stats.outside.length > 0) options.warn?.(outsideWarning(stats.outside))
  return stats
}

/** For messages: where a member would land, as the user sees it. */
export const displayPath = (root: string, member: string): string => normalize(join(root, member))
