import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { DIST } from '../../scripts/dist/build.ts'
import { distPlugins } from '../../scripts/dist/plugins.ts'
import { archiveFileName, RELEASE_DIR, releaseTargets } from '../../scripts/dist/release.ts'
import { command, compare } from './measure.ts'

/** The built single-file binary of this platform (`npm run build`), or undefined when there is none. */
export function builtBinary(bin: string): string | undefined {
  const path = join(DIST, `linux-${process.arch === 'arm64' ? 'arm64' : 'amd64'}`, bin)
  return existsSync(path) ? path : undefined
}

/**
 * Cold start of each built single-file binary (`--version` and `--help`, which must not load the Kubernetes
 * client) next to `kubectl version --client` in the same run, and the binary's size against kubectl's.
 * Skipped with a message when nothing is built (`npm run build`).
 */
export async function benchDist(env: NodeJS.ProcessEnv): Promise<void> {
  process.stdout.write('\n== single-file binaries ==\n')
  const platform = `linux-${process.arch === 'arm64' ? 'arm64' : 'amd64'}`
  const built = distPlugins().filter((p) => existsSync(join(DIST, platform, p.bin)))
  if (built.length === 0) {
    process.stdout.write(`skipped: no binaries in dist/${platform}; run npm run build first\n`)
    return
  }
  const kubectlPath = execFileSync('which', ['kubectl'], { encoding: 'utf8' }).trim()
  const kubectlSize = statSync(kubectlPath).size
  const kubectlVersion = command('kubectl version --client', 'kubectl', ['version', '--client'], env)
  for (const plugin of built) {
    const bin = join(DIST, platform, plugin.bin)
    for (const flag of ['--version', '--help'])
      await compare(`${plugin.bin} ${flag} (binary)`, command('ours', bin, [flag], env), kubectlVersion)
    const size = statSync(bin).size
    process.stdout.write(
      `${plugin.bin} size ${(size / 2 ** 20).toFixed(1)} MiB | kubectl ${(kubectlSize / 2 ** 20).toFixed(1)} MiB | ratio ${(size / kubectlSize).toFixed(2)}\n`,
    )
  }
  benchArchives(kubectlSize, gzipSync(readFileSync(kubectlPath)).length)
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`

/** The download: each release archive (`npm run release`) next to kubectl's binary, as is and gzipped. */
function benchArchives(kubectlSize: number, kubectlGzip: number): void {
  process.stdout.write('\n== release archives (the download) ==\n')
  const plugins = distPlugins()
  const archives = releaseTargets().flatMap((t) => plugins.map((p) => join(RELEASE_DIR, archiveFileName(p, t))))
  if (!archives.every(existsSync)) {
    process.stdout.write(`skipped: no complete release in ${RELEASE_DIR}; run npm run build && npm run release\n`)
    return
  }
  for (const archive of archives) {
    const size = statSync(archive).size
    process.stdout.write(
      `${archive.slice(RELEASE_DIR.length + 1)} ${mib(size)} (${(size / 1e6).toFixed(1)} MB) | kubectl ${mib(kubectlSize)}, gzipped ${mib(kubectlGzip)} | ratio to gzipped kubectl ${(size / kubectlGzip).toFixed(2)}\n`,
    )
  }
}
