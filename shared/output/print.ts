import type { Io } from '../cli/io.ts'
import { SuiteError } from '../errors.ts'
import { renderCustomColumns } from './custom-columns.ts'
import { renderCsv, renderTsv } from './delimited.ts'
import { renderJson, renderYaml } from './document.ts'
import type { ChosenFormat, TemplateFormat } from './format.ts'
import { JsonPathExecError } from './jsonpath.ts'
import { renderTable, type TableView, writeTable } from './table.ts'

/**
 * What a command has to show, as data: one value per kind of output, so every `-o` format prints the same
 * result and a plugin never formats text itself.
 */
export interface View {
  /** The human table (`-o wide` adds the `wideOnly` columns). */
  table: TableView
  /** What `-o json` and `-o yaml` print: a plain JSON-able value, e.g. `{apiVersion: 'v1', kind: 'List', items}`. */
  document: unknown
  /** What `-o name` prints, one per line: `node/worker-1`. */
  names: string[]
  /** What csv and tsv print, when it should differ from `table` (which they print with every column). */
  csv?: TableView
}

/** Rendering choices that do not come from the format itself. */
export interface RenderOptions {
  /** `--no-headers`: no header line in table, wide, csv and tsv. */
  noHeaders?: boolean
  /** Colour the table (never json, yaml, name, csv or tsv). */
  color: boolean
  /**
   * The terminal's width when stdout is one (io.columns): the default table then leaves out its least important
   * columns (TableView.hideToFit) until it fits. `-o wide`, csv, tsv and every pipe get every column.
   */
  maxWidth?: number
}

/**
 * The exact text `view` prints as `format`. Table-like formats with no rows, and `name` with no names, render as
 * '' — the command then tells stderr "No resources found" itself, see {@link noResourcesMessage}. json and yaml
 * always render the document, an empty list included, as kubectl does; so does `-o jsonpath=…`, a template over
 * that document. `-o custom-columns=…` lays the document's items out as a table (see renderCustomColumns).
 */
export function renderView(view: View, format: ChosenFormat, options: RenderOptions): string {
  const { noHeaders = false, color, maxWidth } = options
  if (typeof format === 'object') return renderTemplate(view.document, format, noHeaders)
  switch (format) {
    case 'table':
      return renderTable(view.table, { wide: false, noHeaders, color, ...(maxWidth === undefined ? {} : { maxWidth }) })
    case 'wide':
      return renderTable(view.table, { wide: true, noHeaders, color })
    case 'json':
      return renderJson(view.document)
    case 'yaml':
      return renderYaml(view.document)
    case 'name':
      return view.names.map((name) => `${name}\n`).join('')
    case 'csv':
      return renderCsv(view.csv ?? view.table, { noHeaders })
    case 'tsv':
      return renderTsv(view.csv ?? view.table, { noHeaders })
  }
}

function renderTemplate(document: unknown, format: TemplateFormat, noHeaders: boolean): string {
  try {
    if (format.kind === 'custom-columns') return renderCustomColumns(document, format.columns, { noHeaders })
    return format.template.execute(document, { asJson: format.asJson, allowMissingKeys: format.allowMissingKeys })
  } catch (err) {
    if (!(err instanceof JsonPathExecError)) throw err
    const message =
      format.kind === 'jsonpath'
        ? `error executing jsonpath ${JSON.stringify(format.template.source)}: Error executing template: ${err.message}`
        : err.message
    throw new SuiteError('usage', message)
  }
}

/**
 * A bare document (objects a command created or would create) as `-o json`, `-o yaml` or a template format; the
 * other formats have no meaning for a bare document and render as ''.
 */
export function renderDocument(document: unknown, format: ChosenFormat): string {
  if (typeof format === 'object') return renderTemplate(document, format, false)
  if (format === 'json') return renderJson(document)
  if (format === 'yaml') return renderYaml(document)
  return ''
}

/**
 * The one place a plugin's result reaches stdout: renders `view` as `format`, coloured when `io.color`, and on a
 * terminal fitted to its width (see {@link terminalWidth}).
 */
export function printView(io: Io, view: View, format: ChosenFormat, options: { noHeaders?: boolean } = {}): void {
  const maxWidth = terminalWidth(io)
  // Tables, the one output that grows with the cluster and has no document to hold anyway, go out in pieces.
  if (format === 'table' || format === 'wide') {
    const noHeaders = options.noHeaders ?? false
    const tableOptions = { wide: format === 'wide', noHeaders, color: io.color }
    writeTable(
      view.table,
      format === 'table' && maxWidth !== undefined ? { ...tableOptions, maxWidth } : tableOptions,
      (text) => io.out.write(text),
    )
    return
  }
  const text = renderView(view, format, {
    noHeaders: options.noHeaders,
    color: io.color,
    ...(maxWidth === undefined ? {} : { maxWidth }),
  })
  if (text !== '') io.out.write(text)
}

/** The width a table must fit: the terminal's columns when stdout is a terminal, else none (pipes get everything). */
export function terminalWidth(io: Io): number | undefined {
  return io.outIsTTY && io.columns !== undefined && io.columns > 0 ? io.columns : undefined
}

/**
 * kubectl's words for an empty result, for stderr: "No resources found in default namespace." for one namespace,
 * "No resources found" (no full stop, as kubectl) across all namespaces or for cluster-scoped kinds.
 */
export function noResourcesMessage(namespace: string | undefined): string {
  return namespace === undefined ? 'No resources found' : `No resources found in ${namespace} namespace.`
}
