import { describe, expect, it } from 'vitest'
import { renderJson } from './document.ts'
import { writeJsonList } from './json-stream.ts'

function streamed<T>(head: Record<string, unknown>, items: T[], toJson: (item: T) => unknown): string[] {
  const writes: string[] = []
  writeJsonList(head, items, toJson, (text) => writes.push(text))
  return writes
}

describe('writeJsonList', () => {
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    ['no items', { apiVersion: 'x/v1', kind: 'List' }, []],
    ['no head', {}, [{ a: 1 }]],
    ['no head and no items', {}, []],
    [
      'nested items with multi-line text and empty values',
      { apiVersion: 'x/v1', kind: 'List', skipped: undefined },
      [
        { name: 'a', note: 'line one\nline two', empty: {}, none: [], nested: { list: [1, { deep: null }] } },
        {},
        [],
        'plain',
        7,
        null,
      ],
    ],
  ]
  for (const [name, head, items] of cases)
    it(`prints what renderJson prints: ${name}`, () => {
      expect(streamed(head, items, (item) => item).join('')).toBe(renderJson({ ...head, items }))
    })

  it('prints null for an item that maps to undefined, as JSON.stringify does in an array', () => {
    expect(streamed({}, [1, 2], (n) => (n === 1 ? undefined : n)).join('')).toBe(renderJson({ items: [null, 2] }))
  })

  it('writes a large list in batches, never as one string', () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ i, name: `pod-${i}` }))
    const writes = streamed({ kind: 'List' }, items, (item) => item)
    expect(writes.length).toBeGreaterThan(3)
    expect(Math.max(...writes.map((w) => w.length))).toBeLessThan(renderJson({ kind: 'List', items }).length / 3)
    expect(writes.join('')).toBe(renderJson({ kind: 'List', items }))
  })
})
