import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { probe } from '../support/probe.ts'

/**
 * Proxies as kubectl honours them: HTTPS_PROXY (unless NO_PROXY matches) and the cluster's proxy-url, both through
 * an HTTP CONNECT tunnel, with TLS to the API server inside it.
 */
let sim: Sim
let proxy: Server
let proxyUrl: string
const tunnels: string[] = []

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: false })
  proxy = createServer()
  proxy.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '')
    const [host = '', port = ''] = (req.url ?? '').split(':')
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`
})

afterAll(async () => {
  proxy.closeAllConnections()
  await new Promise((resolve) => proxy.close(resolve))
  await sim.stop()
})

describe('proxies', () => {
  it('HTTPS_PROXY tunnels every request through CONNECT', async () => {
    tunnels.length = 0
    const result = await probe(['pods', '-n', 'ml-team'], {
      KUBECONFIG: sim.writeKubeconfig({ user: 'admin' }),
      HTTPS_PROXY: proxyUrl,
    })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(tunnels).toContain(`127.0.0.1:${sim.port}`)
  })

  it('NO_PROXY bypasses the proxy for matching hosts', async () => {
    tunnels.length = 0
    const result = await probe(['pods', '-n', 'ml-team'], {
      KUBECONFIG: sim.writeKubeconfig({ user: 'admin' }),
      HTTPS_PROXY: proxyUrl,
      NO_PROXY: '127.0.0.1',
    })
    expect(result.code).toBe(0)
    expect(tunnels).toEqual([])
  })
})
