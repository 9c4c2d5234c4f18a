import { describe, expect, it } from 'vitest'
import { SuiteError } from '../../errors.ts'
import { parseGoDuration, parseRequestTimeout } from './duration.ts'

describe('parseGoDuration follows Go time.ParseDuration', () => {
  // Go's own table (time/time_test.go parseDurationTests), in milliseconds.
  it.each([
    ['0', 0],
    ['5s', 5000],
    ['30s', 30_000],
    ['1478s', 1_478_000],
    ['-5s', -5000],
    ['+5s', 5000],
    ['-0', 0],
    ['+0', 0],
    ['5.0s', 5000],
    ['5.6s', 5600],
    ['5.s', 5000],
    ['.5s', 500],
    ['1.004s', 1004],
    ['100.00100s', 100_001],
    ['10ns', 0.00001],
    ['11us', 0.011],
    ['12µs', 0.012],
    ['12μs', 0.012],
    ['13ms', 13],
    ['15m', 900_000],
    ['16h', 57_600_000],
    ['3h30m', 12_600_000],
    ['10.5s4m', 250_500],
    ['-2m3.4s', -123_400],
    ['1h2m3s4ms5us6ns', 3_723_004.005006],
    ['39h9m14.425s', 140_954_425],
    ['52763797000ns', 52_763.797],
    ['0.3333333333333333333h', 1_200_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9)
  })

  it.each([
    ['', 'time: invalid duration ""'],
    ['3', 'time: missing unit in duration "3"'],
    ['-', 'time: invalid duration "-"'],
    ['s', 'time: invalid duration "s"'],
    ['.', 'time: invalid duration "."'],
    ['-.', 'time: invalid duration "-."'],
    ['.s', 'time: invalid duration ".s"'],
    ['+.s', 'time: invalid duration "+.s"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['1h 30m', 'time: unknown unit "h " in duration "1h 30m"'],
    ['9999999999h', 'time: invalid duration "9999999999h"'],
  ])("%j is rejected with Go's message", (text, message) => {
    expect(() => parseGoDuration(text)).toThrow(new RangeError(message))
  })
})

describe('parseRequestTimeout follows clientcmd ParseTimeout', () => {
  it.each([
    { text: undefined, ms: 0 },
    { text: '', ms: 0 },
    { text: '0', ms: 0 },
    { text: '30', ms: 30_000 },
    { text: '+30', ms: 30_000 },
    { text: '30s', ms: 30_000 },
    { text: '1m30s', ms: 90_000 },
    { text: '500ms', ms: 500 },
    { text: '2h', ms: 7_200_000 },
    { text: '1ns', ms: 1 },
    { text: '596h31m23.647s', ms: 2 ** 31 - 1 },
  ])('$text gives $ms ms', ({ text, ms }) => {
    expect(parseRequestTimeout(text)).toBe(ms)
  })

  it.each([
    {
      text: 'abc',
      reason: 'a duration must be a number of seconds, or a number followed by a unit (e.g. 1s | 2m | 3h)',
    },
    {
      text: '1d',
      reason: 'a duration must be a number of seconds, or a number followed by a unit (e.g. 1s | 2m | 3h)',
    },
    {
      text: '-5',
      reason: 'a duration must be a number of seconds, or a number followed by a unit (e.g. 1s | 2m | 3h)',
    },
    { text: '-5s', reason: 'a duration cannot be negative' },
    // Node's timers fire after 1 ms when asked to wait longer than 2^31-1 ms: every request timed out at once.
    { text: '597h', reason: 'a duration cannot be longer than 596h31m23.647s (2^31-1 ms)' },
    { text: '2147484', reason: 'a duration cannot be longer than 596h31m23.647s (2^31-1 ms)' },
  ])('$text is a usage error', ({ text, reason }) => {
    let caught: unknown
    try {
      parseRequestTimeout(text)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(SuiteError)
    const error = caught as SuiteError
    expect([error.kind, error.message]).toEqual(['usage', `invalid request timeout "${text}": ${reason}`])
    expect(error.hint).toContain('--request-timeout=30s')
  })
})
