import { request as httpsRequest } from 'node:https'

/**
 * The smallest REST client the launcher, node agent and provisioner need against the real API server: JSON
 * requests and list-then-watch, authenticated with a client certificate from our CA. Kept separate from the
 * plugins' shared client on purpose: this is test infrastructure talking as kubelet/controllers, and must not
 * depend on the code under test.
 */
export interface ClientIdentity {
  url: string
  ca: Buffer
  cert: Buffer
  key: Buffer
}

export class ApiError extends Error {
  readonly status: number
  readonly body: string

  constructor(status: number, body: string, method: string, path: string) {
    super(`${method} ${path}: ${status} ${body.slice(0, 300)}`)
    this.status = status
    this.body = body
  }
}

export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: {
    name: string
    namespace?: string
    uid?: string
    resourceVersion?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    deletionTimestamp?: string
    deletionGracePeriodSeconds?: number
    [field: string]: unknown
  }
  // biome-ignore lint/suspicious/noExplicitAny: objects from the API server are read field by field
  spec?: any
  // biome-ignore lint/suspicious/noExplicitAny: as above
  status?: any
  [field: string]: unknown
}

export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject }

export class Client {
  readonly identity: ClientIdentity

  constructor(identity: ClientIdentity) {
    this.identity = identity
  }

  request<T = KubeObject>(
    method: string,
    path: string,
    body?: unknown,
    options: { contentType?: string; timeoutMs?: number } = {},
  ): Promise<T> {
    const url = new URL(path, this.identity.url)
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method,
          ca: this.identity.ca,
          cert: this.identity.cert,
          key: this.identity.key,
          headers: {
            accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'content-type': options.contentType ?? 'application/json', 'content-length': payload.length }),
          },
          timeout: options.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            if ((res.statusCode ?? 500) >= 300) reject(new ApiError(res.statusCode ?? 500, text, method, path))
            else resolve((text === '' ? {} : JSON.parse(text)) as T)
          })
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)))
      req.on('error', reject)
      req.end(payload)
    })
  }

  get<T = KubeObject>(path: string): Promise<T> {
    return this.request<T>('GET', path)
  }

  /** GET that answers undefined for 404 instead of throwing. */
  async find<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path)
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined
      throw error
    }
  }

  create<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body)
  }

  /** Creates, or leaves the existing object alone when it is already there (bootstrap objects). */
  async ensure(path: string, body: KubeObject): Promise<void> {
    try {
      await this.create(path, body)
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error
    }
  }

  mergePatch<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body, { contentType: 'application/merge-patch+json' })
  }

  strategicPatch<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body, { contentType: 'application/strategic-merge-patch+json' })
  }

  delete(path: string, body?: unknown): Promise<KubeObject> {
    return this.request('DELETE', path, body)
  }

  /**
   * Lists, then watches from the list's resourceVersion, re-listing when the watch ends or expires (410), until
   * the signal aborts. Each object of the first list arrives as ADDED; a re-list reports only what changed.
   */
  watch(path: string, onEvent: (event: WatchEvent) => void, signal: AbortSignal): void {
    const seen = new Map<string, string>()
    const separator = path.includes('?') ? '&' : '?'
    const loop = async (): Promise<void> => {
      while (!signal.aborted) {
        try {
          const list = await this.get<{ metadata: { resourceVersion: string }; items: KubeObject[] }>(path)
          const present = new Set<string>()
          for (const item of list.items) {
            const key = `${item.metadata.namespace ?? ''}/${item.metadata.name}`
            present.add(key)
            if (seen.get(key) !== item.metadata.resourceVersion) {
              onEvent({ type: seen.has(key) ? 'MODIFIED' : 'ADDED', object: item })
              seen.set(key, item.metadata.resourceVersion ?? '')
            }
          }
          for (const key of [...seen.keys()]) {
            if (!present.has(key)) {
              const [namespace, name] = key.split('/') as [string, string]
              seen.delete(key)
              onEvent({ type: 'DELETED', object: { metadata: { name, ...(namespace ? { namespace } : {}) } } })
            }
          }
          await this.stream(
            `${path}${separator}watch=1&allowWatchBookmarks=false&resourceVersion=${list.metadata.resourceVersion}`,
            (event) => {
              const key = `${event.object.metadata.namespace ?? ''}/${event.object.metadata.name}`
              if (event.type === 'DELETED') seen.delete(key)
              else seen.set(key, event.object.metadata.resourceVersion ?? '')
              onEvent(event)
            },
            signal,
          )
        } catch {
          if (!signal.aborted) await new Promise((r) => setTimeout(r, 500))
        }
      }
    }
    void loop()
  }

  private stream(path: string, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    const url = new URL(path, this.identity.url)
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        { ca: this.identity.ca, cert: this.identity.cert, key: this.identity.key, signal },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume()
            reject(new Error(`watch ${path}: ${res.statusCode}`))
            return
          }
          let buffered = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            buffered += chunk
            let newline = buffered.indexOf('\n')
            while (newline >= 0) {
              const line = buffered.slice(0, newline)
              buffered = buffered.slice(newline + 1)
              newline = buffered.indexOf('\n')
              if (line.trim() === '') continue
              const event = JSON.parse(line) as { type: string; object: KubeObject }
              // An ERROR event (410 Gone) means our resourceVersion is too old: end and re-list.
              if (event.type === 'ERROR') {
                req.destroy()
                resolve()
                return
              }
              if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
                onEvent(event as WatchEvent)
              }
            }
          })
          res.on('end', resolve)
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end()
    })
  }
}
