import { describe, expect, it } from 'vitest'
import {
  accessModesServe,
  claimAccessMode,
  claimFailure,
  claimHint,
  defaultStorageClass,
  parseAccessMode,
  providesReadWriteMany,
} from './storage-model.ts'

describe('the access mode of mrun storage claim', () => {
  it('is ReadWriteOnce unless the flag, the context or a known file-share class says ReadWriteMany', () => {
    expect(claimAccessMode({})).toBe('ReadWriteOnce')
    expect(claimAccessMode({ storageClass: { provisioner: 'ebs.csi.aws.com' } })).toBe('ReadWriteOnce')
    expect(claimAccessMode({ storageClass: { provisioner: 'efs.csi.aws.com' } })).toBe('ReadWriteMany')
    expect(claimAccessMode({ storageClass: { provisioner: 'filestore.csi.storage.gke.io' } })).toBe('ReadWriteMany')
    expect(claimAccessMode({ configured: 'ReadWriteMany' })).toBe('ReadWriteMany')
    expect(claimAccessMode({ flag: 'ReadWriteOnce', configured: 'ReadWriteMany' })).toBe('ReadWriteOnce')
    expect(claimAccessMode({ flag: 'ReadWriteMany', storageClass: { provisioner: 'pd.csi.storage.gke.io' } })).toBe(
      'ReadWriteMany',
    )
  })

  it('knows file-share provisioners by name, and nothing else', () => {
    expect(providesReadWriteMany({ provisioner: 'rook-ceph.cephfs.csi.ceph.com' })).toBe(true)
    expect(providesReadWriteMany({ provisioner: 'rook-ceph.rbd.csi.ceph.com' })).toBe(false)
    expect(providesReadWriteMany({ provisioner: 'cluster.local/nfs-subdir-external-provisioner' })).toBe(true)
    expect(providesReadWriteMany(undefined)).toBe(false)
  })

  it('reads the long and the short names, case-blind', () => {
    expect(parseAccessMode('rwx')).toBe('ReadWriteMany')
    expect(parseAccessMode('readwriteonce')).toBe('ReadWriteOnce')
    expect(parseAccessMode('ReadWriteOncePod')).toBe('ReadWriteOncePod')
    expect(parseAccessMode('many')).toBeUndefined()
  })

  it('an existing ReadWriteMany claim serves a ReadWriteOnce run, not the other way round', () => {
    expect(accessModesServe(['ReadWriteMany'], ['ReadWriteOnce'])).toBe(true)
    expect(accessModesServe(['ReadWriteOnce'], ['ReadWriteMany'])).toBe(false)
    expect(accessModesServe(['ReadWriteOnce'], ['ReadWriteOnce'])).toBe(true)
  })

  it('finds the default class by its annotation', () => {
    const classes = [
      { metadata: { name: 'fast' } },
      { metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } },
    ]
    expect(defaultStorageClass(classes)?.metadata?.name).toBe('standard')
    expect(defaultStorageClass([{ metadata: { name: 'fast' } }])).toBeUndefined()
  })
})

describe('a claim that will not bind', () => {
  const claim = {
    metadata: { name: 'mrun-storage' },
    spec: { accessModes: ['ReadWriteMany'], storageClassName: 'standard' },
    status: { phase: 'Pending' },
  }
  const failed = {
    type: 'Warning',
    reason: 'ProvisioningFailed',
    message: 'failed to provision volume with StorageClass "standard": access mode ReadWriteMany is not supported',
    lastTimestamp: '2026-01-01T10:00:05Z',
  }

  it('is one line quoting the newest event that says why, with the flags that fix it', () => {
    const older = { ...failed, message: 'older', lastTimestamp: '2026-01-01T10:00:00Z' }
    expect(claimFailure(claim, [older, failed])).toBe(
      'claim "mrun-storage" (ReadWriteMany, storage class "standard") stays Pending: ProvisioningFailed: failed to provision volume with StorageClass "standard": access mode ReadWriteMany is not supported',
    )
    expect(claimHint(claim)).toMatch(/--storage-class.*--access-mode ReadWriteOnce/)
  })

  it('ignores the events of an earlier claim of the same name (events outlive their object)', () => {
    const current = { ...claim, metadata: { name: 'mrun-storage', uid: 'new' } }
    expect(claimFailure(current, [{ ...failed, involvedObject: { uid: 'old' } }])).toBeUndefined()
    expect(claimFailure(current, [{ ...failed, involvedObject: { uid: 'new' } }])).toMatch(/ProvisioningFailed/)
  })

  it('says nothing while nothing failed, or once the claim is bound', () => {
    expect(
      claimFailure(claim, [
        { type: 'Normal', reason: 'Provisioning', message: 'External provisioner is provisioning' },
      ]),
    ).toBeUndefined()
    expect(claimFailure({ ...claim, status: { phase: 'Bound' } }, [failed])).toBeUndefined()
  })

  it('quotes the PV controller when no class is set and no volume matches', () => {
    const line = claimFailure({ ...claim, spec: { accessModes: ['ReadWriteOnce'] } }, [
      {
        type: 'Normal',
        reason: 'FailedBinding',
        message: 'no persistent volumes available for this claim and no storage class is set',
      },
    ])
    expect(line).toBe(
      'claim "mrun-storage" (ReadWriteOnce) stays Pending: FailedBinding: no persistent volumes available for this claim and no storage class is set',
    )
  })
})
