import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { type WebSocket, WebSocketServer } from 'ws'
import { openChannelSocket } from './websocket.ts'

/**
 * Our channel WebSocket client against the `ws` package's server, an independent implementation that unmasks and
 * checks every frame we send: sizes across every header form and odd tails of the 32-bit mask, messages the server
 * splits into fragments, pings, the protocol the server picked, and a refused upgrade.
 */
const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function serve(onConnection: (socket: WebSocket) => void): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(403, { 'content-type': 'application/json' })
    res.end('{"kind":"Status","code":403}')
  })
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => [...protocols][1] ?? false })
  server.on('upgrade', (req, socket, head) => {
    if (req.url === '/refuse') {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}')
      return
    }
    wss.handleUpgrade(req, socket, head, onConnection)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `ws://127.0.0.1:${(server.address() as { port: number }).port}`
}

const SIZES = [0, 1, 2, 3, 5, 124, 125, 126, 127, 65_534, 65_535, 65_536, 70_001, 3 * 1024 * 1024 + 3]

describe('the channel WebSocket client', () => {
  it('sends masked frames the ws server reads byte for byte, and receives what it sends, in pieces', async () => {
    const seen: Buffer[] = []
    const url = await serve((socket) => {
      socket.on('message', (data: Buffer) => {
        seen.push(data)
        // Echo on channel 1, split into three fragments where it is long enough.
        const reply = Buffer.concat([Buffer.from([1]), data.subarray(1)])
        if (reply.length < 10) socket.send(reply)
        else {
          const third = Math.floor(reply.length / 3)
          socket.send(reply.subarray(0, third), { fin: false })
          socket.send(reply.subarray(third, 2 * third), { fin: false })
          socket.send(reply.subarray(2 * third), { fin: true })
        }
      })
    })
    const received: Buffer[][] = []
    let current: Buffer[] = []
    const ws = await openChannelSocket(
      { url: `${url}/exec`, protocols: ['v5.channel.k8s.io', 'v4.channel.k8s.io'], headers: {}, tls: {} },
      {
        data: (channel, payload) => {
          expect(channel).toBe(1)
          current.push(Buffer.from(payload))
        },
        end: () => {
          received.push(current)
          current = []
        },
        close: () => undefined,
      },
    )
    expect(ws.protocol).toBe('v4.channel.k8s.io')
    const sent = SIZES.map((n) => randomBytes(n))
    for (const [i, data] of sent.entries()) {
      // Some as one part, some in two parts that the frame joins.
      const parts = i % 2 === 0 ? [data] : [data.subarray(0, 1), data.subarray(1)]
      await new Promise<void>((resolve, reject) => ws.send(0, parts, (e) => (e ? reject(e) : resolve())))
    }
    const deadline = Date.now() + 10_000
    while (received.length < sent.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(seen.map((m) => m[0])).toEqual(sent.map(() => 0))
    expect(seen.map((m) => m.subarray(1).equals(sent[seen.indexOf(m)] as Buffer))).toEqual(sent.map(() => true))
    expect(received.map((pieces) => Buffer.concat(pieces).equals(sent[received.indexOf(pieces)] as Buffer))).toEqual(
      sent.map(() => true),
    )
    ws.terminate()
  })

  it('answers a ping with a pong of the same bytes, and ends when the server closes', async () => {
    const pong = new Promise<Buffer>((resolve) => {
      void serve((socket) => {
        socket.on('pong', (data: Buffer) => {
          resolve(data)
          socket.close(1000)
        })
        socket.ping(Buffer.from('are you there'))
      }).then((url) => {
        void openChannelSocket(
          { url, protocols: ['v5.channel.k8s.io', 'v4.channel.k8s.io'], headers: {}, tls: {} },
          { data: () => undefined, end: () => undefined, close: () => closed.resolve() },
        )
      })
    })
    const closed = Promise.withResolvers<void>()
    expect((await pong).toString()).toBe('are you there')
    await closed.promise
  })

  it('a refused upgrade rejects with the HTTP status and body', async () => {
    const url = await serve(() => undefined)
    await expect(
      openChannelSocket(
        { url: `${url}/refuse`, protocols: ['v5.channel.k8s.io'], headers: {}, tls: {} },
        { data: () => undefined, end: () => undefined, close: () => undefined },
      ),
    ).rejects.toMatchObject({ status: 403 })
  })
})
