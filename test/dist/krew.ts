import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

/**
 * The real Krew for the dist test, built once from its Go module (`go install sigs.k8s.io/krew/cmd/krew@<v>`,
 * through the Go module proxy) into a cache outside the repository keyed by version:
 * ${KUBECTL_SUITE_CACHE:-$HOME/.cache/kubectl-suite}/krew/<version>/krew. Krew ships only as GitHub release
 * archives, which our machines cannot reach; its Go module they can. `node test/dist/krew.ts` prints the path.
 */
export const KREW_VERSION = 'v0.4.3'

export function krewPath(): string {
  const cache = process.env.KUBECTL_SUITE_CACHE ?? join(homedir(), '.cache', 'kubectl-suite')
  return join(cache, 'krew', KREW_VERSION, 'krew')
}

export function ensureKrew(): string {
  const path = krewPath()
  if (existsSync(path)) return path
  const dir = join(path, '..')
  mkdirSync(dir, { recursive: true })
  // Built into a temporary GOBIN and renamed, so an interrupted build never leaves a half-written krew behind.
  const gobin = mkdtempSync(join(dir, 'partial-'))
  try {
    try {
      execFileSync('go', ['install', `sigs.k8s.io/krew/cmd/krew@${KREW_VERSION}`], {
        env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: Buffer }
      throw new Error(
        e.code === 'ENOENT'
          ? 'go not found: the dist test builds Krew from its Go module (install Go >= 1.22)'
          : `go install sigs.k8s.io/krew/cmd/krew@${KREW_VERSION} failed: ${String(e.stderr ?? e.message).trim()}`,
      )
    }
    renameSync(join(gobin, 'krew'), path)
  } finally {
    rmSync(gobin, { recursive: true, force: true })
  }
  return path
}

if (import.meta.main) process.stdout.write(`${ensureKrew()}\n`)
