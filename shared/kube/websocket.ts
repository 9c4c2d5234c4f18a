import { createHash, randomBytes, randomFillSync } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type { Duplex } from 'node:stream'
import type tls from 'node:tls'

/**
 * A WebSocket client (RFC 6455) for the Kubernetes channel protocols, and nothing more: binary messages whose first
 * byte is a channel, pings, close. Our own rather than the `ws` package's because `ws` is slow exactly where a
 * transfer spends its bytes: it masks what it sends one byte at a time in JavaScript (1.2 s of CPU per 256 MiB sent,
 * the whole of an upload's client time; its native helper cannot go into our single-file binaries), and it copies
 * every received frame that spans TLS records into a new buffer (a download's garbage). Here the mask is applied a
 * 32-bit word at a time into the one buffer the frame is sent from, and received payloads are handed on as slices
 * of what the socket read, never joined.
 */
export interface ChannelSocketOptions {
  /** ws://, wss://, or ws+unix://SOCKET:PATH (a kubectl proxy at the end of an SSH tunnel). */
  url: string
  protocols: readonly string[]
  headers: Record<string, string | string[]>
  tls: tls.ConnectionOptions
  agent?: http.Agent | undefined
}

export interface ChannelSocketEvents {
  /** Bytes of a message on `channel` (the message's first byte), as they arrive; a message may come in pieces. */
  data(channel: number, payload: Buffer): void
  /** The message on `channel` is complete. */
  end(channel: number): void
  /** The connection ended (after a close frame or not). */
  close(): void
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
/** The size of the buffers frames are built in: a 1 MiB batch of stdin and the frame's header. */
export const FRAME_BUFFER = 1024 * 1024 + 64

/** The server answered the upgrade with a plain HTTP response (401, 403, 404…): its status and body. */
export class UpgradeRefused extends Error {
  readonly status: number
  readonly body: Buffer
  constructor(status: number, body: Buffer) {
    super(`the server refused the WebSocket upgrade with HTTP ${status}`)
    this.status = status
    this.body = body
  }
}

/** Random masking keys, drawn from a pool (one syscall per 256 frames). */
const pool = Buffer.alloc(1024)
let poolAt = pool.length

function maskKey(target: Buffer, at: number): void {
  if (poolAt === pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  pool.copy(target, at, poolAt, poolAt + 4)
  poolAt += 4
}

/**
 * One masked binary frame holding `prefix` and then `parts`, in a single buffer laid out so the payload starts on a
 * 4-byte boundary: the mask is XORed as 32-bit words (about 7× faster than byte by byte), the tail byte by byte.
 */
export function maskedFrame(
  opcode: number,
  prefix: Buffer | undefined,
  parts: readonly Buffer[],
  /** Where to build the frame when it fits (a buffer used again once the socket has sent the last frame in it). */
  into?: Buffer,
): Buffer {
  let length = prefix?.length ?? 0
  for (const part of parts) length += part.length
  const head = length < 126 ? 2 : length < 65_536 ? 4 : 10
  const pad = (4 - ((head + 4) % 4)) % 4
  const size = pad + head + 4 + length
  const frame = into !== undefined && into.length >= size ? into.subarray(0, size) : Buffer.allocUnsafeSlow(size)
  let at = pad
  frame[at] = 0x80 | opcode
  if (length < 126) frame[at + 1] = 0x80 | length
  else if (length < 65_536) {
    frame[at + 1] = 0x80 | 126
    frame.writeUInt16BE(length, at + 2)
  } else {
    frame[at + 1] = 0x80 | 127
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), at + 2)
    frame.writeUInt32BE(length >>> 0, at + 6)
  }
  at += head
  maskKey(frame, at)
  const key = frame.readUInt32LE(at)
  at += 4
  const start = at
  if (prefix !== undefined) {
    prefix.copy(frame, at)
    at += prefix.length
  }
  for (const part of parts) {
    part.copy(frame, at)
    at += part.length
  }
  const words = new Uint32Array(frame.buffer, frame.byteOffset + start, length >>> 2)
  for (let i = 0; i < words.length; i++) words[i] = (words[i] as number) ^ key
  for (let i = words.length * 4; i < length; i++)
    frame[start + i] = (frame[start + i] as number) ^ (frame[start - 4 + (i & 3)] as number)
  return frame.subarray(pad)
}

/** An open channel WebSocket: send, pause and resume reading, ping, close. */
export class ChannelSocket {
  readonly protocol: string
  private readonly socket: Duplex
  private readonly events: ChannelSocketEvents
  private closed = false
  // Frame parser state.
  private header = Buffer.alloc(0)
  private remaining = 0
  private opcode = 0
  private fin = false
  private inFrame = false
  /** The channel of the data message being received; -1 before its first byte. */
  private channel = -1
  private control: Buffer[] = []
  private readonly spares: Buffer[] = []

  constructor(socket: Duplex, protocol: string, head: Buffer, events: ChannelSocketEvents) {
    this.socket = socket
    this.protocol = protocol
    this.events = events
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('close', () => this.finish())
    socket.on('end', () => socket.end())
    socket.on('error', () => this.finish())
    if (head.length > 0) this.receive(head)
  }

  get open(): boolean {
    return !this.closed
  }

  /** Bytes written but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength
  }

  /** Calls `done` once everything written so far has been handed to the kernel (at once when nothing waits). */
  whenDrained(done: () => void): void {
    if (this.closed || this.socket.writableLength === 0) return done()
    const settle = (): void => {
      this.socket.off('drain', settle)
      this.socket.off('close', settle)
      done()
    }
    this.socket.on('drain', settle)
    this.socket.on('close', settle)
  }

  /** One binary message: the channel byte, then `parts` (joined into the frame, no copy of ours before it). */
  send(channel: number, parts: readonly Buffer[], done: (error?: Error | null) => void): void {
    if (this.closed) return done(new Error('the WebSocket is closed'))
    // Frames are built in buffers used again once written: a fresh megabyte per frame cost page faults and, as
    // external memory, frequent full collections (2 s per GiB uploaded).
    const spare = this.spares.pop() ?? Buffer.allocUnsafeSlow(FRAME_BUFFER)
    const frame = maskedFrame(0x2, Buffer.from([channel]), parts, spare)
    this.socket.write(frame, (error) => {
      if (this.spares.length < 8) this.spares.push(spare)
      done(error)
    })
  }

  /** A message of exactly these bytes (v5's CLOSE of a channel: [255, channel]). */
  sendRaw(bytes: Buffer, done: (error?: Error | null) => void): void {
    if (this.closed) return done(new Error('the WebSocket is closed'))
    this.socket.write(maskedFrame(0x2, undefined, [bytes]), (error) => done(error))
  }

  ping(): void {
    if (!this.closed) this.socket.write(maskedFrame(0x9, undefined, []))
  }

  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    this.socket.resume()
  }

  /** Ends the connection at once. */
  terminate(): void {
    this.socket.destroy()
    this.finish()
  }

  private finish(): void {
    if (this.closed) return
    this.closed = true
    this.socket.destroy()
    this.events.close()
  }

  private receive(chunk: Buffer): void {
    let at = 0
    while (at < chunk.length && !this.closed) {
      if (!this.inFrame) {
        // A header may straddle reads: gather just its bytes (at most 14).
        const need = this.headerLength()
        const take = Math.min(chunk.length - at, Math.max(need, 2) - this.header.length)
        this.header = Buffer.concat([this.header, chunk.subarray(at, at + take)])
        at += take
        if (this.header.length < 2 || this.header.length < this.headerLength()) continue
        this.startFrame()
        if (this.closed) return
        if (this.remaining === 0) this.endFrame()
        continue
      }
      const take = Math.min(this.remaining, chunk.length - at)
      const piece = chunk.subarray(at, at + take)
      at += take
      this.remaining -= take
      if (this.opcode >= 0x8) this.control.push(piece)
      else this.payload(piece)
      if (this.remaining === 0) this.endFrame()
    }
  }

  private headerLength(): number {
    if (this.header.length < 2) return 2
    const len = (this.header[1] as number) & 0x7f
    const masked = ((this.header[1] as number) & 0x80) !== 0
    return 2 + (len === 126 ? 2 : len === 127 ? 8 : 0) + (masked ? 4 : 0)
  }

  private startFrame(): void {
    const h = this.header
    this.header = Buffer.alloc(0)
    if (((h[1] as number) & 0x80) !== 0) {
      // A server never masks (RFC 6455 5.1): a peer that does is not one we understand.
      this.terminate()
      return
    }
    this.fin = ((h[0] as number) & 0x80) !== 0
    const opcode = (h[0] as number) & 0x0f
    if (opcode !== 0) this.opcode = opcode
    else if (this.opcode >= 0x8) this.opcode = 0
    const len = (h[1] as number) & 0x7f
    this.remaining =
      len === 126 ? h.readUInt16BE(2) : len === 127 ? h.readUInt32BE(2) * 2 ** 32 + h.readUInt32BE(6) : len
    if (opcode === 0x1 || opcode === 0x2) this.channel = -1
    this.inFrame = true
  }

  private payload(piece: Buffer): void {
    if (piece.length === 0) return
    let rest = piece
    if (this.channel < 0) {
      this.channel = rest[0] as number
      rest = rest.subarray(1)
    }
    if (rest.length > 0) this.events.data(this.channel, rest)
  }

  private endFrame(): void {
    this.inFrame = false
    if (this.opcode >= 0x8) {
      const body = Buffer.concat(this.control)
      this.control = []
      if (this.opcode === 0x9) this.socket.write(maskedFrame(0xa, undefined, [body]))
      else if (this.opcode === 0x8) {
        // Echo the close and end: the server closes the TCP connection after it.
        this.socket.write(maskedFrame(0x8, undefined, [body.subarray(0, 2)]))
        this.socket.end()
      }
      return
    }
    if (this.fin && this.channel >= 0) {
      const channel = this.channel
      this.channel = -1
      this.events.end(channel)
    }
  }
}

/**
 * Opens a channel WebSocket: the HTTP upgrade with our headers and TLS material (through the proxy agent when one
 * is given), checked as RFC 6455 asks (101, Sec-WebSocket-Accept, a protocol we offered).
 */
export function openChannelSocket(options: ChannelSocketOptions, events: ChannelSocketEvents): Promise<ChannelSocket> {
  const key = randomBytes(16).toString('base64')
  const headers: Record<string, string | string[]> = {
    ...options.headers,
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': key,
    'sec-websocket-protocol': options.protocols.join(', '),
  }
  let request: http.ClientRequest
  if (options.url.startsWith('ws+unix://')) {
    const rest = options.url.slice('ws+unix://'.length)
    const split = rest.indexOf(':')
    request = http.request({ socketPath: rest.slice(0, split), path: rest.slice(split + 1), headers })
  } else {
    const url = new URL(options.url)
    const secure = url.protocol === 'wss:'
    const common = {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      headers,
      agent: options.agent ?? false,
    }
    request = secure ? https.request({ ...common, ...options.tls }) : http.request(common)
  }
  return new Promise((resolve, reject) => {
    request.on('upgrade', (response, socket, head) => {
      const accept = createHash('sha1').update(`${key}${GUID}`).digest('base64')
      const protocol = String(response.headers['sec-websocket-protocol'] ?? '')
      if (response.headers['sec-websocket-accept'] !== accept || !options.protocols.includes(protocol)) {
        socket.destroy()
        reject(new Error('the server answered the WebSocket upgrade wrongly (accept key or protocol)'))
        return
      }
      ;(socket as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true)
      resolve(new ChannelSocket(socket, protocol, head, events))
    })
    request.on('response', (response) => {
      const chunks: Buffer[] = []
      response.on('data', (c: Buffer) => chunks.push(c))
      response.on('end', () => reject(new UpgradeRefused(response.statusCode ?? 0, Buffer.concat(chunks))))
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end()
  })
}
