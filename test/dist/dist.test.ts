import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIST } from '../../scripts/dist/build.ts'
import { validateIndex, validateManifestWithArchives } from '../../scripts/dist/krew-validate.ts'
import { type DistPlugin, distPlugins, REPO_ROOT, VERSION } from '../../scripts/dist/plugins.ts'
import {
  archiveFileName,
  INDEX_DIR,
  MANIFESTS_DIR,
  RELEASE_DIR,
  releaseBaseUrl,
  releaseTargets,
} from '../../scripts/dist/release.ts'
import { TARGETS } from '../../scripts/dist/targets.ts'
import { createPki } from '../sim/pki.ts'
import { liveDemoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { kubectl, type RunResult, run } from '../support/run.ts'
import { ensureKrew } from './krew.ts'

/**
 * The release as users get it, with the real Krew (built from its Go module by ./krew.ts): the release's archives
 * served over HTTPS on loopback by our own CA (trusted through SSL_CERT_FILE, as Go reads it), the index
 * repository `npm run release` writes regenerated for that server's URL, then exactly the README's commands:
 * `kubectl krew index add kubectl-suite <index>`, `kubectl krew install kubectl-suite/<name>` for each plugin,
 * each plugin's README command through kubectl dispatch against the simulated cluster, `kubectl krew upgrade` to a
 * newer release (built here with SUITE_VERSION into a temporary folder), `kubectl krew uninstall`, and
 * `kubectl krew install --manifest --archive` with the committed manifest. PATH holds only Krew's bin folder,
 * kubectl, git and the system's tools: no Node, no node_modules.
 * Not part of `npm test` (it takes minutes): `npm run test:dist` builds, releases, builds Krew, then runs this.
 */
const host = TARGETS.find((t) => t.os === 'linux' && t.arch === (process.arch === 'arm64' ? 'arm64' : 'amd64'))
const plugins = distPlugins().filter(
  (p) => host !== undefined && existsSync(join(RELEASE_DIR, archiveFileName(p, host))),
)
const NEXT_VERSION = '0.1.1-dist-test'

/** One real command per plugin, as the user in its README tour runs it, and a line its output must contain. */
const SMOKE: Record<DistPlugin['name'], { args: string[]; expect: string; user?: string; namespace?: string }> = {
  usage: { args: ['usage', 'nodes'], expect: 'worker-1' },
  'ae-sessions': { args: ['ae-sessions', '--mine'], expect: 'alice', user: 'alice', namespace: 'anaconda-enterprise' },
  secretview: { args: ['secretview', '--all', '-n', 'ml-team'], expect: 'db-credentials' },
  mrun: { args: ['mrun', 'list', '-A'], expect: '' },
  pvclaim: { args: ['pvclaim', 'list', '-A'], expect: 'results' },
}

/** The one warning Krew prints for us: adding an index that is not krew-index. */
const CUSTOM_INDEX_WARNING =
  /WARNING: You have added a new index from "[^"]+"\nThe plugins in this index are not audited for security by the Krew maintainers\.\nInstall them at your own risk\.\n/

/** Krew's warnings: its own `WARNING:` lines and klog's `W1202 …` ones. */
function warnings(stderr: string): string[] {
  return stderr
    .replace(CUSTOM_INDEX_WARNING, '')
    .split('\n')
    .filter((line) => /WARNING|^W\d{4} /.test(line))
}

// Minutes long, so never part of `npm test` (whose vitest run includes test/**): only `npm run test:dist` sets this.
const wanted = process.env.KUBECTL_SUITE_DIST_TEST === '1'

if (!wanted || plugins.length === 0 || host === undefined) {
  describe('distribution', () => {
    it.skip(
      wanted
        ? 'skipped: no archives in dist/release for this platform; run `npm run test:dist` to build and test them'
        : 'skipped: the distribution test runs only through `npm run test:dist`',
      () => {},
    )
  })
} else {
  const work = mkdtempSync(join(tmpdir(), 'suite-dist-'))
  const krewRoot = join(work, 'krew-root')
  const served = join(work, 'served-index')
  const nextDist = join(work, 'dist-next')
  let sim: Sim
  let config: string
  let env: NodeJS.ProcessEnv
  let server: Server
  let baseUrl: string
  let caFile: string

  /** Runs one of our release scripts (Node, TypeScript) with extra environment. */
  const script = (file: string, args: string[], extra: NodeJS.ProcessEnv): Promise<RunResult> =>
    run(process.execPath, [join(REPO_ROOT, file), ...args], {
      env: { ...process.env, ...extra },
      cwd: REPO_ROOT,
      timeoutMs: 600_000,
    })

  /**
   * `kubectl krew …` through kubectl's plugin dispatch, as a user types it in a terminal: in a pseudo-terminal
   * (util-linux `script`), because Krew warns "Detected stdin, but discarding it" whenever stdin is not one.
   * The terminal merges stderr into stdout; colour codes and carriage returns are removed.
   */
  const krew = async (args: string[], root = krewRoot): Promise<RunResult> => {
    const quote = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`
    const command = ['kubectl', 'krew', ...args].map(quote).join(' ')
    const result = await run('script', ['-qefc', command, '/dev/null'], {
      env: { ...process.env, KUBECONFIG: config, HOME: '/nonexistent', ...env, KREW_ROOT: root, PATH: pathFor(root) },
      timeoutMs: 300_000,
    })
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal colour codes
    const text = result.stdout.replace(/\x1b\[[0-9;]*m/g, '').replaceAll('\r\n', '\n')
    return { ...result, stdout: text, stderr: text }
  }

  let krewLinkDir: string
  const kubectlDir = dirname(execFileSync('which', ['kubectl'], { encoding: 'utf8' }).trim())
  const pathFor = (root: string): string => [join(root, 'bin'), krewLinkDir, kubectlDir, '/usr/bin', '/bin'].join(':')

  /** Serves `/<version>/<archive>` from that version's release folder. */
  const releases = new Map<string, string>()

  beforeAll(async () => {
    // kubectl finds Krew as the plugin `kubectl-krew`, as Krew's own install leaves it.
    krewLinkDir = join(work, 'krew-link')
    mkdirSync(krewLinkDir)
    mkdirSync(join(work, 'config'))
    symlinkSync(ensureKrew(), join(krewLinkDir, 'kubectl-krew'))

    const pki = createPki(join(work, 'pki'))
    caFile = pki.caCertPath
    releases.set(VERSION, RELEASE_DIR)
    server = createServer(
      { cert: readFileSync(pki.serverCertPath), key: readFileSync(pki.serverKeyPath) },
      (request, response) => {
        const [, version, file] = (request.url ?? '').split('/')
        const dir = releases.get(version ?? '')
        const path = dir === undefined || file === undefined ? undefined : resolve(dir, file)
        if (path === undefined || dirname(path) !== dir || !existsSync(path)) {
          response.writeHead(404).end()
          return
        }
        response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(path))
      },
    )
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`

    // The index `npm run release` wrote, regenerated for the loopback server (same archives, other URLs).
    const index = await script('scripts/dist/release.ts', ['--manifests-only'], {
      RELEASE_BASE_URL: `${baseUrl}/${VERSION}`,
      INDEX_DIR: join(work, 'index-1'),
    })
    expect(index.stderr).toBe('')
    expect(index.code).toBe(0)
    // The repository Krew tracks: what a `git push` of dist/index to INDEX_URL publishes.
    execFileSync('git', ['clone', '-q', join(work, 'index-1'), served])

    sim = await startSim({ scenario: liveDemoScenario(), runContainers: false })
    config = sim.writeKubeconfig({ user: 'admin' })
    env = {
      PATH: pathFor(krewRoot),
      SSL_CERT_FILE: caFile,
      KREW_NO_UPGRADE_CHECK: '1',
      XDG_CONFIG_HOME: join(work, 'config'),
    }
  }, 600_000)

  afterAll(async () => {
    await sim?.stop()
    server?.close()
    // The newer release's build and the Krew roots: about 800 MB.
    rmSync(work, { recursive: true, force: true })
  })

  describe('the release', () => {
    it.each(plugins.map((p) => [p.name, p] as const))(
      '%s: the manifest validates against its archives',
      async (_, plugin) => {
        const file = join(INDEX_DIR, 'plugins', `${plugin.name}.yaml`)
        const problems = await validateManifestWithArchives(readFileSync(file, 'utf8'), file, (uri) =>
          uri.startsWith(releaseBaseUrl())
            ? readFileSync(join(RELEASE_DIR, uri.slice(releaseBaseUrl().length + 1)))
            : undefined,
        )
        expect(problems).toEqual([])
      },
    )

    it('dist/index is an index repository Krew reads: plugins/<name>.yaml at its root, committed', () => {
      expect(validateIndex(INDEX_DIR)).toEqual([])
      const status = execFileSync('git', ['status', '--porcelain'], { cwd: INDEX_DIR, encoding: 'utf8' })
      expect(status).toBe('')
      const files = execFileSync('git', ['ls-files'], { cwd: INDEX_DIR, encoding: 'utf8' })
      for (const plugin of plugins) expect(files).toContain(`plugins/${plugin.name}.yaml`)
    })

    it('the committed krew-manifests are this build: same archives, same sha256 (rebuild and commit them if not)', () => {
      for (const plugin of plugins) {
        const committed = execFileSync('git', ['show', `HEAD:krew-manifests/plugins/${plugin.name}.yaml`], {
          cwd: REPO_ROOT,
          encoding: 'utf8',
        })
        expect(committed).toBe(readFileSync(join(INDEX_DIR, 'plugins', `${plugin.name}.yaml`), 'utf8'))
        expect(readFileSync(join(MANIFESTS_DIR, `${plugin.name}.yaml`), 'utf8')).toBe(committed)
      }
    })

    it('SHA256SUMS lists every archive of every platform, with its sha256', () => {
      const lines = readFileSync(join(RELEASE_DIR, 'SHA256SUMS'), 'utf8').trim().split('\n')
      expect(lines).toHaveLength(plugins.length * releaseTargets().length)
      for (const line of lines) {
        const [sum, name] = line.split('  ') as [string, string]
        expect(
          createHash('sha256')
            .update(readFileSync(join(RELEASE_DIR, name)))
            .digest('hex'),
        ).toBe(sum)
      }
    })

    const darwin = TARGETS.find((t) => t.os === 'darwin' && t.arch === 'amd64') as (typeof TARGETS)[number]
    it.each(plugins.map((p) => [p.name, p] as const))(
      '%s: the darwin/amd64 binary is an x86_64 Mach-O with the SEA blob in its NODE_SEA segment and no stale signature',
      (_, plugin) => {
        expect(releaseTargets()).toContain(darwin)
        const unpacked = mkdtempSync(join(work, 'darwin-'))
        execFileSync('tar', ['-xzf', join(RELEASE_DIR, archiveFileName(plugin, darwin)), '-C', unpacked])
        const binary = join(unpacked, plugin.bin)
        // LLVM's Mach-O reader (Debian's llvm package), not ours: the load commands as a Mac's loader sees them.
        const headers = execFileSync('llvm-objdump', ['--macho', '--private-headers', binary], {
          encoding: 'utf8',
          maxBuffer: 64 * 2 ** 20,
        })
        expect(headers).toMatch(/magic\s+cputype[^\n]*\n\s*MH_MAGIC_64\s+X86_64/)
        expect(headers).toMatch(/segname NODE_SEA\n[\s\S]*?sectname __NODE_SEA_BLOB/)
        // Node's release signs with the hardened runtime; a signature left over from before the blob kills the
        // process at launch, so the build removes it (pkg signs ad hoc only where codesign or ldid exist).
        expect(headers).not.toContain('LC_CODE_SIGNATURE')
        // The fuse postject flips, so Node runs the blob instead of acting as plain node.
        expect(readFileSync(binary).includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1')).toBe(true)
      },
    )

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

  describe('installed with the real Krew from the index over HTTPS', () => {
    it('kubectl krew index add kubectl-suite <index> prints only the custom-index warning', async () => {
      const result = await krew(['index', 'add', 'kubectl-suite', `file://${served}`])
      expect(result.stderr).toMatch(CUSTOM_INDEX_WARNING)
      expect(warnings(result.stderr)).toEqual([])
      expect(result.code).toBe(0)
    })

    it.each(plugins.map((p) => [p.name, p] as const))('kubectl krew install kubectl-suite/%s', async (name, plugin) => {
      const result = await krew(['install', `kubectl-suite/${name}`])
      expect(warnings(result.stderr)).toEqual([])
      expect(result.stderr).toMatch(new RegExp(`Installed plugin: (kubectl-suite/)?${name}\n`))
      expect(result.code).toBe(0)
      expect(existsSync(join(krewRoot, 'bin', plugin.bin))).toBe(true)
    })

    it('kubectl krew list shows every plugin at the release version', async () => {
      const result = await krew(['list'])
      expect(result.code).toBe(0)
      for (const plugin of plugins)
        expect(result.stdout).toMatch(new RegExp(`kubectl-suite/${plugin.name}\\s+${VERSION}`))
    })

    it('kubectl plugin list finds every installed plugin without warnings', async () => {
      const result = await kubectl(config, ['plugin', 'list'], { env })
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      for (const plugin of plugins) expect(result.stdout).toContain(join(krewRoot, 'bin', plugin.bin))
    })

    it.each(plugins.map((p) => [p.name, p] as const))(
      '%s runs its README command through kubectl dispatch',
      async (_, plugin) => {
        const smoke = SMOKE[plugin.name]
        const kubeconfig =
          smoke.user === undefined
            ? config
            : sim.writeKubeconfig({
                user: smoke.user,
                ...(smoke.namespace === undefined ? {} : { namespace: smoke.namespace }),
              })
        const result = await kubectl(kubeconfig, smoke.args, { env })
        expect(result.stderr).not.toContain('error')
        expect(result.code).toBe(0)
        expect(result.stdout).toContain(smoke.expect)
      },
    )

    it.each(plugins.map((p) => [p.name, p] as const))('%s --version prints the release version', async (_, plugin) => {
      const result = await kubectl(config, [plugin.name, '--version'], { env })
      expect(result.stdout).toBe(`kubectl ${plugin.name} version ${VERSION}\n`)
    })

    it('usage completes live node names once its launcher is linked as the README says', async () => {
      // README: ln -s ~/.krew/store/usage/*/kubectl_complete-usage ~/.krew/bin/
      execFileSync('sh', ['-c', `ln -s "${krewRoot}"/store/usage/*/kubectl_complete-usage "${krewRoot}/bin/"`])
      const result = await kubectl(config, ['__complete', 'usage', 'nodes', 'worker-'], { env })
      expect(result.stdout).toBe('worker-1\nworker-2\nworker-3\n:4\n')
    })

    it('a bad flag fails with the usage exit code and one error line, no stack', async () => {
      const result = await kubectl(config, ['usage', 'nodes', '--sort-by', 'nonsense'], { env })
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(/^error: /)
      expect(result.stderr).not.toContain('    at ')
    })

    it('kubectl krew upgrade moves every plugin to a newer release published to the index', async () => {
      // A newer release, built for this platform only (RELEASE_TARGETS says so; a default release refuses).
      const next = { DIST_DIR: nextDist, SUITE_VERSION: NEXT_VERSION, RELEASE_TARGETS: `${host.os}-${host.arch}` }
      const built = await script('scripts/dist/build.ts', ['--targets', next.RELEASE_TARGETS], next)
      expect(built.code, built.stderr).toBe(0)
      releases.set(`v${NEXT_VERSION}`, join(nextDist, 'release'))
      const released = await script('scripts/dist/release.ts', [], {
        ...next,
        RELEASE_BASE_URL: `${baseUrl}/v${NEXT_VERSION}`,
      })
      expect(released.code, released.stderr).toBe(0)
      // Published as the release workflow does: the new index commit replaces the branch Krew tracks.
      execFileSync('git', ['fetch', '-q', join(nextDist, 'index'), 'main'], { cwd: served })
      execFileSync('git', ['reset', '-q', '--hard', 'FETCH_HEAD'], { cwd: served })

      const result = await krew(['upgrade'])
      expect(warnings(result.stderr)).toEqual([])
      expect(result.code).toBe(0)
      for (const plugin of plugins) {
        expect(result.stderr).toMatch(new RegExp(`Upgraded plugin: (kubectl-suite/)?${plugin.name}\n`))
        const version = await kubectl(config, [plugin.name, '--version'], { env })
        expect(version.stdout).toBe(`kubectl ${plugin.name} version v${NEXT_VERSION}\n`)
      }
      const usage = await kubectl(config, SMOKE.usage.args, { env })
      expect(usage.stdout).toContain(SMOKE.usage.expect)
    }, 900_000)

    it('kubectl krew uninstall removes every plugin and its link', async () => {
      const result = await krew(['uninstall', ...plugins.map((p) => p.name)])
      expect(warnings(result.stderr)).toEqual([])
      expect(result.code).toBe(0)
      for (const plugin of plugins) expect(existsSync(join(krewRoot, 'bin', plugin.bin))).toBe(false)
      const list = await krew(['list'])
      for (const plugin of plugins) expect(list.stdout).not.toContain(`kubectl-suite/${plugin.name}`)
    })
  })

  describe('kubectl krew install --manifest --archive with the committed manifest', () => {
    it.each(plugins.map((p) => [p.name, p] as const))('%s', async (name, plugin) => {
      const root = join(work, `krew-root-manifest-${name}`)
      const result = await krew(
        [
          'install',
          `--manifest=${join(MANIFESTS_DIR, `${name}.yaml`)}`,
          `--archive=${join(RELEASE_DIR, archiveFileName(plugin, host))}`,
        ],
        root,
      )
      expect(warnings(result.stderr)).toEqual([])
      expect(result.code).toBe(0)
      const version = await kubectl(config, [name, '--version'], { env: { ...env, PATH: pathFor(root) } })
      expect(version.stdout).toBe(`kubectl ${name} version ${VERSION}\n`)
    })
  })
}
