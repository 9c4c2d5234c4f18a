import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aeSessionsRoot } from '../../plugins/ae-sessions/root.ts'
import { pvclaimRoot } from '../../plugins/pvclaim/root.ts'
import { createMemoryIo } from '../../shared/cli/memory-io.ts'
import { runPlugin } from '../../shared/cli/run.ts'
import { EXIT_CODES } from '../../shared/errors.ts'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { type ConnectProxy, startConnectProxy } from '../support/connect-proxy.ts'

/**
 * Streams go as the same user and the same way as plain requests: exec and log streams carry the impersonation
 * headers of --as/--as-group, and exec goes through the HTTP CONNECT proxy that REST calls use. Both were
 * dropped on streams before, so an impersonated user without pods/exec could still upload, and a cluster behind
 * a proxy could be listed but not transferred to.
 */
const ML = 'ml-team'
const AE5 = 'anaconda-enterprise'
let sim: Sim
let admin: string
let work: string
let proxy: ConnectProxy

async function plugin(
  root: typeof pvclaimRoot,
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = createMemoryIo({ env: { KUBECONFIG: admin, ...env } })
  const code = await runPlugin(root, { name: 'kubectl plugin', version: '0.0.0', io, argv })
  return { code, stdout: io.stdout(), stderr: io.stderr() }
}

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: true })
  admin = sim.writeKubeconfig({ user: 'admin', namespace: ML })
  work = mkdtempSync(join(tmpdir(), 'exec-identity-'))
  proxy = await startConnectProxy()
})

afterAll(async () => {
  await proxy.stop()
  await sim.stop()
  rmSync(work, { recursive: true, force: true })
})

describe('identity on streams', () => {
  it('an exec as an impersonated user who may not exec is refused (exit 6), not run as the caller', async () => {
    // viewer reads everything (so the claim and its consumer pod are found) but may not create pods/exec.
    const result = await plugin(pvclaimRoot, [
      'download',
      'results',
      'README.txt',
      join(work, 'as-viewer'),
      '--as',
      'viewer',
      '--as-group',
      'viewers',
    ])
    expect(result.code, result.stderr).toBe(EXIT_CODES.forbidden)
    expect(result.stderr).toMatch(/viewer.*pods\/exec|pods\/exec.*viewer/)
  })

  it('the same download as the caller works, so the refusal above is the identity', async () => {
    const result = await plugin(pvclaimRoot, ['download', 'results', 'README.txt', join(work, 'as-admin')])
    expect(result.code, result.stderr).toBe(0)
    expect(readFileSync(join(work, 'as-admin', 'README.txt'), 'utf8')).toBe('experiment results\n')
  })

  it('a log stream carries --as: the server sees the impersonated user', async () => {
    const run = [...sim.store.all('pods', AE5)].find((p) =>
      p.metadata.labels?.['job-name']?.startsWith('anaconda-job-'),
    )
    const id = `a2-${run?.metadata.labels?.['job-name']?.slice('anaconda-job-'.length)}`
    sim.requests.length = 0
    const result = await plugin(aeSessionsRoot, ['logs', id, '-n', AE5, '--as', 'alice', '--as-group', 'data-science'])
    expect(result.code, result.stderr).toBe(0)
    const logRequests = sim.requests.filter((r) => r.path.endsWith('/log'))
    expect(logRequests.length).toBeGreaterThan(0)
    expect(logRequests.map((r) => r.user)).toEqual(logRequests.map(() => 'alice'))
  })
})

describe('exec through a proxy', () => {
  it('HTTPS_PROXY tunnels the exec stream through CONNECT, as it does REST calls', async () => {
    proxy.tunnels.length = 0
    const result = await plugin(pvclaimRoot, ['download', 'results', 'README.txt', join(work, 'via-proxy')], {
      HTTPS_PROXY: proxy.url,
    })
    expect(result.code, result.stderr).toBe(0)
    expect(readFileSync(join(work, 'via-proxy', 'README.txt'), 'utf8')).toBe('experiment results\n')
    // One tunnel for the REST calls' kept-alive sockets and one per exec stream at least.
    expect(proxy.tunnels.filter((t) => t === `127.0.0.1:${sim.port}`).length).toBeGreaterThanOrEqual(2)
    expect(sim.requests.some((r) => r.path.endsWith('/exec') && r.status === 101)).toBe(true)
  })
})
