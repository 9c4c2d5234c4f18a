import { describe, expect, it } from 'vitest'
import { maxOf, pushAll } from './arrays.ts'

describe('array helpers for cluster-sized lists', () => {
  const many = Array.from({ length: 500_000 }, (_, i) => i)

  it('a spread of 500,000 arguments overflows the stack: the reason these helpers exist', () => {
    expect(() => [].push(...(many as never[]))).toThrow(RangeError)
    expect(() => Math.max(...many)).toThrow(RangeError)
  })

  it.each([
    ['empty', [], 0],
    ['one', [5], 5],
    ['all below the floor', [-3, -1], 0],
    ['500,000 items', many, 499_999],
  ] as const)('maxOf: %s', (_case, items, expected) => {
    expect(maxOf(items, (n) => n)).toBe(expected)
  })

  it('pushAll appends 500,000 items in order and returns the target', () => {
    const target = [-1]
    expect(pushAll(target, many)).toBe(target)
    expect(target).toHaveLength(500_001)
    expect(target[500_000]).toBe(499_999)
  })
})
