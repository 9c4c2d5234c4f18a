import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SuiteError } from '../errors.ts'

/**
 * The SSH connection mode (ae5-tools' `--k8s-endpoint=ssh:<user>` idea, done safely): a `kubectl proxy` started on
 * the remote host listens on a remote unix socket, ssh forwards a local unix socket in a private 0700 folder to
 * it, and the plugin speaks plain HTTP over that socket. Unix sockets on both ends mean no TCP port races and no
 * port that other local users could reach. Closing our end of ssh's stdin stops the remote proxy.
 */
export interface SshTunnel {
  socketPath: string
  target: string
  close(): Promise<void>
}

export interface SshTunnelOptions {
  target: string
  /** KUBECTL_SUITE_SSH_COMMAND, like GIT_SSH_COMMAND: an ssh command line with options. */
  sshCommand?: string
  remoteKubectl?: string
  remoteArgs?: string[]
  timeoutMs?: number
  log?: (line: string) => void
}

const TARGET_RE = /^(?:([^@\s]+)@)?(\[[0-9a-fA-F:.]+\]|[^:@\s[\]]+)(?::(\d{1,5}))?$/

export function parseSshTarget(target: string): { user?: string; host: string; port?: string } {
  const m = TARGET_RE.exec(target)
  if (m === null || m[2] === undefined) {
    throw new SuiteError('usage', `invalid --via-ssh target "${target}": expected user@host[:port]`, {
      hint: 'e.g. --via-ssh admin@bastion.example.com:2222',
    })
  }
  return {
    ...(m[1] === undefined ? {} : { user: m[1] }),
    host: m[2].replace(/^\[|\]$/g, ''),
    ...(m[3] === undefined ? {} : { port: m[3] }),
  }
}

/** Splits a command line on spaces, honouring single and double quotes (enough for ssh options). */
export function splitCommandLine(line: string): string[] {
  const words: string[] = []
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g
  for (let m = re.exec(line); m !== null; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3] ?? '')
  return words
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`
}

export async function openSshTunnel(options: SshTunnelOptions): Promise<SshTunnel> {
  const { user, host, port } = parseSshTarget(options.target)
  const [ssh = 'ssh', ...sshArgs] = splitCommandLine(options.sshCommand ?? 'ssh')
  const dir = mkdtempSync(join(tmpdir(), 'kubectl-suite-ssh-'))
  const localSocket = join(dir, 'proxy.sock')
  const remoteSocket = `/tmp/kubectl-suite-${randomBytes(8).toString('hex')}.sock`
  const kubectl = [options.remoteKubectl ?? 'kubectl', ...(options.remoteArgs ?? [])].map(shellQuote).join(' ')
  // The proxy runs in the background; when our stdin closes, `cat` ends and the proxy and its socket go away.
  const remote = `${kubectl} proxy --unix-socket=${shellQuote(remoteSocket)} --disable-filter=true 2>&1 & pid=$!; cat >/dev/null; kill $pid 2>/dev/null; rm -f ${shellQuote(remoteSocket)}`
  const args = [
    ...sshArgs,
    '-o',
    'BatchMode=yes',
    '-o',
    'ExitOnForwardFailure=yes',
    '-o',
    'StreamLocalBindUnlink=yes',
    ...(port === undefined ? [] : ['-p', port]),
    '-L',
    `${localSocket}:${remoteSocket}`,
    user === undefined ? host : `${user}@${host}`,
    remote,
  ]
  options.log?.(`ssh ${args.join(' ')}`)
  const child: ChildProcess = spawn(ssh, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let lastLine = ''
  const cleanup = (): void => {
    child.stdin?.end()
    if (child.exitCode === null) child.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
  const onExit = (): void => cleanup()
  process.once('exit', onExit)
  const fail = (message: string): SuiteError => {
    cleanup()
    process.off('exit', onExit)
    return new SuiteError('connection', `ssh tunnel to ${options.target} failed: ${message}`, {
      hint: `check that \`ssh ${options.target} ${options.remoteKubectl ?? 'kubectl'} version\` works without a password`,
    })
  }
  await new Promise<void>((resolve, reject) => {
    let ready = false
    const timer = setTimeout(
      () => reject(fail(`no answer from the remote kubectl proxy within ${(options.timeoutMs ?? 15_000) / 1000}s`)),
      options.timeoutMs ?? 15_000,
    )
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lastLine = line.trim()
        if (line.includes('Starting to serve')) ready = true
      }
      if (ready) {
        // kubectl prints the line just before it listens; the forwarded socket appears once ssh binds it.
        const poll = setInterval(() => {
          if (existsSync(localSocket)) {
            clearInterval(poll)
            clearTimeout(timer)
            resolve()
          }
        }, 20)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(fail(error.code === 'ENOENT' ? `${ssh} is not installed` : error.message))
    })
    child.once('exit', (code) => {
      if (ready) return
      clearTimeout(timer)
      reject(fail(lastLine === '' ? `ssh exited with code ${code}` : lastLine))
    })
  })
  return {
    socketPath: localSocket,
    target: options.target,
    close: async () => {
      process.off('exit', onExit)
      child.stdin?.end()
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        const kill = setTimeout(() => child.kill('SIGTERM'), 3000)
        child.once('exit', () => {
          clearTimeout(kill)
          resolve()
        })
      })
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
