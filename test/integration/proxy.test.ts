import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { type ConnectProxy, startConnectProxy } from '../support/connect-proxy.ts'
import { probe } from '../support/probe.ts'

/**
 * Proxies as kubectl honours them: HTTPS_PROXY (unless NO_PROXY matches) and the cluster's proxy-url, both through
 * an HTTP CONNECT tunnel, with TLS to the API server inside it.
 */
let sim: Sim
let proxy: ConnectProxy

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: false })
  proxy = await startConnectProxy()
})

afterAll(async () => {
  await proxy.stop()
  await sim.stop()
})

describe('proxies', () => {
  it('HTTPS_PROXY tunnels every request through CONNECT', async () => {
    proxy.tunnels.length = 0
    const result = await probe(['pods', '-n', 'ml-team'], {
      KUBECONFIG: sim.writeKubeconfig({ user: 'admin' }),
      HTTPS_PROXY: proxy.url,
    })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(proxy.tunnels).toContain(`127.0.0.1:${sim.port}`)
  })

  it('NO_PROXY bypasses the proxy for matching hosts', async () => {
    proxy.tunnels.length = 0
    const result = await probe(['pods', '-n', 'ml-team'], {
      KUBECONFIG: sim.writeKubeconfig({ user: 'admin' }),
      HTTPS_PROXY: proxy.url,
      NO_PROXY: '127.0.0.1',
    })
    expect(result.code).toBe(0)
    expect(proxy.tunnels).toEqual([])
  })
})
