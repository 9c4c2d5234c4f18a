import { describe, expect, it } from 'vitest'
import type { KubeObject } from './object.ts'
import { StatusError } from './status.ts'
import { Store } from './store.ts'

function pod(namespace: string, name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: {} }
}

function seeded(count: number): Store {
  const store = new Store()
  store.bulkLoad(Array.from({ length: count }, (_, i) => pod(`ns-${i % 3}`, `pod-${String(i).padStart(4, '0')}`)))
  return store
}

describe('store', () => {
  it('pages in key order with continue tokens and remainingItemCount', () => {
    const store = seeded(10)
    const first = store.list('pods', { limit: 4 })
    expect(first.items.map((e) => e.obj.metadata.name)).toHaveLength(4)
    expect(first.remainingItemCount).toBe(6)
    const second = store.list('pods', { limit: 4, continueToken: first.continueToken })
    const third = store.list('pods', { limit: 4, continueToken: second.continueToken })
    expect(third.continueToken).toBe('')
    const keys = [...first.items, ...second.items, ...third.items].map(
      (e) => `${e.obj.metadata.namespace}/${e.obj.metadata.name}`,
    )
    expect(keys).toEqual([...keys].sort())
    expect(new Set(keys).size).toBe(10)
  })

  it('lists one namespace as a key range', () => {
    const store = seeded(9)
    expect(store.list('pods', { namespace: 'ns-1' }).items).toHaveLength(3)
  })

  it('a continue token from before a compaction answers 410 Expired', () => {
    const store = seeded(10)
    const first = store.list('pods', { limit: 2 })
    store.compactedRevision = store.resourceVersion
    expect(() => store.list('pods', { limit: 2, continueToken: first.continueToken })).toThrow(StatusError)
  })

  it('create refuses duplicates with 409 AlreadyExists and assigns uid and resourceVersion', () => {
    const store = new Store()
    const created = store.create(pod('a', 'x'))
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0)
    expect(() => store.create(pod('a', 'x'))).toThrow('pods "x" already exists')
  })

  it('update with a stale resourceVersion is a 409 Conflict', () => {
    const store = new Store()
    const created = store.create(pod('a', 'x'))
    store.update({ ...created })
    expect(() => store.update({ ...created })).toThrow('the object has been modified')
  })

  it('watch history replays events after a resourceVersion', () => {
    const store = new Store()
    const start = store.resourceVersion
    store.create(pod('a', 'x'))
    store.delete('pods', 'a', 'x')
    expect(store.eventsSince('pods', start)?.map((e) => e.type)).toEqual(['ADDED', 'DELETED'])
  })
})
