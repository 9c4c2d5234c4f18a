import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

/**
 * A real OpenSSH server on loopback for the SSH-mode tests: fresh host and user keys, key auth only, a temporary
 * config; `env` is set for sessions with SetEnv (e.g. the KUBECONFIG the remote kubectl proxy should use).
 */
export interface Sshd {
  port: number
  user: string
  /** A command line for KUBECTL_SUITE_SSH_COMMAND that trusts this server and uses its key. */
  sshCommand: string
  stop(): Promise<void>
}

const SSHD = '/usr/sbin/sshd'

export function sshdAvailable(): boolean {
  return existsSync(SSHD)
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end()
        resolve(true)
      })
      socket.on('error', () => resolve(false))
    })
    if (open) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`sshd did not listen on port ${port}`)
}

export async function startSshd(options: { env?: Record<string, string> } = {}): Promise<Sshd> {
  if (!sshdAvailable()) throw new Error('sshd is not installed: apt-get install openssh-server (.ci/run installs it)')
  const dir = mkdtempSync(join(tmpdir(), 'sshd-'))
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')])
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'user_key')])
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')))
  mkdirSync('/run/sshd', { recursive: true })
  const port = await freePort()
  const setEnv = Object.entries(options.env ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'AllowStreamLocalForwarding yes',
      'AllowTcpForwarding yes',
      'LogLevel ERROR',
      ...(setEnv === '' ? [] : [`SetEnv ${setEnv}`]),
      '',
    ].join('\n'),
  )
  const child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] })
  await waitForPort(port, 5000)
  const sshCommand = `ssh -i ${join(dir, 'user_key')} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`
  return {
    port,
    user: userInfo().username,
    sshCommand,
    stop: async () => {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      })
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
