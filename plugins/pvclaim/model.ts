import type { V1PersistentVolume, V1PersistentVolumeClaim, V1Pod, V1StorageClass } from '@kubernetes/client-node'
import { SuiteError } from '../../shared/errors.ts'
import { compareQuantities, formatQuantity, type Quantity, tryParseQuantity, value } from '../../shared/quantity.ts'
import { parseTimestamp } from '../../shared/timestamps.ts'

/**
 * The pure model of `kubectl pvclaim`: manifests for new claims, the join of claims, volumes, pods and kubelet
 * volume stats into rows, and what deleting or resizing a claim means.
 */
export const ACCESS_MODES: Record<string, string> = {
  RWO: 'ReadWriteOnce',
  RWX: 'ReadWriteMany',
  ROX: 'ReadOnlyMany',
  RWOP: 'ReadWriteOncePod',
  READWRITEONCE: 'ReadWriteOnce',
  READWRITEMANY: 'ReadWriteMany',
  READONLYMANY: 'ReadOnlyMany',
  READWRITEONCEPOD: 'ReadWriteOncePod',
}

const SHORT_MODE: Record<string, string> = {
  ReadWriteOnce: 'RWO',
  ReadWriteMany: 'RWX',
  ReadOnlyMany: 'ROX',
  ReadWriteOncePod: 'RWOP',
}

export function parseAccessModes(text: string | undefined, fallback: string): string[] {
  const words = (text ?? fallback)
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '')
  return words.map((word) => {
    const mode = ACCESS_MODES[word.toUpperCase()]
    if (mode === undefined)
      throw new SuiteError('usage', `invalid --access-mode "${word}"`, {
        hint: 'use RWO, RWX, ROX or RWOP (comma-separated for several)',
      })
    return mode
  })
}

export function shortModes(modes: readonly string[] | undefined): string {
  return (modes ?? []).map((m) => SHORT_MODE[m] ?? m).join(',') || '-'
}

export function parseSize(text: string | undefined): Quantity {
  if (text === undefined || text === '')
    throw new SuiteError('usage', '--size is required', { hint: 'e.g. --size 10Gi' })
  const quantity = tryParseQuantity(text)
  if (quantity === undefined || quantity.nanos <= 0n)
    throw new SuiteError('usage', `invalid --size "${text}": not a positive quantity`, {
      hint: 'use a Kubernetes quantity such as 500Mi, 10Gi or 2Ti',
    })
  return quantity
}

export interface NfsTarget {
  server: string
  path: string
}

const HOST =
  /^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)$/

/** `server:/export/path`: a host name or IP, a colon, an absolute path. */
export function parseNfsTarget(text: string): NfsTarget {
  const colon = text.lastIndexOf(':/')
  const server = colon < 0 ? '' : text.slice(0, colon)
  const path = colon < 0 ? '' : text.slice(colon + 1)
  if (server === '' || !HOST.test(server) || !path.startsWith('/') || path.includes('//') || /\s/.test(path))
    throw new SuiteError('usage', `invalid --nfs "${text}"`, {
      hint: 'use SERVER:/EXPORT/PATH, e.g. --nfs nfs.example.com:/exports/data',
    })
  return { server: server.replace(/^\[|\]$/g, ''), path }
}

export interface ClaimSpec {
  name: string
  namespace: string
  size: Quantity
  accessModes: string[]
  storageClass?: string | undefined
}

export function claimManifest(spec: ClaimSpec): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: spec.name, namespace: spec.namespace },
    spec: {
      accessModes: spec.accessModes,
      resources: { requests: { storage: formatQuantity(spec.size) } },
      ...(spec.storageClass === undefined ? {} : { storageClassName: spec.storageClass }),
    },
  }
}

/** The PV name for an NFS claim: unique per namespace and claim, within the 253-character limit. */
export function nfsVolumeName(namespace: string, claim: string): string {
  return `nfs-${namespace}-${claim}`.slice(0, 253).replace(/[^a-z0-9.-]/g, '-')
}

/**
 * An NFS PersistentVolume and a claim pre-bound to each other: the PV's claimRef names the claim, the claim's
 * volumeName names the PV, and `storageClassName: ""` on both keeps a default storage class from provisioning a
 * second volume for the claim.
 */
export function nfsPair(
  spec: ClaimSpec & { nfs: NfsTarget; readOnly: boolean; reclaimPolicy: string },
): [V1PersistentVolume, V1PersistentVolumeClaim] {
  const volumeName = nfsVolumeName(spec.namespace, spec.name)
  const storage = formatQuantity(spec.size)
  return [
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name: volumeName,
        labels: {
          'kubectl-suite/claim': spec.name.slice(0, 63),
          'kubectl-suite/namespace': spec.namespace.slice(0, 63),
        },
      },
      spec: {
        capacity: { storage },
        // Copies: one array in two objects would print as a YAML anchor and alias.
        accessModes: [...spec.accessModes],
        persistentVolumeReclaimPolicy: spec.reclaimPolicy,
        storageClassName: '',
        mountOptions: ['nfsvers=4.1'],
        nfs: { server: spec.nfs.server, path: spec.nfs.path, readOnly: spec.readOnly },
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: spec.namespace, name: spec.name },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: spec.name, namespace: spec.namespace },
      spec: {
        accessModes: [...spec.accessModes],
        resources: { requests: { storage } },
        storageClassName: '',
        volumeName,
      },
    },
  ]
}

export interface VolumeStats {
  capacityBytes?: number
  usedBytes?: number
  availableBytes?: number
  inodes?: number
  inodesUsed?: number
}

export interface ClaimRow {
  namespace: string
  name: string
  status: string
  capacity: string | undefined
  requested: string | undefined
  accessModes: string
  storageClass: string | undefined
  volume: string | undefined
  consumers: string[]
  nodes: string[]
  stats: VolumeStats | undefined
  created: Date | undefined
}

/** Pods (not finished) that name the claim in a volume. */
export function consumersOf(pods: readonly V1Pod[], namespace: string, claim: string): V1Pod[] {
  return pods.filter(
    (p) =>
      p.metadata?.namespace === namespace &&
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed' &&
      (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim),
  )
}

export function claimRows(
  claims: readonly V1PersistentVolumeClaim[],
  pods: readonly V1Pod[],
  stats: ReadonlyMap<string, VolumeStats>,
): ClaimRow[] {
  return claims.map((claim) => {
    const namespace = claim.metadata?.namespace ?? ''
    const name = claim.metadata?.name ?? ''
    const consumers = consumersOf(pods, namespace, name)
    return {
      namespace,
      name,
      status: claim.metadata?.deletionTimestamp != null ? 'Terminating' : (claim.status?.phase ?? 'Pending'),
      capacity: claim.status?.capacity?.storage,
      requested: claim.spec?.resources?.requests?.storage,
      accessModes: shortModes(claim.status?.accessModes ?? claim.spec?.accessModes),
      storageClass: claim.spec?.storageClassName,
      volume: claim.spec?.volumeName || undefined,
      consumers: consumers.map((p) => p.metadata?.name ?? ''),
      nodes: [...new Set(consumers.map((p) => p.spec?.nodeName).filter((n): n is string => n !== undefined))],
      stats: stats.get(`${namespace}/${name}`),
      created: parseTimestamp(claim.metadata?.creationTimestamp),
    }
  })
}

/** Nodes whose kubelet can report usage for some claim: those running a pod that mounts one. */
export function nodesWithConsumers(claims: readonly V1PersistentVolumeClaim[], pods: readonly V1Pod[]): string[] {
  const wanted = new Set(claims.map((c) => `${c.metadata?.namespace}/${c.metadata?.name}`))
  const nodes = new Set<string>()
  for (const pod of pods) {
    if (pod.status?.phase !== 'Running' || pod.spec?.nodeName === undefined) continue
    if (
      (pod.spec.volumes ?? []).some((v) =>
        wanted.has(`${pod.metadata?.namespace}/${v.persistentVolumeClaim?.claimName}`),
      )
    )
      nodes.add(pod.spec.nodeName)
  }
  return [...nodes].sort()
}

export interface StatsSummary {
  pods?: { volume?: (VolumeStats & { pvcRef?: { name?: string; namespace?: string } })[] }[]
}

/** The volume entries of kubelet summaries that belong to claims, keyed namespace/name. */
export function claimStats(summaries: readonly StatsSummary[]): Map<string, VolumeStats> {
  const stats = new Map<string, VolumeStats>()
  for (const summary of summaries)
    for (const pod of summary.pods ?? [])
      for (const volume of pod.volume ?? [])
        if (volume.pvcRef?.name !== undefined)
          stats.set(`${volume.pvcRef.namespace ?? ''}/${volume.pvcRef.name}`, volume)
  return stats
}

/** What a resize may do: only grow, only where the storage class allows expansion (or the volume is static). */
export function checkResize(
  claim: V1PersistentVolumeClaim,
  size: Quantity,
  storageClass: V1StorageClass | undefined,
): void {
  const name = claim.metadata?.name ?? ''
  const current = tryParseQuantity(claim.spec?.resources?.requests?.storage ?? '')
  if (current !== undefined) {
    const cmp = compareQuantities(size, current)
    if (cmp < 0)
      throw new SuiteError(
        'invalid',
        `cannot shrink ${name} from ${formatQuantity(current)} to ${formatQuantity(size)}: volumes only grow`,
        {
          hint: 'copy the data to a new, smaller claim instead (pvclaim download, create, upload)',
        },
      )
    if (cmp === 0)
      throw new SuiteError('invalid', `${name} already requests ${formatQuantity(size)}`, {
        hint: 'give a larger --size',
      })
  }
  const className = claim.spec?.storageClassName
  if (className === undefined || className === '')
    throw new SuiteError('invalid', `${name} has no storage class, so its volume cannot be expanded`, {
      hint: 'static volumes (such as NFS) are resized on the server; then edit the PV capacity',
    })
  if (storageClass === undefined)
    throw new SuiteError('invalid', `the storage class "${className}" of ${name} does not exist`, {
      hint: 'ask an admin',
    })
  if (storageClass.allowVolumeExpansion !== true)
    throw new SuiteError('invalid', `the storage class "${className}" does not allow volume expansion`, {
      hint: 'ask an admin to set allowVolumeExpansion: true on it, or copy the data to a new, larger claim',
    })
}

/** What happens to the data when a claim is deleted, in one sentence. */
export function deleteConsequence(claim: V1PersistentVolumeClaim, volume: V1PersistentVolume | undefined): string {
  if (volume === undefined)
    return claim.status?.phase === 'Bound'
      ? 'its volume could not be read; the storage class decides'
      : 'it is not bound to a volume: no data is lost'
  const policy = volume.spec?.persistentVolumeReclaimPolicy ?? 'Delete'
  const name = volume.metadata?.name ?? ''
  if (policy === 'Retain')
    return `persistentvolume ${name} has reclaim policy Retain: the data is kept and the volume becomes Released (an admin must clean it up to reuse it)`
  if (policy === 'Recycle')
    return `persistentvolume ${name} has reclaim policy Recycle: its files are erased and the volume reused`
  return `persistentvolume ${name} has reclaim policy Delete: the volume and ALL ITS DATA are deleted`
}

export function bytesOf(quantity: string | undefined): bigint | undefined {
  const parsed = quantity === undefined ? undefined : tryParseQuantity(quantity)
  return parsed === undefined ? undefined : value(parsed)
}
