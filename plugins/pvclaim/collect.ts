import type {
  CoreV1Event,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
  V1StorageClass,
} from '@kubernetes/client-node'
import { SuiteError } from '../../shared/errors.ts'
import type { Kube } from '../../shared/kube/connect.ts'
import { listAll } from '../../shared/kube/list.ts'
import { resourcePath } from '../../shared/kube/paths.ts'
import { claimStats, nodesWithConsumers, type StatsSummary, type VolumeStats } from './model.ts'

/** The API reads and writes of `kubectl pvclaim`. */
export async function listClaims(
  kube: Kube,
  namespace: string | undefined,
  signal?: AbortSignal,
  selectors: { labelSelector?: string | undefined; fieldSelector?: string | undefined } = {},
): Promise<V1PersistentVolumeClaim[]> {
  const { items } = await listAll<V1PersistentVolumeClaim>(kube.transport, {
    path: resourcePath({ plural: 'persistentvolumeclaims', namespace }),
    labelSelector: selectors.labelSelector,
    fieldSelector: selectors.fieldSelector,
    context: { verb: 'list', resource: 'persistentvolumeclaims', namespace },
    ...(signal === undefined ? {} : { signal }),
  })
  return items
}

export async function listPods(kube: Kube, namespace: string | undefined, signal?: AbortSignal): Promise<V1Pod[]> {
  const { items } = await listAll<V1Pod>(kube.transport, {
    path: resourcePath({ plural: 'pods', namespace }),
    fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
    context: { verb: 'list', resource: 'pods', namespace },
    ...(signal === undefined ? {} : { signal }),
  })
  return items
}

/**
 * Usage per claim from the kubelets: one stats/summary per node that runs a pod mounting a claim, all at once.
 * Optional: a node that does not answer, or a user without nodes/proxy, costs a warning and `-` cells.
 */
export async function collectStats(
  kube: Kube,
  claims: readonly V1PersistentVolumeClaim[],
  pods: readonly V1Pod[],
): Promise<{ stats: Map<string, VolumeStats>; warnings: string[] }> {
  const nodes = nodesWithConsumers(claims, pods)
  const warnings: string[] = []
  const summaries = await Promise.all(
    nodes.map(async (node) => {
      try {
        return await kube.transport.json<StatsSummary>({
          path: `${resourcePath({ plural: 'nodes', name: node, subresource: 'proxy' })}/stats/summary`,
          context: { verb: 'get', resource: 'nodes/proxy', name: node },
          timeoutMs: 10_000,
        })
      } catch (error) {
        if (!(error instanceof SuiteError) || error.kind === 'interrupted') throw error
        warnings.push(
          error.status === 403
            ? `usage columns show "-": reading kubelet stats needs "get" on nodes/proxy (${error.message})`
            : `no usage from node ${node}: ${error.message}`,
        )
        return {}
      }
    }),
  )
  return { stats: claimStats(summaries), warnings: [...new Set(warnings)] }
}

export async function getVolume(kube: Kube, name: string | undefined): Promise<V1PersistentVolume | undefined> {
  if (name === undefined || name === '') return undefined
  try {
    return await kube.transport.json<V1PersistentVolume>({
      path: resourcePath({ plural: 'persistentvolumes', name }),
      context: { verb: 'get', resource: 'persistentvolumes', name },
    })
  } catch (error) {
    // Claim owners often may not read cluster-scoped PVs: the claim's own fields still tell most of the story.
    if (error instanceof SuiteError && (error.status === 404 || error.status === 403)) return undefined
    throw error
  }
}

export async function getStorageClass(kube: Kube, name: string | undefined): Promise<V1StorageClass | undefined> {
  if (name === undefined || name === '') return undefined
  try {
    return await kube.transport.json<V1StorageClass>({
      path: resourcePath({ group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', name }),
      context: { verb: 'get', resource: 'storageclasses', name },
    })
  } catch (error) {
    if (error instanceof SuiteError && (error.status === 404 || error.status === 403)) return undefined
    throw error
  }
}

export async function claimEvents(kube: Kube, namespace: string, name: string): Promise<CoreV1Event[]> {
  const { items } = await listAll<CoreV1Event>(kube.transport, {
    path: resourcePath({ plural: 'events', namespace }),
    fieldSelector: `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${name}`,
    context: { verb: 'list', resource: 'events', namespace },
  })
  return items
}

export async function createObject<T>(
  kube: Kube,
  object: T & { kind?: string; metadata?: { name?: string; namespace?: string } },
  dryRun: boolean,
): Promise<T> {
  const namespaced = object.kind === 'PersistentVolumeClaim'
  const namespace = namespaced ? object.metadata?.namespace : undefined
  const plural = namespaced ? 'persistentvolumeclaims' : 'persistentvolumes'
  return kube.transport.json<T>({
    method: 'POST',
    path: resourcePath({ plural, namespace }),
    ...(dryRun ? { query: { dryRun: 'All' } } : {}),
    body: object,
    context: { verb: 'create', resource: plural, namespace, name: object.metadata?.name },
  })
}

export async function deleteObject(
  kube: Kube,
  plural: 'persistentvolumeclaims' | 'persistentvolumes',
  namespace: string | undefined,
  name: string,
): Promise<void> {
  await kube.transport.json({
    method: 'DELETE',
    path: resourcePath({ plural, namespace, name }),
    context: { verb: 'delete', resource: plural, namespace, name },
  })
}

export async function resizeClaim(
  kube: Kube,
  namespace: string,
  name: string,
  size: string,
): Promise<V1PersistentVolumeClaim> {
  return kube.transport.json<V1PersistentVolumeClaim>({
    method: 'PATCH',
    path: resourcePath({ plural: 'persistentvolumeclaims', namespace, name }),
    contentType: 'application/merge-patch+json',
    body: { spec: { resources: { requests: { storage: size } } } },
    context: { verb: 'patch', resource: 'persistentvolumeclaims', namespace, name },
  })
}
