import type { RequestInfo } from './request-info.ts'

/**
 * Fault knobs a test turns on to see how clients behave when the cluster misbehaves. Counted faults fire for the
 * next N matching requests and then stop, so a retrying client can be seen to recover.
 */
export type MetricsMode = 'ok' | 'absent' | 'forbidden' | 'unavailable' | 'slow'

export interface Faults {
  /** Added to every matching request before it is answered. */
  latencyMs: number
  /** Never answer matching requests (the client must time out). */
  hang: boolean
  /** The next N matching requests get 429 Too Many Requests with Retry-After. */
  throttle: number
  retryAfterSeconds: number
  /** The next N matching requests get this 5xx. */
  serverErrors: number
  serverErrorStatus: 500 | 502 | 503 | 504
  /** The next N matching requests have their connection destroyed without an answer. */
  dropConnections: number
  metrics: MetricsMode
  /** Delay of the metrics API when metrics is 'slow'. */
  metricsLatencyMs: number
  /** After this many continued list pages, compact history so the next continue token answers 410 Expired. */
  expireContinueAfterPages: number | undefined
  /**
   * Resources this server does not serve, as `plural.group` (e.g. `selfsubjectreviews.authentication.k8s.io`, as on
   * clusters before 1.28): requests for them answer 404 like an apiserver without that API.
   */
  absentResources: string[]
  /**
   * Exec subprotocols this server speaks, best first; undefined = all it knows (v5 first). `['v4.channel.k8s.io']`
   * is a server before 1.30: no CLOSE frame, so a client cannot half-close stdin.
   */
  execProtocols: string[] | undefined
  /**
   * False: lists asked for as PartialObjectMetadataList answer full objects, as a server (or aggregated API)
   * without metadata lists does with the client's application/json second choice.
   */
  metadataLists: boolean
  /** Which requests counted faults and latency apply to; by default every resource request. */
  match: (info: RequestInfo) => boolean
}

export function defaultFaults(): Faults {
  return {
    latencyMs: 0,
    hang: false,
    throttle: 0,
    retryAfterSeconds: 1,
    serverErrors: 0,
    serverErrorStatus: 500,
    dropConnections: 0,
    metrics: 'ok',
    metricsLatencyMs: 5_000,
    expireContinueAfterPages: undefined,
    absentResources: [],
    execProtocols: undefined,
    metadataLists: true,
    match: (info) => info.isResource,
  }
}

export interface RequestRecord {
  method: string
  path: string
  query: string
  /** The Accept header, when the client sent one (metadata-only and table lists are asked for by it). */
  accept?: string
  user: string
  status: number
}
