import { lstat, mkdir, open, symlink } from 'node:fs/promises'
import { isAbsolute, join, normalize, posix, relative, sep } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { SuiteError } from '../errors.ts'

/**
 * Extracts a tar stream into a folder that nothing outside may be written through. tar-stream parses; the checks
 * are ours, because no tar library we could use refuses all of these together: absolute names, `..` components,
 * symlinks that point out of the folder, writing through a symlink an earlier entry planted, hard links and device
 * files. Every file is created new (O_EXCL), so nothing that exists is ever overwritten or followed.
 */
export interface ExtractStats {
  files: number
  directories: number
  symlinks: number
  bytes: number
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

export async function safeExtract(
  input: Readable,
  root: string,
  options: { onBytes?: (bytes: number) => void } = {},
): Promise<ExtractStats> {
  const stats: ExtractStats = { files: 0, directories: 0, symlinks: 0, bytes: 0 }
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
          if (!symlinkStaysInside(member, link))
            throw unsafeEntry(header.name, `is a symlink to ${link}, outside the folder`)
          await mkdir(join(target, '..'), { recursive: true })
          await symlink(link, target)
          stats.symlinks++
          stream.resume()
          return
        }
        case 'file':
        case 'contiguous-file': {
          await mkdir(join(target, '..'), { recursive: true })
          // 'wx': a new file or an error, so an entry can never replace or write through what is there. Chunks go
          // straight to the file handle: a write stream per entry costs a third of the throughput on big files.
          const file = await open(target, 'wx', (header.mode ?? 0o644) & 0o777)
          try {
            // Gathered into 4 MiB writev calls: one syscall per 64 KiB frame would throttle the socket.
            let pending: Buffer[] = []
            let pendingBytes = 0
            for await (const chunk of stream) {
              const bytes = chunk as Buffer
              pending.push(bytes)
              pendingBytes += bytes.length
              stats.bytes += bytes.length
              options.onBytes?.(bytes.length)
              if (pendingBytes >= 4 * 1024 * 1024) {
                await file.writev(pending)
                pending = []
                pendingBytes = 0
              }
            }
            if (pending.length > 0) await file.writev(pending)
          } finally {
            await file.close()
          }
          stats.files++
          return
        }
        default:
          throw unsafeEntry(header.name, `is a ${header.type ?? 'special'} entry, which is not copied`)
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
  return stats
}

/** For messages: where a member would land, as the user sees it. */
export const displayPath = (root: string, member: string): string => normalize(join(root, member))
