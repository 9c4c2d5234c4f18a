import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import type { WebSocket } from 'ws'
import type { ExecResult } from './runtime.ts'

/**
 * The Kubernetes remotecommand WebSocket protocols (channel.k8s.io v4 and v5) between a client and a real process
 * the kubelet runtime started: one channel byte before every binary frame (0 stdin, 1 stdout, 2 stderr, 3 status,
 * 4 resize, 255 close), a metav1.Status on channel 3 at the end, and with v5 a CLOSE frame that half-closes stdin so
 * the command sees EOF. Streams flow with back-pressure both ways: a full process stdin pauses reading the socket, a
 * full socket pauses reading the process's output. Closing the socket kills the sandbox. Both beds serve exec with
 * it: the simulator's API server, and the real control plane's node agent (to which the real API server passes the
 * client's WebSocket through).
 */
const PREFERENCE = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
]

export function negotiateExecProtocol(offered: string[], spoken?: readonly string[]): string | undefined {
  return PREFERENCE.find((p) => offered.includes(p) && (spoken === undefined || spoken.includes(p)))
}

const HIGH_WATER = 4 * 1024 * 1024
const LOW_WATER = 512 * 1024
/** A pipe read is at most 64 KiB: one frame (channel byte + chunk) fits a slab; a larger chunk gets its own buffer. */
const SLAB = 64 * 1024 + 1

/**
 * A process's output as channel frames. Back-pressure is counted, not polled: bytes handed to the socket and not yet
 * written out (ws calls each send's callback once the socket has written it) pause the process's output above 4 MiB
 * and resume it below 512 KiB, as the callbacks come in. Frames are built in 64 KiB slabs used again once written:
 * a fresh buffer per chunk doubled what the process's reads allocate, and the simulator paid for that garbage with
 * full collections of its large heap (1.7 s per GiB downloaded, for `kubectl cp` and our plugins alike).
 */
function channelWriter(ws: WebSocket, channel: number): Writable {
  const slabs: Buffer[] = []
  let inFlight = 0
  let waiting: (() => void) | undefined
  const release = (): void => {
    if (waiting === undefined || (inFlight >= LOW_WATER && ws.readyState === ws.OPEN)) return
    const resume = waiting
    waiting = undefined
    resume()
  }
  ws.once('close', () => release())
  return new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _encoding, done) {
      if (ws.readyState !== ws.OPEN) return done()
      const size = chunk.length + 1
      const slab = size <= SLAB ? (slabs.pop() ?? Buffer.allocUnsafeSlow(SLAB)) : Buffer.allocUnsafe(size)
      slab[0] = channel
      chunk.copy(slab, 1)
      inFlight += size
      ws.send(slab.subarray(0, size), { binary: true }, () => {
        inFlight -= size
        if (slab.length === SLAB && slabs.length < HIGH_WATER / SLAB) slabs.push(slab)
        release()
      })
      // Back-pressure: a 1 GB stream never sits in memory; the next chunk waits until the socket has caught up.
      if (inFlight > HIGH_WATER) waiting = done
      else done()
    },
  })
}

function sendStatus(ws: WebSocket, protocol: string, status: Record<string, unknown> | undefined, code: number): void {
  if (ws.readyState !== ws.OPEN) return
  if (protocol === 'v4.channel.k8s.io' || protocol === 'v5.channel.k8s.io') {
    const body = status ?? { metadata: {}, status: 'Success' }
    ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(body))]), { binary: true })
  } else if (code !== 0 || status !== undefined) {
    const text = (status?.message as string | undefined) ?? `command terminated with non-zero exit code: ${code}`
    ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(text)]), { binary: true })
  }
}

/**
 * The Status a kubelet sends when the runtime cannot start the command (no exit code: it never ran): the kubelet
 * wraps containerd's error as "error executing command in container: …" in an InternalError
 * (k8s.io/kubelet pkg/cri/streaming/remotecommand/exec.go, ServeExec).
 */
export function internalErrorStatus(reason: string): Record<string, unknown> {
  const message = `error executing command in container: failed to exec in container: failed to start exec "${randomBytes(32).toString('hex')}": OCI runtime exec failed: exec failed: unable to start container process: ${reason}: unknown`
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  }
}

export function exitCodeStatus(argv: readonly string[], code: number): Record<string, unknown> {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  }
}

export async function serveExec(
  ws: WebSocket,
  protocol: string,
  argv: readonly string[],
  start: () => ExecResult,
  options: { stdin: boolean },
): Promise<void> {
  // The server opens each channel it writes with an empty frame, as the API server's translator does.
  for (const channel of [1, 2]) if (ws.readyState === ws.OPEN) ws.send(Buffer.from([channel]), { binary: true })
  let started: ExecResult
  try {
    started = start()
  } catch (error) {
    started = { error: (error as Error).message }
  }
  if ('error' in started) {
    sendStatus(ws, protocol, internalErrorStatus(started.error), 1)
    ws.close(1000)
    return
  }
  const child = started.process
  const stdout = channelWriter(ws, 1)
  const stderr = channelWriter(ws, 2)
  child.stdout.pipe(stdout)
  child.stderr.pipe(stderr)
  if (!options.stdin) child.stdin.end()
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const frame = isBinary ? data : Buffer.from(data.toString(), 'utf8')
    if (frame.length === 0) return
    const channel = frame[0]
    if (channel === 0) {
      if (frame.length === 1 || child.stdin.writableEnded) return
      if (!child.stdin.write(frame.subarray(1))) {
        ws.pause()
        child.stdin.once('drain', () => ws.resume())
      }
    } else if (channel === 255 && frame[1] === 0 && protocol === 'v5.channel.k8s.io') child.stdin.end()
  })
  ws.on('close', () => child.kill())
  ws.on('error', () => child.kill())
  const result = await child.exited
  await Promise.all([finished(stdout), finished(stderr)])
  if (result.startError !== undefined) sendStatus(ws, protocol, internalErrorStatus(result.startError), 1)
  else sendStatus(ws, protocol, result.code === 0 ? undefined : exitCodeStatus(argv, result.code), result.code)
  if (ws.readyState === ws.OPEN) ws.close(1000)
}

function finished(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableFinished) return resolve()
    stream.once('finish', () => resolve())
    stream.once('close', () => resolve())
    stream.once('error', () => resolve())
  })
}
