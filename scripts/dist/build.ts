import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { build, type Plugin } from 'esbuild'
import { ensureNodeArchive, NodeUnavailable, pkgHome } from './node-archive.ts'
import { type DistPlugin, distPlugins, REPO_ROOT, VERSION } from './plugins.ts'
import { exeName, parseTargets, TARGETS, type Target, targetKey } from './targets.ts'

/**
 * `npm run build`: one single-file executable per plugin and platform in dist/<os>-<arch>/, plus the
 * `kubectl_complete-<plugin>` launcher kubectl ≥ 1.26 runs for shell completion.
 *
 *   npm run build                                  linux/amd64, linux/arm64, windows/amd64 (what builds offline here)
 *   npm run build -- --targets all                 every platform in scripts/dist/targets.ts
 *   npm run build -- --targets windows-amd64 --plugins usage
 *
 * Each plugin is bundled by esbuild into one CommonJS file (lazy subcommands stay lazy: esbuild wraps what is only
 * reached through import() in an init function, so --help never evaluates the Kubernetes client), then baked
 * into the target's Node binary by @yao-pkg/pkg's SEA pipeline.
 */
/** DIST_DIR puts a build elsewhere (the dist test builds a second, newer release into a temporary folder). */
export const DIST = process.env.DIST_DIR ?? join(REPO_ROOT, 'dist')

/** dist/build.json: what the last `npm run build` made, written when it finishes (a failed build leaves none). */
export const BUILD_INFO = join(DIST, 'build.json')
export interface BuildInfo {
  version: string
  targets: string[]
  plugins: string[]
}

/** pkg's name for the platform this build runs on. */
function hostPkgPlatform(): string {
  return process.platform === 'win32' ? 'win' : process.platform === 'darwin' ? 'macos' : process.platform
}

/**
 * V8's code cache is left out of the binaries: V8 writes it differently on every build, so two builds of one
 * commit would differ and a committed sha256 could not be checked by rebuilding. It saved about 7 ms of start-up
 * (see the README's Performance section). SEA_CODE_CACHE=1 puts it back (native target only) to measure that.
 */
const SEA_CODE_CACHE = process.env.SEA_CODE_CACHE === '1'

interface PkgSeaTarget {
  nodeRange: string
  platform: string
  arch: string
  output: string
}
type PkgSea = (
  entry: string,
  opts: { targets: PkgSeaTarget[]; signature?: boolean; seaConfig?: Record<string, unknown> },
) => Promise<void>

/**
 * pkg's CLI runs simple SEA mode without a way to set sea-config (the code cache), so we call pkg's SEA function,
 * which forwards seaConfig. The main is CommonJS (see bundle()): the entries avoid top-level await for that.
 */
function loadPkgSea(): PkgSea {
  const require = createRequire(import.meta.url)
  // An internal module: @yao-pkg/pkg is pinned to an exact version in package.json for this reason.
  return (require('@yao-pkg/pkg/lib-es5/sea.js') as { default: PkgSea }).default
}

/**
 * pkg reads its Node archives from $HOME/.pkg-cache/sea, a path it does not let us choose; HOME points at our
 * own cache for the call so the stripped archives stay ours (see node-archive.ts).
 */
async function withPkgHome<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.HOME
  process.env.HOME = pkgHome()
  try {
    return await fn()
  } finally {
    if (saved === undefined) delete process.env.HOME
    else process.env.HOME = saved
  }
}

/**
 * The plugins import package.json for their version. Bundled whole, it put our npm scripts and dependency ranges
 * into every binary, so editing a script changed the binaries' sha256. The bundle gets only the stable fields,
 * with SUITE_VERSION (if set) as the version (what --version prints).
 */
function versionOverride(): Plugin {
  return {
    name: 'suite-version',
    setup(b) {
      const file = join(REPO_ROOT, 'package.json')
      b.onLoad({ filter: /[\\/]package\.json$/ }, (args) => {
        if (args.path !== file) return undefined
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
        const { name, description, license, homepage } = pkg
        const version = process.env.SUITE_VERSION ?? pkg.version
        return { contents: JSON.stringify({ name, version, description, license, homepage }), loader: 'json' }
      })
    },
  }
}

export async function bundle(plugin: DistPlugin): Promise<string> {
  const outfile = join(DIST, 'bundle', `${plugin.name}.cjs`)
  const result = await build({
    entryPoints: [join(REPO_ROOT, plugin.entry)],
    bundle: true,
    platform: 'node',
    // CommonJS, not ESM: an ES module bundle hoists every `import 'node:https'` to the top, so --version paid ~45 ms
    // loading tls, https and crypto it never uses. In CommonJS each require() runs only when its module does.
    format: 'cjs',
    target: 'node22',
    outfile,
    metafile: true,
    minify: true,
    legalComments: 'none',
    plugins: [versionOverride()],
    logLevel: 'warning',
  })
  writeFileSync(join(DIST, 'bundle', `${plugin.name}.meta.json`), JSON.stringify(result.metafile))
  return outfile
}

/** kubectl runs `kubectl_complete-<plugin> <args…>`; the plugin binary answers cobra's __complete protocol. */
export function completionLauncher(plugin: DistPlugin): string {
  return `#!/bin/sh\n# kubectl >= 1.26 runs this for \`kubectl ${plugin.name} <TAB>\`; the plugin answers cobra's __complete protocol.\nexec ${plugin.bin} __complete "$@"\n`
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { targets: { type: 'string' }, plugins: { type: 'string' } },
  })
  const wanted = values.plugins?.split(',')
  const plugins = distPlugins().filter((p) => wanted === undefined || wanted.includes(p.name))
  const targets = parseTargets(values.targets ?? process.env.DIST_TARGETS)
  const nodeVersion = process.version
  const sea = loadPkgSea()

  const ready: Target[] = []
  for (const target of targets) {
    try {
      ensureNodeArchive(target, nodeVersion)
      ready.push(target)
    } catch (error) {
      // npm has no Node 26 for macOS (node-darwin-* stop at 18): those are built by release CI on a Mac.
      // Anything else (strip missing, a broken archive) stops the build.
      if (!(error instanceof NodeUnavailable)) throw error
      process.stderr.write(`warning: skipping ${targetKey(target)}: ${error.message}\n`)
    }
  }
  if (ready.length === 0) throw new Error('no target could be prepared')
  // One build is one set: binaries of other targets left by an earlier build would be a different commit's.
  for (const t of TARGETS) if (!ready.includes(t)) rmSync(join(DIST, targetKey(t)), { recursive: true, force: true })
  rmSync(BUILD_INFO, { force: true })

  mkdirSync(join(DIST, 'bundle'), { recursive: true })
  const built: string[] = []
  for (const plugin of plugins) {
    const started = Date.now()
    const entry = seaEntry(await bundle(plugin))
    const seaTargets = ready.map((t) => {
      mkdirSync(join(DIST, targetKey(t)), { recursive: true })
      const output = join(DIST, targetKey(t), exeName(plugin.bin, t))
      rmSync(output, { force: true })
      return { nodeRange: `node${nodeVersion.slice(1)}`, platform: t.pkgPlatform, arch: t.nodeArch, output }
    })
    // V8's code cache is made by the Node running this build and is only valid on the same platform and
    // architecture; other targets are built without it rather than ship a cache their V8 would reject.
    const native = (t: (typeof seaTargets)[number]): boolean =>
      t.platform === hostPkgPlatform() && t.arch === process.arch
    for (const group of [seaTargets.filter(native), seaTargets.filter((t) => !native(t))]) {
      if (group.length === 0) continue
      await withPkgHome(() =>
        sea(entry, {
          targets: group,
          signature: true,
          seaConfig: {
            mainFormat: 'commonjs',
            useCodeCache: SEA_CODE_CACHE && group.every(native),
            execArgv: SEA_EXEC_ARGV,
          },
        }),
      )
    }
    for (const t of ready) {
      if (t.os === 'windows') continue
      const launcher = join(DIST, targetKey(t), plugin.completionBin)
      writeFileSync(launcher, completionLauncher(plugin))
      chmodSync(launcher, 0o755)
    }
    const sizes = seaTargets.map(
      (s) => `${relative(REPO_ROOT, s.output)} ${(statSync(s.output).size / 2 ** 20).toFixed(0)} MiB`,
    )
    built.push(plugin.name)
    process.stdout.write(
      `built ${plugin.name} in ${((Date.now() - started) / 1000).toFixed(1)}s: ${sizes.join(', ')}\n`,
    )
  }
  // What `npm run release` checks before it writes manifests: which targets and plugins this build made.
  const info: BuildInfo = { version: VERSION, targets: ready.map(targetKey), plugins: built }
  writeFileSync(BUILD_INFO, `${JSON.stringify(info, null, 2)}\n`)
}

/**
 * The SEA blob records the absolute path of its main script, so a bundle built in /work/a and one built in /work/b
 * gave binaries (and archives, and manifest sha256s) that differed by that path alone. The bundle is handed to the
 * SEA step from one fixed folder, the same in every checkout, so a rebuild of a commit anywhere gives the same bytes.
 */
/**
 * V8 flags baked into every binary (sea-config execArgv; NODE_OPTIONS still adds to them). A young generation of
 * 8 MB semi-spaces: V8's default sizes it from the machine's memory (far larger here), and a list page parsed at
 * once then lingers in it; at 150,000 pods `usage nodes` peaked at ~240 MB RSS with the default and ~180 MB with
 * this, for the same CPU (2 MB was worse for pods: more of each page survived into the old generation).
 */
export const SEA_EXEC_ARGV = ['--max-semi-space-size=8']

export const SEA_ENTRY_DIR = `/tmp/kubectl-suite-sea/v${VERSION}`

function seaEntry(bundled: string): string {
  mkdirSync(SEA_ENTRY_DIR, { recursive: true })
  const entry = join(SEA_ENTRY_DIR, basename(bundled))
  copyFileSync(bundled, entry)
  return entry
}

if (import.meta.main) await main()
