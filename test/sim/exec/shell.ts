import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs'
import { dirname, join } from 'node:path'
import { PassThrough, type Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'
import tar from 'tar-stream'
import { type PodFs, PodFsError } from './podfs.ts'

/**
 * The simulated container runtime: a tiny in-process busybox over a pod's mount table. It runs what the plugins and
 * kubectl send through exec (tar, cat, ls, sh -c pipelines …) and the commands of simulated containers, with
 * GNU-like output and exit codes, and never touches anything outside the pod's folders.
 */
export interface CommandContext {
  fs: PodFs
  cwd: string
  env: Record<string, string>
  stdin: Readable
  stdout: Writable
  stderr: Writable
  signal?: AbortSignal
}

type Builtin = (args: string[], ctx: CommandContext) => Promise<number>

class ExitError extends Error {
  readonly code: number
  constructor(code: number) {
    super(`exit ${code}`)
    this.code = code
  }
}

function write(stream: Writable, text: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.write(text)) stream.once('drain', resolve)
    else resolve()
  })
}

function host(ctx: CommandContext, path: string, writeAccess = false): string {
  return ctx.fs.resolve(path, ctx.cwd, { write: writeAccess }).host
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  return Buffer.concat(chunks)
}

function fail(ctx: CommandContext, name: string, message: string, code = 1): Promise<number> {
  return write(ctx.stderr, `${name}: ${message}\n`).then(() => code)
}

function errno(error: unknown): string {
  if (error instanceof PodFsError) return error.message.split(': ').slice(1).join(': ')
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'No such file or directory'
  if (code === 'EISDIR') return 'Is a directory'
  if (code === 'ENOTDIR') return 'Not a directory'
  if (code === 'EACCES') return 'Permission denied'
  return (error as Error).message
}

async function walk(
  hostPath: string,
  name: string,
  visit: (host: string, name: string, stat: import('node:fs').Stats) => Promise<void>,
): Promise<void> {
  const stat = await fsp.lstat(hostPath)
  await visit(hostPath, name, stat)
  if (stat.isDirectory()) {
    for (const entry of (await fsp.readdir(hostPath)).sort())
      await walk(join(hostPath, entry), `${name}/${entry}`, visit)
  }
}

async function tarCreate(
  ctx: CommandContext,
  paths: string[],
  dir: string | undefined,
  gzip: boolean,
  verbose: boolean,
): Promise<number> {
  const pack = tar.pack()
  const output = gzip ? pack.pipe(createGzip()) : pack
  const done = pipeline(output, ctx.stdout, { end: false })
  let status = 0
  let warned = false
  for (const path of paths) {
    const base = dir === undefined ? ctx.cwd : dir
    const member = path.replace(/^\/+/, '')
    if (path.startsWith('/') && !warned) {
      warned = true
      await write(ctx.stderr, "tar: Removing leading `/' from member names\n")
    }
    let hostPath: string
    try {
      hostPath = ctx.fs.resolve(path, base).host
    } catch (error) {
      await write(ctx.stderr, `tar: ${path}: Cannot stat: ${errno(error)}\n`)
      status = 2
      continue
    }
    try {
      await walk(hostPath, member, async (file, name, stat) => {
        if (verbose) await write(ctx.stderr, `${name}\n`)
        const header = { name, mode: stat.mode & 0o7777, mtime: stat.mtime, uid: 0, gid: 0 }
        if (stat.isDirectory()) {
          await new Promise<void>((resolve, reject) =>
            pack.entry({ ...header, type: 'directory' }, (e) => (e ? reject(e) : resolve())),
          )
        } else if (stat.isSymbolicLink()) {
          const target = await fsp.readlink(file)
          await new Promise<void>((resolve, reject) =>
            pack.entry({ ...header, type: 'symlink', linkname: target }, (e) => (e ? reject(e) : resolve())),
          )
        } else if (stat.isFile()) {
          const entry = pack.entry({ ...header, type: 'file', size: stat.size })
          await pipeline(createReadStream(file), entry)
        }
      })
    } catch (error) {
      await write(ctx.stderr, `tar: ${path}: Cannot stat: ${errno(error)}\n`)
      status = 2
    }
  }
  pack.finalize()
  await done
  if (status !== 0) await write(ctx.stderr, 'tar: Exiting with failure status due to previous errors\n')
  return status
}

async function tarExtract(ctx: CommandContext, dir: string | undefined, gzip: boolean, list: boolean): Promise<number> {
  const extract = tar.extract()
  const target = dir ?? ctx.cwd
  let status = 0
  extract.on('entry', (header, stream, next) => {
    const run = async (): Promise<void> => {
      const name = header.name.replace(/^\.\//, '')
      if (list) {
        await write(ctx.stdout, `${name}\n`)
        stream.resume()
        return
      }
      if (name.startsWith('/') || name.split('/').includes('..')) {
        await write(ctx.stderr, `tar: ${name}: Member name contains '..'\n`)
        status = 2
        stream.resume()
        return
      }
      const hostPath = ctx.fs.resolve(`${target}/${name}`, ctx.cwd, { write: true }).host
      if (header.type === 'directory') {
        await fsp.mkdir(hostPath, { recursive: true })
        stream.resume()
      } else if (header.type === 'symlink') {
        await fsp.mkdir(dirname(hostPath), { recursive: true })
        await fsp.rm(hostPath, { force: true })
        await fsp.symlink(header.linkname ?? '', hostPath)
        stream.resume()
      } else {
        await fsp.mkdir(dirname(hostPath), { recursive: true })
        await pipeline(stream, createWriteStream(hostPath, { mode: header.mode ?? 0o644 }))
      }
    }
    run().then(
      () => next(),
      async (error) => {
        await write(ctx.stderr, `tar: ${header.name}: Cannot open: ${errno(error)}\n`)
        status = 2
        stream.resume()
        next()
      },
    )
  })
  const input = gzip ? ctx.stdin.pipe(createGunzip()) : ctx.stdin
  try {
    await pipeline(input, extract)
  } catch (error) {
    await write(ctx.stderr, `tar: ${(error as Error).message}\n`)
    return 2
  }
  return status
}

const tarCommand: Builtin = async (args, ctx) => {
  let mode: 'c' | 'x' | 't' | undefined
  let dir: string | undefined
  let gzip = false
  let verbose = false
  const paths: string[] = []
  const words = [...args]
  if (words[0] !== undefined && !words[0].startsWith('-')) words[0] = `-${words[0]}`
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string
    if (word === '-C' || word === '--directory') dir = words[++i]
    else if (word.startsWith('--directory=')) dir = word.slice(12)
    else if (word.startsWith('--')) continue
    else if (word.startsWith('-') && word.length > 1) {
      for (const letter of word.slice(1)) {
        if (letter === 'c' || letter === 'x' || letter === 't') mode = letter
        else if (letter === 'z') gzip = true
        else if (letter === 'v') verbose = true
        else if (letter === 'f') {
          const file = words[++i]
          if (file !== '-') return fail(ctx, 'tar', 'only -f - is supported here', 2)
        } else if (letter === 'C') dir = words[++i]
      }
    } else paths.push(word)
  }
  if (dir !== undefined) dir = ctx.fs.mounts.length > 0 ? dir : dir
  if (mode === 'c') return tarCreate(ctx, paths, dir === undefined ? undefined : dir, gzip, verbose)
  if (mode === 'x' || mode === 't') return tarExtract(ctx, dir, gzip, mode === 't')
  return fail(ctx, 'tar', "You must specify one of the '-Acdtrux' options", 2)
}

const BUILTINS: Record<string, Builtin> = {
  true: async () => 0,
  false: async () => 1,
  ':': async () => 0,
  echo: async (args, ctx) => {
    const newline = args[0] !== '-n'
    await write(ctx.stdout, `${(newline ? args : args.slice(1)).join(' ')}${newline ? '\n' : ''}`)
    return 0
  },
  printf: async (args, ctx) => {
    const [format = '', ...rest] = args
    let i = 0
    const text = format.replace(/%[sd%]|\\n|\\t/g, (m) =>
      m === '\\n' ? '\n' : m === '\\t' ? '\t' : m === '%%' ? '%' : (rest[i++] ?? ''),
    )
    await write(ctx.stdout, text)
    return 0
  },
  pwd: async (_args, ctx) => write(ctx.stdout, `${ctx.cwd}\n`).then(() => 0),
  env: async (_args, ctx) =>
    write(
      ctx.stdout,
      Object.entries(ctx.env)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    ).then(() => 0),
  cat: async (args, ctx) => {
    if (args.length === 0 || (args.length === 1 && args[0] === '-')) {
      await pipeline(ctx.stdin, ctx.stdout, { end: false })
      return 0
    }
    let status = 0
    for (const file of args) {
      try {
        await pipeline(createReadStream(host(ctx, file)), ctx.stdout, { end: false })
      } catch (error) {
        status = await fail(ctx, 'cat', `${file}: ${errno(error)}`)
      }
    }
    return status
  },
  ls: async (args, ctx) => {
    const paths = args.filter((a) => !a.startsWith('-'))
    const all = args.some((a) => a.startsWith('-') && a.includes('a'))
    let status = 0
    for (const path of paths.length === 0 ? ['.'] : paths) {
      try {
        const h = host(ctx, path)
        const stat = await fsp.stat(h)
        const names = stat.isDirectory()
          ? (await fsp.readdir(h)).filter((n) => all || !n.startsWith('.')).sort()
          : [path]
        await write(ctx.stdout, names.map((n) => `${n}\n`).join(''))
      } catch (error) {
        status = await fail(ctx, 'ls', `cannot access '${path}': ${errno(error)}`, 2)
      }
    }
    return status
  },
  test: async (args, ctx) => {
    const words = args[args.length - 1] === ']' ? args.slice(0, -1) : args
    const [op, path] = words
    if (path === undefined) return op === undefined || op === '' ? 1 : 0
    try {
      const stat = await fsp.stat(host(ctx, path))
      if (op === '-d') return stat.isDirectory() ? 0 : 1
      if (op === '-f') return stat.isFile() ? 0 : 1
      if (op === '-s') return stat.size > 0 ? 0 : 1
      return 0
    } catch {
      return 1
    }
  },
  mkdir: async (args, ctx) => {
    const paths = args.filter((a) => !a.startsWith('-'))
    const parents = args.includes('-p')
    for (const path of paths) {
      try {
        await fsp.mkdir(host(ctx, path, true), { recursive: parents })
      } catch (error) {
        return fail(
          ctx,
          'mkdir',
          `cannot create directory '${path}': ${(error as NodeJS.ErrnoException).code === 'EEXIST' ? 'File exists' : errno(error)}`,
        )
      }
    }
    return 0
  },
  rm: async (args, ctx) => {
    const force = args.some((a) => a.startsWith('-') && a.includes('f'))
    for (const path of args.filter((a) => !a.startsWith('-'))) {
      try {
        const h = host(ctx, path, true)
        if (!force) await fsp.lstat(h)
        await fsp.rm(h, { recursive: true, force: true })
      } catch (error) {
        return fail(ctx, 'rm', `cannot remove '${path}': ${errno(error)}`)
      }
    }
    return 0
  },
  mv: async (args, ctx) => {
    const [from, to] = args.filter((a) => !a.startsWith('-'))
    if (from === undefined || to === undefined) return fail(ctx, 'mv', 'missing file operand')
    try {
      await fsp.rename(host(ctx, from, true), host(ctx, to, true))
      return 0
    } catch (error) {
      return fail(ctx, 'mv', `cannot move '${from}' to '${to}': ${errno(error)}`)
    }
  },
  sha256sum: async (args, ctx) => {
    let status = 0
    for (const file of args.filter((a) => !a.startsWith('-'))) {
      try {
        const hash = createHash('sha256')
        await pipeline(createReadStream(host(ctx, file)), hash)
        await write(ctx.stdout, `${hash.digest('hex')}  ${file}\n`)
      } catch (error) {
        status = await fail(ctx, 'sha256sum', `${file}: ${errno(error)}`)
      }
    }
    return status
  },
  du: async (args, ctx) => {
    const bytes = args.some((a) => a.startsWith('-') && a.includes('b'))
    for (const path of args.filter((a) => !a.startsWith('-'))) {
      let total = 0
      try {
        await walk(host(ctx, path), path, async (_h, _n, stat) => {
          total += bytes ? (stat.isFile() ? stat.size : 0) : Math.ceil(stat.size / 1024)
        })
      } catch (error) {
        return fail(ctx, 'du', `cannot access '${path}': ${errno(error)}`)
      }
      await write(ctx.stdout, `${total}\t${path}\n`)
    }
    return 0
  },
  find: async (args, ctx) => {
    const [start = '.', ...rest] = args
    const onlyFiles = rest.join(' ').includes('-type f')
    try {
      await walk(host(ctx, start), start.replace(/\/$/, ''), async (_h, name, stat) => {
        if (!onlyFiles || stat.isFile()) await write(ctx.stdout, `${name}\n`)
      })
      return 0
    } catch (error) {
      return fail(ctx, 'find', `'${start}': ${errno(error)}`)
    }
  },
  stat: async (args, ctx) => {
    // GNU/busybox `stat -c FORMAT FILE...`: %s size, %n name, %a octal mode, one line per file; plain `stat F`: size.
    let format = '%s'
    const paths: string[] = []
    for (let i = 0; i < args.length; i++) {
      const word = args[i] as string
      if (word === '-c' || word === '--format') format = args[++i] ?? '%s'
      else if (word.startsWith('--format=')) format = word.slice(9)
      else if (!word.startsWith('-')) paths.push(word)
    }
    if (paths.length === 0) return fail(ctx, 'stat', 'missing operand')
    let status = 0
    for (const path of paths) {
      try {
        const s = await fsp.stat(host(ctx, path))
        const line = format.replace(/%([sna%])/g, (_m, k: string) =>
          k === 's' ? String(s.size) : k === 'n' ? path : k === 'a' ? (s.mode & 0o7777).toString(8) : '%',
        )
        await write(ctx.stdout, `${line}\n`)
      } catch (error) {
        status = await fail(ctx, 'stat', `cannot statx '${path}': ${errno(error)}`)
      }
    }
    return status
  },
  wc: async (args, ctx) => {
    const data = await readAll(args[1] === undefined ? ctx.stdin : createReadStream(host(ctx, args[1])))
    const count = args.includes('-l') ? data.toString().split('\n').length - 1 : data.length
    await write(ctx.stdout, `${count}${args[1] === undefined ? '' : ` ${args[1]}`}\n`)
    return 0
  },
  head: async (args, ctx) => {
    const n = Number(args[args.indexOf('-c') + 1] ?? 0)
    const file = args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c')
    const data = await readAll(file === undefined ? ctx.stdin : createReadStream(host(ctx, file)))
    await write(ctx.stdout, data.subarray(0, n))
    return 0
  },
  tail: async (args, ctx) => {
    const spec = args.find((a) => a.startsWith('-c')) ?? '-c'
    const value = spec === '-c' ? (args[args.indexOf('-c') + 1] ?? '0') : spec.slice(2)
    const source = ctx.stdin
    if (value.startsWith('+')) {
      let skip = Number(value.slice(1)) - 1
      for await (const chunk of source) {
        const buffer = chunk as Buffer
        if (skip >= buffer.length) {
          skip -= buffer.length
          continue
        }
        await write(ctx.stdout, buffer.subarray(skip))
        skip = 0
      }
      return 0
    }
    const data = await readAll(source)
    await write(ctx.stdout, data.subarray(Math.max(0, data.length - Number(value))))
    return 0
  },
  sleep: async (args, ctx) => {
    const raw = args[0] ?? '0'
    const seconds = raw === 'infinity' ? 3_153_600_000 : Number(raw)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, seconds * 1000)
      ctx.signal?.addEventListener('abort', () => {
        clearTimeout(timer)
        resolve()
      })
    })
    return 0
  },
  exit: async (args) => {
    throw new ExitError(Number(args[0] ?? 0))
  },
  tar: tarCommand,
}

const STATUS_MARK = '\u0000status\u0000'

/** Splits a shell line into words and operators, expanding quotes and $VARS (POSIX sh subset). */
function tokenize(script: string, env: Record<string, string>, lastStatus: number): string[] {
  const tokens: string[] = []
  let current = ''
  let inWord = false
  const expand = (text: string): string =>
    text.replace(/\$(\?|\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
      // $? is filled in when its command runs, not when the script is split.
      if (name === '?') return lastStatus < 0 ? STATUS_MARK : String(lastStatus)
      return env[name.replace(/^\{|\}$/g, '')] ?? ''
    })
  for (let i = 0; i < script.length; i++) {
    const ch = script[i] as string
    if (ch === "'") {
      const end = script.indexOf("'", i + 1)
      current += script.slice(i + 1, end < 0 ? undefined : end)
      i = end < 0 ? script.length : end
      inWord = true
    } else if (ch === '"') {
      let j = i + 1
      let text = ''
      while (j < script.length && script[j] !== '"') {
        if (script[j] === '\\' && j + 1 < script.length) j++
        text += script[j]
        j++
      }
      current += expand(text)
      i = j
      inWord = true
    } else if (ch === '\\' && i + 1 < script.length) {
      current += script[++i]
      inWord = true
    } else if (/\s/.test(ch) && ch !== '\n') {
      if (inWord) tokens.push(current)
      current = ''
      inWord = false
    } else if ('|&;<>\n'.includes(ch)) {
      if (inWord) tokens.push(current)
      current = ''
      inWord = false
      const two = script.slice(i, i + 2)
      const three = script.slice(i, i + 4)
      if (three === '2>&1') {
        tokens.push('2>&1')
        i += 3
      } else if (two === '&&' || two === '||' || two === '>>' || two === '>&') {
        tokens.push(two)
        i++
      } else tokens.push(ch === '\n' ? ';' : ch)
    } else if (ch === '2' && !inWord && script[i + 1] === '>') {
      if (script.slice(i, i + 4) === '2>&1') {
        tokens.push('2>&1')
        i += 3
      } else {
        tokens.push('2>')
        i++
      }
    } else if (ch === '$') {
      const m = /^\$(\?|\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/.exec(script.slice(i))
      if (m === null) current += ch
      else {
        current += expand(m[0])
        i += m[0].length - 1
      }
      inWord = true
    } else {
      current += ch
      inWord = true
    }
  }
  if (inWord) tokens.push(current)
  return tokens
}

interface Simple {
  argv: string[]
  stdoutFile?: { path: string; append: boolean }
  stdinFile?: string
  stderrToNull?: boolean
  stderrToStdout?: boolean
  stdoutToStderr?: boolean
}

function parseSimple(tokens: string[]): Simple {
  const cmd: Simple = { argv: [] }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string
    if (t === '>' || t === '>>') cmd.stdoutFile = { path: tokens[++i] ?? '', append: t === '>>' }
    else if (t === '<') cmd.stdinFile = tokens[++i] ?? ''
    else if (t === '2>') {
      const target = tokens[++i]
      if (target === '/dev/null') cmd.stderrToNull = true
    } else if (t === '2>&1') cmd.stderrToStdout = true
    else if (t === '>&') {
      if (tokens[++i] === '2') cmd.stdoutToStderr = true
    } else cmd.argv.push(t)
  }
  return cmd
}

function nullSink(): Writable {
  const sink = new PassThrough()
  sink.resume()
  return sink
}

async function runSimple(cmd: Simple, ctx: CommandContext): Promise<number> {
  let stdout = ctx.stdout
  let stderr = ctx.stderr
  let stdin = ctx.stdin
  let fileOut: Writable | undefined
  if (cmd.stdoutFile !== undefined) {
    if (cmd.stdoutFile.path === '/dev/null') stdout = nullSink()
    else {
      try {
        fileOut = createWriteStream(host(ctx, cmd.stdoutFile.path, true), { flags: cmd.stdoutFile.append ? 'a' : 'w' })
      } catch (error) {
        return fail(ctx, 'sh', `can't create ${cmd.stdoutFile.path}: ${errno(error)}`, 2)
      }
      stdout = fileOut
    }
  }
  if (cmd.stdinFile !== undefined) {
    try {
      stdin =
        cmd.stdinFile === '/dev/null'
          ? (new PassThrough().end() as PassThrough)
          : createReadStream(host(ctx, cmd.stdinFile))
    } catch (error) {
      return fail(ctx, 'sh', `can't open ${cmd.stdinFile}: ${errno(error)}`, 2)
    }
  }
  if (cmd.stderrToNull === true) stderr = nullSink()
  if (cmd.stderrToStdout === true) stderr = stdout
  if (cmd.stdoutToStderr === true) stdout = stderr
  const status = await runCommand(cmd.argv, { ...ctx, stdin, stdout, stderr })
  if (fileOut !== undefined) await new Promise<void>((resolve) => fileOut.end(resolve))
  return status
}

async function runPipeline(parts: Simple[], ctx: CommandContext): Promise<number> {
  if (parts.length === 1) return runSimple(parts[0] as Simple, ctx)
  const statuses: Promise<number>[] = []
  let input = ctx.stdin
  parts.forEach((part, i) => {
    const last = i === parts.length - 1
    const out = last ? ctx.stdout : new PassThrough()
    const stageInput = input
    statuses.push(
      runSimple(part, { ...ctx, stdin: stageInput, stdout: out }).finally(() => {
        if (!last) out.end()
        if (i > 0) stageInput.resume()
      }),
    )
    if (!last) input = out as PassThrough
  })
  const results = await Promise.all(statuses)
  return results[results.length - 1] ?? 0
}

/** Runs an sh -c script: `;`, `&&`, `||`, pipelines and redirections. */
export async function runScript(script: string, ctx: CommandContext): Promise<number> {
  let status = 0
  const env = { ...ctx.env }
  const tokens = tokenize(script, env, -1)
  let i = 0
  let skip: 'and' | 'or' | undefined
  while (i < tokens.length) {
    const segment: string[] = []
    while (i < tokens.length && ![';', '&&', '||', '&'].includes(tokens[i] as string))
      segment.push(tokens[i++] as string)
    const op = tokens[i++]
    if (segment.length > 0 && skip === undefined) {
      const pipeline: Simple[] = []
      let current: string[] = []
      for (const raw of segment) {
        const t = raw.replaceAll(STATUS_MARK, String(status))
        if (t === '|') {
          pipeline.push(parseSimple(current))
          current = []
        } else current.push(t)
      }
      pipeline.push(parseSimple(current))
      try {
        status = await runPipeline(pipeline, { ...ctx, env })
      } catch (error) {
        if (error instanceof ExitError) return error.code
        throw error
      }
    }
    skip = op === '&&' && status !== 0 ? 'and' : op === '||' && status === 0 ? 'or' : undefined
    if (skip !== undefined && (op === ';' || op === undefined)) skip = undefined
  }
  return status
}

/** Runs one command line (argv) in the pod. Unknown commands answer 127 like a shell. */
export async function runCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const [name = '', ...args] = argv
  const base = name.split('/').pop() ?? name
  if (base === 'sh' || base === 'bash' || base === 'ash') {
    const flag = args.indexOf('-c')
    if (flag >= 0) return runScript(args[flag + 1] ?? '', ctx)
    return runScript((await readAll(ctx.stdin)).toString('utf8'), ctx)
  }
  if (base === '[') return (BUILTINS.test as Builtin)(args, ctx)
  const builtin = BUILTINS[base]
  if (builtin === undefined) {
    await write(ctx.stderr, `sh: ${name}: not found\n`)
    return 127
  }
  try {
    return await builtin(args, ctx)
  } catch (error) {
    if (error instanceof ExitError) throw error
    if (error instanceof PodFsError) return fail(ctx, base, error.message)
    return fail(ctx, base, errno(error))
  }
}

export function isKnownCommand(name: string): boolean {
  const base = name.split('/').pop() ?? name
  return base in BUILTINS || base === 'sh' || base === 'bash' || base === '['
}

/** Runs a simulated container's command to completion and returns its exit code and combined output. */
export async function runContainer(options: {
  command: string[]
  env: Record<string, string>
  fs: PodFs
  cwd?: string
  signal?: AbortSignal
}): Promise<{ exitCode: number; output: string }> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => {
    if (chunks.reduce((n, b) => n + b.length, 0) < 1024 * 1024) chunks.push(c)
  })
  const stdin = new PassThrough()
  stdin.end()
  let exitCode: number
  try {
    exitCode = await runCommand(options.command, {
      fs: options.fs,
      cwd: options.cwd ?? '/',
      env: options.env,
      stdin,
      stdout: out,
      stderr: out,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
  } catch (error) {
    exitCode = error instanceof ExitError ? error.code : 1
  }
  return { exitCode, output: Buffer.concat(chunks).toString('utf8') }
}
