import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * What an image name means on this machine. No image is ever pulled: each name maps to a root file system made from
 * programs installed here, so what runs in a pod is a real program, and a program the image would lack is missing.
 *
 * | image name                                             | root file system                          | no command → |
 * |--------------------------------------------------------|-------------------------------------------|--------------|
 * | busybox…, alpine…                                      | busybox: Debian busybox-static, 1 applet = 1 symlink | sleep infinity |
 * | debian…, ubuntu…                                       | gnu: the host's /usr read-only (GNU coreutils, tar, python3) | sleep infinity |
 * | python…                                                | gnu, plus /usr/local/bin/python → python3 as in the image | sleep infinity |
 * | registry.example.com/…, registry.k8s.io/…              | busybox (the scenarios' stand-ins for app and system images) | sleep infinity |
 * | …distroless/…                                          | minimal: no shell, no tar; /bin/sleep only (stands in for the app) | sleep infinity |
 * | …kaniko…                                               | busybox + a recording fake /kaniko/executor that "pushes" the context into the registry folder | — |
 * | an image "pushed" into the registry folder (mrun builds) | its Dockerfile's FROM image, the context copied to WORKDIR | sleep infinity |
 * | anything else                                          | none: ErrImagePull / ImagePullBackOff                        |
 *
 * "no command →": real busybox and python images run `sh` or `python3`, which exit at once without a terminal; the
 * simulator's long-running pods are created without a command, so a waiting process stands in for the image's server.
 */
export type RootfsKind = 'busybox' | 'gnu' | 'minimal'

export interface ImageConfig {
  rootfs: RootfsKind
  /** The image's ENTRYPOINT: what runs before the container's args when it sets no command. */
  entrypoint?: string[]
  /** The image's CMD, when the container sets neither command nor args. */
  defaultCommand: string[]
  workingDir?: string
  /** Host folder copied into the container's root at `path` (a built image's COPY . WORKDIR). */
  context?: { hostPath: string; path: string }
  /** Host folders bound into the container (the fake kaniko's registry). */
  binds?: { hostPath: string; path: string; readOnly: boolean }[]
  /** Files written into the container's root (the fake kaniko executor). */
  files?: { path: string; content: string; mode: number }[]
  /** Symlinks in /usr/local/bin (name → target), e.g. python → /usr/bin/python3 for python images. */
  localBin?: Record<string, string>
  /** Extra environment, under the container's own. */
  env?: Record<string, string>
}

const WAIT = ['sleep', 'infinity']

export const IMAGE_TABLE: readonly {
  pattern: RegExp
  rootfs: RootfsKind
  why: string
  localBin?: Record<string, string>
}[] = [
  { pattern: /(^|\/)(busybox|alpine)(:|@|$)/, rootfs: 'busybox', why: 'busybox applets only' },
  { pattern: /(^|\/)(debian|ubuntu)(:|@|$)/, rootfs: 'gnu', why: 'GNU userland with python3' },
  {
    pattern: /(^|\/)python(:|@|$)/,
    rootfs: 'gnu',
    why: 'GNU userland; the image has python as well as python3',
    localBin: { python: '/usr/bin/python3' },
  },
  {
    pattern: /(^|\/)distroless\//,
    rootfs: 'minimal',
    why: 'no shell, no tar: one program (sleep) stands in for the app',
  },
  { pattern: /^registry\.example\.com\//, rootfs: 'busybox', why: "the scenarios' app images" },
  { pattern: /^registry\.k8s\.io\//, rootfs: 'busybox', why: "the scenarios' system pods" },
]

const KANIKO = /(^|\/)(kaniko[^/:]*|executor)(:|@|$)/

/** A registry folder's name for an image reference (what the fake builders write and this reads). */
export function registryFolderName(image: string): string {
  return image.replace(/[/:@]/g, '_')
}

/**
 * The fake in-cluster builder: a busybox script standing in for kaniko's executor (no real builder can run here). It
 * records its arguments in the log and "pushes" the context tarball by unpacking it into the registry folder.
 */
const KANIKO_EXECUTOR = `#!/bin/sh
context=""; destination=""
for a in "$@"; do
  case "$a" in
    --context=tar://*) context="\${a#--context=tar://}";;
    --destination=*) destination="\${a#--destination=}";;
  esac
done
echo "kaniko (recording fake): /kaniko/executor $*"
[ -n "$context" ] && [ -n "$destination" ] || { echo "error: --context=tar://… and --destination are required" >&2; exit 1; }
dir="/registry/$(echo "$destination" | tr '/:@' '___')"
mkdir -p "$dir" && tar xzf "$context" -C "$dir" || exit 1
echo "pushed $destination"
`

export function resolveImage(image: string, registryDir: string | undefined): ImageConfig | undefined {
  const name = image.trim()
  if (registryDir !== undefined) {
    const built = join(registryDir, registryFolderName(name))
    if (existsSync(join(built, 'Dockerfile'))) return builtImage(built, registryDir)
  }
  if (KANIKO.test(name))
    return {
      rootfs: 'busybox',
      entrypoint: ['/kaniko/executor'],
      defaultCommand: [],
      files: [{ path: '/kaniko/executor', content: KANIKO_EXECUTOR, mode: 0o755 }],
      binds: registryDir === undefined ? [] : [{ hostPath: registryDir, path: '/registry', readOnly: false }],
    }
  const row = IMAGE_TABLE.find((r) => r.pattern.test(name))
  if (row === undefined) return undefined
  return { rootfs: row.rootfs, defaultCommand: WAIT, ...(row.localBin === undefined ? {} : { localBin: row.localBin }) }
}

/** An image a fake builder "pushed": a folder holding its build context, Dockerfile included. */
function builtImage(dir: string, registryDir: string): ImageConfig | undefined {
  const lines = readFileSync(join(dir, 'Dockerfile'), 'utf8').split('\n')
  const words = (prefix: string): string[] =>
    lines
      .filter((l) => l.toUpperCase().startsWith(`${prefix} `))
      .map((l) => l.slice(prefix.length + 1).trim())
      .filter((l) => l !== '')
  const from = words('FROM')[0]
  if (from === undefined) return undefined
  const base = resolveImage(from.split(/\s+/)[0] as string, registryDir)
  if (base === undefined) return undefined
  const workingDir = words('WORKDIR').at(-1)
  const copyAll = words('COPY')
    .map((w) => w.split(/\s+/))
    .find((w) => w.length === 2 && w[0] === '.')?.[1]
  const target = copyAll ?? workingDir ?? '/'
  return {
    ...base,
    ...(workingDir === undefined ? {} : { workingDir }),
    context: { hostPath: dir, path: target },
  }
}
