import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * Projected volumes (secret, configMap, the service-account token) as the kubelet's atomic writer lays them out: the
 * files in a timestamped folder, `..data` pointing at it, and one symlink per top-level name through `..data`.
 */
export interface ProjectedFile {
  /** Relative path inside the volume. */
  path: string
  data: Buffer
  mode: number
}

export interface KeyToPath {
  key: string
  path: string
  mode?: number
}

/** The files of a secret or configMap volume: every key, or only `items`, with `defaultMode` (0644) or their mode. */
export function projectionFiles(
  data: Readonly<Record<string, Buffer>>,
  options: { items?: readonly KeyToPath[] | undefined; defaultMode?: number | undefined },
): ProjectedFile[] {
  const mode = options.defaultMode ?? 0o644
  if (options.items === undefined || options.items.length === 0)
    return Object.entries(data).map(([key, value]) => ({ path: key, data: value, mode }))
  return options.items.flatMap((item) => {
    const value = data[item.key]
    return value === undefined ? [] : [{ path: item.path, data: value, mode: item.mode ?? mode }]
  })
}

export function writeProjected(dir: string, files: readonly ProjectedFile[], now: Date = new Date()): void {
  mkdirSync(dir, { recursive: true })
  const stamp = `..${now.toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '')}${process.hrtime.bigint() % 1000n}`
  const folder = join(dir, stamp)
  for (const f of files) {
    const target = join(folder, f.path)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, f.data)
    chmodSync(target, f.mode)
  }
  mkdirSync(folder, { recursive: true })
  const tmpLink = join(dir, '..data_tmp')
  rmSync(tmpLink, { force: true })
  symlinkSync(stamp, tmpLink)
  renameSync(tmpLink, join(dir, '..data'))
  for (const top of new Set(files.map((f) => f.path.split('/')[0] as string))) {
    if (!existsSync(join(dir, top))) symlinkSync(join('..data', top), join(dir, top))
  }
}
