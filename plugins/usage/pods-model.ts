import type { V1Container, V1Pod } from '@kubernetes/client-node'
import { pushAll } from '../../shared/arrays.ts'
import { createInterner } from '../../shared/intern.ts'
import { effectivePodResources, type ResourceAmounts } from '../../shared/pod-resources.ts'
import { milliValue, nanoValue, parseQuantity, percentOf, quantityFromNano, value } from '../../shared/quantity.ts'

/**
 * The pure model of `kubectl usage pods`: one row per pod (or per container) with effective requests and limits,
 * live usage summed over every container in PodMetrics (as `kubectl top pod` sums, sidecars included), and usage
 * as a percentage of the request and of the limit (what k9s shows and kubectl never did).
 */
export interface ContainerMetric {
  name: string
  cpu: bigint
  memory: bigint
}

export interface PodFigures {
  requests: number
  limits: number
  usage: number | null
  /** usage ÷ request, truncated like kubectl; null without usage or request. */
  usageOfRequestPercent: number | null
  usageOfLimitPercent: number | null
}

export interface Owner {
  kind: string
  name: string
}

export interface PodRow {
  namespace: string
  name: string
  /** Container name in --containers rows, with its role. */
  container?: string
  containerRole?: 'app' | 'init' | 'sidecar'
  node: string | null
  phase: string
  qosClass: string | null
  owner: Owner | null
  labels: Record<string, string>
  createdAt: string | undefined
  resources: Record<string, PodFigures>
}

const EXTENDED_DEFAULT = ['cpu', 'memory']

function integerOf(resource: string, nanos: bigint): bigint {
  // Most pods ask for nothing of most resources: skip the quantity and the bigint division for them.
  if (nanos === 0n) return 0n
  const q = quantityFromNano(nanos)
  return resource === 'cpu' ? milliValue(q) : value(q)
}

/** The controller behind a pod, resolved without extra API calls: ReplicaSet → Deployment by its hash suffix. */
export function ownerOf(pod: V1Pod): Owner | null {
  const ref = pod.metadata?.ownerReferences?.find((r) => r.controller === true) ?? pod.metadata?.ownerReferences?.[0]
  if (ref === undefined) return null
  const hash = pod.metadata?.labels?.['pod-template-hash']
  if (ref.kind === 'ReplicaSet' && hash !== undefined && ref.name.endsWith(`-${hash}`)) {
    return { kind: 'Deployment', name: ref.name.slice(0, -(hash.length + 1)) }
  }
  return { kind: ref.kind, name: ref.name }
}

function figures(
  resource: string,
  request: bigint | undefined,
  limit: bigint | undefined,
  usage: bigint | undefined,
): PodFigures {
  const req = integerOf(resource, request ?? 0n)
  const lim = integerOf(resource, limit ?? 0n)
  // Rows are built before the metrics arrive (withUsage adds them): no usage, no percentages.
  if (usage === undefined)
    return {
      requests: Number(req),
      limits: Number(lim),
      usage: null,
      usageOfRequestPercent: null,
      usageOfLimitPercent: null,
    }
  const use = integerOf(resource, usage)
  return {
    requests: Number(req),
    limits: Number(lim),
    usage: use === undefined ? null : Number(use),
    usageOfRequestPercent: use === undefined ? null : (percentOf(use, req) ?? null),
    usageOfLimitPercent: use === undefined ? null : (percentOf(use, lim) ?? null),
  }
}

function usageOf(metrics: ContainerMetric[] | undefined, resource: string): bigint | undefined {
  if (metrics === undefined) return undefined
  if (resource !== 'cpu' && resource !== 'memory') return undefined
  let sum = 0n
  for (const m of metrics) sum += resource === 'cpu' ? m.cpu : m.memory
  return sum
}

/** What a row keeps of its pod beyond the figures. */
export interface RowShape {
  /** Keep the pod's labels (for --show-labels and the json/yaml document); otherwise `{}`, to save memory. */
  keepLabels?: boolean
}

const intern = createInterner()

/**
 * Rows of 150,000 pods are most of what usage pods -A holds: rows share one empty labels object (when labels are not
 * printed) and one owner object per controller, instead of one of each per pod.
 */
const NO_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>
const owners = new Map<string, Owner>()

function sharedOwner(owner: Owner): Owner {
  const key = `${owner.kind}/${owner.name}`
  let found = owners.get(key)
  if (found === undefined) {
    found = Object.freeze({ kind: intern(owner.kind), name: intern(owner.name) })
    owners.set(key, found)
  }
  return found
}

function baseRow(pod: V1Pod, shape: RowShape): Omit<PodRow, 'resources'> {
  const owner = ownerOf(pod)
  const node = pod.spec?.nodeName
  const qos = pod.status?.qosClass
  return {
    namespace: intern(pod.metadata?.namespace ?? ''),
    name: pod.metadata?.name ?? '',
    node: node === undefined ? null : intern(node),
    phase: intern(pod.status?.phase ?? 'Unknown'),
    qosClass: qos === undefined ? null : intern(qos),
    owner: owner === null ? null : sharedOwner(owner),
    labels: shape.keepLabels === false ? NO_LABELS : (pod.metadata?.labels ?? NO_LABELS),
    createdAt: pod.metadata?.creationTimestamp === undefined ? undefined : String(pod.metadata.creationTimestamp),
  }
}

export function podRow(
  pod: V1Pod,
  metrics: ContainerMetric[] | undefined,
  resources: string[] = EXTENDED_DEFAULT,
  shape: RowShape = {},
): PodRow {
  const { requests, limits } = effectivePodResources(pod)
  const row: PodRow = { ...baseRow(pod, shape), resources: {} }
  for (const resource of resources)
    row.resources[resource] = figures(
      resource,
      requests.get(resource),
      limits.get(resource),
      usageOf(metrics, resource),
    )
  return row
}

/**
 * Adds live usage to a row made without it (rows are built page by page while the metrics list is still on its
 * way): usage summed over the pod's containers, or the row's own container's, and the percentages of the request
 * and the limit. `metrics` undefined leaves the row as it is (no metrics for this pod).
 */
export function withUsage(row: PodRow, metrics: ContainerMetric[] | undefined): PodRow {
  if (metrics === undefined) return row
  const own = row.container === undefined ? metrics : metrics.filter((m) => m.name === row.container)
  for (const resource in row.resources) {
    const figure = row.resources[resource] as PodFigures
    const usage = usageOf(own, resource)
    if (usage === undefined) continue
    const use = Number(integerOf(resource, usage))
    figure.usage = use
    // percentOf in numbers: it divides the two as floats anyway, and figure.requests is already one.
    figure.usageOfRequestPercent = figure.requests === 0 ? null : Math.trunc((use / figure.requests) * 100)
    figure.usageOfLimitPercent = figure.limits === 0 ? null : Math.trunc((use / figure.limits) * 100)
  }
  return row
}

function containerAmounts(container: V1Container, kind: 'requests' | 'limits'): ResourceAmounts {
  const result: ResourceAmounts = new Map()
  for (const [name, text] of Object.entries((container.resources?.[kind] ?? {}) as Record<string, string>)) {
    result.set(name, nanoValue(parseQuantity(text)))
  }
  return result
}

/** --containers: one row per container, init containers and sidecars marked, usage from the container's metric. */
export function containerRows(
  pod: V1Pod,
  metrics: ContainerMetric[] | undefined,
  resources: string[] = EXTENDED_DEFAULT,
  shape: RowShape = {},
): PodRow[] {
  const all: { container: V1Container; role: PodRow['containerRole'] }[] = [
    ...(pod.spec?.initContainers ?? []).map((c) => ({
      container: c,
      role: c.restartPolicy === 'Always' ? ('sidecar' as const) : ('init' as const),
    })),
    ...(pod.spec?.containers ?? []).map((c) => ({ container: c, role: 'app' as const })),
  ]
  return all.map(({ container, role }) => {
    const requests = containerAmounts(container, 'requests')
    const limits = containerAmounts(container, 'limits')
    const metric = metrics?.find((m) => m.name === container.name)
    const row: PodRow = {
      ...baseRow(pod, shape),
      container: container.name,
      ...(role === undefined ? {} : { containerRole: role }),
      resources: {},
    }
    for (const resource of resources) {
      row.resources[resource] = figures(
        resource,
        requests.get(resource),
        limits.get(resource),
        usageOf(metric === undefined ? (metrics === undefined ? undefined : []) : [metric], resource),
      )
    }
    return row
  })
}

/**
 * --group-by: rows ordered by group, each group followed by a subtotal row (name `Σ <group>`), whose figures are
 * the sums of the group's rows (percentages of the summed request and limit).
 */
export function groupPodRows(rows: PodRow[], by: 'node' | 'namespace' | 'owner'): PodRow[] {
  const keyOf = (row: PodRow): string =>
    by === 'node'
      ? (row.node ?? '<none>')
      : by === 'namespace'
        ? row.namespace
        : row.owner === null
          ? '<none>'
          : `${row.owner.kind}/${row.owner.name}`
  const groups = new Map<string, PodRow[]>()
  for (const row of rows) {
    const key = keyOf(row)
    const list = groups.get(key) ?? []
    list.push(row)
    groups.set(key, list)
  }
  const result: PodRow[] = []
  for (const key of [...groups.keys()].sort()) {
    const members = groups.get(key) as PodRow[]
    pushAll(result, members)
    const resources: Record<string, PodFigures> = {}
    for (const name of Object.keys(members[0]?.resources ?? {})) {
      let requests = 0
      let limits = 0
      let usage: number | null = 0
      for (const m of members) {
        const f = m.resources[name]
        requests += f?.requests ?? 0
        limits += f?.limits ?? 0
        usage = usage === null || f?.usage === null || f?.usage === undefined ? null : usage + f.usage
      }
      resources[name] = {
        requests,
        limits,
        usage,
        usageOfRequestPercent: usage === null || requests === 0 ? null : Math.trunc((usage / requests) * 100),
        usageOfLimitPercent: usage === null || limits === 0 ? null : Math.trunc((usage / limits) * 100),
      }
    }
    result.push({
      namespace: by === 'namespace' ? key : '',
      name: `Σ ${key} (${members.length})`,
      node: by === 'node' ? key : null,
      phase: '',
      qosClass: null,
      owner: null,
      labels: {},
      createdAt: undefined,
      resources,
    })
  }
  return result
}
