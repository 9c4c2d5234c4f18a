import { spawnSync } from 'node:child_process'
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PLUGINS, REPO_ROOT } from './support/plugins.ts'
import { kubectl } from './support/run.ts'
import { startSimChild } from './support/sim-child.ts'

/**
 * The launchers in bin/ (package.json's bin, what `npm install -g .` links): plain CommonJS that checks the Node
 * version before importing the TypeScript entry, so an old Node prints one line saying what to install.
 */
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>
  engines: { node: string }
}

/** A Node older than package.json's engines, as found on the system (Debian's is 20), or undefined. */
function oldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    const result = spawnSync(candidate, ['--version'], { encoding: 'utf8' })
    const major = Number(/^v(\d+)/.exec(result.stdout ?? '')?.[1])
    if (result.status === 0 && major < 22) return candidate
  }
  return undefined
}

describe('bin/ launchers', () => {
  it('package.json bin names every plugin as kubectl dispatches it, pointing at an executable launcher', () => {
    expect(Object.keys(pkg.bin).sort()).toEqual(PLUGINS.map((p) => `kubectl-${p.name.replaceAll('-', '_')}`).sort())
    for (const file of Object.values(pkg.bin)) {
      expect(file).toMatch(/^bin\/kubectl-/)
      accessSync(join(REPO_ROOT, file), constants.X_OK)
    }
  })

  const old = oldNode()
  it.skipIf(old === undefined).each(Object.entries(pkg.bin))(
    '%s on an old Node says in one line which Node is needed and how to get it',
    (name, file) => {
      const result = spawnSync(old as string, [join(REPO_ROOT, file), 'nodes'], { encoding: 'utf8' })
      expect(result.status).toBe(1)
      expect(result.stdout).toBe('')
      const plugin = name.replace(/^kubectl-/, '').replaceAll('_', '-')
      const lines = result.stderr.trimEnd().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(
        new RegExp(
          `^error: kubectl ${plugin} needs Node\\.js 22\\.19\\.0 or newer to run from source, this is 2\\d\\.`,
        ),
      )
      expect(lines[0]).toContain('https://nodejs.org')
      expect(result.stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION')
    },
  )

  it('runs the plugin on a current Node, also through a symlink as npm install -g makes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-suite-launcher-'))
    try {
      const link = join(dir, 'kubectl-ae_sessions')
      symlinkSync(join(REPO_ROOT, pkg.bin['kubectl-ae_sessions'] as string), link)
      const result = spawnSync(link, ['--version'], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}` },
      })
      expect(result.stderr).toBe('')
      expect(result.status).toBe(0)
      expect(result.stdout).toMatch(/^kubectl ae-sessions version v\d/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('bin/ launchers start fast', () => {
  it("keep the type-stripped modules in Node's compile cache (in the temp folder), so later starts skip stripping", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-suite-cache-'))
    try {
      const env = { ...process.env, TMPDIR: dir, NODE_COMPILE_CACHE: undefined }
      const node = join(REPO_ROOT, 'node_modules/.bin/node')
      for (let run = 0; run < 2; run++) {
        const result = spawnSync(node, [join(REPO_ROOT, 'bin/kubectl-usage'), '--version'], { encoding: 'utf8', env })
        expect(result.stderr).toBe('')
        expect(result.stdout).toMatch(/^kubectl usage version v\d/)
      }
      const cached = readdirSync(join(dir, 'node-compile-cache'), { recursive: true })
      expect(cached.length).toBeGreaterThan(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('npm run sim -- --user NAME', () => {
  it('writes a kubeconfig whose context namespace the user may read (alice: ml-team, not default)', async () => {
    const sim = await startSimChild(['--user', 'alice', '--no-run-containers'])
    try {
      const namespace = await kubectl(sim.kubeconfig, ['config', 'view', '--minify', '-o', 'jsonpath={..namespace}'])
      expect(namespace.stdout).toBe('ml-team')
      const pods = await kubectl(sim.kubeconfig, ['get', 'pods'])
      expect(pods.code, pods.stderr).toBe(0)
      const secrets = await kubectl(sim.kubeconfig, ['get', 'secrets'])
      expect(secrets.code, secrets.stderr).toBe(0)
    } finally {
      await sim.stop()
    }
  }, 60_000)
})
