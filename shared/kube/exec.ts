import { Readable, Writable } from 'node:stream'
import { SuiteError } from '../errors.ts'
import { type ApiStatus, errorFromNetwork, errorFromStatus } from './api-errors.ts'
import type { Kube } from './connect.ts'
import { resourcePath } from './paths.ts'
import { type ChannelSocket, openChannelSocket, UpgradeRefused } from './websocket.ts'

/**
 * Runs a command in a container over the Kubernetes remotecommand WebSocket protocol (v5.channel.k8s.io, falling
 * back to v4): one channel byte before every frame (0 stdin, 1 stdout, 2 stderr, 3 status, 255 close). Streams,
 * never buffers: stdout pauses the socket when its reader is slow, and stdin waits while the socket's send buffer
 * is full, so gigabytes pass through in constant memory.
 */
export interface ExecOptions {
  namespace: string
  pod: string
  container?: string | undefined
  command: string[]
  stdin?: boolean
  /**
   * Ending stdin half-closes it (v5 CLOSE frame), so the command sees EOF; the default. False when the command ends
   * on its own after a known number of bytes (`head -c N | …`): ending stdin then sends nothing, so it works over v4.
   */
  halfClose?: boolean
  signal?: AbortSignal | undefined
  /** Told which stdin chunks have been copied into a frame, so their buffers can be filled again. */
  onSent?: (chunks: Buffer[]) => void
}

export interface ExecResult {
  /** 0 on success; the command's exit code otherwise (-1 when the server gave no code). */
  exitCode: number
  /** The server's status message on failure ("command terminated with non-zero exit code: …"). */
  message: string | undefined
}

export interface ExecSession {
  stdout: Readable
  stderr: Readable
  /** Present when `stdin: true`; ending it sends EOF to the command (v5 only). */
  stdin: Writable | undefined
  /** Settles when the command has finished and its output has been delivered. */
  result: Promise<ExecResult>
  /** Closes the connection at once (the command is then killed by the kubelet). */
  abort(): void
  /** The subprotocol the server chose: v4.channel.k8s.io (before 1.30) cannot half-close stdin. */
  protocol: string
}

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io']
const PING_INTERVAL_MS = 5_000
/** Output held before the socket is paused, and stdin queued before writes wait: small enough to die young. */
const HIGH_WATER = 2 * 1024 * 1024
const LOW_WATER = 1024 * 1024

interface ExecStatus {
  status?: string
  message?: string
  details?: { causes?: { reason?: string; message?: string }[] }
}

function exitCodeOf(status: ExecStatus): ExecResult {
  if (status.status === 'Success') return { exitCode: 0, message: undefined }
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode')
  const code = cause?.message === undefined ? -1 : Number.parseInt(cause.message, 10)
  return { exitCode: Number.isNaN(code) ? -1 : code, message: status.message }
}

/** The one-line error for an exec stream cut before the command finished. */
export function cutError(): SuiteError {
  return new SuiteError(
    'connection',
    'the connection to the API server was cut before the command in the pod finished',
    {
      hint: 'run it again; nothing was kept (a proxy or load balancer may cut long streams)',
    },
  )
}

export async function execInPod(kube: Kube, options: ExecOptions): Promise<ExecSession> {
  const ws = await kube.transport.websocketOptions()
  const query = new URLSearchParams()
  for (const word of options.command) query.append('command', word)
  if (options.container !== undefined) query.set('container', options.container)
  query.set('stdout', 'true')
  query.set('stderr', 'true')
  if (options.stdin === true) query.set('stdin', 'true')
  const path = `${resourcePath({ plural: 'pods', namespace: options.namespace, name: options.pod, subresource: 'exec' })}?${query}`
  const url =
    ws.socketPath === undefined ? `${ws.url.replace(/\/+$/, '')}${path}` : `ws+unix://${ws.socketPath}:${path}`
  const context = { verb: 'create', resource: 'pods/exec', namespace: options.namespace, name: options.pod }
  const openedAt = performance.now()
  let received = 0
  let sent = 0
  let paused = false
  let status: ExecResult | undefined
  let failure: SuiteError | undefined
  let closed!: () => void
  const ended = new Promise<void>((resolve) => {
    closed = resolve
  })
  const stdout = new Readable({
    highWaterMark: HIGH_WATER,
    read() {
      if (paused) {
        paused = false
        socket?.resume()
      }
    },
  })
  const stderr = new Readable({ read() {} })
  const statusParts: Buffer[] = []
  let socket: ChannelSocket | undefined
  const abortEarly = (): void => socket?.terminate()
  options.signal?.addEventListener('abort', abortEarly, { once: true })
  try {
    socket = await openChannelSocket(
      { url, protocols: PROTOCOLS, headers: ws.headers, tls: ws.tls, agent: ws.agent },
      {
        data(channel, payload) {
          received += payload.length
          if (channel === 1) {
            if (!stdout.push(payload)) {
              paused = true
              socket?.pause()
            }
          } else if (channel === 2) stderr.push(payload)
          else if (channel === 3) statusParts.push(payload)
        },
        end(channel) {
          if (channel !== 3) return
          const text = Buffer.concat(statusParts.splice(0)).toString('utf8')
          try {
            status = exitCodeOf(JSON.parse(text) as ExecStatus)
          } catch {
            status = { exitCode: -1, message: text }
          }
        },
        close() {
          closed()
        },
      },
    )
  } catch (error) {
    ws.agent?.destroy()
    options.signal?.removeEventListener('abort', abortEarly)
    if (options.signal?.aborted === true) throw new SuiteError('interrupted', 'interrupted')
    if (error instanceof UpgradeRefused) {
      let body: ApiStatus | undefined
      try {
        body = JSON.parse(error.body.toString('utf8')) as ApiStatus
      } catch {
        body = undefined
      }
      throw errorFromStatus(error.status, body, context, kube.transport.target)
    }
    throw errorFromNetwork(error, context, kube.transport.target, 0)
  }
  const open = socket
  // client-go pings every 5 s: a load balancer's idle timeout must not cut a long, silent sha256sum.
  const keepalive = setInterval(() => open.ping(), PING_INTERVAL_MS)
  keepalive.unref()

  const result = ended.then(() => {
    clearInterval(keepalive)
    ws.agent?.destroy()
    options.signal?.removeEventListener('abort', abortEarly)
    stdout.push(null)
    stderr.push(null)
    kube.transport.trace(
      `exec ${options.command[0]} in ${options.pod}: ${status === undefined ? 'no status' : `exit ${status.exitCode}`}, ${received} bytes out, ${sent} bytes in, ${Math.round(performance.now() - openedAt)} ms`,
    )
    if (failure !== undefined) throw failure
    if (options.signal?.aborted === true) throw new SuiteError('interrupted', 'interrupted')
    if (status !== undefined) return status
    // v4 and v5 always end with a status: a close without one is a cut connection (a proxy, a restarting server).
    throw cutError()
  })
  // The promise is awaited by the caller; until then a rejection must not count as unhandled.
  result.catch(() => undefined)
  const abort = (): void => open.terminate()

  let stdin: Writable | undefined
  if (options.stdin === true) {
    const waitForRoom = (done: (error?: Error | null) => void) => (error?: Error | null) => {
      // ECANCELED, EPIPE, ECONNRESET: the socket went away under the write.
      if (error !== undefined && error !== null) return done(failure ?? cutError())
      if (open.bufferedAmount < HIGH_WATER) return done()
      // Told by the socket when its buffer is empty, rather than polled (every 2 ms before: a timer per wait, and
      // up to 2 ms of an idle socket each time).
      open.whenDrained(() => done())
    }
    stdin = new Writable({
      highWaterMark: LOW_WATER,
      // Chunks waiting together go out as one frame (up to 1 MiB): fewer frames, fewer writes on both ends.
      writev(chunks, done) {
        if (!open.open) return done(cutError())
        const parts = chunks.map((c) => c.chunk as Buffer)
        for (const part of parts) sent += part.length
        open.send(0, parts, waitForRoom(done))
        options.onSent?.(parts)
      },
      final(done) {
        if (options.halfClose === false) return done()
        if (open.protocol !== 'v5.channel.k8s.io') {
          done(
            new SuiteError('connection', 'the server cannot close stdin (it speaks only v4.channel.k8s.io)', {
              hint: 'upgrade the cluster to Kubernetes 1.30 or later',
            }),
          )
          return
        }
        // v5: a CLOSE message for channel 0 half-closes stdin, so the command sees end of input.
        open.sendRaw(Buffer.from([255, 0]), (error) => done(error ?? undefined))
      },
    })
  }
  return { stdout, stderr, stdin, result, abort, protocol: open.protocol }
}

/** Runs a command to completion and returns its output (for small outputs: listings, checksums). */
export async function execCapture(
  kube: Kube,
  options: ExecOptions,
): Promise<{ stdout: Buffer; stderr: string; exitCode: number; message: string | undefined; protocol: string }> {
  const session = await execInPod(kube, options)
  session.stdin?.end()
  const out: Buffer[] = []
  const err: Buffer[] = []
  session.stdout.on('data', (c: Buffer) => out.push(c))
  session.stderr.on('data', (c: Buffer) => err.push(c))
  const { exitCode, message } = await session.result
  return {
    stdout: Buffer.concat(out),
    stderr: Buffer.concat(err).toString('utf8'),
    exitCode,
    message,
    protocol: session.protocol,
  }
}
