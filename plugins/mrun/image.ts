import { createHash } from 'node:crypto'
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, sep } from 'node:path'
import { createGzip } from 'node:zlib'
import dockerignoreModule, { type Ignore } from '@balena/dockerignore'
import { pack } from 'tar-stream'
import { dockerfile } from './model.ts'

/** One file of the build context, relative to the project folder with '/' separators. */
export interface ContextFile {
  path: string
  absolute: string
  executable: boolean
}

export interface BuildContext {
  /** The project folder the code comes from. */
  root: string
  files: ContextFile[]
  dockerfile: string
  /** The requirements file (copied in as requirements.txt), if any. */
  requirements: string | undefined
  /** sha256 over the Dockerfile, the requirements and every file's path, mode and bytes: same code, same tag. */
  hash: string
}

// CommonJS (`module.exports = factory`, `factory.default = factory`): TypeScript under nodenext types the default
// import as the whole module, so take its .default, which is the factory either way.
const dockerignore = (dockerignoreModule as unknown as { default: () => Ignore }).default

/**
 * Always left out, at any depth, and read after the user's patterns so no `!` brings them back: version control and
 * our own ignore files carry nothing the experiment needs.
 */
const ALWAYS_IGNORED = ['**/.git', '**/.hg', '**/.svn', '.mrunignore', '.dockerignore']

/**
 * The exclusion rules of a project folder: `.dockerignore`, then `.mrunignore`, both with Docker's rules (patterns
 * are anchored at the context root, `*` does not cross `/`, `**` does, a later `!pattern` re-includes, and a
 * directory's exclusion covers what is inside it). `.mrunignore` is read after `.dockerignore`, so it can exclude
 * more (files the image needs for docker but the experiment does not) or re-include with `!`.
 * @balena/dockerignore is a port of moby's matcher; the gitignore rules of `ignore` differ (`*.md` there also
 * excludes `docs/a.md`, `data` also excludes `src/data`).
 */
export function ignoreRules(root: string): { ignores: (path: string) => boolean; reincludes: boolean } {
  const patterns: string[] = []
  for (const name of ['.dockerignore', '.mrunignore']) {
    const file = join(root, name)
    if (existsSync(file)) patterns.push(...readFileSync(file, 'utf8').split(/\r?\n/))
  }
  const rules = dockerignore().add([...patterns, ...ALWAYS_IGNORED])
  // Docker still walks into an excluded directory when some `!` pattern may re-include a file inside it.
  const reincludes = patterns.some((line) => line.trim().startsWith('!'))
  return { ignores: (path) => rules.ignores(path), reincludes }
}

/**
 * The files `COPY . /experiment` should see: the folder minus what .dockerignore and .mrunignore exclude (see
 * {@link ignoreRules}). Symbolic links are skipped, as they could point outside the project.
 */
export function collectContext(
  root: string,
  options: { baseImage: string; requirements?: string | undefined },
): BuildContext {
  const rules = ignoreRules(root)
  const files: ContextFile[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const absolute = join(dir, entry.name)
      const path = relative(root, absolute).split(sep).join('/')
      if (entry.isDirectory()) {
        if (rules.reincludes || !rules.ignores(path)) walk(absolute)
      } else if (entry.isFile() && !rules.ignores(path)) {
        files.push({ path, absolute, executable: (lstatSync(absolute).mode & 0o111) !== 0 })
      }
    }
  }
  walk(root)
  const text = dockerfile({ baseImage: options.baseImage, requirements: options.requirements !== undefined })
  const hash = createHash('sha256')
  hash.update(`Dockerfile\0${text}\0`)
  if (options.requirements !== undefined) hash.update(`requirements\0`).update(readFileSync(options.requirements))
  for (const file of files) {
    hash.update(`\0${file.path}\0${file.executable ? 'x' : '-'}\0`)
    hash.update(readFileSync(file.absolute))
  }
  return { root, files, dockerfile: text, requirements: options.requirements, hash: hash.digest('hex') }
}

/** The image tag for a context: the first 16 hex digits of its hash. */
export function contextTag(context: BuildContext): string {
  return `ctx-${context.hash.slice(0, 16)}`
}

const STAGED_PREFIX = 'mrun-build-'

/**
 * A temporary folder holding exactly the build context (filtered files, Dockerfile, requirements.txt), for builders
 * that take a folder; the caller removes it in a `finally` (ctx.signal turns SIGINT, SIGTERM, SIGHUP and a closed
 * pipe into an abort, so that runs). A copy, not the project itself, so an engine that ignores our filter (or a stale
 * .dockerignore) still cannot upload what .mrunignore left out. The copy holds the user's code and perhaps a .env, so:
 * it is private (mkdtemp makes it 0700), a copy that fails halfway is removed before the error goes on, and what a
 * process could not remove (SIGKILL, a second Ctrl-C that ends it at once) is removed by the next run: the folder
 * is named after its pid, and folders of ours whose process is gone are deleted first.
 */
export function stageContext(context: BuildContext): string {
  removeOrphanedStages()
  const dir = mkdtempSync(join(tmpdir(), `${STAGED_PREFIX}${process.pid}-`))
  try {
    for (const file of context.files) {
      const target = join(dir, file.path)
      mkdirSync(dirname(target), { recursive: true })
      copyFileSync(file.absolute, target)
    }
    if (context.requirements !== undefined) copyFileSync(context.requirements, join(dir, 'requirements.txt'))
    writeFileSync(join(dir, 'Dockerfile'), context.dockerfile)
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return dir
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists and belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Staged copies (ours: same owner) left by runs whose process no longer exists. Returns the folders removed. */
export function removeOrphanedStages(dir = tmpdir()): string[] {
  const removed: string[] = []
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return removed
  }
  for (const name of names) {
    const pid = new RegExp(`^${STAGED_PREFIX}(\\d+)-`).exec(name)?.[1]
    if (pid === undefined || Number(pid) === process.pid || processAlive(Number(pid))) continue
    const path = join(dir, name)
    try {
      const stat = lstatSync(path)
      if (!stat.isDirectory() || (process.getuid !== undefined && stat.uid !== process.getuid())) continue
      rmSync(path, { recursive: true, force: true })
      removed.push(path)
    } catch {
      // Gone already, or not ours to remove: nothing to do.
    }
  }
  return removed
}

/** The context as a tar.gz (Dockerfile and requirements.txt at the top), for the in-cluster builder. */
export async function contextTarball(context: BuildContext): Promise<Buffer> {
  const archive = pack()
  const gzip = createGzip()
  const chunks: Buffer[] = []
  gzip.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve)
    gzip.on('error', reject)
  })
  archive.pipe(gzip)
  // Fixed times and owners: the tarball, like the tag, depends only on the content.
  const entry = (name: string, body: Buffer, mode: number): void => {
    archive.entry({ name, mode, mtime: new Date(0), uid: 0, gid: 0 }, body)
  }
  entry('Dockerfile', Buffer.from(context.dockerfile), 0o644)
  if (context.requirements !== undefined) entry('requirements.txt', readFileSync(context.requirements), 0o644)
  for (const file of context.files) entry(file.path, readFileSync(file.absolute), file.executable ? 0o755 : 0o644)
  archive.finalize()
  await done
  return Buffer.concat(chunks)
}
