import { SuiteError } from '../errors.ts'
import { nanoValue, tryParseQuantity } from '../quantity.ts'
import { foldList, streamListItems } from './list.ts'
import { resourcePath } from './paths.ts'
import type { Transport } from './transport.ts'

/**
 * metrics.k8s.io is optional in every plugin: a cluster without metrics-server, a user without rights to it or a
 * slow aggregated API must cost a warning and `-` cells, never the command.
 */

/** How long the optional metrics API may take before usage shows "-" (metrics-server answers in milliseconds). */
export const METRICS_TIMEOUT_MS = 5_000

export interface MetricsResult<T> {
  value: T | undefined
  /** Why usage is missing, in one line, when it is. */
  warning: string | undefined
}

export function metricsWarning(error: SuiteError): string {
  const reason =
    error.status === 404
      ? 'the metrics API (metrics.k8s.io) is not available: is metrics-server installed?'
      : error.status === 403
        ? `the metrics API is forbidden for this user: ${error.message}`
        : `the metrics API did not answer: ${error.message}`
  return `usage columns show "-": ${reason}`
}

/**
 * Every PodMetrics of a namespace (all when undefined), or every NodeMetrics, handed to `onItem` one at a time as
 * the bytes arrive:
 * metrics-server answers 150,000 pods in one 50 MB document whatever `limit` says, and holding it parsed set the
 * peak memory of usage pods -A. Callers keep only the numbers they print. The whole read is bounded by
 * METRICS_TIMEOUT_MS: metrics are a nicety, and a slow metrics API must not hold the command for a minute.
 */
export async function streamMetrics<T>(
  transport: Transport,
  query: {
    plural: 'pods' | 'nodes'
    namespace?: string | undefined
    labelSelector: string | undefined
    signal?: AbortSignal | undefined
    /**
     * Parse the document at once instead of item by item: for a small selection (one owner's pods), where splitting
     * the bytes in JavaScript costs several times one JSON.parse.
     */
    whole?: boolean
  },
  onItem: (item: T) => void,
): Promise<void> {
  const { plural, namespace, labelSelector, signal } = query
  const options = {
    path: resourcePath({ group: 'metrics.k8s.io', version: 'v1beta1', plural, namespace }),
    labelSelector,
    context: { verb: 'list', resource: `${plural}.metrics.k8s.io`, namespace },
    timeoutMs: METRICS_TIMEOUT_MS,
    ...(signal === undefined ? {} : { signal }),
  }
  if (query.whole === true)
    await foldList<T, null>(
      transport,
      options,
      () => null,
      (acc, items) => {
        for (const item of items) onItem(item)
        return acc
      },
    )
  else await streamListItems<T>(transport, options, onItem)
}

/** Runs a metrics read; API and network failures become a warning, Ctrl-C and bugs still end the command. */
export async function optionalMetrics<T>(read: () => Promise<T>): Promise<MetricsResult<T>> {
  try {
    return { value: await read(), warning: undefined }
  } catch (error) {
    if (!(error instanceof SuiteError) || error.kind === 'interrupted') throw error
    return { value: undefined, warning: metricsWarning(error) }
  }
}

/** CPU and memory of one metrics entry, in nano-units (nanocores; bytes × 10⁹). */
export interface UsageNanos {
  cpu: bigint
  memory: bigint
}

export interface ContainerUsage {
  name: string
  usage?: { cpu?: unknown; memory?: unknown } | undefined
}

/**
 * The one rule for malformed metrics, in every plugin: an entry whose quantities cannot all be read has no usage
 * (its cells show "-"), one warning names it, and everything else prints as usual (exit 0). An absent quantity
 * counts as 0, as kubectl top reads it. Returns undefined and calls `warn` once for a malformed entry.
 */
const USAGE_RESOURCES = ['cpu', 'memory'] as const

/**
 * `subject` names the entry in the warning ("pod ns/name"); it may be given as a function, called only for a
 * malformed entry, so a fold over 150,000 well-formed entries makes no name strings.
 */
export function usageOfEntry(
  subject: string | (() => string),
  containers: readonly ContainerUsage[],
  warn: (line: string) => void,
): UsageNanos[] | undefined {
  const out: UsageNanos[] = []
  for (const container of containers) {
    const nanos: UsageNanos = { cpu: 0n, memory: 0n }
    for (const resource of USAGE_RESOURCES) {
      const raw = container.usage?.[resource]
      if (raw === undefined || raw === null) continue
      const parsed = typeof raw === 'string' || typeof raw === 'number' ? tryParseQuantity(String(raw)) : undefined
      if (parsed === undefined) {
        warn(
          `usage of ${typeof subject === 'string' ? subject : subject()} shows "-": the metrics API gave ${container.name === '' ? '' : `container "${container.name}" `}an invalid ${resource} quantity ${JSON.stringify(raw)}`,
        )
        return undefined
      }
      nanos[resource] = nanoValue(parsed)
    }
    out.push(nanos)
  }
  return out
}
