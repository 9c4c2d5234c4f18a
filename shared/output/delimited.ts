import { cellOf, type TableView } from './table.ts'

/** How {@link renderCsv} and {@link renderTsv} treat the table. */
export interface DelimitedOptions {
  /** Leave the header row out. */
  noHeaders?: boolean
}

function records(table: TableView, options: DelimitedOptions): string[][] {
  if (table.rows.length === 0) return []
  const width = table.columns.length
  const body = Array.from(table.rows, (row) => Array.from({ length: width }, (_, index) => cellOf(row[index]).text))
  return options.noHeaders ? body : [table.columns.map((column) => column.header), ...body]
}

const CSV_SPECIAL = /[",\r\n]/

/** One field quoted per RFC 4180: only when it holds a comma, a quote or a line break; quotes are doubled. */
export function csvField(text: string): string {
  return CSV_SPECIAL.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/**
 * One tsv field: backslash, tab, newline and carriage return written as `\\`, `\t`, `\n`, `\r`, the convention of
 * PostgreSQL's text format and most tab-separated readers, so every record stays on one line.
 */
export function tsvField(text: string): string {
  return text.replace(/[\\\t\n\r]/g, (char) => TSV_ESCAPES[char] ?? char)
}

/**
 * The whole table, every column including wide ones, as CSV: plain text, no colour, records ended by "\n"
 * (not RFC 4180's CRLF, which Unix tools would carry into the last field). A table without rows renders as ''.
 */
export function renderCsv(table: TableView, options: DelimitedOptions = {}): string {
  return records(table, options)
    .map((record) => `${record.map(csvField).join(',')}\n`)
    .join('')
}

/** The whole table as tab-separated values, escaped by {@link tsvField}. A table without rows renders as ''. */
export function renderTsv(table: TableView, options: DelimitedOptions = {}): string {
  return records(table, options)
    .map((record) => `${record.map(tsvField).join('\t')}\n`)
    .join('')
}
