/**
 * The storage claim of a run, pure: which access mode to ask for, and what a claim that stays Pending says about
 * why. No I/O: callers pass the StorageClass and the claim's events.
 */

export const ACCESS_MODES = ['ReadWriteOnce', 'ReadWriteMany', 'ReadWriteOncePod', 'ReadOnlyMany'] as const
export type AccessMode = (typeof ACCESS_MODES)[number]

const SHORT: Record<string, AccessMode> = {
  rwo: 'ReadWriteOnce',
  rwx: 'ReadWriteMany',
  rwop: 'ReadWriteOncePod',
  rox: 'ReadOnlyMany',
}

/** `ReadWriteMany`, `rwx`, `readwritemany` → ReadWriteMany; anything else undefined. */
export function parseAccessMode(text: string): AccessMode | undefined {
  const lower = text.trim().toLowerCase()
  return SHORT[lower] ?? ACCESS_MODES.find((mode) => mode.toLowerCase() === lower)
}

export interface StorageClassLike {
  metadata?: { name?: string; annotations?: Record<string, string> }
  provisioner?: string
  volumeBindingMode?: string
}

/**
 * Provisioners whose volumes are file shares that many nodes mount at once. Block-storage drivers (EBS, PD, Azure
 * Disk, Cinder, most local/hostPath ones) are ReadWriteOnce only, and a ReadWriteMany claim on them stays Pending
 * with ProvisioningFailed; a class not listed here gets ReadWriteOnce unless the user asks for ReadWriteMany.
 */
const RWX_PROVISIONERS: readonly RegExp[] = [
  /^nfs\.csi\.k8s\.io$/,
  /nfs-subdir-external-provisioner/,
  /^k8s-sigs\.io\/nfs-subdir-external-provisioner$/,
  /^efs\.csi\.aws\.com$/,
  /^filestore\.csi\.storage\.gke\.io$/,
  /^file\.csi\.azure\.com$/,
  /^kubernetes\.io\/azure-file$/,
  /(^|\.)cephfs\.csi\.ceph\.com$/,
  /^smb\.csi\.k8s\.io$/,
  /^fsx\.csi\.aws\.com$/,
  /^csi\.trident\.netapp\.io$/,
]

export function providesReadWriteMany(storageClass: StorageClassLike | undefined): boolean {
  const provisioner = storageClass?.provisioner ?? ''
  return RWX_PROVISIONERS.some((pattern) => pattern.test(provisioner))
}

/**
 * The access mode mrun's claim asks for: the flag, else the configured one, else ReadWriteMany when the class is a
 * known file-share provisioner, else ReadWriteOnce, which every class provides (a single-node run needs no more).
 */
export function claimAccessMode(options: {
  flag?: AccessMode | undefined
  configured?: AccessMode | undefined
  storageClass?: StorageClassLike | undefined
}): AccessMode {
  if (options.flag !== undefined) return options.flag
  if (options.configured !== undefined) return options.configured
  return providesReadWriteMany(options.storageClass) ? 'ReadWriteMany' : 'ReadWriteOnce'
}

/** Whether an existing claim with `has` can serve a run that wants `wanted`: ReadWriteMany serves every writer. */
export function accessModesServe(has: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every(
    (mode) =>
      has.includes(mode) || (mode !== 'ReadOnlyMany' && mode !== 'ReadWriteOncePod' && has.includes('ReadWriteMany')),
  )
}

/** The default class of a cluster (the one annotated is-default-class), as the API server would pick it. */
export function defaultStorageClass<T extends StorageClassLike>(classes: readonly T[]): T | undefined {
  return classes.find(
    (c) =>
      c.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true' ||
      c.metadata?.annotations?.['storageclass.beta.kubernetes.io/is-default-class'] === 'true',
  )
}

export interface ClaimLike {
  metadata?: { name?: string; namespace?: string; uid?: string }
  spec?: { accessModes?: string[]; storageClassName?: string; volumeName?: string }
  status?: { phase?: string }
}

export interface EventLike {
  type?: string
  reason?: string
  message?: string
  count?: number
  lastTimestamp?: string
  eventTime?: string
  metadata?: { name?: string; resourceVersion?: string; creationTimestamp?: string }
  involvedObject?: { uid?: string }
}

const eventTime = (e: EventLike): string => e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? ''

/** Events newest first. */
export function newestFirst<T extends EventLike>(events: readonly T[]): T[] {
  return [...events].sort((a, b) => eventTime(b).localeCompare(eventTime(a)))
}

/** Reasons the PV controller and provisioners give when a claim cannot be bound as it is. */
const CLAIM_FAILURES = new Set(['ProvisioningFailed', 'FailedBinding', 'ExternalProvisioningFailed'])

/**
 * Why a Pending claim will not bind, as one line quoting the newest event that says so, or undefined while nothing
 * says it failed (a provisioner may still be working, or the class binds on first consumer).
 */
export function claimFailure(claim: ClaimLike, events: readonly EventLike[]): string | undefined {
  if (claim.status?.phase === 'Bound') return undefined
  // Events outlive their object by an hour: those of an earlier claim of the same name are not about this one.
  const uid = claim.metadata?.uid
  const failed = newestFirst(events).find(
    (e) =>
      CLAIM_FAILURES.has(e.reason ?? '') &&
      (uid === undefined || e.involvedObject?.uid === undefined || e.involvedObject.uid === uid),
  )
  if (failed === undefined) return undefined
  const name = claim.metadata?.name ?? 'mrun-storage'
  const modes = (claim.spec?.accessModes ?? []).join(',')
  const klass = claim.spec?.storageClassName
  return `claim "${name}" (${modes}${klass === undefined ? '' : `, storage class "${klass}"`}) stays Pending: ${failed.reason}: ${(failed.message ?? '').trim()}`
}

/** The fix for a claim that will not bind, naming the flags that change it. */
export function claimHint(claim: ClaimLike): string {
  const modes = claim.spec?.accessModes ?? []
  if (modes.includes('ReadWriteMany'))
    return 'name a class that offers ReadWriteMany with --storage-class (kubectl get storageclass), or ask for --access-mode ReadWriteOnce; an existing Pending claim must be deleted first (kubectl delete pvc mrun-storage)'
  return 'name a class that exists and can provision with --storage-class (kubectl get storageclass), or pick another --access-mode; an existing Pending claim must be deleted first (kubectl delete pvc mrun-storage)'
}
