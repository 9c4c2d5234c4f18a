import type { Readable } from 'node:stream'
import { SuiteError } from '../../shared/errors.ts'
import type { Kube } from '../../shared/kube/connect.ts'
import { listAll } from '../../shared/kube/list.ts'
import { type ResourceRef, resourcePath } from '../../shared/kube/paths.ts'
import { isLabelValue, labelValue } from '../../shared/names.ts'
import {
  type JobLike,
  type KubeObject,
  LABEL_EXPERIMENT,
  LABEL_MANAGED_BY,
  LABEL_RUN_ID,
  MANAGED_BY,
  type PodLike,
} from './model.ts'
import { accessModesServe } from './storage-model.ts'

/** API I/O of kubectl mrun, all through the shared transport. */

const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`

type Kind = 'namespaces' | 'persistentvolumeclaims' | 'secrets' | 'configmaps' | 'pods' | 'jobs'

function ref(kind: Kind, namespace?: string, name?: string, subresource?: string): ResourceRef {
  return {
    ...(kind === 'jobs' ? { group: 'batch', version: 'v1' } : {}),
    plural: kind,
    ...(kind === 'namespaces' ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
    ...(subresource === undefined ? {} : { subresource }),
  }
}

const isStatus = (error: unknown, status: number): boolean => error instanceof SuiteError && error.status === status

export async function getObject<T>(
  kube: Kube,
  kind: Kind,
  namespace: string | undefined,
  name: string,
  signal?: AbortSignal,
): Promise<T | undefined> {
  try {
    return await kube.transport.json<T>({
      path: resourcePath(ref(kind, namespace, name)),
      context: { verb: 'get', resource: kind, namespace, name },
      ...(signal === undefined ? {} : { signal }),
    })
  } catch (error) {
    if (isStatus(error, 404)) return undefined
    throw error
  }
}

export async function createObject<T>(
  kube: Kube,
  kind: Kind,
  object: KubeObject,
  options: { dryRun?: boolean; signal?: AbortSignal } = {},
): Promise<T> {
  const namespace = object.metadata.namespace
  return kube.transport.json<T>({
    method: 'POST',
    path: resourcePath(ref(kind, namespace)),
    body: object,
    ...(options.dryRun === true ? { query: { dryRun: 'All' } } : {}),
    context: { verb: 'create', resource: kind, namespace, name: object.metadata.name },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
}

/** A JSON merge patch of one object. */
export async function patchObject(
  kube: Kube,
  kind: Kind,
  namespace: string | undefined,
  name: string,
  patch: unknown,
  signal?: AbortSignal,
): Promise<void> {
  await kube.transport.json({
    method: 'PATCH',
    path: resourcePath(ref(kind, namespace, name)),
    body: patch,
    contentType: 'application/merge-patch+json',
    context: { verb: 'patch', resource: kind, namespace, name },
    ...(signal === undefined ? {} : { signal }),
  })
}

export async function deleteObject(
  kube: Kube,
  kind: Kind,
  namespace: string | undefined,
  name: string,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await kube.transport.json({
      method: 'DELETE',
      path: resourcePath(ref(kind, namespace, name)),
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
      context: { verb: 'delete', resource: kind, namespace, name },
      ...(signal === undefined ? {} : { signal }),
    })
    return true
  } catch (error) {
    if (isStatus(error, 404)) return false
    throw error
  }
}

export type EnsureResult = 'created' | 'exists' | 'updated'

/** Creates the namespace unless it exists; a namespace made by someone else is fine to run in. */
export async function ensureNamespace(kube: Kube, object: KubeObject, signal: AbortSignal): Promise<EnsureResult> {
  if ((await getObject(kube, 'namespaces', undefined, object.metadata.name, signal)) !== undefined) return 'exists'
  try {
    await createObject(kube, 'namespaces', object, { signal })
    return 'created'
  } catch (error) {
    if (isStatus(error, 409)) return 'exists' // created between our GET and POST: the same outcome
    throw error
  }
}

interface ClaimLike {
  spec?: { accessModes?: string[]; resources?: { requests?: { storage?: string } }; storageClassName?: string }
  status?: { capacity?: { storage?: string } }
}

/**
 * Creates the storage claim unless it exists. An existing claim is reused only if it can serve the run (the same access
 * mode, or ReadWriteMany, which serves a ReadWriteOnce run too); otherwise that is a conflict to resolve, never something to skip silently.
 */
export async function ensureClaim(kube: Kube, object: KubeObject, signal: AbortSignal): Promise<EnsureResult> {
  const namespace = object.metadata.namespace as string
  const wanted = (object.spec as ClaimLike['spec'])?.accessModes ?? []
  const existing = await getObject<ClaimLike>(kube, 'persistentvolumeclaims', namespace, object.metadata.name, signal)
  if (existing !== undefined) {
    const modes = existing.spec?.accessModes ?? []
    if (!accessModesServe(modes, wanted))
      throw new SuiteError(
        'conflict',
        `claim "${object.metadata.name}" in namespace "${namespace}" exists with access modes ${modes.join(',') || 'none'}, not ${wanted.join(',')}`,
        {
          hint: `pass --access-mode ${modes[0] ?? 'ReadWriteOnce'} (or set storage_access_mode in the mrun profile) to use it, or delete the claim (its data goes with it)`,
        },
      )
    return 'exists'
  }
  await createObject(kube, 'persistentvolumeclaims', object, { signal })
  return 'created'
}

interface SecretLike {
  metadata?: { labels?: Record<string, string>; resourceVersion?: string }
  type?: string
  data?: Record<string, string>
}

/**
 * Creates or refreshes one of our Secrets. A Secret of that name that mrun did not make is a conflict: we will not
 * overwrite someone's credentials. Values are compared, never printed.
 */
export async function ensureSecret(kube: Kube, object: KubeObject, signal: AbortSignal): Promise<EnsureResult> {
  const namespace = object.metadata.namespace as string
  const name = object.metadata.name
  const existing = await getObject<SecretLike>(kube, 'secrets', namespace, name, signal)
  if (existing === undefined) {
    await createObject(kube, 'secrets', object, { signal })
    return 'created'
  }
  if (existing.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY)
    throw new SuiteError(
      'conflict',
      `secret "${name}" in namespace "${namespace}" exists and was not created by kubectl mrun`,
      {
        hint: `rename or delete that secret, or point the profile at it (image_pull_secret: ${name})`,
      },
    )
  const same =
    existing.type === object.type && JSON.stringify(existing.data ?? {}) === JSON.stringify(object.data ?? {})
  if (same) return 'exists'
  await kube.transport.json({
    method: 'PUT',
    path: resourcePath(ref('secrets', namespace, name)),
    body: { ...object, metadata: { ...object.metadata, resourceVersion: existing.metadata?.resourceVersion } },
    context: { verb: 'update', resource: 'secrets', namespace, name },
    signal,
  })
  return 'updated'
}

export async function listRuns(
  kube: Kube,
  namespace: string | undefined,
  signal: AbortSignal,
  selectors: { labelSelector?: string | undefined; fieldSelector?: string | undefined } = {},
): Promise<JobLike[]> {
  const { items } = await listAll<JobLike>(kube.transport, {
    path: resourcePath({ group: 'batch', version: 'v1', plural: 'jobs', namespace }),
    // The user's -l narrows mrun's own Jobs; it never widens the list to Jobs mrun did not make.
    labelSelector:
      selectors.labelSelector === undefined ? MANAGED_SELECTOR : `${MANAGED_SELECTOR},${selectors.labelSelector}`,
    fieldSelector: selectors.fieldSelector,
    context: { verb: 'list', resource: 'jobs', namespace },
    signal,
  })
  return items
}

/**
 * A run by Job name, by run id, or (with `byExperiment`, for commands that only read) by experiment name: the newest
 * run of that experiment, as a researcher thinks of "the resnet run". Not found names what was tried and the fix.
 */
export async function findRun(
  kube: Kube,
  namespace: string,
  run: string,
  signal: AbortSignal,
  options: { byExperiment?: boolean } = {},
): Promise<JobLike> {
  const job = await getObject<JobLike>(kube, 'jobs', namespace, run, signal)
  if (job !== undefined && job.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY) return job
  const listBy = async (label: string, value: string): Promise<JobLike[]> =>
    isLabelValue(value)
      ? (
          await listAll<JobLike>(kube.transport, {
            path: resourcePath({ group: 'batch', version: 'v1', plural: 'jobs', namespace }),
            labelSelector: `${MANAGED_SELECTOR},${label}=${value}`,
            context: { verb: 'list', resource: 'jobs', namespace },
            signal,
          })
        ).items
      : []
  const found = (await listBy(LABEL_RUN_ID, run))[0]
  if (found !== undefined) return found
  if (options.byExperiment === true) {
    const runs = await listBy(LABEL_EXPERIMENT, labelValue(run))
    const newest = runs
      .filter((j) => j.metadata?.labels?.[LABEL_EXPERIMENT] === labelValue(run))
      .sort((a, b) => (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? ''))[0]
    if (newest !== undefined) return newest
  }
  throw new SuiteError(
    'not-found',
    `run "${run}" not found in namespace "${namespace}"${options.byExperiment === true ? ' (as a job, a run id or an experiment)' : ''}`,
    { hint: 'list the runs with kubectl mrun list (-A for every namespace)' },
  )
}

export async function runPods(kube: Kube, namespace: string, runId: string, signal: AbortSignal): Promise<PodLike[]> {
  const { items } = await listAll<PodLike>(kube.transport, {
    path: resourcePath({ plural: 'pods', namespace }),
    labelSelector: `${LABEL_RUN_ID}=${runId}`,
    context: { verb: 'list', resource: 'pods', namespace },
    signal,
  })
  return items
}

export async function podLogs(
  kube: Kube,
  namespace: string,
  pod: string,
  options: { follow: boolean; signal: AbortSignal },
): Promise<Readable | string> {
  const request = {
    path: resourcePath(ref('pods', namespace, pod, 'log')),
    query: { container: 'main', ...(options.follow ? { follow: 'true' } : {}) },
    context: { verb: 'get', resource: 'pods/log', namespace, name: pod },
    signal: options.signal,
  }
  if (options.follow) return kube.transport.stream({ ...request, timeoutMs: 0 })
  return kube.transport.text(request)
}
