import { describe, expect, it } from 'vitest'
import { renderYaml } from './document.ts'
import { writeYamlList } from './yaml-stream.ts'

function streamed<T>(head: Record<string, unknown>, items: T[]): string[] {
  const writes: string[] = []
  writeYamlList(
    head,
    items,
    (item) => item,
    (text) => writes.push(text),
  )
  return writes
}

describe('writeYamlList', () => {
  const awkward = {
    name: 'a',
    note: 'line one\n\nline three\n',
    indented: '  starts with spaces\nsecond',
    quoted: ['yes', '1', '2026-12-02T10:00:00Z', "it's", '*', 'x: y', '', 'null'],
    empty: {},
    none: [],
    nested: { list: [1, { deep: null, zz: true, aa: [[1, 2], []] }], z: 'last' },
  }
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    ['no items', { apiVersion: 'x/v1', kind: 'List' }, []],
    ['no head', {}, [{ a: 1 }]],
    ['no head and no items', {}, []],
    ['keys before and after items, and one left out', { zeta: 1, alpha: { b: 2 }, skipped: undefined }, [{}]],
    ['awkward values', { apiVersion: 'x/v1', kind: 'List' }, [awkward, {}, { only: 'one' }, awkward]],
  ]
  for (const [name, head, items] of cases)
    it(`prints what renderYaml prints: ${name}`, () => {
      expect(streamed(head, items).join('')).toBe(renderYaml({ ...head, items }))
    })

  it('writes a large list in batches, never as one string', () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ i, name: `pod-${i}`, tags: ['a', 'b'] }))
    const writes = streamed({ kind: 'List' }, items)
    expect(writes.length).toBeGreaterThan(3)
    expect(writes.join('')).toBe(renderYaml({ kind: 'List', items }))
  })
})
