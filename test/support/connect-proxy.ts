import { createServer } from 'node:http'
import { connect } from 'node:net'

/** An HTTP CONNECT proxy on loopback that records the target of every tunnel, for the proxy tests. */
export interface ConnectProxy {
  url: string
  /** `host:port` of each tunnel opened, in order; tests may empty it. */
  tunnels: string[]
  stop(): Promise<void>
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: string[] = []
  const proxy = createServer()
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
  return {
    url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`,
    tunnels,
    stop: async () => {
      proxy.closeAllConnections()
      await new Promise((resolve) => proxy.close(resolve))
    },
  }
}
