import { PassThrough, Writable } from 'node:stream'
import type { WebSocket } from 'ws'

/**
 * The Kubernetes remotecommand WebSocket protocols (channel.k8s.io v4 and v5): one channel byte before every
 * binary frame (0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize, 255 close), a metav1.Status on channel 3 at
 * the end, and with v5 a CLOSE frame that half-closes stdin so the command sees EOF.
 */
const PREFERENCE = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
]

/**
 * Thrown by a `run` callback when the command could not be started at all (the program is missing): the kubelet
 * answers that with an InternalError status rather than an exit code, and kubectl prints its message.
 */
export class ExecStartError extends Error {}

export function negotiateExecProtocol(offered: string[]): string | undefined {
  return PREFERENCE.find((p) => offered.includes(p))
}

export interface ExecIo {
  stdin: PassThrough
  stdout: Writable
  stderr: Writable
  signal: AbortSignal
}

function channelWriter(ws: WebSocket, channel: number): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (ws.readyState !== ws.OPEN) return done()
      ws.send(Buffer.concat([Buffer.from([channel]), chunk]), { binary: true }, () => {
        // Back-pressure: wait while the socket's buffer is large so a 1 GB stream never sits in memory.
        if (ws.bufferedAmount > 8 * 1024 * 1024) {
          const wait = setInterval(() => {
            if (ws.bufferedAmount < 1024 * 1024 || ws.readyState !== ws.OPEN) {
              clearInterval(wait)
              done()
            }
          }, 5)
        } else done()
      })
    },
  })
}

export async function serveExec(ws: WebSocket, protocol: string, run: (io: ExecIo) => Promise<number>): Promise<void> {
  const stdin = new PassThrough()
  const controller = new AbortController()
  const stdout = channelWriter(ws, 1)
  const stderr = channelWriter(ws, 2)
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const frame = isBinary ? data : Buffer.from(data.toString(), 'utf8')
    if (frame.length === 0) return
    const channel = frame[0]
    if (channel === 0) stdin.write(frame.subarray(1))
    else if (channel === 255 && frame[1] === 0) stdin.end()
  })
  ws.on('close', () => {
    stdin.end()
    controller.abort()
  })
  let code: number
  let startError: ExecStartError | undefined
  try {
    code = await run({ stdin, stdout, stderr, signal: controller.signal })
  } catch (error) {
    code = 126
    if (error instanceof ExecStartError) startError = error
    else stderr.write(`${(error as Error).message}\n`)
  }
  await new Promise<void>((resolve) => stdout.end(resolve))
  await new Promise<void>((resolve) => stderr.end(resolve))
  if (ws.readyState !== ws.OPEN) return
  if (protocol === 'v4.channel.k8s.io' || protocol === 'v5.channel.k8s.io') {
    const status =
      startError !== undefined
        ? {
            metadata: {},
            status: 'Failure',
            message: `Internal error occurred: ${startError.message}`,
            reason: 'InternalError',
            details: { causes: [{ message: startError.message }] },
            code: 500,
          }
        : code === 0
          ? { metadata: {}, status: 'Success' }
          : {
              metadata: {},
              status: 'Failure',
              message: `command terminated with non-zero exit code: error executing command, exit code ${code}`,
              reason: 'NonZeroExitCode',
              details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
            }
    ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]), { binary: true })
  } else if (code !== 0) {
    ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(`command terminated with non-zero exit code: ${code}`)]), {
      binary: true,
    })
  }
  ws.close(1000)
}
