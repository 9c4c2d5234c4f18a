import { formatQuantity, quantityFromMilli, quantityFromValue } from '../quantity.ts'

/**
 * The one JSON convention of every plugin's `-o json` / `-o yaml` (README, "JSON output"):
 *
 * - a quantity is an object naming its base unit, with the exact integer and kubectl's spelling of it:
 *   `{"millicores": 4000, "display": "4"}` for CPU, `{"bytes": 8589934592, "display": "8Gi"}` for memory and
 *   storage. (usage's per-resource blocks, which hold many figures of one resource, name the unit once,
 *   `"unit": "millicores"`, and give bare integers.)
 * - a timestamp is RFC 3339 in UTC without fractional seconds, `2026-11-22T12:00:00Z`, as the API server writes.
 * - counts and percentages are plain integers; a missing value is `null`, never `"-"` or `"<none>"`.
 */

/** A CPU amount: whole millicores and kubectl's canonical spelling (`4`, `250m`). */
export interface CpuJson {
  millicores: number
  display: string
}

/** A memory or storage amount: whole bytes and kubectl's canonical spelling (`8Gi`, `1500M` as given, `123`). */
export interface BytesJson {
  bytes: number
  display: string
}

export function cpuJson(millicores: bigint | number): CpuJson {
  const milli = typeof millicores === 'number' ? BigInt(Math.round(millicores)) : millicores
  return { millicores: Number(milli), display: formatQuantity(quantityFromMilli(milli)) }
}

export function cpuJsonOrNull(millicores: bigint | number | undefined | null): CpuJson | null {
  return millicores === undefined || millicores === null ? null : cpuJson(millicores)
}

/** `display` defaults to the binary spelling (`8Gi`); pass the spelling from the object when there is one. */
export function bytesJson(bytes: bigint | number, display?: string): BytesJson {
  const value = typeof bytes === 'number' ? BigInt(Math.round(bytes)) : bytes
  return { bytes: Number(value), display: display ?? formatQuantity(quantityFromValue(value, 'BinarySI')) }
}

export function bytesJsonOrNull(bytes: bigint | number | undefined | null, display?: string): BytesJson | null {
  return bytes === undefined || bytes === null ? null : bytesJson(bytes, display)
}

/** RFC 3339 without fractional seconds, or null for a missing or unreadable time. */
export function timestampJson(value: Date | string | undefined | null): string | null {
  if (value === undefined || value === null || value === '') return null
  const date = value instanceof Date ? value : new Date(value)
  if (Number.isNaN(date.getTime())) return null
  return date.toISOString().replace(/\.\d+Z$/, 'Z')
}

/** What every timestamp in our JSON looks like. */
export const JSON_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/

const QUANTITY_STRING = /^-?\d+(\.\d+)?(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)$|^\d+$/
const TIMESTAMP_LIKE = /^\d{4}-\d\d-\d\dT/
// Kubernetes objects we print as they are (secretview's Secrets) carry user text the convention cannot govern.
const FREE_FORM = new Set(['labels', 'annotations', 'data', 'stringData'])

/**
 * Where `document` breaks the convention above, as `path: problem` lines (empty when it keeps it): timestamps
 * with fractions or offsets, quantity objects without an integer, and quantities left as strings ("4000m",
 * "40Gi", "8343625728") anywhere but a `display`. Labels, annotations and secret data are user text and are
 * not looked into. For tests of every plugin's `-o json`.
 */
export function jsonConventionProblems(document: unknown, path = '$'): string[] {
  const problems: string[] = []
  const visit = (value: unknown, at: string, key: string): void => {
    if (typeof value === 'string') {
      if (TIMESTAMP_LIKE.test(value) && !JSON_TIMESTAMP.test(value)) problems.push(`${at}: timestamp ${value}`)
      if (key !== 'display' && QUANTITY_STRING.test(value)) problems.push(`${at}: quantity as a string ${value}`)
      return
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        visit(item, `${at}[${index}]`, key)
      })
      return
    }
    if (typeof value !== 'object' || value === null) return
    const record = value as Record<string, unknown>
    for (const unit of ['millicores', 'bytes']) {
      if (!(unit in record)) continue
      if (!Number.isSafeInteger(record[unit])) problems.push(`${at}.${unit}: not an integer`)
      if (typeof record.display !== 'string') problems.push(`${at}.display: missing`)
    }
    for (const [name, child] of Object.entries(record)) {
      if (!FREE_FORM.has(name)) visit(child, `${at}.${name}`, name)
    }
  }
  visit(document, path, '')
  return problems
}
