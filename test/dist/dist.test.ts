import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { DIST } from '../../scripts/dist/build.ts'
import { validateManifestWithArchives } from '../../scripts/dist/krew-validate.ts'
import { type DistPlugin, distPlugins, VERSION } from '../../scripts/dist/plugins.ts'
import { archiveFileName, INDEX_DIR, RELEASE_DIR, releaseBaseUrl } from '../../scripts/dist/release.ts'
import { TARGETS, targetKey } from '../../scripts/dist/targets.ts'
import { liveDemoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { kubectl } from '../support/run.ts'

/**
 * The released archives, installed the way Krew installs them (extract into a store folder, apply the manifest's
 * file moves, link `kubectl-<name with _>` into a bin folder on PATH), then used through real kubectl against the
 * simulated cluster. PATH holds only that bin folder and kubectl's own: no Node, no node_modules.
 * Runs in `npm test` when `npm run build && npm run release` have produced archives; `npm run test:dist` does both.
 */
const host = TARGETS.find((t) => t.os === 'linux' && t.arch === (process.arch === 'arm64' ? 'arm64' : 'amd64'))
const plugins = distPlugins().filter(
  (p) => host !== undefined && existsSync(join(RELEASE_DIR, archiveFileName(p, host))),
)

/** One real command per plugin, through kubectl dispatch, and a word its output must contain on the demo cluster. */
/** One real command per plugin, as the user in its README tour runs it, and a line its output must contain. */
const SMOKE: Record<DistPlugin['name'], { args: string[]; expect: string; user?: string; namespace?: string }> = {
  usage: { args: ['usage', 'nodes'], expect: 'worker-1' },
  'ae-sessions': { args: ['ae-sessions', '--mine'], expect: 'alice', user: 'alice', namespace: 'anaconda-enterprise' },
  secretview: { args: ['secretview', '--all', '-n', 'ml-team'], expect: 'db-credentials' },
  mrun: { args: ['mrun', 'list', '-A'], expect: '' },
  pvclaim: { args: ['pvclaim', 'list', '-A'], expect: 'results' },
}

if (plugins.length === 0) {
  process.stderr.write('test/dist skipped: no release archives for this platform; `npm run test:dist` builds them\n')
  describe('distribution', () => {
    it.skip('skipped: no archives in dist/release for this platform; run `npm run test:dist` to build and test them', () => {})
  })
} else {
  let sim: Sim
  let config: string
  let env: NodeJS.ProcessEnv
  const root = mkdtempSync(join(tmpdir(), 'krew-root-'))
  const binDir = join(root, 'bin')

  beforeAll(async () => {
    mkdirSync(binDir)
    for (const plugin of plugins) {
      const store = join(root, 'store', plugin.name, VERSION)
      mkdirSync(store, { recursive: true })
      execFileSync('tar', ['-xzf', join(RELEASE_DIR, archiveFileName(plugin, host as never)), '-C', store])
      const manifest = parse(readFileSync(join(INDEX_DIR, `${plugin.name}.yaml`), 'utf8'))
      const platform = manifest.spec.platforms.find(
        (p: { selector: { matchLabels: Record<string, string> } }) =>
          p.selector.matchLabels.os === host?.os && p.selector.matchLabels.arch === host?.arch,
      )
      // Krew links `bin` under the dispatch name; the completion launcher is the one manual step (see README).
      symlinkSync(join(store, platform.bin), join(binDir, plugin.bin))
      symlinkSync(join(store, plugin.completionBin), join(binDir, plugin.completionBin))
      chmodSync(join(store, platform.bin), 0o755)
    }
    sim = await startSim({ scenario: liveDemoScenario(), runContainers: false })
    config = sim.writeKubeconfig({ user: 'admin' })
    const kubectlPath = execFileSync('which', ['kubectl'], { encoding: 'utf8' }).trim()
    env = { PATH: [binDir, dirname(kubectlPath), '/usr/bin', '/bin'].join(':') }
  })

  afterAll(async () => {
    await sim?.stop()
  })

  describe('distribution', () => {
    it.each(plugins.map((p) => [p.name, p] as const))(
      '%s: the manifest validates against its archive',
      async (_, plugin) => {
        const file = join(INDEX_DIR, `${plugin.name}.yaml`)
        const problems = await validateManifestWithArchives(readFileSync(file, 'utf8'), file, (uri) =>
          uri.startsWith(releaseBaseUrl())
            ? readFileSync(join(RELEASE_DIR, uri.slice(releaseBaseUrl().length + 1)))
            : undefined,
        )
        expect(problems).toEqual([])
      },
    )

    it('kubectl plugin list finds every installed plugin without warnings', async () => {
      const result = await kubectl(config, ['plugin', 'list'], { env })
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      for (const plugin of plugins) expect(result.stdout).toContain(join(binDir, plugin.bin))
    })

    it.each(plugins.map((p) => [p.name, p] as const))('%s runs through kubectl dispatch', async (_, plugin) => {
      const smoke = SMOKE[plugin.name]
      const kubeconfig =
        smoke.user === undefined
          ? config
          : sim.writeKubeconfig({
              user: smoke.user,
              ...(smoke.namespace === undefined ? {} : { namespace: smoke.namespace }),
            })
      const result = await kubectl(kubeconfig, smoke.args, {
        env: { ...env, XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'dist-config-')) },
      })
      expect(result.stderr).not.toContain('error')
      expect(result.code).toBe(0)
      expect(result.stdout).toContain(smoke.expect)
    })

    it.each(plugins.map((p) => [p.name, p] as const))('%s --version prints the release version', async (_, plugin) => {
      const result = await kubectl(config, [plugin.name, '--version'], { env })
      expect(result.stdout).toBe(`kubectl ${plugin.name} version ${VERSION}\n`)
    })

    it('usage completes live node names through kubectl and the installed launcher', async () => {
      const result = await kubectl(config, ['__complete', 'usage', 'nodes', 'worker-'], { env })
      expect(result.stdout).toBe('worker-1\nworker-2\nworker-3\n:4\n')
    })

    it('a bad flag fails with the usage exit code and one error line, no stack', async () => {
      const result = await kubectl(config, ['usage', 'nodes', '--sort-by', 'nonsense'], { env })
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(/^error: /)
      expect(result.stderr).not.toContain('    at ')
    })

    it.each(plugins.map((p) => [p.name, p] as const))(
      '%s: --help and --version never load the Kubernetes client (lazy in the bundle)',
      (_, plugin) => {
        // Follow only static imports from the entry in esbuild's metafile: everything reached is evaluated at start.
        const meta = JSON.parse(readFileSync(join(DIST, 'bundle', `${plugin.name}.meta.json`), 'utf8')) as {
          inputs: Record<string, { imports: { path: string; kind: string }[] }>
        }
        const seen = new Set<string>()
        const stack = [plugin.entry]
        while (stack.length > 0) {
          const file = stack.pop() as string
          if (seen.has(file)) continue
          seen.add(file)
          for (const i of meta.inputs[file]?.imports ?? []) if (i.kind === 'import-statement') stack.push(i.path)
        }
        expect([...seen].filter((f) => /shared\/kube\/(transport|connect)\.ts$/.test(f))).toEqual([])
      },
    )
  })

  it('the archive for every built platform exists', () => {
    for (const target of TARGETS.filter((t) => existsSync(join(DIST, targetKey(t)))))
      for (const plugin of plugins) expect(existsSync(join(RELEASE_DIR, archiveFileName(plugin, target)))).toBe(true)
  })
}
