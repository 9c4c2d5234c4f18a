import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isLabelValue, labelValue, shortDnsLabel } from './names.ts'

const sha = (text: string): string => createHash('sha256').update(text).digest('hex')

describe('labelValue: what the API server accepts as a label value', () => {
  it.each([
    ['kept as it is', 'results', 'results'],
    ['cut at 63 where that ends on a dash', `${'a'.repeat(62)}-bbbb`, 'a'.repeat(62)],
    ['cut at 63 where that ends on a dot or underscore', `${'a'.repeat(61)}._x`, 'a'.repeat(61)],
    ['other characters become dashes', 'user@example.com', 'user-example.com'],
    ['nothing usable', '///', ''],
  ])('%s', (_case, text, value) => {
    expect(labelValue(text)).toBe(value)
    expect(isLabelValue(labelValue(text))).toBe(true)
  })
})

describe('shortDnsLabel', () => {
  it.each([
    ['fits: unchanged', 'my-claim', 20, 'my-claim'],
    [
      'too long: start, dash, six of the hash',
      'x'.repeat(30),
      20,
      `${'x'.repeat(13)}-${sha('x'.repeat(30)).slice(0, 6)}`,
    ],
    ['upper case and symbols are folded first', 'My_Run', 20, 'my-run'],
  ])('%s', (_case, text, max, label) => {
    const result = shortDnsLabel(text, max, sha)
    expect(result).toBe(label)
    expect(result.length).toBeLessThanOrEqual(max)
  })
})
