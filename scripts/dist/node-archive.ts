import { execFileSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { unsign } from 'macho-unsign'
import { REPO_ROOT } from './plugins.ts'
import type { Target } from './targets.ts'

/**
 * pkg's SEA mode takes the Node binary for each target from $HOME/.pkg-cache/sea/node-<v>-<os>-<arch>.tar.gz
 * (.zip on Windows), laid out like the nodejs.org archive (node-<v>-<os>-<arch>/bin/node, or .../node.exe on
 * Windows), and skips its download and checksum only when `<archive>.ok` sits next to it (see
 * @yao-pkg/pkg lib-es5/sea.js getNodejsExecutable). Our machines reach only the npm registry, which ships the
 * same official binaries as `node-<os>-<arch>` packages, so we build that archive from the package.
 *
 * The Linux binaries are stripped of their symbol tables first (150 → 117 MB for linux-x64; the SEA fuse and
 * everything Node runs are untouched). The macOS binary loses its code signature (macho-unsign): Node's release
 * signs it with the hardened runtime, and a signature that no longer matches once the SEA blob is injected gets
 * the process killed at launch, where an unsigned binary runs on Intel Macs (Node's SEA guide removes it too, with
 * codesign, which only a Mac has). pkg then signs ad hoc where `codesign` or `ldid` is on PATH. pkg's folder is fixed under $HOME, so the build points HOME at our own
 * cache while pkg runs (pkgHome()), which keeps these stripped archives away from anyone else's ~/.pkg-cache.
 */
export function suiteCache(): string {
  return process.env.KUBECTL_SUITE_CACHE ?? join(homedir(), '.cache', 'kubectl-suite')
}

/** What HOME is while pkg runs: its archives live in <pkgHome>/.pkg-cache/sea. */
export function pkgHome(): string {
  return join(suiteCache(), 'pkg-home')
}

export function pkgSeaCacheDir(): string {
  return join(pkgHome(), '.pkg-cache', 'sea')
}

/** Written into the `.ok` marker: an archive prepared differently (e.g. before stripping) is rebuilt. */
function preparation(target: Target): string {
  return target.nodeOs === 'darwin'
    ? 'npm-package, macho-unsign (darwin)\n'
    : 'npm-package, strip --strip-all (linux)\n'
}

/** The registry has no Node of this version for the target (npm's node-darwin-* stop at Node 18). */
export class NodeUnavailable extends Error {}

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
  const packs = join(suiteCache(), 'node-packages')
  mkdirSync(packs, { recursive: true })
  const tgz = join(packs, `${target.npmPackage}-${bare}.tgz`)
  if (!existsSync(tgz)) {
    try {
      execFileSync('npm', ['pack', `${target.npmPackage}@${bare}`, '--pack-destination', packs, '--silent'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    } catch (error) {
      throw new NodeUnavailable(`no ${target.npmPackage}@${bare} (${(error as Error).message.split('\n')[0]})`)
    }
  }
  execFileSync('tar', ['-xzf', tgz, '-C', work])
  const bin = join(work, 'package/bin')
  const found = readdirSync(bin).find((f) => f === 'node' || f === 'node.exe')
  if (found === undefined) throw new Error(`${target.npmPackage}@${bare} holds no node binary in bin/`)
  return join(bin, found)
}

/**
 * binutils' strip. A foreign architecture (linux/arm64 built on amd64) is rewritten through binutils' generic
 * elf64-little back end: the program headers stay identical, only .symtab/.strtab and debug sections go.
 * Windows' node.exe keeps its symbols in a separate .pdb, so there is nothing to strip.
 */
function stripSymbols(file: string): void {
  const strip = (args: string[]): void => {
    execFileSync('strip', [...args, '--strip-all', file], { stdio: ['ignore', 'ignore', 'pipe'] })
  }
  try {
    try {
      strip([])
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error
      strip(['-F', 'elf64-little'])
    }
  } catch (error) {
    throw new Error(
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'strip not found: install binutils (apt-get install binutils) to build the release binaries'
        : `strip ${file} failed: ${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim()}`,
    )
  }
}

/** Removes a Mach-O binary's code signature in place (see the top of this file for why). */
function removeSignature(file: string): void {
  const unsigned = unsign(readFileSync(file))
  if (unsigned === null) throw new Error(`${file}: expected Node's signed macOS binary, found no code signature`)
  writeFileSync(file, Buffer.from(unsigned), { mode: 0o755 })
}

/** Makes sure pkg finds the target's Node archive and its `.ok` marker; returns the archive path. */
export function ensureNodeArchive(target: Target, nodeVersion: string): string {
  const cache = pkgSeaCacheDir()
  const archive = join(cache, archiveName(nodeVersion, target))
  const marker = `${archive}.ok`
  if (existsSync(archive) && existsSync(marker) && readFileSync(marker, 'utf8') === preparation(target)) return archive
  mkdirSync(cache, { recursive: true })
  const dirName = `node-${nodeVersion}-${target.nodeOs}-${target.nodeArch}`
  // pkg extracts the archive next to itself and trusts that copy while its own marker exists: drop both.
  rmSync(join(cache, dirName), { recursive: true, force: true })
  rmSync(join(cache, `${dirName}.exe`), { force: true })
  rmSync(join(cache, `${dirName}.exe.ok`), { force: true })
  const work = mkdtempSync(join(tmpdir(), 'suite-node-archive-'))
  try {
    const binary = nodeBinaryFromNpm(target, nodeVersion, work)
    const layout = target.nodeOs === 'win' ? join(work, 'stage', dirName) : join(work, 'stage', dirName, 'bin')
    mkdirSync(layout, { recursive: true })
    const staged = join(layout, target.nodeOs === 'win' ? 'node.exe' : 'node')
    copyFileSync(binary, staged)
    if (target.nodeOs === 'linux') stripSymbols(staged)
    if (target.nodeOs === 'darwin') removeSignature(staged)
    // Written under a temporary name and renamed, so an interrupted build never leaves a truncated archive
    // that the marker would vouch for.
    const partial = `${archive}.partial`
    rmSync(partial, { force: true })
    if (target.nodeOs === 'win') execFileSync('zip', ['-q', '-r', partial, dirName], { cwd: join(work, 'stage') })
    else execFileSync('tar', ['-czf', partial, '-C', join(work, 'stage'), dirName])
    execFileSync('mv', [partial, archive])
    writeFileSync(marker, preparation(target))
    return archive
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
