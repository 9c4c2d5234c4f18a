import { readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { realIdentity } from '../kubelet/sandbox.ts'
import { setuidProgram } from '../kubelet/setuid.ts'
import { REPO_ROOT } from './plugins.ts'

/**
 * Vitest's global setup: before the run, the kubelet runtime's setuid program (see below); after the whole run, removes the plugin bin folders (pluginBinDir) that this run's
 * workers made for this checkout. Each worker removes its own at exit, but vitest ends its forks with a signal,
 * which skips 'exit' handlers, and every run left a dozen folders in the temp dir. Folders of other checkouts, or
 * made before this run began, are left alone.
 */
export default function setup(): () => void {
  // Pods run as real uids when the tests run as root: the runtime's setuid program is built here, once, rather than
  // by the first worker whose simulator would stop for a cold Go build (seconds) in the middle of a test.
  if (realIdentity()) setuidProgram()
  const before = new Set(binDirs())
  return () => {
    for (const dir of binDirs()) {
      if (before.has(dir)) continue
      const links = (() => {
        try {
          return readdirSync(dir).map((name) => readlinkSync(join(dir, name)))
        } catch {
          return []
        }
      })()
      if (links.length > 0 && links.every((target) => target.startsWith(`${REPO_ROOT}/`)))
        rmSync(dir, { recursive: true, force: true })
    }
  }
}

function binDirs(): string[] {
  return readdirSync(tmpdir())
    .filter((name) => name.startsWith('kubectl-suite-bin-'))
    .map((name) => join(tmpdir(), name))
}
