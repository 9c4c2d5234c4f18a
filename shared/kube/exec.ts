import { Readable, Writable } from 'node:stream'
import { WebSocket } from 'ws'
import { SuiteError } from '../errors.ts'
import { type ApiStatus, errorFromNetwork, errorFromStatus } from './api-errors.ts'
import type { Kube } from './connect.ts'
import { resourcePath } from './paths.ts'

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
const HIGH_WATER = 8 * 1024 * 1024
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
  const socket = new WebSocket(url, PROTOCOLS, {
    headers: ws.headers,
    ...ws.tls,
    ...(ws.agent === undefined ? {} : { agent: ws.agent }),
    perMessageDeflate: false,
    maxPayload: 0,
  })
  // client-go pings every 5 s: a load balancer's idle timeout must not cut a long, silent sha256sum.
  const keepalive = setInterval(() => {
    if (socket.readyState === socket.OPEN) socket.ping()
  }, PING_INTERVAL_MS)
  keepalive.unref()
  socket.once('close', () => {
    clearInterval(keepalive)
    ws.agent?.destroy()
  })

  let paused = false
  const stdout = new Readable({
    highWaterMark: HIGH_WATER,
    read() {
      if (paused) {
        paused = false
        socket.resume()
      }
    },
  })
  const stderr = new Readable({ read() {} })
  let status: ExecResult | undefined
  let failure: SuiteError | undefined

  const result = new Promise<ExecResult>((resolve, reject) => {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const frame = isBinary ? data : Buffer.from(data.toString(), 'utf8')
      if (frame.length === 0) return
      const channel = frame[0]
      const payload = frame.subarray(1)
      if (channel === 1) {
        if (!stdout.push(payload)) {
          paused = true
          socket.pause()
        }
      } else if (channel === 2) stderr.push(payload)
      else if (channel === 3) {
        try {
          status = exitCodeOf(JSON.parse(payload.toString('utf8')) as ExecStatus)
        } catch {
          status = { exitCode: -1, message: payload.toString('utf8') }
        }
      }
    })
    socket.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        let body: ApiStatus | undefined
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ApiStatus
        } catch {
          body = undefined
        }
        failure = errorFromStatus(res.statusCode ?? 0, body, context, kube.transport.target)
        socket.terminate()
      })
    })
    socket.on('error', (error) => {
      failure ??= errorFromNetwork(error, context, kube.transport.target, 0)
    })
    socket.on('close', () => {
      stdout.push(null)
      stderr.push(null)
      if (failure !== undefined) reject(failure)
      else if (options.signal?.aborted === true) reject(new SuiteError('interrupted', 'interrupted'))
      else if (status !== undefined) resolve(status)
      // v4 and v5 always end with a status: a close without one is a cut connection (a proxy, a restarting server).
      else reject(cutError())
    })
  })
  // The promise is awaited by the caller; until then a rejection must not count as unhandled.
  result.catch(() => undefined)

  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('close', () =>
      reject(failure ?? new SuiteError('connection', 'the exec connection closed before it opened')),
    )
  })
  const abort = (): void => socket.terminate()
  options.signal?.addEventListener('abort', abort, { once: true })
  await opened.catch(async (error) => {
    await result.catch(() => undefined)
    throw failure ?? error
  })

  let stdin: Writable | undefined
  if (options.stdin === true) {
    stdin = new Writable({
      highWaterMark: LOW_WATER,
      write(chunk: Buffer, _encoding, done) {
        if (socket.readyState !== socket.OPEN) return done(cutError())
        socket.send(Buffer.concat([Buffer.from([0]), chunk]), { binary: true }, (error) => {
          // ECANCELED, EPIPE, ECONNRESET: the socket went away under the write.
          if (error !== undefined && error !== null) return done(failure ?? cutError())
          if (socket.bufferedAmount < HIGH_WATER) return done()
          const wait = setInterval(() => {
            if (socket.bufferedAmount < LOW_WATER || socket.readyState !== socket.OPEN) {
              clearInterval(wait)
              done()
            }
          }, 2)
        })
      },
      final(done) {
        if (options.halfClose === false) return done()
        if (socket.protocol !== 'v5.channel.k8s.io') {
          done(
            new SuiteError('connection', 'the server cannot close stdin (it speaks only v4.channel.k8s.io)', {
              hint: 'upgrade the cluster to Kubernetes 1.30 or later',
            }),
          )
          return
        }
        // v5: a CLOSE frame for channel 0 half-closes stdin, so the command sees end of input.
        socket.send(Buffer.from([255, 0]), { binary: true }, (error) => done(error ?? undefined))
      },
    })
  }
  return { stdout, stderr, stdin, result, abort, protocol: socket.protocol }
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
