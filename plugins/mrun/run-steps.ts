import { SuiteError } from '../../shared/errors.ts'
import type { Kube } from '../../shared/kube/connect.ts'
import { listAll } from '../../shared/kube/list.ts'
import { resourcePath } from '../../shared/kube/paths.ts'
import { createObject } from './collect.ts'
import { inform, informEvents, Pulse } from './informer.ts'
import { keepsPerIndexBackoff, podRefusal, withoutPerIndexBackoff } from './jobs-model.ts'
import type { KubeObject } from './model.ts'
import {
  type ClaimLike,
  claimFailure,
  claimHint,
  defaultStorageClass,
  type EventLike,
  type StorageClassLike,
} from './storage-model.ts'

/** Steps of `mrun run` that talk to the cluster, kept out of the command so it stays a list of steps. */

const isStatus = (error: unknown, ...statuses: number[]): boolean =>
  error instanceof SuiteError && error.status !== undefined && statuses.includes(error.status)

/**
 * The StorageClass the claim will get: the named one, else the cluster's default. Undefined when it cannot be read
 * (many users may not list cluster-scoped classes) or there is none; a named class that does not exist is an error
 * now, rather than a claim that stays Pending.
 */
export async function lookupStorageClass(
  kube: Kube,
  name: string | undefined,
  signal: AbortSignal,
): Promise<StorageClassLike | undefined> {
  const path = resourcePath({ group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses' })
  try {
    if (name !== undefined)
      return await kube.transport.json<StorageClassLike>({
        path: `${path}/${encodeURIComponent(name)}`,
        context: { verb: 'get', resource: 'storageclasses', name },
        signal,
      })
    const { items } = await listAll<StorageClassLike>(kube.transport, {
      path,
      context: { verb: 'list', resource: 'storageclasses' },
      signal,
    })
    return defaultStorageClass(items)
  } catch (error) {
    if (name !== undefined && isStatus(error, 404))
      throw new SuiteError('config', `storage class "${name}" does not exist in this cluster`, {
        hint: 'pick one of kubectl get storageclass with --storage-class (or storage_class in the mrun profile)',
      })
    if (isStatus(error, 401, 403)) return undefined
    throw error
  }
}

/**
 * Waits until the run's claim is Bound. A claim whose class binds on first consumer is left Pending (the scheduler
 * binds it with the first pod). A claim the PV controller or the provisioner says will not bind (ProvisioningFailed,
 * FailedBinding) is an error quoting that event and naming the fix; so is one still Pending after `withinMs` with
 * nothing said, instead of Jobs whose pods would wait forever.
 */
export async function awaitClaimBound(
  kube: Kube,
  options: {
    namespace: string
    name: string
    storageClass: StorageClassLike | undefined
    signal: AbortSignal
    say: (line: string) => void
  },
  withinMs = 90_000,
): Promise<void> {
  if (options.storageClass?.volumeBindingMode === 'WaitForFirstConsumer') return
  const { namespace, name } = options
  const stop = new AbortController()
  const signal = AbortSignal.any([options.signal, stop.signal])
  const pulse = new Pulse()
  const claims = inform<ClaimLike>(
    kube,
    {
      path: resourcePath({ plural: 'persistentvolumeclaims', namespace }),
      resource: 'persistentvolumeclaims',
      namespace,
      fieldSelector: `metadata.name=${name}`,
      signal,
    },
    pulse,
  )
  const events = informEvents<EventLike>(kube, { namespace, kind: 'PersistentVolumeClaim', name, signal }, pulse)
  const deadline = Date.now() + withinMs
  let said = false
  try {
    while (Date.now() < deadline) {
      await pulse.next(Math.max(1, Math.min(1000, deadline - Date.now())))
      options.signal.throwIfAborted()
      const failure = claims.failure() ?? events.failure()
      if (failure !== undefined) {
        // Without the right to watch events or claims, the run goes ahead as before rather than failing.
        if (isStatus(failure, 401, 403)) return
        throw failure
      }
      if (!claims.synced()) continue
      const claim = claims.items()[0]
      if (claim === undefined) continue
      if (claim.status?.phase === 'Bound') return
      const failed = claimFailure(claim, events.items())
      if (failed !== undefined) throw new SuiteError('config', failed, { hint: claimHint(claim) })
      if (!said && Date.now() > deadline - withinMs + 3000) {
        said = true
        options.say(`waiting for persistentvolumeclaim/${name} to be bound`)
      }
    }
    const claim = claims.items()[0] ?? {}
    throw new SuiteError(
      'config',
      `claim "${name}" in namespace "${namespace}" is still Pending after ${Math.round(withinMs / 1000)}s: no volume matches it and no provisioner made one`,
      { hint: claimHint(claim) },
    )
  } finally {
    stop.abort()
  }
}

/**
 * Whether the server keeps a sweep's per-index backoff, by a server-side dry run of the Job: servers before 1.29
 * (or with the feature off) drop the fields silently. Returns the Job to create: the one given, or the same with one
 * backoffLimit for the whole sweep, after saying so once.
 */
export async function jobTheServerKeeps(
  kube: Kube,
  job: KubeObject,
  options: { retries: number; signal: AbortSignal; warn: (line: string) => void },
): Promise<KubeObject> {
  if ((job.spec as { backoffLimitPerIndex?: number }).backoffLimitPerIndex === undefined) return job
  const answered = await createObject<{ spec?: { backoffLimitPerIndex?: number } }>(kube, 'jobs', job, {
    dryRun: true,
    signal: options.signal,
  })
  if (keepsPerIndexBackoff(job, answered)) return job
  options.warn(
    `this cluster has no per-index backoff for Indexed Jobs (Kubernetes 1.29 or later): a failing point stops the whole sweep; falling back to backoffLimit ${options.retries} for the sweep`,
  )
  return withoutPerIndexBackoff(job, options.retries)
}

/** A 403 from the API server that is an admission policy's refusal, said as one; other errors unchanged. */
export function policyError(error: unknown, what: string, namespace: string): unknown {
  if (!(error instanceof SuiteError) || error.status !== 403) return error
  const refusal = podRefusal(error.message, namespace)
  if (refusal === undefined || refusal.policy.startsWith('an admission')) return error
  return new SuiteError('forbidden', `${refusal.policy} refuses ${what}: ${refusal.detail}`, {
    hint: refusal.hint,
    status: 403,
  })
}
