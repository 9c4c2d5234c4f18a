import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from './plugins.ts'
import type { Target } from './targets.ts'

/**
 * pkg's SEA mode takes the Node binary for each target from ~/.pkg-cache/sea/node-<v>-<os>-<arch>.tar.gz
 * (.zip on Windows), laid out like the nodejs.org archive (node-<v>-<os>-<arch>/bin/node, or .../node.exe on
 * Windows), and skips its download and checksum only when `<archive>.ok` sits next to it (see
 * @yao-pkg/pkg lib-es5/sea.js getNodejsExecutable). Our machines reach only the npm registry, which ships the
 * same official binaries as `node-<os>-<arch>` packages, so we build that archive from the package.
 */
export function pkgSeaCacheDir(): string {
  return join(homedir(), '.pkg-cache', 'sea')
}

export function archiveName(nodeVersion: string, target: Target): string {
  const base = `node-${nodeVersion}-${target.nodeOs}-${target.nodeArch}`
  return target.nodeOs === 'win' ? `${base}.zip` : `${base}.tar.gz`
}

/** Fetches `<npmPackage>@<version>` through npm (its own cache makes a second build offline) and returns the binary. */
function nodeBinaryFromNpm(target: Target, nodeVersion: string, work: string): string {
  const bare = nodeVersion.replace(/^v/, '')
  // The host's own Node is that very package already installed as our dev dependency.
  const local = join(REPO_ROOT, 'node_modules/node/bin/node')
  if (
    target.nodeOs === 'linux' &&
    target.nodeArch === 'x64' &&
    process.platform === 'linux' &&
    process.arch === 'x64'
  ) {
    if (existsSync(local) && execFileSync(local, ['--version'], { encoding: 'utf8' }).trim() === nodeVersion)
      return local
  }
  const packs = join(REPO_ROOT, '.cache/node-packages')
  mkdirSync(packs, { recursive: true })
  const tgz = join(packs, `${target.npmPackage}-${bare}.tgz`)
  if (!existsSync(tgz)) {
    execFileSync('npm', ['pack', `${target.npmPackage}@${bare}`, '--pack-destination', packs, '--silent'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
  }
  execFileSync('tar', ['-xzf', tgz, '-C', work])
  const bin = join(work, 'package/bin')
  const found = readdirSync(bin).find((f) => f === 'node' || f === 'node.exe')
  if (found === undefined) throw new Error(`${target.npmPackage}@${bare} holds no node binary in bin/`)
  return join(bin, found)
}

/** Makes sure pkg finds the target's Node archive and its `.ok` marker; returns the archive path. */
export function ensureNodeArchive(target: Target, nodeVersion: string): string {
  const cache = pkgSeaCacheDir()
  const archive = join(cache, archiveName(nodeVersion, target))
  if (existsSync(archive) && existsSync(`${archive}.ok`)) return archive
  mkdirSync(cache, { recursive: true })
  const work = mkdtempSync(join(tmpdir(), 'suite-node-archive-'))
  try {
    const binary = nodeBinaryFromNpm(target, nodeVersion, work)
    const dirName = `node-${nodeVersion}-${target.nodeOs}-${target.nodeArch}`
    const layout = target.nodeOs === 'win' ? join(work, 'stage', dirName) : join(work, 'stage', dirName, 'bin')
    mkdirSync(layout, { recursive: true })
    copyFileSync(binary, join(layout, target.nodeOs === 'win' ? 'node.exe' : 'node'))
    // Written under a temporary name and renamed, so an interrupted build never leaves a truncated archive
    // that the marker would vouch for.
    const partial = `${archive}.partial`
    rmSync(partial, { force: true })
    if (target.nodeOs === 'win') execFileSync('zip', ['-q', '-r', partial, dirName], { cwd: join(work, 'stage') })
    else execFileSync('tar', ['-czf', partial, '-C', join(work, 'stage'), dirName])
    execFileSync('mv', [partial, archive])
    writeFileSync(`${archive}.ok`, '')
    return archive
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
