import { readFileSync } from 'node:fs'
import type { Agent, ClientRequest, RequestOptions as HttpRequestOptions, IncomingHttpHeaders } from 'node:http'
import type { AgentOptions as HttpsAgentOptions } from 'node:https'
import { type Duplex, PassThrough, type Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import tls from 'node:tls'
import { SuiteError } from '../errors.ts'
import {
  errorFromNetwork,
  errorFromStatus,
  protocolError,
  type RequestContext,
  streamCutError,
  type Target,
} from './api-errors.ts'
import { MAX_DURATION_MS } from './config/duration.ts'
import type { ResolvedConnection } from './types.ts'

/**
 * node:http and node:https as CommonJS modules, not ES imports: an ES import of a built-in builds a facade that
 * reads every export, and node:http's lazy WebSocket getters then load undici, ~30 ms of every start from source
 * (the bundled binaries are CommonJS and never paid it). getBuiltinModule hands out the module without a facade.
 */
const http = process.getBuiltinModule('node:http')
const https = process.getBuiltinModule('node:https')

/**
 * Our own HTTP transport for the Kubernetes API. client-node 2.x builds a new undici Agent per request (no
 * keep-alive), has no request timeout, no retries, joins repeated Impersonate-Group headers into one line and
 * cannot let exec plugins reach the terminal; kubectl users expect all of those to work. So requests go through
 * one keep-alive agent here, and client-node is used for its API object types.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export type QueryValue = string | number | boolean | readonly string[] | undefined

export interface RequestOptions {
  method?: HttpMethod
  path: string
  query?: Record<string, QueryValue>
  body?: unknown
  contentType?: string
  accept?: string
  /** Overrides the connection's timeout; 0 = none (streams). */
  timeoutMs?: number
  context: RequestContext
  signal?: AbortSignal
}

export interface Credentials {
  headers: Record<string, string>
  /** Client certificate from an exec plugin, applied to the TLS agent. */
  cert?: Buffer
  key?: Buffer
}

export type CredentialSource = (options: { refresh: boolean }) => Promise<Credentials>

export const DEFAULT_TIMEOUT_MS = 60_000
/** requestTimeoutMs value for an explicit --request-timeout=0: wait as long as the server takes. */
export const NO_TIMEOUT = -1
const MAX_ATTEMPTS = 5
const MAX_RETRY_AFTER_MS = 10_000

export interface TransportOptions {
  connection: ResolvedConnection
  credentials: CredentialSource
  /** For --via-ssh: HTTP over a local unix socket that ends at a remote kubectl proxy. */
  socketPath?: string
  log?: (line: string) => void
  env?: NodeJS.ProcessEnv
}

function appendQuery(path: string, query: Record<string, QueryValue> | undefined): string {
  if (query === undefined) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value) params.append(key, v)
    else params.append(key, String(value))
  }
  const text = params.toString()
  return text === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${text}`
}

/** HTTPS_PROXY / NO_PROXY as Go's net/http reads them (upper case wins, `*` disables, suffix matches). */
export function proxyFor(server: URL, explicit: string | undefined, env: NodeJS.ProcessEnv): URL | undefined {
  if (explicit !== undefined && explicit !== '') return new URL(explicit)
  const proxy = server.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy)
  if (proxy === undefined || proxy === '') return undefined
  const noProxy = env.NO_PROXY ?? env.no_proxy ?? ''
  const host = server.hostname.replace(/^\[|\]$/g, '')
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim()
    if (entry === '') continue
    if (entry === '*') return undefined
    const [name = '', port] = entry.split(':')
    if (port !== undefined && port !== server.port) continue
    const bare = name.replace(/^\*?\./, '')
    if (host === bare || host.endsWith(`.${bare}`)) return undefined
  }
  return new URL(proxy.includes('://') ? proxy : `http://${proxy}`)
}

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

export class Transport {
  readonly connection: ResolvedConnection
  readonly target: Target
  private readonly credentials: CredentialSource
  private readonly socketPath: string | undefined
  private readonly log: (line: string) => void
  private readonly env: NodeJS.ProcessEnv
  private readonly server: URL
  private agent: Agent | undefined
  private agentCert: Buffer | undefined
  /**
   * Aborted by close(): requests still in flight are destroyed, retry waits end, and no new request starts, so
   * nothing keeps the process alive once the command has failed (a hung server used to double the wait).
   */
  private readonly closing = new AbortController()
  private readonly inFlight = new Set<ClientRequest>()

  constructor(options: TransportOptions) {
    this.connection = options.connection
    this.credentials = options.credentials
    this.socketPath = options.socketPath
    this.log = options.log ?? (() => {})
    this.env = options.env ?? process.env
    this.server = new URL(options.connection.cluster.server)
    this.target = {
      contextName: options.connection.contextName,
      server:
        options.socketPath === undefined
          ? options.connection.cluster.server
          : `${options.connection.cluster.server} (via ssh)`,
      userName: options.connection.user.name,
    }
  }

  /** Base path of the server URL (servers may live under a prefix such as /k8s/clusters/c-1). */
  private url(path: string): string {
    const prefix = this.server.pathname.replace(/\/$/, '')
    return `${prefix}${path}`
  }

  private tlsOptions(credentials: Credentials): tls.ConnectionOptions {
    const cluster = this.connection.cluster
    const user = this.connection.user
    const options: tls.ConnectionOptions = { rejectUnauthorized: !cluster.insecureSkipTlsVerify }
    if (cluster.caData !== undefined) options.ca = certificateAuthority(cluster.caData, 'certificate-authority-data')
    else if (cluster.caFile !== undefined)
      options.ca = certificateAuthority(readFileSync(cluster.caFile), `certificate-authority ${cluster.caFile}`)
    if (cluster.tlsServerName !== undefined) options.servername = cluster.tlsServerName
    const cert =
      credentials.cert ?? user.certData ?? (user.certFile === undefined ? undefined : readFileSync(user.certFile))
    const key = credentials.key ?? user.keyData ?? (user.keyFile === undefined ? undefined : readFileSync(user.keyFile))
    if (cert !== undefined) options.cert = cert
    if (key !== undefined) options.key = key
    return options
  }

  private getAgent(credentials: Credentials): Agent {
    if (this.agent !== undefined && this.agentCert === credentials.cert) return this.agent
    this.agent?.destroy()
    this.agentCert = credentials.cert
    if (this.socketPath !== undefined || this.server.protocol === 'http:') {
      this.agent = new http.Agent({ keepAlive: true, maxSockets: 16 })
      return this.agent
    }
    let tlsOptions: tls.ConnectionOptions
    try {
      tlsOptions = this.tlsOptions(credentials)
    } catch (error) {
      if (error instanceof SuiteError) throw error
      throw new SuiteError(
        'config',
        `cannot read TLS material for context "${this.connection.contextName ?? ''}": ${(error as Error).message}`,
      )
    }
    const proxy = proxyFor(this.server, this.connection.cluster.proxyUrl, this.env)
    if (proxy === undefined) {
      this.agent = new https.Agent({ keepAlive: true, maxSockets: 16, ...tlsOptions })
      return this.agent
    }
    if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
      throw new SuiteError(
        'config',
        `proxy ${proxy.protocol}// is not supported (cluster "${this.connection.cluster.name}")`,
        {
          hint: 'use an http:// or https:// proxy-url, or HTTPS_PROXY',
        },
      )
    }
    this.agent = new ProxyTunnelAgent(proxy, { keepAlive: true, maxSockets: 16, ...tlsOptions })
    return this.agent
  }

  /**
   * --as, --as-group, --as-uid and --as-user-extra as headers, for every request and every stream alike: exec and
   * logs -f once went without them, so they ran as the caller and a user without pods/exec could still upload.
   */
  private identityHeaders(): Record<string, string | string[]> {
    const headers: Record<string, string | string[]> = {}
    const user = this.connection.user
    if (user.impersonate !== undefined) headers['impersonate-user'] = user.impersonate
    // An array makes node:http send one header line per group, which is how the apiserver reads them.
    if (user.impersonateGroups.length > 0) headers['impersonate-group'] = [...user.impersonateGroups]
    if (user.impersonateUid !== undefined) headers['impersonate-uid'] = user.impersonateUid
    for (const [key, values] of Object.entries(user.impersonateExtra ?? {})) {
      headers[`impersonate-extra-${encodeURIComponent(key).toLowerCase()}`] = [...values]
    }
    return headers
  }

  private async send(options: RequestOptions, credentials: Credentials, timeoutMs: number): Promise<Answer> {
    const agent = this.getAgent(credentials)
    const headers: Record<string, string | string[]> = {
      accept: options.accept ?? 'application/json',
      'user-agent': 'kubectl-suite/0.1',
      ...credentials.headers,
    }
    Object.assign(headers, this.identityHeaders())
    let payload: Buffer | undefined
    if (options.body !== undefined) {
      payload = Buffer.isBuffer(options.body) ? options.body : Buffer.from(JSON.stringify(options.body))
      headers['content-type'] = options.contentType ?? 'application/json'
      headers['content-length'] = String(payload.length)
    }
    const path = this.url(appendQuery(options.path, options.query))
    const requestOptions: HttpRequestOptions = {
      method: options.method ?? 'GET',
      path,
      headers,
      agent,
      ...(this.socketPath === undefined
        ? {
            host: this.server.hostname.replace(/^\[|\]$/g, ''),
            port: this.server.port || (this.server.protocol === 'http:' ? 80 : 443),
          }
        : { socketPath: this.socketPath }),
    }
    const lib = this.socketPath !== undefined || this.server.protocol === 'http:' ? http : https
    const started = performance.now()
    this.throwIfClosed()
    return new Promise<Answer>((resolve, reject) => {
      const req = lib.request(requestOptions, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          clearTimeout(timer)
          this.log(
            `${requestOptions.method} ${path} ${res.statusCode} in ${Math.round(performance.now() - started)} ms`,
          )
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
        })
        res.on('error', reject)
      })
      const timer =
        timeoutMs > 0
          ? setTimeout(
              () => req.destroy(Object.assign(new Error('request timed out'), { code: 'KUBECTL_SUITE_TIMEOUT' })),
              // Never more than Node's timers can wait: a longer delay would fire after 1 ms.
              Math.min(timeoutMs, MAX_DURATION_MS),
            )
          : undefined
      const onAbort = (): void => {
        req.destroy(Object.assign(new Error('aborted'), { name: 'AbortError', code: 'ABORT_ERR' }))
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      req.on('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
      this.inFlight.add(req)
      req.on('close', () => {
        this.inFlight.delete(req)
        options.signal?.removeEventListener('abort', onAbort)
      })
      req.end(payload)
    })
  }

  private timeoutFor(options: RequestOptions): number {
    if (options.timeoutMs !== undefined) return options.timeoutMs
    if (this.connection.requestTimeoutMs === NO_TIMEOUT) return 0
    return this.connection.requestTimeoutMs > 0 ? this.connection.requestTimeoutMs : DEFAULT_TIMEOUT_MS
  }

  /**
   * One API call with kubectl-like resilience: reads are retried with backoff on 429 (honouring Retry-After),
   * 5xx and dropped connections; writes are retried only on 429, which the server answers before doing anything.
   * A 401 with an exec plugin refreshes the credential once, as client-go does.
   */
  async request(options: RequestOptions): Promise<Answer> {
    const method = options.method ?? 'GET'
    const isRead = method === 'GET'
    const timeoutMs = this.timeoutFor(options)
    let refreshed = false
    for (let attempt = 1; ; attempt++) {
      const credentials = await this.credentials({ refresh: refreshed })
      let answer: Answer
      try {
        answer = await this.send(options, credentials, timeoutMs)
      } catch (error) {
        if ((error as { name?: string }).name === 'AbortError' || error instanceof SuiteError) throw error
        const code = (error as { code?: string }).code ?? ''
        const transient =
          code === 'ECONNRESET' || code === 'EPIPE' || (error as Error).message?.includes('socket hang up')
        if (isRead && transient && attempt < MAX_ATTEMPTS) {
          await this.backoff(attempt, undefined, options)
          continue
        }
        throw errorFromNetwork(error, options.context, this.target, timeoutMs)
      }
      if (answer.status < 400) return answer
      if (answer.status === 401 && !refreshed && this.connection.user.exec !== undefined) {
        refreshed = true
        continue
      }
      const retryable = answer.status === 429 || (isRead && answer.status >= 500 && answer.status !== 501)
      if (retryable && attempt < MAX_ATTEMPTS) {
        await this.backoff(attempt, answer.headers['retry-after'], options)
        continue
      }
      throw errorFromStatus(answer.status, parseStatus(answer.body), options.context, this.target)
    }
  }

  private async backoff(
    attempt: number,
    retryAfter: string | string[] | undefined,
    options: RequestOptions,
  ): Promise<void> {
    const header = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter
    const seconds = header === undefined ? Number.NaN : Number.parseInt(header, 10)
    const base = Number.isNaN(seconds) ? 100 * 2 ** (attempt - 1) : seconds * 1000
    const delay = Math.min(MAX_RETRY_AFTER_MS, base) + Math.floor(Math.random() * 50)
    this.log(`retrying ${options.context.verb} ${options.context.resource} in ${delay} ms (attempt ${attempt + 1})`)
    const signals = [this.closing.signal, ...(options.signal === undefined ? [] : [options.signal])]
    await sleep(delay, undefined, { signal: AbortSignal.any(signals) })
  }

  private throwIfClosed(): void {
    if (this.closing.signal.aborted)
      throw Object.assign(new Error('the connection was closed'), { name: 'AbortError', code: 'ABORT_ERR' })
  }

  /** A JSON object answer; anything else (not JSON, null, an array, a number) is a protocol fault (exit 4). */
  async json<T>(options: RequestOptions): Promise<T> {
    const answer = await this.request(options)
    const text = answer.body.toString('utf8')
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      const type = String(answer.headers['content-type'] ?? 'no content type').split(';')[0]
      const start = text.slice(0, 60).replace(/\s+/g, ' ')
      throw protocolError(
        options.context,
        this.target,
        `something that is not JSON (${type}: ${JSON.stringify(start)}${text.length > 60 ? '…' : ''})`,
      )
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`
      throw protocolError(options.context, this.target, `${kind}, not a Kubernetes object`)
    }
    return parsed as T
  }

  async text(options: RequestOptions): Promise<string> {
    return (await this.request({ ...options, accept: options.accept ?? '*/*' })).body.toString('utf8')
  }

  /**
   * A streaming GET (logs -f, watch): the body is handed over once the headers arrive. A connection cut later fails
   * the returned stream with a connection error (exit 4) naming the server, not with Node's bare "aborted".
   */
  async stream(options: RequestOptions): Promise<Readable> {
    this.throwIfClosed()
    const credentials = await this.credentials({ refresh: false })
    const agent = this.getAgent(credentials)
    const path = this.url(appendQuery(options.path, options.query))
    const lib = this.socketPath !== undefined || this.server.protocol === 'http:' ? http : https
    return new Promise((resolve, reject) => {
      const req = lib.request(
        {
          method: 'GET',
          path,
          agent,
          headers: { accept: options.accept ?? '*/*', ...credentials.headers, ...this.identityHeaders() },
          ...(this.socketPath === undefined
            ? {
                host: this.server.hostname.replace(/^\[|\]$/g, ''),
                port: this.server.port || (this.server.protocol === 'http:' ? 80 : 443),
              }
            : { socketPath: this.socketPath }),
        },
        (res) => {
          if ((res.statusCode ?? 0) >= 400) {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () =>
              reject(
                errorFromStatus(res.statusCode ?? 0, parseStatus(Buffer.concat(chunks)), options.context, this.target),
              ),
            )
            return
          }
          const body = new PassThrough()
          res.on('error', (error) => body.destroy(streamCutError(error, options.context, this.target)))
          res.on('aborted', () => body.destroy(streamCutError(new Error('aborted'), options.context, this.target)))
          body.on('close', () => res.destroy())
          res.pipe(body)
          resolve(body)
        },
      )
      options.signal?.addEventListener('abort', () => req.destroy(), { once: true })
      req.on('error', (error) => reject(errorFromNetwork(error, options.context, this.target, 0)))
      this.inFlight.add(req)
      req.on('close', () => this.inFlight.delete(req))
      req.end()
    })
  }

  /** What a WebSocket client needs to reach the same server with the same identity. */
  async websocketOptions(): Promise<{
    url: string
    headers: Record<string, string | string[]>
    tls: tls.ConnectionOptions
    socketPath?: string
    /** Set when the server is reached through an HTTP CONNECT proxy (proxy-url, HTTPS_PROXY), as REST calls are. */
    agent?: Agent
  }> {
    const credentials = await this.credentials({ refresh: false })
    const base = this.socketPath === undefined ? this.connection.cluster.server.replace(/^http/, 'ws') : 'ws+unix://'
    const secure = this.server.protocol === 'https:' && this.socketPath === undefined
    const tlsOptions = secure ? this.tlsOptions(credentials) : {}
    const proxy =
      this.socketPath === undefined ? proxyFor(this.server, this.connection.cluster.proxyUrl, this.env) : undefined
    return {
      url: base,
      headers: { ...credentials.headers, ...this.identityHeaders() },
      tls: tlsOptions,
      ...(this.socketPath === undefined ? {} : { socketPath: this.socketPath }),
      // One tunnel per stream: an upgraded socket leaves the agent's pool, so there is nothing to keep alive.
      ...(proxy !== undefined && secure
        ? { agent: new ProxyTunnelAgent(proxy, { keepAlive: false, ...tlsOptions }) }
        : {}),
    }
  }

  /** A line for the request log (shown at -v 6 and above, with the requests themselves): exec streams use it. */
  trace(line: string): void {
    this.log(line)
  }

  /** Ends everything: requests in flight are destroyed (they reject with an AbortError), retries stop. */
  close(): void {
    this.closing.abort()
    for (const req of this.inFlight)
      req.destroy(Object.assign(new Error('the connection was closed'), { name: 'AbortError', code: 'ABORT_ERR' }))
    this.inFlight.clear()
    this.agent?.destroy()
    this.agent = undefined
  }
}

/**
 * A CA bundle must hold PEM certificates. Node takes anything and then fails every handshake as "unable to verify
 * the first certificate", which read as an unknown authority when the real fault is that the file is not a
 * certificate at all (a key, DER, a path written into the file).
 */
function certificateAuthority(bytes: Buffer, what: string): Buffer {
  if (!bytes.includes('-----BEGIN CERTIFICATE-----'))
    throw new SuiteError('config', `${what} is not a PEM certificate (it has no "-----BEGIN CERTIFICATE-----" block)`, {
      hint: 'point it at the cluster CA certificate in PEM form (openssl x509 -inform der -in ca.der -out ca.crt converts DER)',
    })
  return bytes
}

function parseStatus(body: Buffer): Record<string, never> | undefined {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}

/**
 * An HTTPS agent that reaches the server through an HTTP CONNECT proxy (cluster proxy-url or HTTPS_PROXY),
 * then speaks TLS to the API server inside the tunnel; the tunnelled sockets are kept alive like direct ones.
 */
class ProxyTunnelAgent extends https.Agent {
  private readonly proxy: URL

  constructor(proxy: URL, options: HttpsAgentOptions) {
    super(options)
    this.proxy = proxy
  }

  override createConnection(
    options: tls.ConnectionOptions & { host?: string; port?: number },
    callback?: (error: Error | null, socket: Duplex) => void,
  ): Duplex | undefined {
    const host = options.host ?? 'localhost'
    const port = options.port ?? 443
    const headers: Record<string, string> = { host: `${host}:${port}` }
    if (this.proxy.username !== '') {
      headers['proxy-authorization'] =
        `Basic ${Buffer.from(`${decodeURIComponent(this.proxy.username)}:${decodeURIComponent(this.proxy.password)}`).toString('base64')}`
    }
    const lib = this.proxy.protocol === 'https:' ? https : http
    const connect = lib.request({
      host: this.proxy.hostname,
      port: this.proxy.port || (this.proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: `${host}:${port}`,
      headers,
    })
    connect.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy()
        callback?.(
          Object.assign(new Error(`proxy ${this.proxy.host} refused CONNECT: ${res.statusCode}`), { code: 'EPROXY' }),
          socket,
        )
        return
      }
      const secure = tls.connect({ ...options, socket, servername: options.servername ?? host })
      callback?.(null, secure)
    })
    connect.on('error', (error) => callback?.(error, connect.socket as Duplex))
    connect.end()
    return undefined
  }
}
