import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { appendFile, open, readFile } from 'node:fs/promises'
import { constants } from 'node:os'
import { join, posix } from 'node:path'
import { ExecStartError } from '../../sim/exec/protocol.ts'
import type {
  ContainerState,
  ContainerStats,
  ContainerToRun,
  ExecRequest,
  LogRequest,
  PodRunner,
  PodToRun,
} from './pod-runner.ts'

/**
 * Runs each container as a real host process inside a bubblewrap sandbox: its own PID and network namespaces, the
 * host's /usr read-only (there are no images: the image name is only reported back), a per-container writable
 * root folder (so files written by `kubectl cp` are still there for the next exec, as with an overlay upper
 * layer) and a bind mount per volume. Exec starts a second sandbox over the same root and mounts; it does not
 * join the container's namespaces, which is enough for commands that work on files. Logs are written in the
 * CRI format (RFC3339Nano timestamp, stream, tag, line) the kubelet reads back for /containerLogs.
 */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const PAGE_SIZE = 4096

interface RunningContainer {
  spec: ContainerToRun
  root: string
  logPath: string
  child?: ChildProcess
  state: ContainerState
  restartCount: number
  sequence: number
}

interface RunningPod {
  pod: PodToRun
  dir: string
  containers: Map<string, RunningContainer>
  onChange: () => void
  stopping: boolean
}

function rfc3339Nano(date: Date): string {
  // JavaScript has millisecond clocks; pad to nine digits so parsers expecting RFC3339Nano accept it.
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z')
}

/** Every descendant of a process, read from /proc (the sandbox's processes are ordinary host processes). */
function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(entry))
      children.set(ppid, list)
    } catch {
      // The process exited while we read.
    }
  }
  const result: number[] = []
  const queue = [rootPid]
  while (queue.length > 0) {
    const pid = queue.shift() as number
    result.push(pid)
    queue.push(...(children.get(pid) ?? []))
  }
  return result
}

function signalTree(rootPid: number, signal: NodeJS.Signals): void {
  for (const pid of processTree(rootPid).reverse()) {
    try {
      process.kill(pid, signal)
    } catch {
      // Already gone.
    }
  }
}

export class BwrapRunner implements PodRunner {
  private readonly pods = new Map<string, RunningPod>()
  private readonly baseDir: string

  constructor(baseDir: string) {
    this.baseDir = baseDir
    mkdirSync(baseDir, { recursive: true })
  }

  async start(pod: PodToRun, onChange: () => void): Promise<void> {
    const dir = join(this.baseDir, pod.uid)
    const running: RunningPod = { pod, dir, containers: new Map(), onChange, stopping: false }
    this.pods.set(pod.uid, running)
    mkdirSync(join(dir, 'logs'), { recursive: true })
    for (const spec of pod.containers) {
      const root = join(dir, 'roots', spec.name)
      prepareRoot(root)
      const container: RunningContainer = {
        spec,
        root,
        logPath: join(dir, 'logs', `${spec.name}.log`),
        state: { state: 'waiting', reason: 'ContainerCreating' },
        restartCount: 0,
        sequence: 0,
      }
      running.containers.set(spec.name, container)
      this.launch(running, container)
    }
  }

  private launch(pod: RunningPod, container: RunningContainer): void {
    const { spec } = container
    if (spec.argv.length === 0) {
      // There is no image to read an entrypoint from; say so the way the kubelet reports a config problem.
      container.state = {
        state: 'waiting',
        reason: 'CreateContainerError',
        message: 'no command given: this node agent runs host programs and cannot read an image entrypoint',
      }
      pod.onChange()
      return
    }
    const missing = resolveInRoot(container, spec.argv[0] as string) === undefined
    if (missing) {
      container.state = {
        state: 'waiting',
        reason: 'RunContainerError',
        message: `exec: "${spec.argv[0]}": executable file not found in $PATH`,
      }
      pod.onChange()
      return
    }
    const child = spawn('bwrap', [...sandboxArgs(container), '--', ...spec.argv], {
      env: { PATH: DEFAULT_PATH, HOSTNAME: pod.pod.name, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const startedAt = new Date()
    const id = `bwrap://${pod.pod.uid}/${spec.name}/${++container.sequence}`
    container.child = child
    container.state = { state: 'running', startedAt, id }
    const writeLog = logWriter(container.logPath)
    child.stdout?.on('data', (chunk: Buffer) => writeLog('stdout', chunk))
    child.stderr?.on('data', (chunk: Buffer) => writeLog('stderr', chunk))
    child.on('error', (error) => {
      container.state = { state: 'waiting', reason: 'RunContainerError', message: error.message }
      pod.onChange()
    })
    child.on('close', (code, signal) => {
      const exitCode = code ?? 128 + signalNumber(signal)
      void writeLog.flush().then(() => {
        container.child = undefined
        container.state = {
          state: 'terminated',
          exitCode,
          reason: exitCode === 0 ? 'Completed' : 'Error',
          startedAt,
          finishedAt: new Date(),
          id,
        }
        pod.onChange()
      })
    })
    pod.onChange()
  }

  states(uid: string): Map<string, ContainerState & { restartCount: number }> {
    const pod = this.pods.get(uid)
    const result = new Map<string, ContainerState & { restartCount: number }>()
    for (const [name, c] of pod?.containers ?? []) result.set(name, { ...c.state, restartCount: c.restartCount })
    return result
  }

  async restart(uid: string, name: string): Promise<void> {
    const pod = this.pods.get(uid)
    const container = pod?.containers.get(name)
    if (pod === undefined || container === undefined || pod.stopping || container.child !== undefined) return
    if (existsSync(container.logPath)) renameSync(container.logPath, `${container.logPath}.previous`)
    container.restartCount++
    this.launch(pod, container)
  }

  async stop(uid: string, gracePeriodSeconds: number): Promise<void> {
    const pod = this.pods.get(uid)
    if (pod === undefined) return
    pod.stopping = true
    const running = [...pod.containers.values()].filter((c) => c.child?.pid !== undefined)
    const exited = running.map(
      (c) =>
        new Promise<void>((resolve) => (c.child === undefined ? resolve() : c.child.once('close', () => resolve()))),
    )
    // The command is pid 2 under bwrap's own init, so it gets SIGTERM's default action like any process would.
    for (const c of running) signalTree(c.child?.pid as number, 'SIGTERM')
    const timer = setTimeout(() => {
      for (const c of running) if (c.child?.pid !== undefined) signalTree(c.child.pid, 'SIGKILL')
    }, Math.max(0, gracePeriodSeconds) * 1000)
    await Promise.all(exited)
    clearTimeout(timer)
  }

  async exec(uid: string, name: string, request: ExecRequest): Promise<number> {
    const container = this.pods.get(uid)?.containers.get(name)
    if (container === undefined || container.state.state !== 'running') {
      throw new ExecStartError(`container ${name} is not running`)
    }
    const program = request.argv[0]
    if (program === undefined || resolveInRoot(container, program) === undefined) {
      // The shape containerd/runc give through the kubelet for a program that is not there.
      throw new ExecStartError(
        `error executing command in container: failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: "${program}": executable file not found in $PATH: unknown`,
      )
    }
    const child = spawn('bwrap', [...sandboxArgs(container), '--', ...request.argv], {
      env: { PATH: DEFAULT_PATH, ...container.spec.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    request.stdin.pipe(child.stdin).on('error', () => {})
    child.stdin.on('error', () => {})
    child.stdout.pipe(request.stdout, { end: false })
    child.stderr.pipe(request.stderr, { end: false })
    const abort = (): void => signalTree(child.pid as number, 'SIGKILL')
    request.signal.addEventListener('abort', abort)
    return await new Promise<number>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', (code, signal) => {
        request.signal.removeEventListener('abort', abort)
        resolve(code ?? 128 + signalNumber(signal))
      })
    })
  }

  async logs(uid: string, name: string, request: LogRequest): Promise<void> {
    const container = this.pods.get(uid)?.containers.get(name)
    if (container === undefined) throw new Error(`container ${name} not found`)
    const path = request.previous ? `${container.logPath}.previous` : container.logPath
    if (request.previous && !existsSync(path)) {
      throw new Error(`previous terminated container "${name}" in pod "${this.pods.get(uid)?.pod.name}" not found`)
    }
    let written = 0
    const limit = request.limitBytes ?? Number.POSITIVE_INFINITY
    const emit = (line: string): boolean => {
      const parsed = parseCriLine(line)
      if (parsed === undefined) return true
      if (request.since !== undefined && new Date(parsed.time) < request.since) return true
      let text = request.timestamps ? `${parsed.time} ${parsed.content}` : parsed.content
      if (parsed.tag === 'F') text += '\n'
      const bytes = Buffer.from(text)
      const room = limit - written
      if (room <= 0) return false
      request.out.write(bytes.length > room ? bytes.subarray(0, room) : bytes)
      written += Math.min(bytes.length, room)
      return written < limit
    }
    const content = existsSync(path) ? await readFile(path, 'utf8') : ''
    let lines = content.split('\n').filter((l) => l !== '')
    if (request.tailLines !== undefined) lines = request.tailLines === 0 ? [] : lines.slice(-request.tailLines)
    for (const line of lines) if (!emit(line)) return
    if (!request.follow || request.previous) return
    let offset = Buffer.byteLength(content)
    let partial = ''
    while (!request.signal.aborted) {
      const size = existsSync(path) ? statSync(path).size : 0
      if (size > offset) {
        const handle = await open(path, 'r')
        const buffer = Buffer.alloc(size - offset)
        await handle.read(buffer, 0, buffer.length, offset)
        await handle.close()
        offset = size
        const text = partial + buffer.toString('utf8')
        const parts = text.split('\n')
        partial = parts.pop() ?? ''
        for (const line of parts) if (line !== '' && !emit(line)) return
      } else if (container.state.state !== 'running') {
        return
      }
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  stats(uid: string, name: string): ContainerStats | undefined {
    const container = this.pods.get(uid)?.containers.get(name)
    const pid = container?.child?.pid
    if (container === undefined || pid === undefined || container.state.state !== 'running') return undefined
    let cpuNanos = 0
    let rssPages = 0
    for (const p of processTree(pid)) {
      try {
        // schedstat's first field is time on CPU in nanoseconds: precise enough that a mostly idle container
        // still reports a non-zero, rising counter (metrics-server drops pods reporting zero).
        cpuNanos += Number(readFileSync(`/proc/${p}/schedstat`, 'utf8').split(' ')[0])
        rssPages += Number(readFileSync(`/proc/${p}/statm`, 'utf8').split(' ')[1])
      } catch {
        // Exited while we read.
      }
    }
    return { cpuSeconds: cpuNanos / 1e9, memoryBytes: rssPages * PAGE_SIZE, startedAt: container.state.startedAt }
  }

  async remove(uid: string): Promise<void> {
    const pod = this.pods.get(uid)
    if (pod === undefined) return
    await this.stop(uid, 0)
    this.pods.delete(uid)
    rmSync(pod.dir, { recursive: true, force: true })
  }
}

function prepareRoot(root: string): void {
  for (const dir of ['usr', 'tmp', 'proc', 'dev', 'etc', 'root', 'var/tmp'])
    mkdirSync(join(root, dir), { recursive: true })
  for (const [link, target] of [
    ['bin', 'usr/bin'],
    ['sbin', 'usr/sbin'],
    ['lib', 'usr/lib'],
    ['lib64', 'usr/lib64'],
  ] as const) {
    if (!existsSync(join(root, link))) symlinkSync(target, join(root, link))
  }
}

function sandboxArgs(container: RunningContainer): string[] {
  const args = [
    '--unshare-pid',
    '--unshare-net',
    '--die-with-parent',
    '--new-session',
    '--bind',
    container.root,
    '/',
    '--ro-bind',
    '/usr',
    '/usr',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--ro-bind-try',
    '/etc/passwd',
    '/etc/passwd',
    '--ro-bind-try',
    '/etc/group',
    '/etc/group',
  ]
  for (const mount of container.spec.mounts) {
    args.push(mount.readOnly ? '--ro-bind' : '--bind', mount.hostPath, mount.mountPath)
  }
  args.push('--chdir', container.spec.workingDir ?? '/')
  return args
}

/** Where a program named in argv[0] would be found inside the sandbox, as a host path (undefined: not there). */
function resolveInRoot(container: RunningContainer, program: string): string | undefined {
  const candidates = program.includes('/')
    ? [posix.resolve(container.spec.workingDir ?? '/', program)]
    : (container.spec.env.PATH ?? DEFAULT_PATH).split(':').map((dir) => posix.join(dir, program))
  for (const inside of candidates) {
    const host = hostPathFor(container, inside)
    try {
      if (statSync(host).isFile()) return host
    } catch {
      // Not here.
    }
  }
  return undefined
}

function hostPathFor(container: RunningContainer, inside: string): string {
  const mount = [...container.spec.mounts]
    .sort((a, b) => b.mountPath.length - a.mountPath.length)
    .find((m) => inside === m.mountPath || inside.startsWith(`${m.mountPath}/`))
  if (mount !== undefined) return join(mount.hostPath, inside.slice(mount.mountPath.length))
  // /bin, /sbin, /lib are symlinks to /usr/* as on the host; /usr itself is the host's.
  const usr = inside.replace(/^\/(bin|sbin|lib|lib64)\//, '/usr/$1/')
  if (usr.startsWith('/usr/')) return usr
  return join(container.root, inside)
}

function parseCriLine(line: string): { time: string; stream: string; tag: string; content: string } | undefined {
  const match = /^(\S+) (stdout|stderr) ([FP]) (.*)$/.exec(line)
  if (match === null) return undefined
  return { time: match[1] as string, stream: match[2] as string, tag: match[3] as string, content: match[4] as string }
}

/** Appends CRI-format lines; a partial last line waits for more output, and is written as P when flushed. */
function logWriter(path: string): ((stream: string, chunk: Buffer) => void) & { flush: () => Promise<void> } {
  const pending: Record<string, string> = { stdout: '', stderr: '' }
  let queue = Promise.resolve()
  const write = (stream: string, chunk: Buffer): void => {
    const text = (pending[stream] ?? '') + chunk.toString('utf8')
    const lines = text.split('\n')
    pending[stream] = lines.pop() ?? ''
    if (lines.length === 0) return
    const now = rfc3339Nano(new Date())
    const out = lines.map((l) => `${now} ${stream} F ${l}\n`).join('')
    queue = queue.then(() => appendFile(path, out))
  }
  write.flush = (): Promise<void> => {
    const now = rfc3339Nano(new Date())
    for (const stream of ['stdout', 'stderr']) {
      const rest = pending[stream]
      if (rest !== undefined && rest !== '') {
        pending[stream] = ''
        queue = queue.then(() => appendFile(path, `${now} ${stream} P ${rest}\n`))
      }
    }
    return queue
  }
  return write
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 1)
}
