import { realpathSync } from 'node:fs'
import { posix, relative, resolve } from 'node:path'

/**
 * A pod's file system as a mount table: each pod path resolves to a folder on this machine, and nothing resolves
 * outside the folder of its mount, so commands run "in the pod" can never touch the host elsewhere.
 */
export interface Mount {
  mountPath: string
  hostPath: string
  readOnly: boolean
}

export class PodFsError extends Error {}

export interface PodFs {
  mounts: readonly Mount[]
  /** Host path and mount for a pod path; throws PodFsError for writes to read-only mounts. */
  resolve(podPath: string, cwd: string, options?: { write?: boolean }): { host: string; mount: Mount }
}

export function createPodFs(root: string, mounts: readonly Mount[]): PodFs {
  const table: Mount[] = [...mounts, { mountPath: '/', hostPath: root, readOnly: false }].sort(
    (a, b) => b.mountPath.length - a.mountPath.length,
  )
  return {
    mounts: table,
    resolve(podPath, cwd, options = {}) {
      const absolute = posix.resolve(cwd, podPath)
      const mount = table.find(
        (m) => m.mountPath === '/' || absolute === m.mountPath || absolute.startsWith(`${m.mountPath}/`),
      ) as Mount
      const inside = mount.mountPath === '/' ? absolute.slice(1) : absolute.slice(mount.mountPath.length + 1)
      const host = resolve(mount.hostPath, inside)
      // Symlinks inside a volume must not lead out of it.
      let real = host
      try {
        real = realpathSync(host)
      } catch {
        real = host
      }
      const base = (() => {
        try {
          return realpathSync(mount.hostPath)
        } catch {
          return mount.hostPath
        }
      })()
      if (relative(base, real).startsWith('..')) throw new PodFsError(`${podPath}: Permission denied`)
      if (options.write === true && mount.readOnly) throw new PodFsError(`${podPath}: Read-only file system`)
      return { host, mount }
    },
  }
}
