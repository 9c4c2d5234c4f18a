import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The runtime's setuid program (setuid/main.go): a static binary that takes a container's groups, gid and uid, then
 * runs its command. Neither busybox's setpriv (no --reuid) nor the host's util-linux setpriv (dynamically linked,
 * and a busybox sandbox has no host libraries) can do that inside every sandbox, so the runtime builds its own once:
 * `${KUBECTL_SUITE_CACHE:-~/.cache/kubectl-suite}/kubelet-setuid-<hash of its source>`, with the Go at $GO, on PATH
 * or in /usr/local/go (a cached build of the Go standard library makes it take well under a second). A build is
 * written under a name of its own and renamed into place, so test files building it at once never see half a binary.
 */
const sourceDir = join(dirname(fileURLToPath(import.meta.url)), 'setuid')

let built: string | undefined

function cacheRoot(): string {
  return process.env.KUBECTL_SUITE_CACHE ?? join(homedir(), '.cache', 'kubectl-suite')
}

/** The host path of the setuid program, built on first use in this process if the cache lacks it. */
export function setuidProgram(): string {
  if (built !== undefined && existsSync(built)) return built
  const hash = createHash('sha256')
  for (const file of ['main.go', 'go.mod']) hash.update(readFileSync(join(sourceDir, file)))
  hash.update(`${process.arch} CGO_ENABLED=0 -trimpath -s -w`)
  const target = join(cacheRoot(), `kubelet-setuid-${hash.digest('hex').slice(0, 12)}`)
  if (!existsSync(target)) {
    mkdirSync(dirname(target), { recursive: true })
    const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`
    const gos = process.env.GO !== undefined ? [process.env.GO] : ['go', '/usr/local/go/bin/go']
    let failure = ''
    for (const go of gos) {
      try {
        execFileSync(go, ['build', '-trimpath', '-ldflags=-s -w', '-o', partial, '.'], {
          cwd: sourceDir,
          env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
          stdio: ['ignore', 'ignore', 'pipe'],
        })
        renameSync(partial, target)
        failure = ''
        break
      } catch (error) {
        rmSync(partial, { force: true })
        const e = error as NodeJS.ErrnoException & { stderr?: Buffer }
        failure = e.code === 'ENOENT' ? `${go} not found` : (e.stderr?.toString('utf8').trim() ?? e.message)
      }
    }
    if (failure !== '')
      throw new Error(
        `cannot build the kubelet's setuid program (${failure}): install Go (https://go.dev/dl/) or set GO, or run the tests as a user other than root`,
      )
  }
  built = target
  return target
}
