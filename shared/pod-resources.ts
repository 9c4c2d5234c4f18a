import type { V1Container, V1Pod } from '@kubernetes/client-node'
import { cachedNanos } from './quantity.ts'

/**
 * A pod's effective requests and limits per resource name, in exact nano-units, computed the way kubectl 1.32
 * computes "Allocated resources" in `kubectl describe node` (kubectl pkg/util/resource PodRequestsAndLimits):
 *
 * - app = sum over spec.containers, where a container's request is the larger of its spec and the resources the
 *   kubelet reports in status (in-place resize);
 * - init containers are walked in order: a restartable sidecar (restartPolicy Always) adds to app and to the
 *   running sidecar sum; any other init container needs its own request plus the sidecars started before it;
 * - effective = max(app, the largest init need), then spec.overhead is added to requests, and to limits only
 *   for names the limits already hold with a non-zero value.
 *
 * A key exists as soon as any container mentions the name, even as "0", exactly like kubectl's maps.
 */
export type ResourceAmounts = Map<string, bigint>

/** Requests and limits of one container or pod, side by side. */
export interface RequestsAndLimits {
  requests: ResourceAmounts
  limits: ResourceAmounts
}

function amounts(list: Record<string, string> | undefined): ResourceAmounts {
  const result: ResourceAmounts = new Map()
  if (list === undefined) return result
  for (const name in list) result.set(name, cachedNanos(list[name] as string))
  return result
}

/** Adds a container's own list (name → quantity text) into `target`: amounts + addInto without the map between. */
function addListInto(target: ResourceAmounts, list: Record<string, string> | undefined): void {
  if (list === undefined) return
  for (const name in list) target.set(name, (target.get(name) ?? 0n) + cachedNanos(list[name] as string))
}

function addInto(target: ResourceAmounts, source: ResourceAmounts): void {
  for (const [name, value] of source) target.set(name, (target.get(name) ?? 0n) + value)
}

function maxInto(target: ResourceAmounts, source: ResourceAmounts): void {
  for (const [name, value] of source) {
    const current = target.get(name)
    if (current === undefined || value > current) target.set(name, value)
  }
}

function containerAmounts(
  container: V1Container,
  statusRequests: Record<string, string> | undefined,
): RequestsAndLimits {
  const resources = container.resources as { requests?: Record<string, string>; limits?: Record<string, string> }
  const requests = amounts(resources?.requests)
  // In-place resize: kubectl charges the larger of what was asked for and what the kubelet actuated.
  if (statusRequests !== undefined) maxInto(requests, amounts(statusRequests))
  return { requests, limits: amounts(resources?.limits) }
}

/**
 * Both sums in one walk over the containers: folding 150,000 pods twice (once for requests, once for limits) cost
 * as much CPU as parsing their JSON.
 */
export function effectivePodResources(pod: V1Pod): RequestsAndLimits {
  let statusRequests: Map<string, Record<string, string>> | undefined
  for (const status of pod.status?.containerStatuses ?? []) {
    const requests = (status as { resources?: { requests?: Record<string, string> } }).resources?.requests
    if (requests === undefined) continue
    statusRequests ??= new Map()
    statusRequests.set(status.name, requests)
  }
  const app: RequestsAndLimits = { requests: new Map(), limits: new Map() }
  for (const container of pod.spec?.containers ?? []) {
    const status = statusRequests?.get(container.name)
    if (status === undefined) {
      // The common case, without a map per container: usage pods -A builds this for 150,000 pods.
      const resources = container.resources as { requests?: Record<string, string>; limits?: Record<string, string> }
      addListInto(app.requests, resources?.requests)
      addListInto(app.limits, resources?.limits)
      continue
    }
    const own = containerAmounts(container, status)
    addInto(app.requests, own.requests)
    addInto(app.limits, own.limits)
  }
  const initContainers = pod.spec?.initContainers
  if (initContainers !== undefined && initContainers.length > 0) {
    const sidecars: RequestsAndLimits = { requests: new Map(), limits: new Map() }
    const initPeak: RequestsAndLimits = { requests: new Map(), limits: new Map() }
    for (const init of initContainers) {
      const own = containerAmounts(init, undefined)
      for (const kind of ['requests', 'limits'] as const) {
        if (init.restartPolicy === 'Always') {
          addInto(app[kind], own[kind])
          addInto(sidecars[kind], own[kind])
          maxInto(initPeak[kind], sidecars[kind])
        } else {
          const need = new Map(own[kind])
          addInto(need, sidecars[kind])
          maxInto(initPeak[kind], need)
        }
      }
    }
    maxInto(app.requests, initPeak.requests)
    maxInto(app.limits, initPeak.limits)
  }
  const overhead = pod.spec?.overhead as Record<string, string> | undefined
  if (overhead === undefined) return app
  for (const [name, value] of amounts(overhead)) {
    app.requests.set(name, (app.requests.get(name) ?? 0n) + value)
    if ((app.limits.get(name) ?? 0n) !== 0n) app.limits.set(name, (app.limits.get(name) ?? 0n) + value)
  }
  return app
}

export const effectivePodRequests = (pod: V1Pod): ResourceAmounts => effectivePodResources(pod).requests
export const effectivePodLimits = (pod: V1Pod): ResourceAmounts => effectivePodResources(pod).limits

/** describe node counts pods bound to the node that are not finished; Pending pods with a node count too. */
export function countsTowardNode(pod: V1Pod): boolean {
  const phase = pod.status?.phase
  return pod.spec?.nodeName !== undefined && pod.spec.nodeName !== '' && phase !== 'Succeeded' && phase !== 'Failed'
}
