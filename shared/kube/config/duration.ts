import { SuiteError } from '../../errors.ts'

const NANOS_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n], // U+00B5 micro sign
  ['μs', 1_000n], // U+03BC Greek small letter mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
])

/** Go's time.Duration is an int64 of nanoseconds; anything beyond it is an overflow error there too. */
const MAX_NANOS = 2n ** 63n - 1n

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9'

/**
 * Go's time.ParseDuration, rule for rule: an optional sign, then one or more decimal numbers (fraction allowed,
 * ".5" and "1." too) each followed by a unit among ns, us, µs, ms, s, m, h; "0" alone needs no unit.
 * Returns milliseconds (fractional below 1 ms). Throws a RangeError with Go's message when the text is not a
 * duration, so callers can wrap it in their own error.
 */
export function parseGoDuration(text: string): number {
  const invalid = (): RangeError => new RangeError(`time: invalid duration "${text}"`)
  let rest = text
  let negative = false
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-')
    rest = rest.slice(1)
  }
  if (rest === '0') return 0
  if (rest === '') throw invalid()
  let totalNanos = 0n
  while (rest !== '') {
    if (!(rest[0] === '.' || isDigit(rest[0]))) throw invalid()
    let i = 0
    while (isDigit(rest[i])) i++
    const whole = rest.slice(0, i)
    // Go keeps fraction digits only while they fit an int64 and scales them in float64; so do we, so that
    // "0.3333333333333333333h" is exactly 20m as in Go.
    let fraction = 0n
    let scale = 1
    let fractionDigits = 0
    if (rest[i] === '.') {
      i++
      while (isDigit(rest[i])) {
        const next = fraction * 10n + BigInt(rest.charCodeAt(i) - 48)
        if (next <= MAX_NANOS) {
          fraction = next
          scale *= 10
        }
        fractionDigits++
        i++
      }
      if (fractionDigits === 0 && whole === '') throw invalid()
    }
    const unitStart = i
    while (i < rest.length && rest[i] !== '.' && !isDigit(rest[i])) i++
    const unit = rest.slice(unitStart, i)
    if (unit === '') throw new RangeError(`time: missing unit in duration "${text}"`)
    const perUnit = NANOS_PER_UNIT.get(unit)
    if (perUnit === undefined) throw new RangeError(`time: unknown unit "${unit}" in duration "${text}"`)
    const wholeNanos = BigInt(whole === '' ? '0' : whole) * perUnit
    if (wholeNanos > MAX_NANOS + 1n) throw invalid()
    const nanos = wholeNanos + BigInt(Math.trunc(Number(fraction) * (Number(perUnit) / scale)))
    totalNanos += nanos
    if (totalNanos > MAX_NANOS + (negative ? 1n : 0n)) throw invalid()
    rest = rest.slice(i)
  }
  const millis = Number(totalNanos) / 1e6
  return negative ? -millis : millis
}

/**
 * The longest duration any flag of the suite accepts: 2^31−1 ms (24 days 20 h 31 m). Node's timers cannot wait
 * longer; a longer delay fires after 1 ms, so `--request-timeout=597h` timed every request out at once and
 * `--interval 2147483648ms` polled hundreds of times a second. One limit for every duration flag.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1

export interface DurationFlagOptions {
  /** What a bare number means: seconds (kubectl's --request-timeout, --timeout) or milliseconds. Default seconds. */
  bare?: 's' | 'ms'
  /** The shortest value accepted, in ms (0 stays allowed when `zero` says so). */
  minMs?: number
  /** 0 is accepted (and means "none" to the caller). */
  zero?: boolean
  /** The hint printed under the error: `pass whole seconds or a duration, e.g. --timeout=30s`. */
  hint: string
  /**
   * A longer limit for a duration that never reaches a timer of ours (a Job's ttlSecondsAfterFinished is kept by
   * the server): MAX_DURATION_MS otherwise.
   */
  maxMs?: number
}

/**
 * The one parser of duration flags: a bare non-negative number in the flag's unit, or a Go duration (1h30m, 500ms).
 * Negative, malformed, too short and longer-than-{@link MAX_DURATION_MS} values are usage errors (exit 2) worded
 * `invalid <what> "<text>": <reason>`. Returns whole milliseconds (a sub-millisecond value rounds up, never down
 * to 0, which callers may read as "none").
 */
export function parseDurationFlag(what: string, text: string, options: DurationFlagOptions): number {
  const fail = (reason: string): SuiteError =>
    new SuiteError('usage', `invalid ${what} "${text}": ${reason}`, { hint: options.hint })
  let millis: number
  if (/^\+?\d+(\.\d+)?$/.test(text)) millis = Number(text.replace('+', '')) * (options.bare === 'ms' ? 1 : 1000)
  else {
    try {
      millis = parseGoDuration(text)
    } catch {
      const unit = options.bare === 'ms' ? 'milliseconds' : 'seconds'
      throw fail(`a duration must be a number of ${unit}, or a number followed by a unit (e.g. 1s | 2m | 3h)`)
    }
  }
  if (millis < 0) throw fail('a duration cannot be negative')
  millis = Math.ceil(millis)
  if (millis === 0 && options.zero === true) return 0
  const max = options.maxMs ?? MAX_DURATION_MS
  if (millis > max)
    throw fail(
      max === MAX_DURATION_MS
        ? 'a duration cannot be longer than 596h31m23.647s (2^31-1 ms)'
        : `a duration cannot be longer than ${Math.floor(max / 3_600_000)}h`,
    )
  const min = options.minMs ?? 1
  if (millis < min) throw fail(`a duration cannot be shorter than ${min}ms`)
  return millis
}

/**
 * kubectl's --request-timeout (clientcmd ParseTimeout): a non-negative number means seconds, anything else must be
 * a Go duration; "0" means no timeout of our own. We also refuse negative durations, which kubectl passes on to
 * the HTTP client where they mean nothing useful, and durations past {@link MAX_DURATION_MS}. Returns
 * milliseconds; undefined or empty gives 0.
 */
export function parseRequestTimeout(text: string | undefined): number {
  if (text === undefined || text === '') return 0
  return parseDurationFlag('request timeout', text, {
    zero: true,
    hint: 'pass whole seconds or a duration, e.g. --request-timeout=30s, 1m30s or 0 for none',
  })
}
