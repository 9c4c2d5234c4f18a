import type { ResourceUnit } from './model.ts'

/**
 * How usage numbers read in tables: CPU in millicores as `kubectl top` prints them (`250m`), memory in Mi rounded
 * down as `top` does, other byte resources in Gi/Mi, counts as integers; percentages as kubectl truncates them.
 */
export function formatAmount(unit: ResourceUnit, amount: number | null): string {
  if (amount === null) return '-'
  if (unit === 'millicores') return cached(MILLICORES, amount, 'm')
  if (unit === 'bytes') return cached(MEBIBYTES, Math.floor(amount / 1048576), 'Mi')
  return String(amount)
}

export function formatPct(percent: number | null): string {
  return percent === null ? '-' : cached(PERCENTS, percent, '%')
}

/**
 * The texts of small whole numbers with their unit, made once each: a table of 150,000 pods prints the same few
 * hundred amounts and percentages over a million times (twice, as the table measures before it writes).
 */
const CACHED_BELOW = 1 << 16
const MILLICORES: string[] = []
const MEBIBYTES: string[] = []
const PERCENTS: string[] = []

function cached(texts: string[], value: number, unit: string): string {
  if (!Number.isInteger(value) || value < 0 || value >= CACHED_BELOW) return `${value}${unit}`
  let text = texts[value]
  if (text === undefined) {
    text = `${value}${unit}`
    texts[value] = text
  }
  return text
}

/** `1250m (31%)`: an amount with its share of allocatable, the way describe node prints Allocated resources. */
export function amountWithPercent(unit: ResourceUnit, amount: number | null, percent: number | null): string {
  if (amount === null) return '-'
  // Like describe node, extended resources without a base to compare against carry no percentage.
  if (percent === null) return formatAmount(unit, amount)
  return `${formatAmount(unit, amount)} (${formatPct(percent)})`
}

/** Short column labels for resource names: cpu → CPU, memory → MEM, nvidia.com/gpu → GPU. */
export function resourceLabel(resource: string): string {
  if (resource === 'cpu') return 'CPU'
  if (resource === 'memory') return 'MEM'
  if (resource === 'ephemeral-storage') return 'EPH'
  if (resource === 'nvidia.com/gpu' || resource === 'amd.com/gpu') return 'GPU'
  return resource.toUpperCase()
}
