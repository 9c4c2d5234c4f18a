import { field, type KubeObject } from './object.ts'
import type { Store } from './store.ts'

/**
 * The real control plane's storage-object-in-use protection: the API server puts this finalizer on every claim,
 * and the controller-manager lifts it once no pod that has not finished mounts the claim. Until then a deleted
 * claim stays, with a deletionTimestamp (Terminating), and its volume stays bound.
 */
export const PVC_PROTECTION = 'kubernetes.io/pvc-protection'

/** Whether a pod that has not finished mounts the claim (what keeps the pvc-protection finalizer on it). */
export function claimInUse(store: Store, claim: KubeObject): boolean {
  return [...store.all('pods', claim.metadata.namespace)].some(
    (p) =>
      !['Succeeded', 'Failed'].includes(field(p, ['status', 'phase']) as string) &&
      ((field(p, ['spec', 'volumes']) as { persistentVolumeClaim?: { claimName: string } }[] | undefined) ?? []).some(
        (v) => v.persistentVolumeClaim?.claimName === claim.metadata.name,
      ),
  )
}
