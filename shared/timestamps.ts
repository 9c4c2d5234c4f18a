/**
 * An API timestamp as a Date: client-node types say Date, but the JSON we read holds RFC 3339 strings (or nothing).
 * Undefined for a missing or unreadable value, so a bad timestamp shows as `<unknown>` instead of `Invalid Date`.
 */
export function parseTimestamp(value: unknown): Date | undefined {
  if (value === undefined || value === null) return undefined
  const date = value instanceof Date ? value : new Date(String(value))
  return Number.isNaN(date.getTime()) ? undefined : date
}
