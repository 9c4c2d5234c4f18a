import { describe, expect, it } from 'vitest'
import { formatAge, formatPercent } from './humanize.ts'

describe('formatAge (apimachinery duration.HumanDuration)', () => {
  const now = new Date('2025-06-01T12:00:00Z')
  const S = 1000
  const M = 60 * S
  const H = 60 * M
  const D = 24 * H
  const Y = 365 * D

  it.each([
    [-3 * S, '<invalid>'],
    [-2 * S, '<invalid>'],
    [-1999, '0s'],
    [-1 * S, '0s'],
    [0, '0s'],
    [999, '0s'],
    [45 * S, '45s'],
    [59 * S, '59s'],
    [60 * S, '60s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [2 * M + 3 * S, '2m3s'],
    [3 * M + 20 * S, '3m20s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M, '10m'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 20 * M, '3h20m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H, '8h'],
    [47 * H + 59 * M, '47h'],
    [2 * D, '2d'],
    [2 * D + 5 * H, '2d5h'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D, '8d'],
    [400 * D, '400d'],
    [729 * D, '729d'],
    [2 * Y, '2y'],
    [2 * Y + 40 * D, '2y40d'],
    [7 * Y + 364 * D, '7y364d'],
    [8 * Y, '8y'],
    [20 * Y + 100 * D, '20y'],
  ])('%i ms ago → %s', (ago, expected) => {
    expect(formatAge(new Date(now.getTime() - ago), now)).toBe(expected)
  })

  it('says <invalid> for an unparsable date', () => {
    expect(formatAge(new Date('not a date'), now)).toBe('<invalid>')
  })
})

describe('formatPercent', () => {
  it.each([
    [undefined, '-'],
    [Number.NaN, '-'],
    [Number.POSITIVE_INFINITY, '-'],
    [0, '0%'],
    [0.12, '12%'],
    [0.129, '12%'],
    [0.29, '29%'],
    [0.57, '57%'],
    [1, '100%'],
    [2.345, '234%'],
    [0.004, '0%'],
  ])('%s → %s', (fraction, expected) => {
    expect(formatPercent(fraction)).toBe(expected)
  })
})
