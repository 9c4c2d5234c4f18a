import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { stringify } from 'yaml'
import { BUILD_INFO, type BuildInfo, DIST } from './build.ts'
import { validateIndex, validateManifestWithArchives } from './krew-validate.ts'
import {
  DEFAULT_INDEX_URL,
  DEFAULT_RELEASE_BASE_URL,
  type DistPlugin,
  distPlugins,
  HOMEPAGE,
  REPO_ROOT,
  VERSION,
} from './plugins.ts'
import { exeName, parseTargets, type Target, targetKey } from './targets.ts'

/**
 * `npm run release` (after a full `npm run build`): per plugin and platform an archive holding the executable, its
 * completion launcher and LICENSE (tar.gz; zip for Windows), SHA256SUMS, and the Krew manifests, all from the one
 * template below, written twice:
 *   - dist/index/: a git repository with plugins/<name>.yaml at its root, committed with a fixed author and date,
 *     ready to be pushed as is to the index repository (INDEX_URL) that users add with `kubectl krew index add`;
 *   - krew-manifests/plugins/: the committed copy, only when the URLs are the documented default ones.
 * Archives are byte-reproducible (binaries without V8's code cache, fixed mtimes, modes and owners, gzip without a
 * timestamp), so the committed sha256 values can be checked by rebuilding the commit.
 *
 *   RELEASE_BASE_URL  where the manifests say the archives are (default: the GitHub release of the version)
 *   INDEX_URL         the index repository, printed in the install instructions (default DEFAULT_INDEX_URL)
 *   RELEASE_DIR       archives and SHA256SUMS (default dist/release); INDEX_DIR the index repository (dist/index)
 *   RELEASE_TARGETS   the platforms this release must hold (default: every platform `npm run build` makes)
 *   --manifests-only  reuse the archives already in RELEASE_DIR (checked against SHA256SUMS): only the manifests
 *                     and the index are written, e.g. for another RELEASE_BASE_URL
 */
export const RELEASE_DIR = process.env.RELEASE_DIR ?? join(DIST, 'release')
export const INDEX_DIR = process.env.INDEX_DIR ?? join(DIST, 'index')
export const MANIFESTS_DIR = join(REPO_ROOT, 'krew-manifests/plugins')

/** An environment setting, with an empty value (an unset CI variable) read as unset. */
const setting = (name: string): string | undefined => process.env[name] || undefined

export function releaseBaseUrl(): string {
  return setting('RELEASE_BASE_URL') ?? DEFAULT_RELEASE_BASE_URL(VERSION)
}

export function indexUrl(): string {
  return setting('INDEX_URL') ?? DEFAULT_INDEX_URL
}

export function archiveFileName(plugin: DistPlugin, target: Target): string {
  return `kubectl-${plugin.name}_${VERSION}_${target.os}_${target.arch}.${target.os === 'windows' ? 'zip' : 'tar.gz'}`
}

/** What goes into one archive, all at its top level. */
function archiveMembers(plugin: DistPlugin, target: Target): string[] {
  return [exeName(plugin.bin, target), 'LICENSE', ...(target.os === 'windows' ? [] : [plugin.completionBin])]
}

const execFileAsync = promisify(execFile)

async function makeArchive(plugin: DistPlugin, target: Target): Promise<string> {
  const stage = mkdtempSync(join(tmpdir(), 'suite-release-'))
  try {
    const built = join(DIST, targetKey(target))
    const exe = exeName(plugin.bin, target)
    copyFileSync(join(built, exe), join(stage, exe))
    copyFileSync(join(REPO_ROOT, 'LICENSE'), join(stage, 'LICENSE'))
    if (target.os !== 'windows') copyFileSync(join(built, plugin.completionBin), join(stage, plugin.completionBin))
    const out = join(RELEASE_DIR, archiveFileName(plugin, target))
    rmSync(out, { force: true })
    const members = archiveMembers(plugin, target)
    // Modes and mtimes are stored in both formats: fixed ones (not the checkout's umask or the build's clock)
    // keep the archive's sha256 reproducible.
    const fixed = new Date('2000-01-01T00:00:00Z')
    for (const member of members) {
      chmodSync(join(stage, member), member === 'LICENSE' ? 0o644 : 0o755)
      utimesSync(join(stage, member), fixed, fixed)
    }
    if (target.os === 'windows') {
      await execFileAsync('zip', ['-q', '-X', out, ...members], { cwd: stage, env: { ...process.env, TZ: 'UTC' } })
    } else {
      // GNU gzip -6 (its default level), -n for no name or timestamp in the header. Measured on kubectl-usage:
      // 41.5 MB in 12.7 s; -9 gave 41.2 MB in 42.6 s; Node's zlib (Chromium's) 42.8 MB at -6, 42.7 MB at -9.
      // Async, so two archives compress at once.
      await execFileAsync(
        'bash',
        [
          '-c',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's own ${@:2}, the members
          'set -o pipefail; tar -c --mtime=@0 --owner=0 --group=0 --numeric-owner --sort=name -f - "${@:2}" | gzip -n -6 > "$1"',
          'archive',
          out,
          ...members,
        ],
        { cwd: stage },
      )
    }
    return out
  } finally {
    rmSync(stage, { recursive: true, force: true })
  }
}

/** The one template: a plugin's listing plus one platform entry per archive. */
export function manifestFor(plugin: DistPlugin, platforms: { target: Target; sha256: string }[]): string {
  const manifest = {
    apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
    kind: 'Plugin',
    metadata: { name: plugin.name },
    spec: {
      version: VERSION,
      homepage: HOMEPAGE,
      shortDescription: plugin.shortDescription,
      description: plugin.description,
      ...(plugin.caveats === undefined ? {} : { caveats: plugin.caveats }),
      platforms: platforms.map(({ target, sha256 }) => ({
        selector: { matchLabels: { os: target.os, arch: target.arch } },
        uri: `${releaseBaseUrl()}/${archiveFileName(plugin, target)}`,
        sha256,
        bin: exeName(plugin.bin, target),
        files: archiveMembers(plugin, target).map((from) => ({ from, to: '.' })),
      })),
    },
  }
  return `# Generated by npm run release from scripts/dist/release.ts; edit the template there, not this file.\n${stringify(manifest, { lineWidth: 0 })}`
}

/** The targets this release must hold: RELEASE_TARGETS, or every platform a default `npm run build` makes. */
export function releaseTargets(): Target[] {
  return parseTargets(process.env.RELEASE_TARGETS)
}

/** Why this build cannot be released as is (one line), or undefined. */
export function partialBuild(
  info: BuildInfo | undefined,
  targets: Target[],
  plugins: DistPlugin[],
): string | undefined {
  const rebuild = 'run npm run build (every platform and plugin) first'
  if (info === undefined) return `no complete build in ${DIST} (${BUILD_INFO} missing); ${rebuild}`
  if (info.version !== VERSION) return `the build is ${info.version}, this release ${VERSION}; ${rebuild}`
  const missingTargets = targets.map(targetKey).filter((t) => !info.targets.includes(t))
  const missingPlugins = plugins.map((p) => p.name).filter((p) => !info.plugins.includes(p))
  if (missingTargets.length === 0 && missingPlugins.length === 0) return undefined
  const missing = [
    ...(missingTargets.length > 0 ? [`platforms ${missingTargets.join(', ')}`] : []),
    ...(missingPlugins.length > 0 ? [`plugins ${missingPlugins.join(', ')}`] : []),
  ]
  return `refusing to write manifests for a partial build: it lacks ${missing.join(' and ')}; ${rebuild}`
}

/** Seconds since the epoch for the index commit: SOURCE_DATE_EPOCH, else the source commit's own date. */
function commitEpoch(): string {
  if (process.env.SOURCE_DATE_EPOCH !== undefined) return process.env.SOURCE_DATE_EPOCH
  try {
    return execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim()
  } catch {
    return '0'
  }
}

/**
 * dist/index: a fresh repository with one commit holding plugins/<name>.yaml, with a fixed author, committer and
 * date, so the same manifests give the same commit id. Published by force-pushing it to INDEX_URL (Krew's
 * `update` fetches and resets to the remote branch, so the history need not continue).
 */
export function writeIndexRepository(dir: string, manifests: Map<string, string>): string {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, 'plugins'), { recursive: true })
  for (const [name, text] of manifests) writeFileSync(join(dir, 'plugins', `${name}.yaml`), text)
  writeFileSync(
    join(dir, 'README.md'),
    `# kubectl suite: Krew index\n\nGenerated by \`npm run release\` in ${HOMEPAGE}; do not edit.\n\n` +
      `\`\`\`sh\nkubectl krew index add kubectl-suite ${indexUrl()}\n` +
      `kubectl krew install kubectl-suite/${[...manifests.keys()][0] ?? 'usage'}\n\`\`\`\n`,
  )
  const date = `@${commitEpoch()} +0000`
  const env = {
    ...process.env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'kubectl-suite release',
    GIT_AUTHOR_EMAIL: 'release@kubectl-suite.invalid',
    GIT_COMMITTER_NAME: 'kubectl-suite release',
    GIT_COMMITTER_EMAIL: 'release@kubectl-suite.invalid',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  }
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim()
  git('init', '-q', '-b', 'main')
  git('add', '-A')
  git('commit', '-q', '--no-gpg-sign', '-m', `kubectl-suite ${VERSION}`)
  return git('rev-parse', 'HEAD')
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`)
  process.exit(1)
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'manifests-only': { type: 'boolean' } } })
  const plugins = distPlugins()
  const targets = releaseTargets()
  const info = existsSync(BUILD_INFO) ? (JSON.parse(readFileSync(BUILD_INFO, 'utf8')) as BuildInfo) : undefined
  const pairs = plugins.flatMap((plugin) => targets.map((target) => ({ plugin, target })))

  const sums = new Map<string, string>()
  if (values['manifests-only']) {
    const file = join(RELEASE_DIR, 'SHA256SUMS')
    if (!existsSync(file)) fail(`${file} missing: run npm run release first`)
    for (const line of readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')) {
      const [sum, name] = line.split(/ +/) as [string, string]
      sums.set(name, sum)
    }
    for (const { plugin, target } of pairs) {
      const name = archiveFileName(plugin, target)
      const path = join(RELEASE_DIR, name)
      if (!existsSync(path) || sums.get(name) !== sha256File(path))
        fail(`${name} is missing or does not match SHA256SUMS in ${RELEASE_DIR}`)
    }
  } else {
    const refusal = partialBuild(info, targets, plugins)
    if (refusal !== undefined) fail(refusal)
    rmSync(RELEASE_DIR, { recursive: true, force: true })
    mkdirSync(RELEASE_DIR, { recursive: true })
    const queue = [...pairs]
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const archive = await makeArchive(next.plugin, next.target)
        sums.set(archiveFileName(next.plugin, next.target), sha256File(archive))
      }
    }
    await Promise.all(Array.from({ length: Math.min(availableParallelism(), 4) }, worker))
    const lines = [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([name, sum]) => `${sum}  ${name}`)
    writeFileSync(join(RELEASE_DIR, 'SHA256SUMS'), `${lines.join('\n')}\n`)
  }

  const manifests = new Map<string, string>()
  let failed = false
  for (const plugin of plugins) {
    const platforms = targets.map((target) => ({
      target,
      sha256: sums.get(archiveFileName(plugin, target)) as string,
    }))
    const text = manifestFor(plugin, platforms)
    const problems = await validateManifestWithArchives(text, `${plugin.name}.yaml`, (uri) =>
      uri.startsWith(`${releaseBaseUrl()}/`)
        ? readFileSync(join(RELEASE_DIR, uri.slice(releaseBaseUrl().length + 1)))
        : undefined,
    )
    for (const problem of problems) process.stderr.write(`error: ${plugin.name}.yaml: ${problem}\n`)
    failed ||= problems.length > 0
    manifests.set(plugin.name, text)
  }
  if (failed) process.exit(9)

  const commit = writeIndexRepository(INDEX_DIR, manifests)
  const indexProblems = validateIndex(INDEX_DIR)
  for (const problem of indexProblems) process.stderr.write(`error: index: ${problem}\n`)
  if (indexProblems.length > 0) process.exit(9)

  // The committed copy carries the documented URLs; a release for elsewhere leaves it alone.
  const committed = setting('RELEASE_BASE_URL') === undefined && setting('SUITE_VERSION') === undefined
  if (committed) {
    for (const name of readdirSync(MANIFESTS_DIR)) if (name.endsWith('.yaml')) rmSync(join(MANIFESTS_DIR, name))
    for (const [name, text] of manifests) writeFileSync(join(MANIFESTS_DIR, `${name}.yaml`), text)
  }
  process.stdout.write(
    `${sums.size} archives for ${targets.map(targetKey).join(', ')} in ${RELEASE_DIR} (SHA256SUMS)\n` +
      `index repository ${INDEX_DIR} at ${commit}: push it to ${indexUrl()}\n` +
      (committed ? `manifests written to ${MANIFESTS_DIR}\n` : `${MANIFESTS_DIR} left as is (not the default URLs)\n`),
  )
}

if (import.meta.main) await main()
