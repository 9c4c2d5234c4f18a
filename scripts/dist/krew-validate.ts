import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, posix } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { extract } from 'tar-stream'
import { parse } from 'yaml'

/**
 * Krew's manifest rules (internal/index/validation, internal/download and validate-krew-manifest of v0.4.3),
 * re-stated so `npm run release` checks them without Go; the dist test then installs with the real Krew.
 * Each problem is one line naming the field.
 */
export const API_VERSION = 'krew.googlecontainertools.github.com/v1alpha2'

/** The os/arch pairs Krew knows; a platform must match one, and no pair may match two platforms. */
export const SUPPORTED_PAIRS: readonly { os: string; arch: string }[] = [
  ...['386', 'amd64', 'arm64'].map((arch) => ({ os: 'windows', arch })),
  ...['386', 'amd64', 'arm', 'arm64', 'ppc64le'].map((arch) => ({ os: 'linux', arch })),
  ...['386', 'amd64', 'arm64'].map((arch) => ({ os: 'darwin', arch })),
]

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i
// k8s.io/apimachinery ParseSemantic after the 'v': MAJOR.MINOR.PATCH[-pre][+build], no leading zeros.
const SEMVER =
  /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/

interface Expression {
  key?: unknown
  operator?: unknown
  values?: unknown
}
interface Selector {
  matchLabels?: Record<string, unknown>
  matchExpressions?: Expression[]
}
interface FileOperation {
  from?: unknown
  to?: unknown
}
interface Platform {
  selector?: Selector
  uri?: unknown
  sha256?: unknown
  bin?: unknown
  files?: FileOperation[]
}
interface Manifest {
  apiVersion?: unknown
  kind?: unknown
  metadata?: { name?: unknown }
  spec?: { version?: unknown; shortDescription?: unknown; platforms?: Platform[] }
}

/** One entry of an archive: its path and whether it is a regular file. */
export interface ArchiveEntry {
  path: string
  type: 'file' | 'directory' | 'other'
}

/** What the archive checks need: the bytes behind a platform's uri, if we have them. */
export type ArchiveSource = (uri: string) => Buffer | undefined

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist']

/** Why apimachinery's LabelSelectorAsSelector would refuse this expression, or undefined. */
function expressionProblem(e: Expression): string | undefined {
  if (typeof e.operator !== 'string' || !OPERATORS.includes(e.operator))
    return `operator "${String(e.operator)}" is not one of ${OPERATORS.join(', ')}`
  const count = Array.isArray(e.values) ? e.values.length : 0
  if ((e.operator === 'In' || e.operator === 'NotIn') && count === 0) return `operator ${e.operator} needs values`
  if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && count > 0)
    return `operator ${e.operator} takes no values`
  return undefined
}

/**
 * Does a label selector match these labels? (matchLabels and the In/NotIn/Exists/DoesNotExist operators.)
 * A selector apimachinery cannot compile (an unknown operator, In without values) matches nothing, as in Krew.
 */
export function selectorMatches(selector: Selector, labels: Record<string, string>): boolean {
  if ((selector.matchExpressions ?? []).some((e) => expressionProblem(e) !== undefined)) return false
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false
  for (const e of selector.matchExpressions ?? []) {
    const key = String(e.key)
    const values = Array.isArray(e.values) ? e.values.map(String) : []
    const has = key in labels
    if (e.operator === 'In' && !(has && values.includes(labels[key] as string))) return false
    if (e.operator === 'NotIn' && has && values.includes(labels[key] as string)) return false
    if (e.operator === 'Exists' && !has) return false
    if (e.operator === 'DoesNotExist' && has) return false
  }
  return true
}

/** validate-krew-manifest's licence file names, compared lower-cased with the installed file's base name. */
export const LICENSE_FILES = [
  'license',
  'license.txt',
  'license.md',
  'licenses',
  'licenses.txt',
  'licenses.md',
  'copying',
  'copying.txt',
]

export function isLicenseFile(path: string): boolean {
  return LICENSE_FILES.includes(posix.basename(path).toLowerCase())
}

function isCleanRelative(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) return false
  return posix.normalize(path) === path && !path.split('/').includes('..') && !path.endsWith('/')
}

function validateSelector(selector: Selector | undefined, where: string): string[] {
  if (selector === undefined || selector === null) return [`${where}.selector: missing`]
  const problems: string[] = []
  const labels = selector.matchLabels
  const expressions = selector.matchExpressions
  if (labels === undefined && expressions === undefined) problems.push(`${where}.selector: empty`)
  if (labels !== undefined && Object.keys(labels ?? {}).length === 0)
    problems.push(`${where}.selector.matchLabels: present but empty`)
  if (expressions !== undefined && (expressions ?? []).length === 0)
    problems.push(`${where}.selector.matchExpressions: present but empty`)
  const keys = [...Object.keys(labels ?? {}), ...(expressions ?? []).map((e) => String(e.key))]
  for (const key of keys)
    if (key !== 'os' && key !== 'arch') problems.push(`${where}.selector: key "${key}" is not os or arch`)
  for (const [i, e] of (expressions ?? []).entries()) {
    const problem = expressionProblem(e)
    if (problem !== undefined) problems.push(`${where}.selector.matchExpressions[${i}]: ${problem}`)
  }
  return problems
}

/** Static rules: everything Krew checks without downloading. `fileName` is the manifest's file name. */
export function validateManifest(text: string, fileName: string): { problems: string[]; manifest: Manifest } {
  const problems: string[] = []
  let manifest: Manifest
  try {
    manifest = (parse(text) ?? {}) as Manifest
  } catch (error) {
    return { problems: [`not YAML: ${(error as Error).message.split('\n')[0]}`], manifest: {} }
  }
  if (!fileName.endsWith('.yaml')) problems.push(`file name: ${fileName} must end in .yaml`)
  if (manifest.apiVersion !== API_VERSION) problems.push(`apiVersion: must be ${API_VERSION}`)
  if (manifest.kind !== 'Plugin') problems.push('kind: must be Plugin')
  const name = manifest.metadata?.name
  if (typeof name !== 'string' || !/^[\w-]+$/.test(name)) problems.push('metadata.name: must match ^[\\w-]+$')
  else {
    if (WINDOWS_RESERVED.test(name)) problems.push(`metadata.name: "${name}" is a reserved Windows name`)
    if (name !== basename(fileName).replace(/\.ya?ml$/, ''))
      problems.push(`metadata.name: "${name}" must equal the file name ${basename(fileName)}`)
  }
  const spec = manifest.spec ?? {}
  const short = spec.shortDescription
  if (typeof short !== 'string' || short.trim() === '') problems.push('spec.shortDescription: empty')
  else if (/[\r\n]/.test(short)) problems.push('spec.shortDescription: must be one line')
  if (typeof spec.version !== 'string' || !SEMVER.test(spec.version))
    problems.push('spec.version: must be v followed by a semantic version (v1.2.3)')
  const platforms = spec.platforms ?? []
  if (!Array.isArray(platforms) || platforms.length === 0) problems.push('spec.platforms: at least one is required')
  platforms.forEach((platform, i) => {
    const where = `spec.platforms[${i}]`
    if (typeof platform.uri !== 'string' || platform.uri === '') problems.push(`${where}.uri: missing`)
    if (typeof platform.sha256 !== 'string' || !/^[a-f0-9]{64}$/.test(platform.sha256))
      problems.push(`${where}.sha256: must be 64 lowercase hex digits`)
    if (typeof platform.bin !== 'string' || platform.bin === '') problems.push(`${where}.bin: missing`)
    problems.push(...validateSelector(platform.selector, where))
    if (platform.files !== undefined) {
      if (!Array.isArray(platform.files) || platform.files.length === 0)
        problems.push(`${where}.files: present but empty`)
      ;(platform.files ?? []).forEach((op, j) => {
        if (typeof op.from !== 'string' || op.from === '') problems.push(`${where}.files[${j}].from: missing`)
        if (typeof op.to !== 'string' || op.to === '') problems.push(`${where}.files[${j}].to: missing`)
        else if (op.to !== '.' && !isCleanRelative(op.to))
          problems.push(`${where}.files[${j}].to: "${op.to}" is not a clean relative path`)
      })
    }
    if (platform.selector && !SUPPORTED_PAIRS.some((pair) => selectorMatches(platform.selector as Selector, pair)))
      problems.push(`${where}.selector: matches no supported os/arch`)
  })
  for (const pair of SUPPORTED_PAIRS) {
    const matching = platforms.filter((p) => p.selector !== undefined && selectorMatches(p.selector, pair))
    if (matching.length > 1) problems.push(`spec.platforms: ${pair.os}/${pair.arch} is matched by ${matching.length}`)
  }
  return { problems, manifest }
}

/** The entries of a tar.gz or zip archive, by content (as Krew sniffs it), not by extension. */
export async function archiveEntries(bytes: Buffer): Promise<ArchiveEntry[]> {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const entries: ArchiveEntry[] = []
    const reader = extract()
    const done = new Promise<void>((resolve, reject) => {
      reader.on('entry', (header, stream, next) => {
        entries.push({
          path: header.name,
          type: header.type === 'file' ? 'file' : header.type === 'directory' ? 'directory' : 'other',
        })
        stream.on('end', next)
        stream.resume()
      })
      reader.on('finish', resolve)
      reader.on('error', reject)
    })
    reader.end(gunzipSync(bytes))
    await done
    return entries
  }
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    // Zip: listed with Info-ZIP's unzip (installed with zip); our Windows archives are the only zips.
    const dir = mkdtempSync(join(tmpdir(), 'krew-validate-'))
    try {
      const file = join(dir, 'archive.zip')
      writeFileSync(file, bytes)
      return execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => line !== '')
        .map((path) => ({ path, type: path.endsWith('/') ? 'directory' : 'file' }) as ArchiveEntry)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  throw new Error('archive is neither tar.gz nor zip')
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*')}$`)
}

/** Installs a platform on paper: Krew's entry checks, then its file moves, then bin and licence. */
export async function validateArchive(platform: Platform, bytes: Buffer, where: string): Promise<string[]> {
  const problems: string[] = []
  const sha = createHash('sha256').update(bytes).digest('hex')
  if (sha !== platform.sha256) problems.push(`${where}.sha256: archive hashes to ${sha}`)
  let entries: ArchiveEntry[]
  try {
    entries = await archiveEntries(bytes)
  } catch (error) {
    return [...problems, `${where}.uri: ${(error as Error).message}`]
  }
  for (const entry of entries) {
    // Krew refuses any entry whose name contains ".." anywhere (even "a..b"), or starts with / or \\.
    if (entry.path.includes('..') || entry.path.startsWith('/') || entry.path.startsWith('\\'))
      problems.push(`${where}: archive entry "${entry.path}" is refused by Krew (".." or absolute)`)
    if (entry.type === 'other') problems.push(`${where}: archive entry "${entry.path}" is not a file or folder`)
  }
  const files = entries.filter((e) => e.type === 'file').map((e) => e.path.replace(/^\.\//, ''))
  const installed = new Set<string>()
  for (const op of platform.files ?? [{ from: '*', to: '.' }]) {
    const from = String(op.from)
    const to = String(op.to)
    const re = globToRegExp(from.replace(/^\.\//, ''))
    const matched = files.filter((f) => re.test(f) || re.test(f.split('/')[0] as string))
    if (matched.length === 0) problems.push(`${where}.files: "${from}" matches nothing in the archive`)
    for (const file of matched) {
      const prefix = from.includes('*') ? posix.dirname(from) : posix.dirname(from.replace(/\/$/, ''))
      const rest = prefix === '.' ? file : file.slice(prefix.length + 1)
      installed.add(to === '.' ? rest : posix.join(to, rest))
    }
  }
  if (typeof platform.bin === 'string' && !installed.has(posix.normalize(platform.bin)))
    problems.push(`${where}.bin: "${platform.bin}" is not in the installed files`)
  if (![...installed].some(isLicenseFile))
    problems.push(`${where}: no licence file (${LICENSE_FILES.join(', ')}; any case) among the installed files`)
  return problems
}

/**
 * An index repository as Krew reads it: `plugins/*.yaml` at the root of the repository, one manifest per plugin,
 * the file named after metadata.name. Krew silently skips anything else in plugins/ (a `.yml` file, a folder),
 * so those are problems too: the plugin would just not be there.
 */
export function validateIndex(dir: string): string[] {
  const plugins = join(dir, 'plugins')
  if (!existsSync(plugins) || !statSync(plugins).isDirectory())
    return [`no plugins/ folder at the root of ${dir} (Krew reads plugins/*.yaml there)`]
  const problems: string[] = []
  const entries = readdirSync(plugins, { withFileTypes: true })
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue // .gitkeep and the like
    if (entry.isDirectory()) problems.push(`plugins/${entry.name}/: Krew ignores folders inside plugins/`)
    else if (!entry.name.endsWith('.yaml')) problems.push(`plugins/${entry.name}: Krew reads only *.yaml files`)
    else
      problems.push(
        ...validateManifest(readFileSync(join(plugins, entry.name), 'utf8'), entry.name).problems.map(
          (p) => `plugins/${entry.name}: ${p}`,
        ),
      )
  }
  if (!entries.some((e) => e.isFile() && e.name.endsWith('.yaml'))) problems.push('plugins/ holds no manifest')
  return problems
}

/** Static rules plus, for every platform whose archive `source` can provide, the install-time rules. */
export async function validateManifestWithArchives(
  text: string,
  fileName: string,
  source: ArchiveSource,
): Promise<string[]> {
  const { problems, manifest } = validateManifest(text, fileName)
  const platforms = manifest.spec?.platforms ?? []
  for (const [i, platform] of platforms.entries()) {
    const bytes = typeof platform.uri === 'string' ? source(platform.uri) : undefined
    if (bytes !== undefined) problems.push(...(await validateArchive(platform, bytes, `spec.platforms[${i}]`)))
  }
  return problems
}
