import { goSprint, type JsonPath, JsonPathParseError, parseJsonPath } from './jsonpath.ts'
import { renderTable } from './table.ts'

/** One `HEADER:path` of `-o custom-columns`. */
export interface CustomColumn {
  header: string
  path: JsonPath
}

// kubectl's relaxed column paths: `.a.b`, `a.b`, `{a.b}` and `{.a.b}` all mean `{.a.b}`.
const RELAXED_PATH = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/

function columnPath(spec: string): JsonPath {
  if (spec === '') return parseJsonPath('')
  const match = RELAXED_PATH.exec(spec)
  if (match === null) {
    throw new JsonPathParseError(
      "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'",
    )
  }
  return parseJsonPath(`{.${match[1] ?? match[2] ?? ''}}`)
}

/** Parses the value of `-o custom-columns=NAME:.metadata.name,CPU:.cpu`, with kubectl's messages. */
export function parseCustomColumns(spec: string): CustomColumn[] {
  if (spec === '') throw new JsonPathParseError('custom-columns format specified but no custom columns given')
  return spec.split(',').map((part) => {
    const colon = part.indexOf(':')
    if (colon === -1) {
      throw new JsonPathParseError(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`)
    }
    return { header: part.slice(0, colon), path: columnPath(part.slice(colon + 1)) }
  })
}

/** Parses a `-o custom-columns-file` file: one line of headers, one line of paths, both split on whitespace. */
export function parseCustomColumnsFile(text: string): CustomColumn[] {
  const lines = text.split(/\r?\n/)
  const expected = 'Expected format is one line of space separated headers, one line of space separated column specs.'
  if (lines.length < 1 || (lines.length === 1 && lines[0] === '')) {
    throw new JsonPathParseError(`invalid template, missing header line. ${expected}`)
  }
  if (lines.length < 2) throw new JsonPathParseError(`invalid template, missing spec line. ${expected}`)
  const headers = (lines[0] ?? '').split(/\s+/).filter((word) => word !== '')
  const specs = (lines[1] ?? '').split(/\s+/).filter((word) => word !== '')
  if (headers.length !== specs.length) {
    throw new JsonPathParseError(
      `number of headers (${headers.length}) and field specifications (${specs.length}) don't match`,
    )
  }
  return headers.map((header, index) => ({ header, path: columnPath(specs[index] ?? '') }))
}

/** kubectl's escaping of a custom-columns value before it reaches the terminal. */
function escapeTerminal(text: string): string {
  return text.replaceAll('\u001b', '^[').replaceAll('\r', '\\r')
}

/**
 * `document` as `kubectl get -o custom-columns` prints it: a row per item of a list (`items`), or one row for a
 * single object; several values in a cell joined by commas, `<none>` where the path finds nothing, and the
 * columns laid out by the same tabwriter rules as every table.
 */
export function renderCustomColumns(
  document: unknown,
  columns: readonly CustomColumn[],
  options: { noHeaders?: boolean } = {},
): string {
  const plain: unknown = JSON.parse(JSON.stringify(document ?? null))
  const items =
    typeof plain === 'object' && plain !== null && Array.isArray((plain as { items?: unknown }).items)
      ? ((plain as { items: unknown[] }).items as unknown[])
      : [plain]
  const rows = items.map((item) =>
    columns.map((column) => {
      const results = column.path.findResults(item)
      if (results.length === 0 || (results[0]?.length ?? 0) === 0) return '<none>'
      return results.flatMap((values) => values.map((value) => escapeTerminal(goSprint(value)))).join(',')
    }),
  )
  const header = columns.map((column) => ({ header: column.header }))
  if (rows.length === 0) {
    if (options.noHeaders === true) return ''
    return `${renderTable({ columns: header, rows: [[]] }, { wide: true, color: false }).split('\n')[0]}\n`
  }
  return renderTable({ columns: header, rows }, { wide: true, noHeaders: options.noHeaders, color: false })
}
