import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { constants } from 'node:os'
import { join } from 'node:path'
import { type Readable, Transform, type Writable } from 'node:stream'
import { setuidProgram } from './setuid.ts'

/**
 * One bubblewrap sandbox running one real process: its own PID, network, IPC and UTS namespaces (so it sees only its
 * own processes, has no network but loopback, and has the pod's hostname), a new session, and it dies with us.
 * Killing the bwrap process kills the sandbox's PID 1 and with it every process inside.
 *
 * Who the process is, as on a real node: when we are root (CI), the sandbox has no user namespace, so a container's
 * uid is the host's uid. Its files on volumes belong to that uid, and a folder another uid owns refuses it. A
 * container that is not root (or has groups) starts through the runtime's static setuid program (setuid.ts), which
 * takes the groups, gid and uid and then runs the command; a root container keeps root with the container runtime's
 * default capabilities (DAC override and chown among them, as in a real container) or the ones its securityContext
 * asks for. When we are not root, a user namespace maps our uid to the container's, so every file looks like the
 * container's own: ownership and permissions cannot be tested that way.
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
  /** Supplementary groups (supplementalGroups, then fsGroup), none by default. */
  groups?: readonly number[]
  /** Capabilities of a root container, CAP_ names; the runtime default when absent. Non-root containers have none. */
  capabilities?: readonly string[]
  argv: readonly string[]
}

/** What containerd gives a container that asks for no capabilities (its default spec, as Docker's). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
]

/** A container's capabilities from its securityContext: the default set, less `drop` (ALL drops all), plus `add`. */
export function containerCapabilities(asked: { add?: readonly string[]; drop?: readonly string[] } = {}): string[] {
  const name = (c: string): string => {
    const upper = c.toUpperCase()
    return upper.startsWith('CAP_') ? upper : `CAP_${upper}`
  }
  const drop = new Set((asked.drop ?? []).map(name))
  const base = drop.has('CAP_ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.has(c))
  return [...new Set([...base, ...(asked.add ?? []).map(name)])]
}

/** Where the setuid program is bound in a sandbox: /dev is the sandbox's own tmpfs, so the container root gets nothing. */
export const SETUID_PATH = '/dev/.kubelet-setuid'

/** Whether sandboxes run with real host uids: only root can start one without a user namespace. */
export const realIdentity = (): boolean => process.getuid?.() === 0

/**
 * bwrap's arguments. With `real` (we are root) the sandbox keeps the host's identities: `real.setuid` is the host path
 * of the setuid program, needed when the container is not plain root (see above). Without it, a user namespace maps
 * us to the container's uid and gid.
 */
export function bwrapArgs(spec: SandboxSpec, real?: { setuid?: string }): string[] {
  const groups = spec.groups ?? []
  const setuid = real !== undefined && needsSetuid(spec) ? real.setuid : undefined
  if (real !== undefined && needsSetuid(spec) && setuid === undefined)
    throw new Error(`uid ${spec.uid} gid ${spec.gid} needs the setuid program`)
  const capabilities = new Set([
    ...(spec.uid === 0 ? (spec.capabilities ?? DEFAULT_CAPABILITIES) : []),
    // The setuid program needs these to change identity; changing the uid away from 0 clears them again.
    ...(setuid === undefined ? [] : ['CAP_SETUID', 'CAP_SETGID']),
  ])
  const identity =
    real === undefined
      ? ['--unshare-user', '--uid', String(spec.uid), '--gid', String(spec.gid)]
      : ['--cap-drop', 'ALL', ...[...capabilities].flatMap((c) => ['--cap-add', c])]
  const args = [
    ...identity,
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
    // As runc does: kernel settings are not a container's to change, and real root in here could otherwise.
    ...(real === undefined ? [] : ['--ro-bind', '/proc/sys', '/proc/sys']),
    '--dev',
    '/dev',
  ]
  for (const b of spec.binds) args.push(b.readOnly ? '--ro-bind' : '--bind', b.hostPath, b.path)
  if (setuid !== undefined) args.push('--ro-bind', setuid, SETUID_PATH)
  args.push('--chdir', spec.cwd, '--clearenv')
  for (const [k, v] of Object.entries(spec.env)) args.push('--setenv', k, v)
  args.push('--')
  if (setuid !== undefined)
    args.push(SETUID_PATH, String(spec.uid), String(spec.gid), groups.length === 0 ? '-' : groups.join(','), '--')
  args.push(...spec.argv)
  return args
}

/** Whether a real-identity sandbox must change identity after bwrap (which starts it as root, group root). */
function needsSetuid(spec: SandboxSpec): boolean {
  return spec.uid !== 0 || spec.gid !== 0 || (spec.groups ?? []).length > 0
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
  const real = realIdentity() ? (needsSetuid(spec) ? { setuid: setuidProgram() } : {}) : undefined
  const child: ChildProcess = spawn('bwrap', bwrapArgs(spec, real), {
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
