import { posix } from 'node:path'
import { SuiteError } from '../errors.ts'
import type { Kube } from '../kube/connect.ts'
import { type ExecResult, execCapture } from '../kube/exec.ts'
import type { ClaimAccess } from './claim-pod.ts'

/**
 * The commands a transfer runs in the pod that reaches the claim, each one exec. A consumer pod that turns out not to
 * run them after all (its probe passed, then a binary was missing or would not start) raises {@link PodCannotRun},
 * which makes withClaimPod move the transfer to a helper pod.
 */
export interface Remote {
  kube: Kube
  access: ClaimAccess
  namespace: string
  signal?: AbortSignal | undefined
}

/**
 * A consumer pod could not run a command of the transfer: the exec failed with no exit code (the runtime's
 * InternalError: "executable file not found", a script whose interpreter is missing, permission denied) or the
 * shell said 126 (found, cannot run) or 127 (not found). The transfer is moved to a helper pod.
 */
export class PodCannotRun extends SuiteError {
  readonly pod: string
  readonly reason: string

  constructor(pod: string, reason: string) {
    super('invalid', `pod ${pod} cannot run the transfer: ${reason}`)
    this.pod = pod
    this.reason = reason
  }
}

/** Whether an exec's end means the command could not run at all, rather than that it ran and failed. */
export function couldNotRun(result: ExecResult): boolean {
  return result.exitCode === -1 || result.exitCode === 126 || result.exitCode === 127
}

/**
 * Throws {@link PodCannotRun} when a command in a consumer pod could not run; a helper pod's own failures are
 * errors of the transfer (it is the last resort), so they pass through to the caller's own check.
 */
export function checkRan(remote: Remote, command: readonly string[], result: ExecResult, stderr: string): void {
  if (remote.access.helper || !couldNotRun(result)) return
  const said = stderr.trim().split('\n')[0] || result.message || `exit code ${result.exitCode}`
  const how = result.exitCode === -1 ? 'failed' : `exited ${result.exitCode}`
  throw new PodCannotRun(remote.access.pod, `running ${command[0]} there ${how} (${said})`)
}

/** Runs a command to its end and returns its output, after {@link checkRan}. */
export async function run(
  remote: Remote,
  command: string[],
): Promise<{ stdout: Buffer; stderr: string; exitCode: number; message: string | undefined; protocol: string }> {
  const result = await execCapture(remote.kube, {
    namespace: remote.namespace,
    pod: remote.access.pod,
    container: remote.access.container,
    command,
    signal: remote.signal,
  })
  checkRan(remote, command, result, result.stderr)
  return result
}

/** Runs a command that must succeed; its stdout as text. */
export async function remote(remote: Remote, command: string[]): Promise<string> {
  const result = await run(remote, command)
  if (result.exitCode !== 0) {
    const reason = result.stderr.trim().split('\n')[0] || result.message || `exit code ${result.exitCode}`
    throw new SuiteError(
      /No such file/.test(reason) ? 'not-found' : 'invalid',
      `${command[0]} in pod ${remote.access.pod} failed: ${reason}`,
    )
  }
  return result.stdout.toString('utf8')
}

/**
 * Whether a consumer pod has what a transfer runs (one exec): a reason it cannot be used, or undefined. An image with
 * no shell (distroless) fails the exec itself, with no exit code; a missing tool exits 127 naming it.
 */
export function toolProbe(kube: Kube, namespace: string, tools: readonly string[], signal?: AbortSignal) {
  return async (access: ClaimAccess): Promise<string | undefined> => {
    const result = await execCapture(kube, {
      namespace,
      pod: access.pod,
      container: access.container,
      command: [
        'sh',
        '-c',
        'for t in "$@"; do command -v "$t" >/dev/null 2>&1 || { echo "$t"; exit 127; }; done',
        'sh',
        ...tools,
      ],
      signal,
    })
    if (result.exitCode === 0) return undefined
    const missing = result.stdout.toString('utf8').trim()
    if (result.exitCode === 127 && missing !== '') return `its image has no ${missing}`
    return `cannot run a shell there (${result.message ?? `exit code ${result.exitCode}`})`
  }
}

/**
 * The regular files under a path in the volume, counted once per inode (the names of a hard-linked file are one file,
 * as tar sends its content once), and their bytes. One exec whatever the number of files: `find -exec stat {} +`
 * batches the names itself, so no request carries a list of paths, and no name is ever parsed (only numbers come
 * back). GNU coreutils and busybox both have it (du is no good here: its byte count includes folders).
 */
export async function remoteTotals(r: Remote, path: string): Promise<{ files: number; bytes: number }> {
  const listing = await remote(r, ['find', path, '-type', 'f', '-exec', 'stat', '-c', '%d:%i %s', '{}', '+'])
  const inodes = new Map<string, number>()
  for (const line of listing.split('\n')) {
    const match = /^(\d+:\d+) (\d+)$/.exec(line)
    if (match !== null) inodes.set(match[1] as string, Number.parseInt(match[2] as string, 10))
  }
  let bytes = 0
  for (const size of inodes.values()) bytes += size
  return { files: inodes.size, bytes }
}

/** Undoes GNU sha256sum's escaping of a name (a line that starts with `\\` has `\\\\`, `\\n`, `\\r` in its name). */
function unescapeSumName(text: string, start: number): { name: string; end: number } | undefined {
  let name = ''
  for (let i = start; i < text.length; i++) {
    const c = text[i] as string
    if (c === '\n') return { name, end: i + 1 }
    if (c !== '\\') {
      name += c
      continue
    }
    const next = text[++i]
    if (next === '\\') name += '\\'
    else if (next === 'n') name += '\n'
    else if (next === 'r') name += '\r'
    else return undefined
  }
  return undefined
}

/**
 * Pairs `sha256sum` output with the names it was given, in order. A name may hold a newline (busybox prints it as
 * is) or a backslash (GNU escapes the line), so the output is read name by name, never split at newlines.
 */
export function parseSums(names: readonly string[], text: string): Map<string, string> | string {
  const hashes = new Map<string, string>()
  let at = 0
  for (const name of names) {
    const escaped = text[at] === '\\'
    if (escaped) at++
    const hash = text.slice(at, at + 64)
    if (!/^[0-9a-f]{64}$/.test(hash) || text[at + 64] !== ' ' || !' *'.includes(text[at + 65] ?? '')) return name
    at += 66
    if (escaped) {
      const parsed = unescapeSumName(text, at)
      if (parsed === undefined || parsed.name !== name) return name
      at = parsed.end
    } else {
      if (!text.startsWith(`${name}\n`, at)) return name
      at += name.length + 1
    }
    hashes.set(name, hash)
  }
  return hashes
}

/**
 * sha256 of every regular file under a path in the volume, keyed by path relative to `base`. The names come from
 * `find -print0` (NUL-separated: any byte but NUL and / may be in a name), the sums from `find -exec sha256sum {} +`
 * in the same order; a file without a sum is an error, never a file left unchecked.
 */
export async function remoteHashes(r: Remote, path: string, base: string): Promise<Map<string, string>> {
  const result = await run(r, [
    'sh',
    '-c',
    'find "$1" -type f -print0 && printf \'\\000\' && find "$1" -type f -exec sha256sum {} +',
    'sh',
    path,
  ])
  if (result.exitCode !== 0) {
    const reason = result.stderr.trim().split('\n')[0] || result.message || `exit code ${result.exitCode}`
    throw new SuiteError('invalid', `sha256sum in pod ${r.access.pod} failed: ${reason}`, {
      hint: 'the files changed while they were read, or the pod lacks sha256sum; run it again without --verify',
    })
  }
  const out = result.stdout
  const end = out[0] === 0 ? 0 : out.indexOf(Buffer.from([0, 0]))
  if (end < 0) throw new SuiteError('invalid', `cannot read the file list of ${path} in pod ${r.access.pod}`)
  const names = end === 0 ? [] : out.subarray(0, end).toString('utf8').split('\0')
  const sums = parseSums(names, out.subarray(end === 0 ? 1 : end + 2).toString('utf8'))
  if (typeof sums === 'string')
    throw new SuiteError('invalid', `${JSON.stringify(sums)} has no sha256 from the volume; it was not verified`, {
      hint: 'the files changed while they were read; run it again',
    })
  const byMember = new Map<string, string>()
  for (const [name, hash] of sums) byMember.set(posix.relative(base, name), hash)
  return byMember
}
