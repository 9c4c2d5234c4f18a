import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT_CODES } from '../../shared/errors.ts'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { probe } from '../support/probe.ts'
import { type Sshd, startSshd } from '../support/ssh/sshd.ts'

/**
 * --via-ssh for real: an OpenSSH server on loopback, a kubectl proxy it starts pointed at the simulated cluster,
 * and the plugin talking through the forwarded unix socket; afterwards nothing is left running.
 */
let sim: Sim
let sshd: Sshd

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: false })
  const remoteConfig = sim.writeKubeconfig({ user: 'admin', namespace: 'ml-team' })
  sshd = await startSshd({ env: { KUBECONFIG: remoteConfig } })
})

afterAll(async () => {
  await sshd?.stop()
  await sim?.stop()
})

function proxies(): string {
  try {
    return execFileSync('pgrep', ['-af', 'kubectl proxy --unix-socket=/tmp/kubectl-suite-'], { encoding: 'utf8' })
  } catch {
    return ''
  }
}

describe('--via-ssh', () => {
  it('lists pods through a remote kubectl proxy and leaves nothing behind', async () => {
    const env = { KUBECTL_SUITE_SSH_COMMAND: sshd.sshCommand }
    const result = await probe(['pods', '-n', 'ml-team', '--via-ssh', `${sshd.user}@127.0.0.1:${sshd.port}`], env)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout.trim().split('\n')).toHaveLength([...sim.store.all('pods', 'ml-team')].length)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(proxies()).toBe('')
  })

  it('the same through KUBECTL_SUITE_VIA_SSH', async () => {
    const result = await probe(['pods', '-n', 'ml-team'], {
      KUBECTL_SUITE_SSH_COMMAND: sshd.sshCommand,
      KUBECTL_SUITE_VIA_SSH: `${sshd.user}@127.0.0.1:${sshd.port}`,
    })
    expect(result.code).toBe(0)
  })

  it('an unreachable host is a connection error naming the target', async () => {
    const result = await probe(['pods', '--via-ssh', `${sshd.user}@127.0.0.1:1`], {
      KUBECTL_SUITE_SSH_COMMAND: sshd.sshCommand,
    })
    expect(result.code).toBe(EXIT_CODES.connection)
    expect(result.stderr.split('\n')[0]).toMatch(/^error: ssh tunnel to .*127\.0\.0\.1:1 failed/)
  })

  it('a malformed target is a usage error', async () => {
    const result = await probe(['pods', '--via-ssh', 'user@@host'], {})
    expect(result.code).toBe(EXIT_CODES.usage)
    expect(result.stderr).toMatch(/invalid --via-ssh target/)
  })
})
