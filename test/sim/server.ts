import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from '../kubelet/ws-server.ts'
import {
  authenticate,
  authorize,
  forbidden,
  impersonate,
  type PolicyRule,
  type SimUser,
  type UserInfo,
} from './auth.ts'
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiV3GroupVersion,
  openApiV3Root,
  SERVER_VERSION,
} from './discovery.ts'
import type { Faults, RequestRecord } from './faults.ts'
import { isRecord, type KubeObject } from './object.ts'
import type { Pki } from './pki.ts'
import { type RequestInfo, resolveRequestInfo } from './request-info.ts'
import { handleResource, type ResourceContext } from './resource-handlers.ts'
import { StatusError } from './status.ts'

/**
 * The HTTPS front of the simulated API server: TLS with its own CA and optional client certificates, fault
 * injection, authentication, impersonation and authorization, then discovery or the resource handlers.
 * Every failure is answered as a metav1.Status, as kube-apiserver does.
 */
export interface ServerOptions {
  pki: Pki
  host: string
  port: number
  users: readonly SimUser[]
  policy: readonly PolicyRule[]
  faults: Faults
  resources: Omit<ResourceContext, 'user'>
  record: (entry: RequestRecord) => void
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export function sendStatus(res: ServerResponse, error: StatusError): void {
  const headers: Record<string, string> = {}
  if (error.body.details?.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(error.body.details.retryAfterSeconds)
  const text = JSON.stringify(error.body)
  res.writeHead(error.code, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Applies counted and timed faults; returns true when the request was already answered (or dropped). */
async function injectFaults(faults: Faults, info: RequestInfo, res: ServerResponse): Promise<boolean> {
  if (!faults.match(info)) return false
  if (faults.hang) return true
  if (faults.latencyMs > 0) await sleep(faults.latencyMs)
  if (faults.dropConnections > 0) {
    faults.dropConnections--
    res.socket?.destroy()
    return true
  }
  if (faults.throttle > 0) {
    faults.throttle--
    const error = new StatusError(429, 'TooManyRequests', 'Too many requests, please try again later.', {
      retryAfterSeconds: faults.retryAfterSeconds,
    })
    sendStatus(res, error)
    return true
  }
  if (faults.serverErrors > 0) {
    faults.serverErrors--
    const status = faults.serverErrorStatus
    const reason = status === 503 ? 'ServiceUnavailable' : status === 504 ? 'Timeout' : 'InternalError'
    sendStatus(
      res,
      new StatusError(
        status,
        reason,
        `an error on the server ("simulated fault") has prevented the request from succeeding`,
      ),
    )
    return true
  }
  return false
}

function discovery(info: RequestInfo, faults: Faults, res: ServerResponse): boolean {
  const metrics = faults.metrics !== 'absent'
  const parts = info.path.split('/').filter((p) => p !== '')
  if (info.path === '/version' || info.path === '/version/') {
    sendJson(res, 200, SERVER_VERSION)
    return true
  }
  if (info.path === '/api' || info.path === '/api/') {
    sendJson(res, 200, apiVersions())
    return true
  }
  if (info.path === '/apis' || info.path === '/apis/') {
    sendJson(res, 200, apiGroupList({ metrics }))
    return true
  }
  if (parts[0] === 'api' && parts.length === 2) {
    const list = apiResourceList('', parts[1] ?? '', { metrics })
    if (list === undefined) return false
    sendJson(res, 200, list)
    return true
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const group = apiGroup(parts[1] ?? '', { metrics })
    if (group === undefined) return false
    sendJson(res, 200, group)
    return true
  }
  if (parts[0] === 'apis' && parts.length === 3) {
    const list = apiResourceList(parts[1] ?? '', parts[2] ?? '', { metrics })
    if (list === undefined) return false
    sendJson(res, 200, list)
    return true
  }
  if (info.path === '/openapi/v3' || info.path === '/openapi/v3/') {
    sendJson(res, 200, openApiV3Root({ metrics }))
    return true
  }
  if (info.path.startsWith('/openapi/v3/')) {
    const doc = openApiV3GroupVersion(info.path.slice('/openapi/v3/'.length))
    if (doc === undefined) return false
    sendJson(res, 200, doc)
    return true
  }
  if (info.path === '/healthz' || info.path === '/livez' || info.path === '/readyz') {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('ok')
    return true
  }
  return false
}

function resourceAttributes(info: RequestInfo): Parameters<typeof authorize>[1] {
  // The namespace object itself is cluster-scoped for authorization of get/update/delete.
  const namespaced = info.resource !== 'namespaces' ? info.namespace : undefined
  return {
    verb: info.verb,
    group: info.group,
    resource: info.resource,
    ...(info.subresource === undefined ? {} : { subresource: info.subresource }),
    ...(namespaced === undefined ? {} : { namespace: namespaced }),
    ...(info.name === undefined ? {} : { name: info.name }),
  }
}

export function startServer(options: ServerOptions): Promise<Server> {
  const { faults } = options
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => options.resources.negotiateExec([...protocols]) ?? false,
  })

  const identify = (req: IncomingMessage): UserInfo =>
    impersonate(req, authenticate(req, options.users), options.policy)

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://sim.local')
    const info = resolveRequestInfo(req.method ?? 'GET', url)
    let user = 'system:anonymous'
    res.on('finish', () =>
      options.record({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.search,
        ...(req.headers.accept === undefined ? {} : { accept: req.headers.accept }),
        user,
        status: res.statusCode,
      }),
    )
    try {
      if (await injectFaults(faults, info, res)) return
      const who = identify(req)
      user = who.username
      if (!info.isResource) {
        if (discovery(info, faults, res)) return
        throw new StatusError(404, 'NotFound', 'the server could not find the requested resource')
      }
      if (faults.absentResources.includes(`${info.resource}.${info.group}`))
        throw new StatusError(404, 'NotFound', 'the server could not find the requested resource')
      if (info.group === 'metrics.k8s.io') {
        if (faults.metrics === 'absent')
          throw new StatusError(404, 'NotFound', 'the server could not find the requested resource')
        if (faults.metrics === 'unavailable') {
          throw new StatusError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request')
        }
        if (faults.metrics === 'slow') await sleep(faults.metricsLatencyMs)
        if (faults.metrics === 'forbidden') throw forbidden(who, resourceAttributes(info))
      }
      if (!authorize(who, resourceAttributes(info), options.policy)) throw forbidden(who, resourceAttributes(info))
      const body =
        req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH' ? await readBody(req) : undefined
      await handleResource({ ...options.resources, user: who }, info, url, req, res, body)
    } catch (error) {
      if (res.headersSent) {
        res.destroy()
        return
      }
      if (error instanceof StatusError) sendStatus(res, error)
      else {
        const message = error instanceof Error ? error.message : String(error)
        sendStatus(
          res,
          new StatusError(
            500,
            'InternalError',
            `an error on the server ("${message}") has prevented the request from succeeding`,
          ),
        )
      }
    }
  }

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'https://sim.local')
    const info = resolveRequestInfo('GET', url)
    const reject = (error: StatusError): void => {
      const text = JSON.stringify(error.body)
      socket.end(
        `HTTP/1.1 ${error.code} ${error.body.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
      )
    }
    try {
      const who = identify(req)
      if (info.subresource !== 'exec')
        throw new StatusError(400, 'BadRequest', 'upgrade is only supported for pods/exec')
      if (!authorize(who, resourceAttributes(info), options.policy)) throw forbidden(who, resourceAttributes(info))
      const exec = options.resources.prepareExec(info, url)
      wss.handleUpgrade(req, socket, head, (ws) => {
        options.record({ method: 'GET', path: url.pathname, query: url.search, user: who.username, status: 101 })
        exec(ws)
      })
    } catch (error) {
      reject(error instanceof StatusError ? error : new StatusError(500, 'InternalError', String(error)))
    }
  }

  const server = createServer(
    {
      key: readPem(options.pki.serverKeyPath),
      cert: readPem(options.pki.serverCertPath),
      ca: options.pki.caCert,
      requestCert: true,
      rejectUnauthorized: false,
      keepAliveTimeout: 30_000,
    },
    (req, res) => {
      handle(req, res).catch(() => res.destroy())
    },
  )
  server.on('upgrade', upgrade)
  // Exec streams are upgraded sockets the HTTP server no longer counts: closing all connections ends them too, so
  // stopping the simulator never waits on an exec a client left open.
  const closeHttpConnections = server.closeAllConnections.bind(server)
  server.closeAllConnections = () => {
    for (const ws of wss.clients) ws.terminate()
    closeHttpConnections()
  }
  // Handshake failures (a client that does not trust our CA) are the client's to report; keep the server quiet.
  server.on('tlsClientError', () => {})
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve(server))
  })
}

import { readFileSync } from 'node:fs'

function readPem(path: string): Buffer {
  return readFileSync(path)
}

const MAX_BODY = 3 * 1024 * 1024

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY) {
        reject(new StatusError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      // kubectl sends protobuf for some built-in types (auth whoami). We answer in JSON, which client-go accepts;
      // only SelfSubjectReview, whose body carries nothing we need, is served from a protobuf request.
      if ((req.headers['content-type'] ?? '').includes('protobuf')) {
        if ((req.url ?? '').includes('/selfsubjectreviews')) return resolve(undefined)
        return reject(
          new StatusError(415, 'UnsupportedMediaType', 'the simulated API server accepts application/json only'),
        )
      }
      const text = Buffer.concat(chunks).toString('utf8')
      if (text.trim() === '') return resolve(undefined)
      try {
        resolve(JSON.parse(text))
      } catch (error) {
        // kubectl sends YAML only for server-side apply; we accept JSON and report anything else like the apiserver.
        const type = req.headers['content-type'] ?? ''
        if (type.includes('yaml')) {
          import('yaml').then((yaml) => resolve(yaml.parse(text)), reject)
          return
        }
        reject(new StatusError(400, 'BadRequest', `the object provided is unrecognized: ${(error as Error).message}`))
      }
    })
    req.on('error', reject)
  })
}

export function isKubeObject(value: unknown): value is KubeObject {
  return isRecord(value) && isRecord(value.metadata) && typeof value.kind === 'string'
}
