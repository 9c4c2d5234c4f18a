import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node'
import { pushAll } from '../../shared/arrays.ts'
import { createInterner } from '../../shared/intern.ts'
import type { Kube } from '../../shared/kube/connect.ts'
import { foldList, listAll } from '../../shared/kube/list.ts'
import {
  METRICS_TIMEOUT_MS,
  type MetricsResult,
  optionalMetrics,
  streamMetrics,
  usageOfEntry,
} from '../../shared/kube/metrics.ts'
import { resourcePath } from '../../shared/kube/paths.ts'
import {
  emptyTotals,
  foldPodIntoNodeTotals,
  type NodesSnapshot,
  type NodeUsageMetric,
  type PodTotals,
} from './model.ts'
import type { ContainerMetric } from './pods-model.ts'

/**
 * The API reads of `kubectl usage`: one paginated list per resource kind, run concurrently, never one request per
 * node. Pods are folded into per-node totals page by page so memory stays flat on 150,000-pod clusters.
 */
export { METRICS_TIMEOUT_MS, type MetricsResult }

export interface NodesQuery {
  nodeSelector?: string | undefined
  /** kubectl's --field-selector on nodes (metadata.name, spec.unschedulable), applied by the server. */
  nodeFieldSelector?: string | undefined
  namespaceSelector?: string | undefined
  podSelector?: string | undefined
  chunkSize?: number | undefined
  metrics: boolean
  signal?: AbortSignal
}

interface MetricsItem {
  metadata: { name: string; namespace?: string }
  usage?: { cpu?: string; memory?: string }
  containers?: { name: string; usage?: { cpu?: string; memory?: string } }[]
}

/** Non-terminated pods only, the same filter `kubectl describe node` sends. */
export const NON_TERMINATED = 'status.phase!=Succeeded,status.phase!=Failed'

export async function collectNodeMetrics(
  kube: Kube,
  labelSelector: string | undefined,
  signal?: AbortSignal,
): Promise<MetricsResult<Map<string, NodeUsageMetric>> & { invalid: string[] }> {
  const invalid: string[] = []
  const result = await optionalMetrics(async () => {
    const usage = new Map<string, NodeUsageMetric>()
    await streamMetrics<MetricsItem>(kube.transport, { plural: 'nodes', labelSelector, signal }, (m) => {
      // A node whose metrics cannot be read shows "-" (and one warning); the others print.
      const read = usageOfEntry(`node ${m.metadata.name}`, [{ name: '', usage: m.usage }], (w) => invalid.push(w))
      if (read?.[0] !== undefined) usage.set(m.metadata.name, read[0])
    })
    return usage
  })
  return { ...result, invalid }
}

/**
 * Pod metrics by namespace, then by pod name: two lookups by the strings the rows already hold, where one key
 * `namespace/name` per pod, made when the metrics arrive and again for every row, was a string to build and hash
 * 300,000 times at 150,000 pods.
 */
export type PodMetricsIndex = Map<string, Map<string, ContainerMetric[]>>

/** Each pod's container metrics in exact nano-units; the PodMetrics objects are dropped. */
export async function collectPodMetrics(
  kube: Kube,
  namespace: string | undefined,
  labelSelector: string | undefined,
  warn: (line: string) => void,
  signal?: AbortSignal,
): Promise<MetricsResult<PodMetricsIndex>> {
  return optionalMetrics(async () => {
    const metrics: PodMetricsIndex = new Map()
    // Each PodMetrics is reduced to its numbers and dropped.
    await streamMetrics<MetricsItem>(kube.transport, { plural: 'pods', namespace, labelSelector, signal }, (m) => {
      const containers = containerMetricsOf(m, warn)
      if (containers === undefined) return
      const namespace = m.metadata.namespace ?? ''
      let pods = metrics.get(namespace)
      if (pods === undefined) {
        pods = new Map()
        metrics.set(namespace, pods)
      }
      pods.set(m.metadata.name, containers)
    })
    return metrics
  })
}

async function namespacesMatching(kube: Kube, selector: string): Promise<Set<string>> {
  const { items } = await listAll<V1Namespace>(kube.transport, {
    path: resourcePath({ plural: 'namespaces' }),
    labelSelector: selector,
    context: { verb: 'list', resource: 'namespaces' },
  })
  return new Set(items.map((n) => n.metadata?.name ?? ''))
}

export async function collectNodes(
  kube: Kube,
  query: NodesQuery,
): Promise<{ snapshot: NodesSnapshot; warnings: string[] }> {
  const allowedNamespaces =
    query.namespaceSelector === undefined ? undefined : await namespacesMatching(kube, query.namespaceSelector)
  const [nodes, pods, metrics] = await Promise.all([
    listAll<V1Node>(kube.transport, {
      path: resourcePath({ plural: 'nodes' }),
      labelSelector: query.nodeSelector,
      fieldSelector: query.nodeFieldSelector,
      context: { verb: 'list', resource: 'nodes' },
    }),
    foldList<V1Pod, { totals: Map<string, PodTotals>; unscheduled: PodTotals }>(
      kube.transport,
      {
        path: resourcePath({ plural: 'pods' }),
        fieldSelector: NON_TERMINATED,
        labelSelector: query.podSelector,
        chunkSize: query.chunkSize,
        context: { verb: 'list', resource: 'pods' },
      },
      () => ({ totals: new Map(), unscheduled: emptyTotals() }),
      (acc, items) => {
        for (const pod of items) {
          if (allowedNamespaces !== undefined && !allowedNamespaces.has(pod.metadata?.namespace ?? '')) continue
          foldPodIntoNodeTotals(acc.totals, acc.unscheduled, pod)
        }
        return acc
      },
    ),
    query.metrics
      ? collectNodeMetrics(kube, query.nodeSelector)
      : Promise.resolve({ value: undefined, warning: undefined, invalid: [] }),
  ])
  const warnings = [...(metrics.warning === undefined ? [] : [metrics.warning]), ...metrics.invalid]
  return {
    snapshot: {
      nodes: nodes.items,
      totals: pods.value.totals,
      unscheduled: pods.value.unscheduled,
      metrics: metrics.value,
    },
    warnings,
  }
}

export interface PodsQuery {
  namespace: string | undefined
  labelSelector?: string | undefined
  fieldSelector?: string | undefined
  node?: string | undefined
  includeFinished: boolean
  metrics: boolean
  chunkSize?: number | undefined
  signal?: AbortSignal
}

/**
 * Pods (non-terminated unless asked) and their metrics, listed concurrently, one paginated list each. Each page of
 * pods is turned into rows by `rowsOf` as it arrives and then dropped: the pod objects (about 8 KB each once
 * parsed) are never all held at once, so 150,000 pods fit in a few hundred megabytes.
 */
export async function collectPods<Row>(
  kube: Kube,
  query: PodsQuery,
  rowsOf: (pod: V1Pod) => Row[],
): Promise<{ rows: Row[]; metrics: PodMetricsIndex | undefined; warnings: string[] }> {
  const fields = [
    ...(query.includeFinished ? [] : [NON_TERMINATED]),
    ...(query.node === undefined ? [] : [`spec.nodeName=${query.node}`]),
    ...(query.fieldSelector === undefined || query.fieldSelector === '' ? [] : [query.fieldSelector]),
  ].join(',')
  const invalid: string[] = []
  const [pods, metrics] = await Promise.all([
    foldList<V1Pod, Row[]>(
      kube.transport,
      {
        path: resourcePath({ plural: 'pods', namespace: query.namespace }),
        labelSelector: query.labelSelector,
        fieldSelector: fields,
        chunkSize: query.chunkSize,
        context: { verb: 'list', resource: 'pods', namespace: query.namespace },
        ...(query.signal === undefined ? {} : { signal: query.signal }),
      },
      () => [],
      (rows, items) => {
        for (const pod of items) pushAll(rows, rowsOf(pod))
        return rows
      },
    ),
    query.metrics
      ? collectPodMetrics(kube, query.namespace, query.labelSelector, (line) => invalid.push(line), query.signal)
      : Promise.resolve({ value: undefined, warning: undefined }),
  ])
  const warnings = metrics.warning === undefined ? [] : [metrics.warning]
  return { rows: pods.value, metrics: metrics.value, warnings: [...warnings, ...invalid] }
}

/**
 * PodMetrics containers in exact nano-units, for the pods model. A pod whose metrics hold a malformed quantity has
 * no usage ("-") and one warning through `warn`, by the shared rule (usageOfEntry); the other pods still print.
 */
const internName = createInterner()

export function containerMetricsOf(item: MetricsItem, warn: (line: string) => void): ContainerMetric[] | undefined {
  const containers = item.containers ?? []
  const subject = (): string =>
    `pod ${item.metadata.namespace === undefined ? '' : `${item.metadata.namespace}/`}${item.metadata.name}`
  const usage = usageOfEntry(subject, containers, warn)
  if (usage === undefined) return undefined
  // map, not push onto []: an array grown by push reserves 16 slots, 150,000 times over for one container each.
  return containers.map((c, i) => {
    const { cpu, memory } = usage[i] as { cpu: bigint; memory: bigint }
    return { name: internName(c.name), cpu, memory }
  })
}
