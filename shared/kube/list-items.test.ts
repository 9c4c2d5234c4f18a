import { describe, expect, it } from 'vitest'
import { ListItemSplitter } from './list-items.ts'

/** Feeds `text` in pieces of `size` bytes and returns the items and the envelope. */
function split(text: string, size: number): { items: unknown[]; envelope: unknown } {
  const bytes = Buffer.from(text, 'utf8')
  const items: unknown[] = []
  const splitter = new ListItemSplitter((json) => {
    for (const item of JSON.parse(json) as unknown[]) items.push(item)
  })
  for (let i = 0; i < bytes.length; i += size) splitter.push(bytes.subarray(i, i + size))
  return { items, envelope: splitter.end() }
}

// Everything that could fool a scanner that only tracks strings and nesting: braces, brackets, quotes and a
// backslash inside strings, an "items" key nested deeper and as a value, multi-byte characters, empty objects.
const tricky = {
  kind: 'PodMetricsList',
  apiVersion: 'metrics.k8s.io/v1beta1',
  metadata: { continue: 'tok"en{[', resourceVersion: '42', items: ['not', 'these'] },
  note: 'items',
  items: [
    { metadata: { name: 'a', labels: { x: '}]"\\' } }, containers: [{ name: 'c', usage: { cpu: '1n' } }] },
    { metadata: { name: 'ünïcødé-名前-🚀', items: [{ deep: [] }] }, containers: [] },
    {},
    { s: '\\', t: '\\"', u: '\u0000\u001f' },
  ],
  after: { items: [1, 2] },
}

describe('ListItemSplitter', () => {
  it('gives every item and the envelope exactly as JSON.parse does, wherever the chunks are cut', () => {
    const text = JSON.stringify(tricky, null, 1)
    const { items: _, ...rest } = tricky
    for (const size of [1, 2, 3, 5, 7, 13, 64, text.length]) {
      const { items, envelope } = split(text, size)
      expect(items, `chunks of ${size}`).toEqual(tricky.items)
      expect(envelope, `chunks of ${size}`).toEqual({ ...rest, items: [] })
    }
  })

  it('reads compact documents as the API server writes them, and null or empty items', () => {
    expect(split(JSON.stringify(tricky), 4096).items).toEqual(tricky.items)
    expect(split('{"kind":"List","items":null,"metadata":{}}', 3)).toEqual({
      items: [],
      envelope: { kind: 'List', items: null, metadata: {} },
    })
    expect(split('{"items":[],"metadata":{"continue":"x"}}', 1)).toEqual({
      items: [],
      envelope: { items: [], metadata: { continue: 'x' } },
    })
  })

  it('hands over the items each chunk completes as one JSON array, an item cut by a chunk with the next', () => {
    const text = JSON.stringify(tricky)
    const batches: unknown[][] = []
    const splitter = new ListItemSplitter((json) => batches.push(JSON.parse(json) as unknown[]))
    splitter.push(Buffer.from(text))
    expect(batches).toEqual([tricky.items])
    batches.length = 0
    // Cut inside the second item: the first chunk completes one item, the second chunk the other three.
    const cut = text.indexOf('ünïcødé')
    const again = new ListItemSplitter((json) => batches.push(JSON.parse(json) as unknown[]))
    again.push(Buffer.from(text.slice(0, cut)))
    again.push(Buffer.from(text.slice(cut)))
    expect(batches).toEqual([tricky.items.slice(0, 1), tricky.items.slice(1)])
  })

  it('refuses a document that was cut off or is no JSON', () => {
    const text = JSON.stringify(tricky)
    expect(() => split(text.slice(0, text.length - 3), 10)).toThrow(SyntaxError)
    expect(() => split(text.slice(0, 150), 10)).toThrow(SyntaxError)
    expect(() => split('<html>login</html>', 10)).toThrow(SyntaxError)
  })
})
