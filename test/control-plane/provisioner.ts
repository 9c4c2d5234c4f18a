import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseQuantity } from '../../shared/quantity.ts'
import type { Client, KubeObject } from './client.ts'

/**
 * A dynamic provisioner for two StorageClasses, playing the part an external CSI provisioner plays in a real
 * cluster: the real controller-manager's PV controller marks claims of our classes with
 * `volume.kubernetes.io/storage-provisioner`, we create a PV (a hostPath folder under the run's data dir) that
 * points back at the claim through claimRef, and the PV controller binds the two.
 *
 * - `standard` (the default class) is ReadWriteOnce only, like EBS or GCE PD: a claim asking for ReadWriteMany or
 *   ReadOnlyMany gets a ProvisioningFailed warning and stays Pending. Its volume is what a fresh disk's file system
 *   is: a folder of root's, 0755, that only root may write into at its top.
 * - `shared` also offers ReadWriteMany, like NFS or EFS. Its volume is a folder of mode 0777, as NFS subdir and
 *   local-path provisioners make them: anyone may write into it.
 *
 * The mode is the class's `folderMode` parameter, so a test can make a class of its own of either kind.
 */
export const PROVISIONER = 'kubectl-suite.test/hostpath'

export const STORAGE_CLASSES: KubeObject[] = [
  {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    // Like most block-storage CSI classes; the spec grows at once, the volume (a host folder) has no size to grow.
    allowVolumeExpansion: true,
    parameters: { accessModes: 'ReadWriteOnce', folderMode: '0755' },
  },
  {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'shared' },
    provisioner: PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    parameters: { accessModes: 'ReadWriteOnce,ReadOnlyMany,ReadWriteMany', folderMode: '0777' },
  },
]

export interface Provisioner {
  stop(): void
}

export function startProvisioner(client: Client, volumesDir: string): Provisioner {
  const controller = new AbortController()
  const failedReported = new Set<string>()
  const inFlight = new Set<string>()
  mkdirSync(volumesDir, { recursive: true })

  const warn = async (claim: KubeObject, message: string): Promise<void> => {
    const now = `${new Date().toISOString().slice(0, 19)}Z`
    await client.create(`/api/v1/namespaces/${claim.metadata.namespace}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${claim.metadata.name}.`, namespace: claim.metadata.namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        name: claim.metadata.name,
        namespace: claim.metadata.namespace,
        uid: claim.metadata.uid,
        resourceVersion: claim.metadata.resourceVersion,
      },
      type: 'Warning',
      reason: 'ProvisioningFailed',
      message,
      source: { component: `${PROVISIONER}` },
      reportingComponent: PROVISIONER,
      reportingInstance: PROVISIONER,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    })
  }

  const provision = async (claim: KubeObject): Promise<void> => {
    const uid = claim.metadata.uid as string
    const className = claim.spec?.storageClassName as string | undefined
    const storageClass = STORAGE_CLASSES.find((c) => c.metadata.name === className)
    if (storageClass === undefined) return
    const offered = String((storageClass.parameters as Record<string, string>).accessModes).split(',')
    const wanted = (claim.spec?.accessModes ?? []) as string[]
    const unsupported = wanted.filter((m) => !offered.includes(m))
    if (unsupported.length > 0) {
      if (failedReported.has(uid)) return
      failedReported.add(uid)
      await warn(
        claim,
        `failed to provision volume with StorageClass "${className}": rpc error: code = InvalidArgument desc = access mode ${unsupported.join(', ')} is not supported by this class (supported: ${offered.join(', ')})`,
      )
      return
    }
    const pvName = `pvc-${uid}`
    const path = join(volumesDir, pvName)
    if (!existsSync(path)) {
      mkdirSync(path, { recursive: true })
      const asked = (storageClass.parameters as Record<string, string>).folderMode ?? '0755'
      chmodSync(path, Number.parseInt(asked, 8))
    }
    await client.ensure('/api/v1/persistentvolumes', {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name: pvName,
        annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER },
      },
      spec: {
        capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' },
        accessModes: wanted,
        persistentVolumeReclaimPolicy: storageClass.reclaimPolicy,
        storageClassName: className,
        volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
        hostPath: { path, type: 'DirectoryOrCreate' },
        claimRef: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          namespace: claim.metadata.namespace,
          name: claim.metadata.name,
          uid,
          resourceVersion: claim.metadata.resourceVersion,
        },
      },
    })
  }

  // The external resizer's part: a bound claim asking for more than it has gets it (the controller-manager only
  // records "waiting for an external controller to expand this PVC"). A host folder has no size, so only the PV's
  // capacity and the claim's status grow, as after a CSI driver's online expansion.
  const expand = async (claim: KubeObject): Promise<void> => {
    const wanted = claim.spec?.resources?.requests?.storage as string | undefined
    const has = claim.status?.capacity?.storage as string | undefined
    if (wanted === undefined || has === undefined || claim.spec?.volumeName === undefined) return
    if (parseQuantity(wanted).nanos <= parseQuantity(has).nanos) return
    await client.mergePatch(`/api/v1/persistentvolumes/${claim.spec.volumeName}`, {
      spec: { capacity: { storage: wanted } },
    })
    await client.mergePatch(
      `/api/v1/namespaces/${claim.metadata.namespace}/persistentvolumeclaims/${claim.metadata.name}/status`,
      { status: { capacity: { storage: wanted }, conditions: null, allocatedResourceStatuses: null } },
    )
  }

  client.watch(
    '/api/v1/persistentvolumeclaims',
    (event) => {
      const claim = event.object
      if (event.type === 'DELETED') return
      const annotations = claim.metadata.annotations ?? {}
      const ours =
        annotations['volume.kubernetes.io/storage-provisioner'] === PROVISIONER ||
        annotations['volume.beta.kubernetes.io/storage-provisioner'] === PROVISIONER
      if (ours && claim.status?.phase === 'Bound') {
        void expand(claim).catch(() => {})
        return
      }
      if (!ours || claim.spec?.volumeName || claim.status?.phase !== 'Pending') return
      const uid = claim.metadata.uid as string
      if (inFlight.has(uid)) return
      inFlight.add(uid)
      void provision(claim)
        .catch(() => {})
        .finally(() => inFlight.delete(uid))
    },
    controller.signal,
  )

  // Reclaim: a Released volume of ours whose policy is Delete is removed with its folder, as a CSI driver would.
  client.watch(
    '/api/v1/persistentvolumes',
    (event) => {
      const pv = event.object
      if (event.type === 'DELETED') return
      if (pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'] !== PROVISIONER) return
      if (pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return
      const path = pv.spec?.hostPath?.path as string | undefined
      void client
        .delete(`/api/v1/persistentvolumes/${pv.metadata.name}`)
        .then(() => {
          if (path?.startsWith(volumesDir)) rmSync(path, { recursive: true, force: true })
        })
        .catch(() => {})
    },
    controller.signal,
  )

  return { stop: () => controller.abort() }
}
