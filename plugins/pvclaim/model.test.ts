import type { V1PersistentVolume, V1PersistentVolumeClaim, V1StorageClass } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { parseQuantity } from '../../shared/quantity.ts'
import { checkResize, deleteConsequence, nfsPair, parseAccessModes, parseNfsTarget, parseSize } from './model.ts'

describe('parseNfsTarget', () => {
  it.each([
    ['nfs.example.com:/exports/data', { server: 'nfs.example.com', path: '/exports/data' }],
    ['10.0.0.5:/srv', { server: '10.0.0.5', path: '/srv' }],
    ['[fd00::5]:/srv/nfs', { server: 'fd00::5', path: '/srv/nfs' }],
  ])('%s', (text, target) => {
    expect(parseNfsTarget(text)).toEqual(target)
  })
  it.each(['nfs.example.com', 'nfs.example.com:exports', ':/exports', 'bad host:/x', 'host:/a//b', 'host_name:/x'])(
    'refuses %j',
    (text) => {
      expect(() => parseNfsTarget(text)).toThrow(/invalid --nfs/)
    },
  )
})

describe('parseSize and parseAccessModes', () => {
  it.each(['10Gi', '500M', '2Ti'])('accepts %s', (text) => {
    expect(parseSize(text).nanos > 0n).toBe(true)
  })
  it.each(['10GB', 'lots', '0', '-1Gi'])('refuses %s', (text) => {
    expect(() => parseSize(text)).toThrow(/invalid --size/)
  })
  it('reads short and long access modes', () => {
    expect(parseAccessModes('rwo,RWX,ReadOnlyMany', 'RWO')).toEqual(['ReadWriteOnce', 'ReadWriteMany', 'ReadOnlyMany'])
    expect(() => parseAccessModes('RW', 'RWO')).toThrow(/invalid --access-mode "RW"/)
  })
})

describe('nfsPair', () => {
  it('binds the PV and the claim to each other, without a storage class, like the golden file', async () => {
    const [pv, pvc] = nfsPair({
      name: 'datasets',
      namespace: 'ml',
      size: parseQuantity('10Ti'),
      accessModes: ['ReadWriteMany'],
      nfs: { server: 'nfs.example.com', path: '/exports/datasets' },
      readOnly: true,
      reclaimPolicy: 'Retain',
    })
    expect(pv.spec?.claimRef).toMatchObject({ namespace: 'ml', name: 'datasets' })
    expect(pvc.spec?.volumeName).toBe(pv.metadata?.name)
    expect(pv.spec?.storageClassName).toBe('')
    expect(pvc.spec?.storageClassName).toBe('')
    await expect(stringify([pv, pvc])).toMatchFileSnapshot('./testdata/golden/nfs-pair.yaml')
  })
})

describe('checkResize', () => {
  const claim = (size: string, className: string | undefined): V1PersistentVolumeClaim => ({
    metadata: { name: 'data' },
    spec: {
      resources: { requests: { storage: size } },
      ...(className === undefined ? {} : { storageClassName: className }),
    },
  })
  const expandable = { metadata: { name: 'standard' }, allowVolumeExpansion: true } as V1StorageClass
  const fixed = { metadata: { name: 'fast' }, allowVolumeExpansion: false } as V1StorageClass
  it.each<[string, V1PersistentVolumeClaim, string, V1StorageClass | undefined, RegExp | undefined]>([
    ['grows', claim('10Gi', 'standard'), '20Gi', expandable, undefined],
    ['refuses to shrink', claim('10Gi', 'standard'), '5Gi', expandable, /cannot shrink data from 10Gi to 5Gi/],
    ['refuses the same size', claim('10Gi', 'standard'), '10Gi', expandable, /already requests 10Gi/],
    ['refuses a class without expansion', claim('10Gi', 'fast'), '20Gi', fixed, /does not allow volume expansion/],
    ['refuses a static volume', claim('10Gi', ''), '20Gi', undefined, /has no storage class/],
  ])('%s', (_case, c, size, sc, error) => {
    const run = (): void => checkResize(c, parseQuantity(size), sc)
    if (error === undefined) expect(run).not.toThrow()
    else expect(run).toThrow(error)
  })
})

describe('deleteConsequence', () => {
  const volume = (policy: string): V1PersistentVolume => ({
    metadata: { name: 'pv-1' },
    spec: { persistentVolumeReclaimPolicy: policy },
  })
  it.each([
    ['Delete', /ALL ITS DATA are deleted/],
    ['Retain', /the data is kept and the volume becomes Released/],
  ])('says what %s means', (policy, text) => {
    expect(deleteConsequence({ status: { phase: 'Bound' } }, volume(policy))).toMatch(text)
  })
  it('says nothing is lost for an unbound claim', () => {
    expect(deleteConsequence({ status: { phase: 'Pending' } }, undefined)).toMatch(/no data is lost/)
  })
})
