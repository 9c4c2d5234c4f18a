import { parseQuantity } from '../../shared/quantity.ts'
import type { JobLike, KubeObject, PodLike, PodStatusRow, Resources } from './model.ts'
import { podIndex, podStatusRow } from './model.ts'

/**
 * Pure rules about a run's Job and pods on a real cluster: default resources, per-index backoff for sweeps, one
 * status row per sweep index, what a policy's refusal means, and which pod states never end by themselves.
 */

/**
 * What a run gets when neither the flags nor the context name CPU or memory: a namespace with a ResourceQuota on
 * limits refuses pods without them, and a pod without requests can be squeezed onto a full node. Requests equal
 * limits, so this is what the run is guaranteed.
 */
export const DEFAULT_CPU = '500m'
export const DEFAULT_MEM = '1Gi'

export function withDefaultResources(resources: Resources): Resources {
  return { ...resources, cpu: resources.cpu ?? DEFAULT_CPU, mem: resources.mem ?? DEFAULT_MEM }
}

export type Limits = Pick<Resources, 'cpu' | 'mem'>

/** A profile's limit below the request it goes with (the API server refuses such a pod), as one line, or undefined. */
export function limitsProblem(requests: Resources, limits: Limits): string | undefined {
  for (const key of ['cpu', 'mem'] as const) {
    const limit = limits[key]
    const request = requests[key]
    if (limit === undefined || request === undefined) continue
    if (parseQuantity(limit).nanos < parseQuantity(request).nanos)
      return `the profile's limits.${key} ${limit} is less than the ${key} request ${request}; a limit must be at least the request`
  }
  return undefined
}

/** The run's container with limits where the profile's `limits` set them apart from the requests (cpu, memory). */
export function withLimits(job: KubeObject, limits: Limits): KubeObject {
  if (limits.cpu === undefined && limits.mem === undefined) return job
  const copy = structuredClone(job)
  const spec = copy.spec as {
    template: { spec: { containers: { resources?: { limits?: Record<string, string> } }[] } }
  }
  for (const container of spec.template.spec.containers) {
    const own = container.resources?.limits
    if (own === undefined) continue
    if (limits.cpu !== undefined) own.cpu = limits.cpu
    if (limits.mem !== undefined) own.memory = limits.mem
  }
  return copy
}

/** The Job fields this module reads besides model.ts's JobLike. */
export interface IndexedJobLike extends JobLike {
  spec?: JobLike['spec'] & {
    backoffLimit?: number
    backoffLimitPerIndex?: number
    maxFailedIndexes?: number
    suspend?: boolean
  }
  status?: JobLike['status'] & { completedIndexes?: string; failedIndexes?: string }
}

/**
 * A sweep's Job with per-index backoff: each point gets `retries` retries of its own, and a failing point never stops
 * the others (maxFailedIndexes = every point), so the Job ends when every point has succeeded or used its retries,
 * Failed (FailedIndexes) if any point failed. backoffLimit is left out: with per-index backoff it counts failures of
 * all points together. Single runs keep backoffLimit.
 */
export function withPerIndexBackoff(job: KubeObject, retries: number): KubeObject {
  const spec = job.spec as Record<string, unknown> & { completions?: number; completionMode?: string }
  if (spec.completionMode !== 'Indexed') return job
  const { backoffLimit: _dropped, ...rest } = spec
  return { ...job, spec: { ...rest, backoffLimitPerIndex: retries, maxFailedIndexes: spec.completions ?? 1 } }
}

/** The same Job for a server without per-index backoff: one backoffLimit for the whole sweep, as before 1.29. */
export function withoutPerIndexBackoff(job: KubeObject, retries: number): KubeObject {
  const { backoffLimitPerIndex: _a, maxFailedIndexes: _b, ...rest } = job.spec as Record<string, unknown>
  return { ...job, spec: { ...rest, backoffLimit: retries } }
}

/**
 * Whether the server kept per-index backoff in the Job it answered (a dry-run create): servers before 1.29, or with
 * the JobBackoffLimitPerIndex feature off, drop the field silently (the default field validation only warns), and
 * the Job would then fail at its first failed point, or retry six times.
 */
export function keepsPerIndexBackoff(
  sent: KubeObject,
  answered: { spec?: { backoffLimitPerIndex?: number } },
): boolean {
  const wanted = (sent.spec as { backoffLimitPerIndex?: number }).backoffLimitPerIndex
  return wanted === undefined || answered.spec?.backoffLimitPerIndex === wanted
}

/** `0,2-4` → [0,2,3,4] (the Job status's completedIndexes/failedIndexes). */
export function parseIndexRanges(text: string | undefined): Set<number> {
  const result = new Set<number>()
  for (const part of (text ?? '').split(',')) {
    if (part.trim() === '') continue
    const [from, to] = part.split('-').map((n) => Number(n))
    if (from === undefined || Number.isNaN(from)) continue
    const end = to === undefined || Number.isNaN(to) ? from : to
    for (let i = from; i <= end; i++) result.add(i)
  }
  return result
}

const created = (pod: PodLike): string => pod.metadata?.creationTimestamp ?? ''

/**
 * One row per index of a sweep, 0 to completions-1: its newest pod's phase, node, exit code and reason, with how many
 * earlier pods (retries) it had; an index without a pod is Succeeded or Failed from the Job's status (its pods were
 * removed), else Pending (not started: waiting for a slot of --parallelism).
 */
export function indexRows(job: IndexedJobLike, pods: readonly PodLike[]): (PodStatusRow & { retries: number })[] {
  const completions = job.spec?.completions ?? 1
  const byIndex = new Map<number, PodLike[]>()
  for (const pod of pods) {
    const index = podIndex(pod)
    if (index === undefined || Number.isNaN(index)) continue
    byIndex.set(index, [...(byIndex.get(index) ?? []), pod])
  }
  const completed = parseIndexRanges(job.status?.completedIndexes)
  const failed = parseIndexRanges(job.status?.failedIndexes)
  const finished = (job.status?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  )
  const rows: (PodStatusRow & { retries: number })[] = []
  for (let index = 0; index < completions; index++) {
    const own = [...(byIndex.get(index) ?? [])].sort((a, b) => created(a).localeCompare(created(b)))
    const newest = own.at(-1)
    if (newest !== undefined) {
      rows.push({ ...podStatusRow(newest), index, retries: own.length - 1 })
      continue
    }
    const phase = completed.has(index) ? 'Succeeded' : failed.has(index) ? 'Failed' : 'Pending'
    const reason =
      phase !== 'Pending' ? '' : finished ? 'not run: the Job ended first' : 'not started: waiting for a free slot'
    rows.push({ index, pod: '', phase, node: '', exitCode: undefined, reason, retries: 0 })
  }
  return rows
}

/** A policy that refused a pod, from the Job controller's FailedCreate event or the API server's 403. */
export interface Refusal {
  policy: string
  /** Refused whatever happens elsewhere in the cluster: waiting cannot help. */
  permanent: boolean
  /** The policy's own words, after "is forbidden: ". */
  detail: string
  hint: string
}

/** Reads the API server's "pods … is forbidden: …" text (as the Job controller quotes it in FailedCreate). */
export function podRefusal(message: string, namespace: string): Refusal | undefined {
  const at = message.indexOf('is forbidden: ')
  if (at < 0) return undefined
  const detail = message.slice(at + 'is forbidden: '.length).trim()
  const security = /violates PodSecurity "([^"]+)"/.exec(detail)
  if (security !== null)
    return {
      policy: `PodSecurity "${security[1]}" of namespace "${namespace}"`,
      permanent: true,
      detail,
      hint: `run in a namespace whose pod-security.kubernetes.io/enforce level is baseline or privileged (-n NAMESPACE), or ask an admin to set that label on "${namespace}"; mrun's pods run as the image's user, which the restricted level refuses`,
    }
  const quota = /exceeded quota: ([^,]+)/.exec(detail)
  if (quota !== null)
    return {
      policy: `ResourceQuota "${quota[1]}" of namespace "${namespace}"`,
      permanent: false,
      detail,
      hint: `ask for less with --cpu/--mem or run fewer points at once with --parallelism, wait for other pods in "${namespace}" to finish, or ask an admin to raise the quota (kubectl describe resourcequota -n ${namespace})`,
    }
  const mustSpecify = /failed quota: ([^:]+):/.exec(detail)
  if (mustSpecify !== null)
    return {
      policy: `ResourceQuota "${mustSpecify[1]}" of namespace "${namespace}"`,
      permanent: true,
      detail,
      hint: `give every resource the quota lists (--cpu, --mem, --gpu) or set them in the mrun profile's resources (kubectl describe resourcequota -n ${namespace})`,
    }
  if (/(maximum|minimum) [\w./-]+ usage per (Container|Pod)|ratio to request/.test(detail))
    return {
      policy: `LimitRange of namespace "${namespace}"`,
      permanent: true,
      detail,
      hint: `choose --cpu/--mem within the namespace's LimitRange (kubectl describe limitrange -n ${namespace})`,
    }
  return {
    policy: `an admission policy of namespace "${namespace}"`,
    permanent: true,
    detail,
    hint: 'ask an admin which policy refuses the pod',
  }
}

/** Container waiting reasons that never end without a change by someone: the image cannot be had. */
const IMAGE_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'])
const CONFIG_FAILURES = new Set(['CreateContainerConfigError'])

/**
 * What keeps a pod from ever finishing by itself, as one line naming the pod, or undefined: the scheduler's
 * Unschedulable message, an image that cannot be pulled, a container whose config refers to something missing.
 */
export function podStall(pod: PodLike): string | undefined {
  const name = pod.metadata?.name ?? ''
  if (pod.status?.phase !== undefined && pod.status.phase !== 'Pending') return undefined
  const unschedulable = pod.status?.conditions?.find(
    (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  )
  if (unschedulable !== undefined)
    return `pod ${name} cannot be scheduled: ${(unschedulable.message ?? 'Unschedulable').trim()}`
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting
    const reason = waiting?.reason ?? ''
    const message = waiting?.message === undefined || waiting.message === '' ? '' : `: ${waiting.message.trim()}`
    if (IMAGE_FAILURES.has(reason)) return `pod ${name} cannot pull its image (${reason}${message})`
    if (CONFIG_FAILURES.has(reason)) return `pod ${name} cannot start its container (${reason}${message})`
  }
  return undefined
}

/** The hint that goes with a stall line. */
export function stallHint(line: string, name: string, namespace: string): string {
  if (line.includes('cannot be scheduled'))
    return `ask for less (--cpu, --mem, --gpu), check the profile's node selector and tolerations, or add nodes; see kubectl mrun status ${name} -n ${namespace}`
  if (line.includes('cannot pull'))
    return `check the image name and the registry credentials (image_pull_secret); see kubectl mrun status ${name} -n ${namespace}`
  return `see kubectl mrun status ${name} -n ${namespace}`
}
