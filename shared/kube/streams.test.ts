import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { stringify } from 'yaml'
import { connect } from './connect.ts'
import { execInPod } from './exec.ts'

/**
 * Streams (logs -f, exec) against a plain-HTTP server of our own: the same port rule and the same keepalive as
 * kubectl. Port 80 is bound on loopback, which needs root, as the tests run in CI.
 */
const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

function kubeconfigFor(server: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'streams-'))
  const path = join(dir, 'config')
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', namespace: 'ns' } }],
      'current-context': 'x',
    }),
  )
  return path
}

async function listen(server: Server, port: number): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  return (server.address() as { port: number }).port
}

describe('streams', () => {
  it('a stream to an http:// server without a port goes to port 80, as plain requests do', async () => {
    const seen: string[] = []
    await listen(
      createServer((req, res) => {
        seen.push(req.url ?? '')
        res.end('line\n')
      }),
      80,
    )
    const kube = await connect({}, { env: { KUBECONFIG: kubeconfigFor('http://127.0.0.1') }, stdinIsTTY: false })
    try {
      const stream = await kube.transport.stream({
        path: '/api/v1/namespaces/ns/pods/p/log',
        context: { verb: 'get', resource: 'pods/log', namespace: 'ns', name: 'p' },
      })
      let text = ''
      for await (const chunk of stream) text += String(chunk)
      expect(text).toBe('line\n')
      expect(seen).toEqual(['/api/v1/namespaces/ns/pods/p/log'])
    } finally {
      await kube.close()
    }
  })

  it('exec pings a silent connection, as client-go does every 5 s, so idle timeouts do not cut it', async () => {
    const pings: number[] = []
    const http = createServer()
    const wss = new WebSocketServer({ server: http, handleProtocols: () => 'v5.channel.k8s.io' })
    wss.on('connection', (socket, req: IncomingMessage) => {
      expect(req.url).toContain('/exec?')
      socket.on('ping', () => pings.push(Date.now()))
      // Silent for 11 s (a long sha256sum), then the status and close.
      setTimeout(() => {
        socket.send(Buffer.concat([Buffer.from([3]), Buffer.from('{"status":"Success"}')]))
        socket.close()
      }, 11_000)
    })
    const port = await listen(http, 0)
    const kube = await connect(
      {},
      { env: { KUBECONFIG: kubeconfigFor(`http://127.0.0.1:${port}`) }, stdinIsTTY: false },
    )
    try {
      const session = await execInPod(kube, { namespace: 'ns', pod: 'p', command: ['sha256sum', 'big'] })
      session.stdout.resume()
      session.stderr.resume()
      expect((await session.result).exitCode).toBe(0)
      expect(pings.length).toBeGreaterThanOrEqual(2)
    } finally {
      await kube.close()
    }
  }, 20_000)
})
