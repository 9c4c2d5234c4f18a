import { SuiteError } from './errors.ts'

/**
 * Exact Kubernetes resource quantities (apimachinery resource.Quantity), shared by every plugin and the simulated
 * API server. A value is a BigInt count of nano-units, so sums over 150,000 pods never drift the way floats do.
 */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent'

export interface Quantity {
  /** value × 10^9, rounded up at nano precision as apimachinery rounds when parsing. */
  readonly nanos: bigint
  readonly format: QuantityFormat
}

const QUANTITY_RE =
  /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/
const NANO = 1_000_000_000n

const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }
const BINARY_POWER: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 }

const REGEX_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

/** Division rounding toward +infinity, for positive and negative numerators alike. */
function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  const q = numerator / denominator
  return numerator % denominator !== 0n && numerator > 0n === denominator > 0n ? q + 1n : q
}

/**
 * The suffixes of the plain form `<digits><suffix>` that metrics-server and most pod specs write ("69330885n",
 * "87200Ki", "250m", "2"): nano-units per unit, as a number and as a bigint.
 */
const PLAIN_SUFFIX = new Map<string, { perUnit: number; perUnitBig: bigint; format: QuantityFormat }>()
for (const [suffix, exponent] of Object.entries(DECIMAL_EXPONENT)) {
  const perUnitBig = 10n ** BigInt(exponent + 9)
  PLAIN_SUFFIX.set(suffix, { perUnit: Number(perUnitBig), perUnitBig, format: 'DecimalSI' })
}
for (const [suffix, power] of Object.entries(BINARY_POWER)) {
  const perUnitBig = 2n ** BigInt(power) * NANO
  PLAIN_SUFFIX.set(suffix, { perUnit: Number(perUnitBig), perUnitBig, format: 'BinarySI' })
}

/**
 * `<digits><suffix>` with at most 15 digits, without the regular expression and the bigint division of the general
 * path: the nano-units are an exact product (in floating point while it stays a safe integer). Parsing the metrics
 * of 150,000 pods, whose CPU figures are all different, took a quarter of a second the general way.
 */
function tryParsePlain(text: string): Quantity | undefined {
  let digits = 0
  let number = 0
  for (; digits < text.length; digits++) {
    const code = text.charCodeAt(digits)
    if (code < 0x30 || code > 0x39) break
    number = number * 10 + (code - 0x30)
  }
  if (digits === 0 || digits > 15) return undefined
  const unit = PLAIN_SUFFIX.get(digits === text.length ? '' : text.slice(digits))
  if (unit === undefined) return undefined
  const product = number * unit.perUnit
  const nanos = Number.isSafeInteger(product) ? BigInt(product) : BigInt(number) * unit.perUnitBig
  return { nanos, format: unit.format }
}

export function tryParseQuantity(text: string): Quantity | undefined {
  const plain = tryParsePlain(text)
  if (plain !== undefined) return plain
  const m = QUANTITY_RE.exec(text)
  if (m === null) return undefined
  const [, sign = '', number = '', exponent, suffix = ''] = m
  const [whole = '', fraction = ''] = number.split('.')
  const digits = BigInt(`${whole}${fraction}` || '0')
  // number = digits × 10^-fraction.length; scale to nano-units exactly, rounding up at the end.
  let numerator = digits
  let denominator = 10n ** BigInt(fraction.length)
  let format: QuantityFormat = 'DecimalSI'
  if (exponent !== undefined) {
    const e = Number(exponent.slice(1))
    if (Math.abs(e) > 100) return undefined
    if (e >= 0) numerator *= 10n ** BigInt(e)
    else denominator *= 10n ** BigInt(-e)
    format = 'DecimalExponent'
  } else if (suffix in BINARY_POWER) {
    numerator *= 2n ** BigInt(BINARY_POWER[suffix] as number)
    format = 'BinarySI'
  } else {
    const e = DECIMAL_EXPONENT[suffix] as number
    if (e >= 0) numerator *= 10n ** BigInt(e)
    else denominator *= 10n ** BigInt(-e)
  }
  const nanos = ceilDiv((sign === '-' ? -numerator : numerator) * NANO, denominator)
  return { nanos, format }
}

export function isValidQuantity(text: string): boolean {
  return tryParseQuantity(text) !== undefined
}

/** Parses like the apiserver; invalid text is a SuiteError('invalid') carrying the apiserver's own wording. */
export function parseQuantity(text: string): Quantity {
  const q = tryParseQuantity(String(text))
  if (q === undefined) throw new SuiteError('invalid', `invalid quantity "${text}": ${REGEX_MESSAGE}`)
  return q
}

// A cluster's pods spell their quantities in a few dozen ways ("100m", "128Mi"), so a fold over 150,000 pods
// parses the same strings hundreds of thousands of times; the cache is cleared when full so odd inputs cannot grow it.
const NANO_CACHE_LIMIT = 4096
// null: the text is no quantity (kept too, so a bad spelling is not parsed again for every pod).
const nanoCache = new Map<string, bigint | null>()

/** tryParseQuantity(text)'s nano-units, or undefined when it is no quantity, from a cache keyed by the text. */
export function tryCachedNanos(text: string): bigint | undefined {
  let nanos = nanoCache.get(text)
  if (nanos === undefined) {
    nanos = tryParseQuantity(text)?.nanos ?? null
    if (nanoCache.size >= NANO_CACHE_LIMIT) nanoCache.clear()
    nanoCache.set(text, nanos)
  }
  return nanos ?? undefined
}

/** parseQuantity(text)'s nano-units, from a cache keyed by the text. Throws like parseQuantity. */
export function cachedNanos(text: string): bigint {
  const nanos = tryCachedNanos(text)
  return nanos === undefined ? parseQuantity(text).nanos : nanos
}

export const quantityFromNano = (nanos: bigint, format: QuantityFormat = 'DecimalSI'): Quantity => ({ nanos, format })
export const quantityFromMilli = (milli: bigint, format: QuantityFormat = 'DecimalSI'): Quantity => ({
  nanos: milli * 1_000_000n,
  format,
})
export const quantityFromValue = (value: bigint, format: QuantityFormat = 'DecimalSI'): Quantity => ({
  nanos: value * NANO,
  format,
})

export const nanoValue = (q: Quantity): bigint => q.nanos
/** Quantity.MilliValue: ceil(q × 1000). */
export const milliValue = (q: Quantity): bigint => ceilDiv(q.nanos, 1_000_000n)
/** Quantity.Value: ceil(q). */
export const value = (q: Quantity): bigint => ceilDiv(q.nanos, NANO)

export const isZero = (q: Quantity): boolean => q.nanos === 0n

/** Keeps a's format unless a is zero, mirroring how kubectl accumulates node totals from the first pod. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos + b.nanos, format: a.nanos === 0n ? b.format : a.format }
}

export function subtractQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos - b.nanos, format: a.format }
}

export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0
}

export function sumQuantities(list: readonly Quantity[], format: QuantityFormat = 'DecimalSI'): Quantity {
  return list.reduce<Quantity>((acc, q) => addQuantities(acc, q), { nanos: 0n, format })
}

const DECIMAL_SUFFIXES: [number, string][] = [
  [18, 'E'],
  [15, 'P'],
  [12, 'T'],
  [9, 'G'],
  [6, 'M'],
  [3, 'k'],
  [0, ''],
  [-3, 'm'],
  [-6, 'u'],
  [-9, 'n'],
]
const BINARY_SUFFIXES: [number, string][] = [
  [60, 'Ei'],
  [50, 'Pi'],
  [40, 'Ti'],
  [30, 'Gi'],
  [20, 'Mi'],
  [10, 'Ki'],
]

function formatDecimal(nanos: bigint, exponentStyle: boolean): string {
  if (nanos === 0n) return '0'
  const sign = nanos < 0n ? '-' : ''
  const abs = nanos < 0n ? -nanos : nanos
  for (const [exp, suffix] of DECIMAL_SUFFIXES) {
    const unit = exp + 9 >= 0 ? 10n ** BigInt(exp + 9) : 1n
    if (abs % unit === 0n) {
      const mantissa = abs / unit
      if (exponentStyle) return exp === 0 ? `${sign}${mantissa}` : `${sign}${mantissa}e${exp}`
      return `${sign}${mantissa}${suffix}`
    }
  }
  return `${sign}${abs}n`
}

/** The canonical String() of apimachinery: the largest suffix that keeps an integer mantissa. */
export function formatQuantity(q: Quantity): string {
  if (q.format === 'BinarySI') {
    const abs = q.nanos < 0n ? -q.nanos : q.nanos
    if (abs % NANO === 0n && abs / NANO >= 1024n) {
      const whole = abs / NANO
      for (const [power, suffix] of BINARY_SUFFIXES) {
        const unit = 2n ** BigInt(power)
        if (whole % unit === 0n) return `${q.nanos < 0n ? '-' : ''}${whole / unit}${suffix}`
      }
    }
    return formatDecimal(q.nanos, false)
  }
  return formatDecimal(q.nanos, q.format === 'DecimalExponent')
}

/** kubectl's percentage: int64(float64(a) / float64(b) * 100), divide first; undefined when b is zero. */
export function percentOf(part: bigint, whole: bigint): number | undefined {
  if (whole === 0n) return undefined
  return Math.trunc((Number(part) / Number(whole)) * 100)
}

/** `kubectl top` CPU cell: millicores rounded up, e.g. 123456789n → "124m". */
export const formatCpuMillis = (milli: bigint): string => `${milli}m`

/** `kubectl top` MEMORY cell: whole MiB rounded down. */
export const formatMemoryMi = (bytes: bigint): string => `${bytes / 1048576n}Mi`

/** Compact binary units for tables, truncated so it never overstates: 1.5Gi, 3Gi, 512. */
export function formatBytesHuman(bytes: bigint): string {
  const units: [bigint, string][] = [
    [2n ** 50n, 'Pi'],
    [2n ** 40n, 'Ti'],
    [2n ** 30n, 'Gi'],
    [2n ** 20n, 'Mi'],
    [2n ** 10n, 'Ki'],
  ]
  for (const [unit, suffix] of units) {
    if (bytes >= unit) {
      if (bytes % unit === 0n) return `${bytes / unit}${suffix}`
      const tenths = (bytes * 10n) / unit
      return `${tenths / 10n}.${tenths % 10n}${suffix}`
    }
  }
  return String(bytes)
}

/** CPU for tables: "250m" below a core, "2" for whole cores, "1.5" otherwise (truncated, 3 decimals at most). */
export function formatCpuHuman(milli: bigint): string {
  if (milli < 1000n) return `${milli}m`
  if (milli % 1000n === 0n) return String(milli / 1000n)
  return `${milli / 1000n}.${String(milli % 1000n)
    .padStart(3, '0')
    .replace(/0+$/, '')}`
}
