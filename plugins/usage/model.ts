import type { V1Node, V1Pod, V1Taint } from '@kubernetes/client-node'
import { type NodeReadiness, nodeReadiness } from '../../shared/output/node-status.ts'
import { countsTowardNode, effectivePodResources, type ResourceAmounts } from '../../shared/pod-resources.ts'
import { milliValue, nanoValue, parseQuantity, percentOf, quantityFromNano, value } from '../../shared/quantity.ts'

/**
 * The pure model of `kubectl usage nodes`: node list + per-node pod totals + node metrics → one row per node
 * and a cluster total. No I/O and no clock beyond the `now` passed in. Numbers follow kubectl exactly:
 * describe node's Allocated resources for requests/limits and top node for usage.
 */
export interface PodTotals {
  requests: ResourceAmounts
  limits: ResourceAmounts
  pods: number
}

export interface NodeUsageMetric {
  /** Exact nano-units, as metrics-server reports them (nanocores, bytes × 1e9). */
  cpu: bigint
  memory: bigint
}

export interface NodesSnapshot {
  nodes: V1Node[]
  /** Folded from the pod list page by page (see foldPodIntoNodeTotals). */
  totals: Map<string, PodTotals>
  /** Pods with no node yet: their requests, for the PENDING line. */
  unscheduled: PodTotals
  /** undefined when the metrics API is absent, slow or forbidden. */
  metrics: Map<string, NodeUsageMetric> | undefined
}

export type ResourceUnit = 'millicores' | 'bytes' | 'count'

export interface ResourceFigures {
  unit: ResourceUnit
  capacity: number
  allocatable: number
  requests: number
  limits: number
  usage: number | null
  requestsPercent: number | null
  limitsPercent: number | null
  usagePercent: number | null
  /** allocatable − requests, never below zero: what the scheduler can still place here. */
  available: number
}

export interface NodeRow {
  name: string
  /** The Ready condition's status; null when the node reports none. */
  ready: NodeReadiness
  schedulable: boolean
  roles: string[]
  taints: { key: string; value?: string; effect: string }[]
  labels: Record<string, string>
  createdAt: string | undefined
  pods: { count: number; allocatable: number }
  resources: Record<string, ResourceFigures>
}

export interface NodesReport {
  resourceNames: string[]
  nodes: NodeRow[]
  total: { pods: { count: number; allocatable: number }; resources: Record<string, ResourceFigures> }
  pending: { pods: number; requests: Record<string, number> }
  metricsAvailable: boolean
}

export function emptyTotals(): PodTotals {
  return { requests: new Map(), limits: new Map(), pods: 0 }
}

function addAmounts(target: ResourceAmounts, source: ResourceAmounts): void {
  for (const [name, amount] of source) target.set(name, (target.get(name) ?? 0n) + amount)
}

/**
 * One step of the page-by-page fold: adds a pod to its node's exact totals (or to the unscheduled bucket).
 * Exact sums first, rounding once at the end, as kubectl does; rounding each pod would drift.
 */
export function foldPodIntoNodeTotals(totals: Map<string, PodTotals>, unscheduled: PodTotals, pod: V1Pod): void {
  const phase = pod.status?.phase
  if (phase === 'Succeeded' || phase === 'Failed') return
  if (!countsTowardNode(pod)) {
    addAmounts(unscheduled.requests, effectivePodResources(pod).requests)
    unscheduled.pods++
    return
  }
  const node = pod.spec?.nodeName as string
  let entry = totals.get(node)
  if (entry === undefined) {
    entry = emptyTotals()
    totals.set(node, entry)
  }
  const { requests, limits } = effectivePodResources(pod)
  addAmounts(entry.requests, requests)
  addAmounts(entry.limits, limits)
  entry.pods++
}

const BYTE_RESOURCES = /^(memory|ephemeral-storage|hugepages-.+)$/

export function unitOf(resource: string): ResourceUnit {
  if (resource === 'cpu') return 'millicores'
  return BYTE_RESOURCES.test(resource) ? 'bytes' : 'count'
}

/** kubectl's integer view of a quantity: MilliValue for cpu, Value (rounded up) for everything else. */
function integerOf(resource: string, nanos: bigint): bigint {
  const q = quantityFromNano(nanos)
  return resource === 'cpu' ? milliValue(q) : value(q)
}

function quantityNanos(text: string | undefined): bigint {
  return text === undefined ? 0n : nanoValue(parseQuantity(text))
}

/** The resource names shown: cpu, memory, then every other allocatable name but pods, as describe lists them. */
export function resourceNamesOf(nodes: V1Node[]): string[] {
  const names = new Set<string>()
  for (const node of nodes)
    for (const name of Object.keys(node.status?.allocatable ?? node.status?.capacity ?? {})) names.add(name)
  names.delete('pods')
  const rest = [...names].filter((n) => n !== 'cpu' && n !== 'memory' && n !== 'ephemeral-storage').sort()
  return ['cpu', 'memory', ...(names.has('ephemeral-storage') ? ['ephemeral-storage'] : []), ...rest]
}

function figures(
  resource: string,
  allocatableNanos: bigint,
  capacityNanos: bigint,
  requestsNanos: bigint,
  limitsNanos: bigint,
  usageNanos: bigint | undefined,
): ResourceFigures {
  const allocatable = integerOf(resource, allocatableNanos)
  const requests = integerOf(resource, requestsNanos)
  const limits = integerOf(resource, limitsNanos)
  // top node: cpu usage rounds up to millicores; memory % is computed on milli-bytes against allocatable.
  const usage = usageNanos === undefined ? undefined : integerOf(resource, usageNanos)
  let usagePercent: number | undefined
  if (usageNanos !== undefined) {
    usagePercent =
      resource === 'memory'
        ? percentOf(milliValue(quantityFromNano(usageNanos)), milliValue(quantityFromNano(allocatableNanos)))
        : percentOf(usage as bigint, allocatable)
  }
  const available = allocatable - requests
  return {
    unit: unitOf(resource),
    capacity: Number(integerOf(resource, capacityNanos)),
    allocatable: Number(allocatable),
    requests: Number(requests),
    limits: Number(limits),
    usage: usage === undefined ? null : Number(usage),
    requestsPercent: percentOf(requests, allocatable) ?? null,
    limitsPercent: percentOf(limits, allocatable) ?? null,
    usagePercent: usagePercent ?? null,
    available: Number(available > 0n ? available : 0n),
  }
}

function nodeReady(node: V1Node): NodeRow['ready'] {
  return nodeReadiness(node.status?.conditions)
}

function nodeRoles(node: V1Node): string[] {
  const roles: string[] = []
  for (const [key, value] of Object.entries(node.metadata?.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/')) roles.push(key.slice('node-role.kubernetes.io/'.length) || value)
    else if (key === 'kubernetes.io/role') roles.push(value)
  }
  return roles.sort()
}

function taintsOf(node: V1Node): NodeRow['taints'] {
  return (node.spec?.taints ?? []).map((t: V1Taint) => ({
    key: t.key,
    ...(t.value === undefined ? {} : { value: t.value }),
    effect: t.effect,
  }))
}

export function buildNodesReport(snapshot: NodesSnapshot, options: { resources?: string[] } = {}): NodesReport {
  const resourceNames = options.resources ?? resourceNamesOf(snapshot.nodes)
  const totalNanos = new Map<string, { alloc: bigint; cap: bigint; req: bigint; lim: bigint; use: bigint }>()
  let totalPods = 0
  let totalPodSlots = 0
  const rows: NodeRow[] = snapshot.nodes.map((node) => {
    const name = node.metadata?.name ?? ''
    const totals = snapshot.totals.get(name) ?? emptyTotals()
    const allocatableMap = (node.status?.allocatable ?? node.status?.capacity ?? {}) as Record<string, string>
    const capacityMap = (node.status?.capacity ?? {}) as Record<string, string>
    const metric = snapshot.metrics?.get(name)
    const resources: Record<string, ResourceFigures> = {}
    for (const resource of resourceNames) {
      const alloc = quantityNanos(allocatableMap[resource])
      const cap = quantityNanos(capacityMap[resource] ?? allocatableMap[resource])
      const req = totals.requests.get(resource) ?? 0n
      const lim = totals.limits.get(resource) ?? 0n
      const use =
        metric === undefined
          ? undefined
          : resource === 'cpu'
            ? metric.cpu
            : resource === 'memory'
              ? metric.memory
              : undefined
      resources[resource] = figures(resource, alloc, cap, req, lim, use)
      const sum = totalNanos.get(resource) ?? { alloc: 0n, cap: 0n, req: 0n, lim: 0n, use: 0n }
      sum.alloc += alloc
      sum.cap += cap
      sum.req += req
      sum.lim += lim
      sum.use += use ?? 0n
      totalNanos.set(resource, sum)
    }
    const podSlots = Number(value(parseQuantity(allocatableMap.pods ?? '0')))
    totalPods += totals.pods
    totalPodSlots += podSlots
    return {
      name,
      ready: nodeReady(node),
      schedulable: node.spec?.unschedulable !== true,
      roles: nodeRoles(node),
      taints: taintsOf(node),
      labels: node.metadata?.labels ?? {},
      createdAt: node.metadata?.creationTimestamp === undefined ? undefined : String(node.metadata.creationTimestamp),
      pods: { count: totals.pods, allocatable: podSlots },
      resources,
    }
  })
  const metricsAvailable = snapshot.metrics !== undefined
  const total: NodesReport['total'] = { pods: { count: totalPods, allocatable: totalPodSlots }, resources: {} }
  for (const resource of resourceNames) {
    const sum = totalNanos.get(resource) ?? { alloc: 0n, cap: 0n, req: 0n, lim: 0n, use: 0n }
    const hasUsage = metricsAvailable && (resource === 'cpu' || resource === 'memory')
    total.resources[resource] = figures(resource, sum.alloc, sum.cap, sum.req, sum.lim, hasUsage ? sum.use : undefined)
  }
  const pendingRequests: Record<string, number> = {}
  for (const resource of resourceNames) {
    pendingRequests[resource] = Number(integerOf(resource, snapshot.unscheduled.requests.get(resource) ?? 0n))
  }
  return {
    resourceNames,
    nodes: rows,
    total,
    pending: { pods: snapshot.unscheduled.pods, requests: pendingRequests },
    metricsAvailable,
  }
}
