import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type * as WsModule from 'ws'

/**
 * The `ws` package's WebSocketServer, with client frames unmasked a 32-bit word at a time. Every frame a client sends
 * is masked (RFC 6455 5.3), and without its optional native helper (which neither bed installs) `ws` unmasks in a
 * JavaScript loop one byte at a time: 1.5 s of the simulator's CPU per GiB uploaded, the same for `kubectl cp` and
 * for our plugins, on a machine where that CPU is taken from both. Both beds' exec servers (the simulator's API
 * server and the node agent) take the server from here, so the speed-up is the same for every client.
 *
 * `ws` reads `unmask` from its buffer-util module once, when its receiver loads, so the faster one is put there
 * before `ws` is first required. If something loaded `ws` earlier in this process (a test that imports it itself),
 * its own loop stays in use: slower, never different.
 */
const require = createRequire(import.meta.url)
const lib = join(dirname(require.resolve('ws')), 'lib')
if (require.cache[join(lib, 'receiver.js')] === undefined) {
  const bufferUtil = require(join(lib, 'buffer-util.js')) as { unmask: (buffer: Buffer, mask: Buffer) => void }
  bufferUtil.unmask = unmaskWords
}

/** XORs `buffer` in place with the 4-byte `mask` (byte i with mask[i % 4]): aligned 32-bit words, the ends by byte. */
export function unmaskWords(buffer: Buffer, mask: Buffer): void {
  const length = buffer.length
  // A payload is a view into whatever the socket read, so its start is not necessarily 4-byte aligned.
  const head = Math.min(length, (4 - (buffer.byteOffset & 3)) & 3)
  for (let i = 0; i < head; i++) buffer[i] = (buffer[i] as number) ^ (mask[i & 3] as number)
  const words = (length - head) >>> 2
  if (words > 0) {
    // The mask as it lines up from byte `head`, in the platform's byte order (what an Int32Array reads).
    const rotated = new Uint8Array(4)
    for (let k = 0; k < 4; k++) rotated[k] = mask[(head + k) & 3] as number
    const key = new Int32Array(rotated.buffer)[0] as number
    const view = new Int32Array(buffer.buffer, buffer.byteOffset + head, words)
    for (let w = 0; w < words; w++) view[w] = (view[w] as number) ^ key
  }
  for (let i = head + words * 4; i < length; i++) buffer[i] = (buffer[i] as number) ^ (mask[i & 3] as number)
}

export const WebSocketServer: typeof WsModule.WebSocketServer = (require('ws') as typeof WsModule).WebSocketServer
