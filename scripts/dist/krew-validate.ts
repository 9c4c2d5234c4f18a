import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, posix } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { extract } from 'tar-stream'
import { parse } from 'yaml'

/**
 * Krew's manifest rules (internal/index/validation and validate-krew-manifest), re-stated so they run here:
 * there is no Go toolchain and no krew binary on our machines. Each problem is one line naming the field.
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

/** Does a label selector match these labels? (matchLabels and the In/NotIn/Exists/DoesNotExist operators.) */
export function selectorMatches(selector: Selector, labels: Record<string, string>): boolean {
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
    if (entry.path.split(/[/\\]/).includes('..') || entry.path.startsWith('/') || entry.path.startsWith('\\'))
      problems.push(`${where}: archive entry "${entry.path}" escapes the install folder`)
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
  if (![...installed].some((f) => /^(licen[cs]e|copying)/i.test(posix.basename(f))))
    problems.push(`${where}: no LICENSE among the installed files`)
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
