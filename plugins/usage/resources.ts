import type { V1Container, V1Pod } from '@kubernetes/client-node'
import { nanoValue, parseQuantity } from '../../shared/quantity.ts'

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

type Kind = 'requests' | 'limits'

function amounts(list: Record<string, string> | undefined): ResourceAmounts {
  const result: ResourceAmounts = new Map()
  for (const [name, text] of Object.entries(list ?? {})) result.set(name, nanoValue(parseQuantity(text)))
  return result
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
  kind: Kind,
  statusResources: Record<string, string> | undefined,
): ResourceAmounts {
  const spec = amounts(container.resources?.[kind] as Record<string, string> | undefined)
  // In-place resize: kubectl charges the larger of what was asked for and what the kubelet actuated.
  if (kind === 'requests' && statusResources !== undefined) maxInto(spec, amounts(statusResources))
  return spec
}

function podAmounts(pod: V1Pod, kind: Kind): ResourceAmounts {
  const statusRequests = new Map<string, Record<string, string>>()
  for (const status of pod.status?.containerStatuses ?? []) {
    const requests = (status as { resources?: { requests?: Record<string, string> } }).resources?.requests
    if (requests !== undefined) statusRequests.set(status.name, requests)
  }
  const app: ResourceAmounts = new Map()
  for (const container of pod.spec?.containers ?? [])
    addInto(app, containerAmounts(container, kind, statusRequests.get(container.name)))
  const sidecars: ResourceAmounts = new Map()
  const initPeak: ResourceAmounts = new Map()
  for (const init of pod.spec?.initContainers ?? []) {
    const own = containerAmounts(init, kind, undefined)
    if (init.restartPolicy === 'Always') {
      addInto(app, own)
      addInto(sidecars, own)
      maxInto(initPeak, sidecars)
    } else {
      const need = new Map(own)
      addInto(need, sidecars)
      maxInto(initPeak, need)
    }
  }
  maxInto(app, initPeak)
  const overhead = amounts(pod.spec?.overhead as Record<string, string> | undefined)
  for (const [name, value] of overhead) {
    if (kind === 'requests') app.set(name, (app.get(name) ?? 0n) + value)
    else if ((app.get(name) ?? 0n) !== 0n) app.set(name, (app.get(name) ?? 0n) + value)
  }
  return app
}

export const effectivePodRequests = (pod: V1Pod): ResourceAmounts => podAmounts(pod, 'requests')
export const effectivePodLimits = (pod: V1Pod): ResourceAmounts => podAmounts(pod, 'limits')

/** describe node counts pods bound to the node that are not finished; Pending pods with a node count too. */
export function countsTowardNode(pod: V1Pod): boolean {
  const phase = pod.status?.phase
  return pod.spec?.nodeName !== undefined && pod.spec.nodeName !== '' && phase !== 'Succeeded' && phase !== 'Failed'
}
