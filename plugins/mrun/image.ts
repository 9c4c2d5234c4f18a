import { createHash } from 'node:crypto'
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, sep } from 'node:path'
import { createGzip } from 'node:zlib'
import dockerignore from '@balena/dockerignore'
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

/**
 * A temporary folder holding exactly the build context (filtered files, Dockerfile, requirements.txt), for builders
 * that take a folder; the caller removes it. A copy, not the project itself, so an engine that ignores our filter
 * (or a stale .dockerignore) still cannot upload what .mrunignore left out.
 */
export function stageContext(context: BuildContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'mrun-build-'))
  for (const file of context.files) {
    const target = join(dir, file.path)
    mkdirSync(dirname(target), { recursive: true })
    copyFileSync(file.absolute, target)
  }
  if (context.requirements !== undefined) copyFileSync(context.requirements, join(dir, 'requirements.txt'))
  writeFileSync(join(dir, 'Dockerfile'), context.dockerfile)
  return dir
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
