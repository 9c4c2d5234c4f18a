import { SuiteError } from '../errors.ts'
import { errorFromNetwork, protocolError, type RequestContext } from './api-errors.ts'
import { ListItemSplitter } from './list-items.ts'
import type { QueryValue, Transport } from './transport.ts'

/**
 * Paginated lists folded page by page, so memory holds one page (500 objects by default, kubectl's chunk size)
 * plus whatever the caller keeps, never the whole cluster.
 */
export const DEFAULT_CHUNK_SIZE = 500
const MAX_RESTARTS = 3

export interface ListOptions {
  path: string
  labelSelector?: string | undefined
  fieldSelector?: string | undefined
  chunkSize?: number
  context: RequestContext
  signal?: AbortSignal
  /** Per-page timeout overriding the connection's (e.g. a short one for optional APIs). */
  timeoutMs?: number
  /** The Accept header (default application/json), e.g. METADATA_LIST_ACCEPT for metadata only. */
  accept?: string
}

/**
 * Asks for a list of objects' metadata only (PartialObjectMetadataList, what client-go's metadata client asks for):
 * no spec, no status. A server that does not know it answers the full list (the second choice), which has the same
 * metadata, so a caller reading only metadata works either way.
 */
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json'

export interface ListPage<T> {
  items: T[]
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number }
}

export interface FoldResult<A> {
  value: A
  resourceVersion: string
  pages: number
  /** Times the list started over because the server expired the continue token (410). */
  restarts: number
}

/**
 * Lists with limit/continue and folds each page into an accumulator. When the continue token expires (410
 * Expired: the server compacted its history mid-list), the fold starts over from a fresh accumulator, so the
 * result is always one consistent pass and never counts an object twice.
 */
export async function foldList<T, A>(
  transport: Transport,
  options: ListOptions,
  init: () => A,
  step: (acc: A, items: T[]) => A | undefined,
): Promise<FoldResult<A>> {
  let restarts = 0
  for (;;) {
    let acc = init()
    let token: string | undefined
    let pages = 0
    let resourceVersion = ''
    try {
      do {
        const page = await transport.json<ListPage<T>>({
          path: options.path,
          query: pageQuery(options, token),
          context: options.context,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
          ...(options.accept === undefined ? {} : { accept: options.accept }),
        })
        pages++
        // A missing or null items is an empty list (Go encodes an empty slice as null); anything else is no list.
        if (page.items !== undefined && page.items !== null && !Array.isArray(page.items))
          throw protocolError(options.context, transport.target, 'a list whose items are not an array')
        acc = step(acc, page.items ?? []) ?? acc
        token = page.metadata?.continue || undefined
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion
      } while (token !== undefined)
      return { value: acc, resourceVersion, pages, restarts }
    } catch (error) {
      if (error instanceof SuiteError && error.status === 410 && token !== undefined && restarts < MAX_RESTARTS) {
        restarts++
        continue
      }
      throw error
    }
  }
}

/** The query of one page: its size, where it continues, and the selectors (an empty selector is none). */
function pageQuery(options: ListOptions, token: string | undefined): Record<string, QueryValue> {
  return {
    limit: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
    continue: token,
    labelSelector: options.labelSelector || undefined,
    fieldSelector: options.fieldSelector || undefined,
  }
}

/** Collects every item of a paginated list (for lists known to be small, such as nodes or namespaces). */
export async function listAll<T>(
  transport: Transport,
  options: ListOptions,
): Promise<{ items: T[]; resourceVersion: string }> {
  const result = await foldList<T, T[]>(
    transport,
    options,
    () => [],
    (acc, items) => {
      for (const item of items) acc.push(item)
      return acc
    },
  )
  return { items: result.value, resourceVersion: result.resourceVersion }
}

/**
 * One list read as a stream of items (see ListItemSplitter): items are parsed a chunk's worth at a time and handed
 * to `each` one by one as their bytes arrive, and never the whole document is in memory. For lists that come in
 * one piece whatever `limit` says (metrics.k8s.io); pages, when the server sends a continue token, are followed as
 * foldList does.
 *
 * Unlike foldList it does not retry: it is for optional reads (metrics), whose failure is a warning. `timeoutMs`
 * bounds the whole read, body included, and a timeout is reported as transport.json reports one.
 */
export async function streamListItems<T>(
  transport: Transport,
  options: ListOptions & { timeoutMs: number },
  each: (item: T) => void,
): Promise<{ resourceVersion: string; pages: number }> {
  const timeout = AbortSignal.timeout(options.timeoutMs)
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal])
  let token: string | undefined
  let pages = 0
  let resourceVersion = ''
  try {
    do {
      const body = await transport.stream({
        path: options.path,
        query: pageQuery(options, token),
        accept: 'application/json',
        context: options.context,
        signal,
      })
      const onAbort = (): void => {
        body.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      let bad: unknown
      const splitter = new ListItemSplitter((json) => {
        if (bad !== undefined) return
        try {
          for (const item of JSON.parse(json) as T[]) each(item)
        } catch (error) {
          bad = error
        }
      })
      try {
        for await (const chunk of body) {
          splitter.push(chunk as Buffer)
          if (bad !== undefined) break
        }
      } finally {
        signal.removeEventListener('abort', onAbort)
        body.destroy()
      }
      if (bad !== undefined) {
        if (bad instanceof SyntaxError)
          throw protocolError(options.context, transport.target, 'an item that is not JSON')
        throw bad
      }
      let envelope: ListPage<unknown>
      try {
        envelope = splitter.end() as ListPage<unknown>
      } catch {
        throw protocolError(options.context, transport.target, 'something that is not a JSON list')
      }
      if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope))
        throw protocolError(options.context, transport.target, 'something that is not a Kubernetes list')
      pages++
      token = envelope.metadata?.continue || undefined
      resourceVersion = envelope.metadata?.resourceVersion ?? resourceVersion
    } while (token !== undefined)
  } catch (error) {
    if (timeout.aborted && !(options.signal?.aborted ?? false))
      throw errorFromNetwork(
        Object.assign(new Error('request timed out'), { code: 'KUBECTL_SUITE_TIMEOUT', cause: error }),
        options.context,
        transport.target,
        options.timeoutMs,
      )
    throw error
  }
  return { resourceVersion, pages }
}
