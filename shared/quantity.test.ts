import { describe, expect, it } from 'vitest'
import { SuiteError } from './errors.ts'
import {
  addQuantities,
  cachedNanos,
  formatBytesHuman,
  formatCpuHuman,
  formatMemoryMi,
  formatQuantity,
  milliValue,
  parseQuantity,
  percentOf,
  quantityFromNano,
  tryCachedNanos,
  value,
} from './quantity.ts'

describe('parseQuantity', () => {
  it.each([
    ['1', 1_000_000_000n],
    ['100m', 100_000_000n],
    ['1.5', 1_500_000_000n],
    ['0.5', 500_000_000n],
    ['123456789n', 123_456_789n],
    ['5u', 5_000n],
    ['2k', 2_000_000_000_000n],
    ['1Ki', 1024n * 1_000_000_000n],
    ['1Mi', 1048576n * 1_000_000_000n],
    ['1Gi', 1073741824n * 1_000_000_000n],
    ['1e3', 1000n * 1_000_000_000n],
    ['1.5E-3', 1_500_000n],
    ['12E+2', 1200n * 1_000_000_000n],
    ['0.1n', 1n],
    ['-1', -1_000_000_000n],
    ['.5', 500_000_000n],
    ['1E', 10n ** 18n * 1_000_000_000n],
  ])('%s is %s nano-units', (text, nanos) => {
    expect(parseQuantity(text).nanos).toBe(nanos)
  })

  it('reads <digits><suffix> exactly, past the floating-point range and in every format', () => {
    // The plain form is read without the general path's bigint arithmetic; products beyond 2^53 must stay exact.
    const cases: [string, bigint, string][] = [
      ['69330885n', 69_330_885n, 'DecimalSI'],
      ['87200Ki', 87_200n * 1024n * 1_000_000_000n, 'BinarySI'],
      ['999999999999999Ei', 999_999_999_999_999n * 2n ** 60n * 1_000_000_000n, 'BinarySI'],
      ['9007199254740993n', 9_007_199_254_740_993n, 'DecimalSI'],
      ['123456789012345678901234567890m', 123_456_789_012_345_678_901_234_567_890n * 1_000_000n, 'DecimalSI'],
      ['8191u', 8_191_000n, 'DecimalSI'],
      ['0', 0n, 'DecimalSI'],
      ['007M', 7n * 10n ** 15n, 'DecimalSI'],
    ]
    for (const [text, nanos, format] of cases) expect(parseQuantity(text), text).toEqual({ nanos, format })
  })

  it.each([
    '',
    ' 1',
    '1.2.3',
    'Mi',
    '1 Mi',
    '1mi',
    '1KiB',
    '--1',
    '1e',
    'NaN',
    'abc',
    '1Kii',
    '1..',
    '1constructor',
    '1__proto__',
    '12 ',
  ])('%j is invalid with the apiserver message', (text) => {
    expect(() => parseQuantity(text)).toThrow(SuiteError)
    expect(() => parseQuantity(text)).toThrow('quantities must match the regular expression')
  })
})

describe('formatQuantity', () => {
  it.each([
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['0.5', '500m'],
    ['1024Ki', '1Mi'],
    ['1536Ki', '1536Ki'],
    ['100M', '100M'],
    ['1000000k', '1G'],
    ['0', '0'],
    ['512Ki', '512Ki'],
    ['1e3', '1e3'],
    ['20397095168', '20397095168'],
  ])('%s prints as %s', (text, canonical) => {
    expect(formatQuantity(parseQuantity(text))).toBe(canonical)
    expect(parseQuantity(formatQuantity(parseQuantity(text))).nanos).toBe(parseQuantity(text).nanos)
  })
})

describe('integer views and percentages', () => {
  it.each([
    ['1n', 1n, 1n],
    ['123456789n', 124n, 1n],
    ['1500m', 1500n, 2n],
    ['1Ki', 1024000n, 1024n],
  ])('%s has milliValue %s and value %s (rounded up)', (text, milli, whole) => {
    expect(milliValue(parseQuantity(text))).toBe(milli)
    expect(value(parseQuantity(text))).toBe(whole)
  })

  it('percentOf divides before multiplying, as kubectl does', () => {
    expect(percentOf(290n, 1000n)).toBe(28)
    expect(percentOf(1n, 3n)).toBe(33)
    expect(percentOf(5n, 0n)).toBeUndefined()
  })

  it('summing 100000 × 0.1 is exactly 10000 with no drift', () => {
    let sum = quantityFromNano(0n)
    const tenth = parseQuantity('0.1')
    for (let i = 0; i < 100_000; i++) sum = addQuantities(sum, tenth)
    expect(milliValue(sum)).toBe(10_000_000n)
  })

  it('formats cells as kubectl top and tables print them', () => {
    expect(formatMemoryMi(value(parseQuantity('1048575Ki')))).toBe('1023Mi')
    expect(formatCpuHuman(250n)).toBe('250m')
    expect(formatCpuHuman(2000n)).toBe('2')
    expect(formatCpuHuman(1500n)).toBe('1.5')
    expect(formatBytesHuman(3n * 2n ** 30n)).toBe('3Gi')
    expect(formatBytesHuman(1536n * 2n ** 20n)).toBe('1.5Gi')
    expect(formatBytesHuman(512n)).toBe('512')
  })
})

describe('cached quantities', () => {
  it("tryCachedNanos gives parseQuantity's nanos, and undefined for no quantity, on every call", () => {
    for (const _ of [1, 2]) {
      expect(tryCachedNanos('500m')).toBe(500_000_000n)
      expect(tryCachedNanos('1Gi')).toBe(2n ** 30n * 1_000_000_000n)
      expect(tryCachedNanos('1.5 cores')).toBeUndefined()
    }
  })

  it('cachedNanos still throws for no quantity once tryCachedNanos has cached it', () => {
    expect(tryCachedNanos('abc')).toBeUndefined()
    expect(() => cachedNanos('abc')).toThrow(SuiteError)
    expect(cachedNanos('2')).toBe(2_000_000_000n)
  })
})
