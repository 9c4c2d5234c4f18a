import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { constants } from 'node:os'
import { join } from 'node:path'
import { type Readable, Transform, type Writable } from 'node:stream'

/**
 * One bubblewrap sandbox running one real process: its own user, PID, network, IPC and UTS namespaces (so it sees
 * only its own processes, has no network but loopback, and has the pod's hostname), a new session, and it dies with
 * us. Killing the bwrap process kills the sandbox's PID 1 and with it every process inside.
 */
export interface Bind {
  hostPath: string
  /** Where it appears inside the sandbox. */
  path: string
  readOnly: boolean
}

export interface SandboxSpec {
  /** The container's writable root folder on the host, bound at /. */
  root: string
  /** Binds in order: the image's programs first, then volumes (shorter mount paths first). */
  binds: readonly Bind[]
  env: Readonly<Record<string, string>>
  cwd: string
  hostname: string
  uid: number
  gid: number
  argv: readonly string[]
}

export function bwrapArgs(spec: SandboxSpec): string[] {
  const args = [
    '--unshare-user',
    '--uid',
    String(spec.uid),
    '--gid',
    String(spec.gid),
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--hostname',
    spec.hostname,
    '--die-with-parent',
    '--new-session',
    '--bind',
    spec.root,
    '/',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
  ]
  for (const b of spec.binds) args.push(b.readOnly ? '--ro-bind' : '--bind', b.hostPath, b.path)
  args.push('--chdir', spec.cwd, '--clearenv')
  for (const [k, v] of Object.entries(spec.env)) args.push('--setenv', k, v)
  args.push('--', ...spec.argv)
  return args
}

export interface SandboxProcess {
  pid: number
  stdin: Writable
  stdout: Readable
  /** The process's stderr, without bwrap's own message when the command could not start. */
  stderr: Readable
  /** Ends when the sandbox is gone: an exit code, or why the command never started (runtime error text). */
  exited: Promise<{ code: number; startError?: string }>
  kill(): void
}

/** The error text a container runtime gives when the command cannot start, from bwrap's own message. */
export function startErrorText(argv0: string, bwrapMessage: string): string {
  if (/^bwrap: execvp .*: No such file or directory$/.test(bwrapMessage))
    return argv0.includes('/')
      ? `exec: "${argv0}": stat ${argv0}: no such file or directory`
      : `exec: "${argv0}": executable file not found in $PATH`
  if (/^bwrap: execvp .*: Permission denied$/.test(bwrapMessage)) return `exec: "${argv0}": permission denied`
  return bwrapMessage
}

/** Process groups of sandboxes still running: killed when this process exits, whatever way it exits normally. */
const live = new Set<number>()
let exitHook = false

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

export function spawnSandbox(spec: SandboxSpec): SandboxProcess {
  if (!exitHook) {
    exitHook = true
    // --die-with-parent covers our death by a signal; this covers an exit with sandboxes nobody stopped.
    process.on('exit', () => {
      for (const pid of live) killGroup(pid)
    })
  }
  // The working directory is made if missing, as runc does: in the bind that holds it, else in the root.
  const holder = spec.binds
    .filter((b) => spec.cwd === b.path || spec.cwd.startsWith(`${b.path}/`))
    .sort((a, b) => b.path.length - a.path.length)[0]
  if (holder === undefined) mkdirSync(join(spec.root, spec.cwd), { recursive: true })
  else if (!holder.readOnly) mkdirSync(join(holder.hostPath, spec.cwd.slice(holder.path.length)), { recursive: true })
  const child: ChildProcess = spawn('bwrap', bwrapArgs(spec), {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  })
  let held: Buffer | undefined = Buffer.alloc(0)
  let startError: string | undefined
  const PREFIX = Buffer.from('bwrap: ')
  // bwrap writes "bwrap: …" and exits 1 when it cannot set up or exec; the command's own stderr starts after exec.
  const filter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (held === undefined) return done(null, chunk)
      held = Buffer.concat([held, chunk])
      const head = held.subarray(0, PREFIX.length)
      if (PREFIX.subarray(0, head.length).equals(head)) {
        if (held.length >= PREFIX.length && (held.includes(10) || held.length > 4096)) {
          startError = held.toString('utf8').split('\n')[0]
          held = undefined
        }
        return done()
      }
      const out = held
      held = undefined
      done(null, out)
    },
    flush(done) {
      if (held !== undefined && held.length > 0) this.push(held)
      held = undefined
      done()
    },
  })
  ;(child.stderr as Readable).pipe(filter)
  if (child.pid !== undefined) live.add(child.pid)
  const exited = new Promise<{ code: number; startError?: string }>((resolve) => {
    child.on('error', (error) => resolve({ code: 128, startError: `bwrap: ${error.message}` }))
    child.on('exit', () => {
      if (child.pid !== undefined) live.delete(child.pid)
    })
    child.on('close', (code, signal) => {
      const exitCode = code ?? 128 + (signal === null ? 9 : (constants.signals[signal] ?? 9))
      const argv0 = spec.argv[0] ?? ''
      resolve(
        startError !== undefined && exitCode === 1
          ? { code: 128, startError: startErrorText(argv0, startError) }
          : { code: exitCode },
      )
    })
  })
  // Writes to a process that is gone are not our error to raise.
  child.stdin?.on('error', () => {})
  return {
    pid: child.pid ?? -1,
    stdin: child.stdin as Writable,
    stdout: child.stdout as Readable,
    stderr: filter,
    exited,
    kill: () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
      killGroup(child.pid)
    },
  }
}
