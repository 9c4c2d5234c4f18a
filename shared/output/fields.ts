import { maxOf } from '../arrays.ts'
/**
 * A `kubectl describe`-style block: one `Label:` per line, padded so the values line up. Labels may be indented
 * with leading spaces for a nested block.
 */
export function renderFields(rows: readonly (readonly [string, string])[]): string {
  if (rows.length === 0) return ''
  const width = maxOf(rows, ([label]) => label.length) + 2
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}\n`).join('')
}

/** A plain table of strings, with kubectl's column layout, for tables inside a describe block. */
export function plainTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): { columns: { header: string }[]; rows: string[][] } {
  return { columns: header.map((h) => ({ header: h })), rows: rows.map((r) => [...r]) }
}
