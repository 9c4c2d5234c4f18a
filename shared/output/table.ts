import { type ColorRole, colorize } from './color.ts'
import { displayWidth } from './width.ts'

/** One column of a table: its header (already upper-case, as kubectl prints it) and how it lines up. */
export interface Column {
  header: string
  /** `right` suits numbers and quantities; the default is `left`, as in every kubectl table. */
  align?: 'left' | 'right'
  /** Shown only by `-o wide` (and always by csv/tsv), like kubectl's priority-1 columns. */
  wideOnly?: boolean
}

/** A run of text inside a cell with its own colour, for cells that mix colours (bars). */
export interface Span {
  text: string
  role?: ColorRole
}

/** A table cell: its text and, optionally, what the text means so a terminal can colour it. */
export interface Cell {
  /** The plain text: what widths are measured on and what csv, tsv and colourless output print. */
  text: string
  role?: ColorRole
  /**
   * Several colours inside one cell. Used only for colour output and only when the span texts joined equal
   * `text` exactly; otherwise `text` is coloured with `role`, so a careless caller can never shift a column.
   */
  spans?: readonly Span[]
}

/**
 * A table's rows: an array, or rows made afresh each time they are walked, so that a table over 150,000 pods
 * never holds every cell at once (the layout walks the rows twice: once to measure, once to write).
 */
export interface TableRows extends Iterable<readonly (string | Cell)[]> {
  readonly length: number
}

/** Rows made on demand from `items` by `cells`, each time the rows are walked. */
export function lazyRows<T>(items: readonly T[], cells: (item: T) => readonly (string | Cell)[]): TableRows {
  return {
    length: items.length,
    *[Symbol.iterator]() {
      for (const item of items) yield cells(item)
    },
  }
}

/** Rows and columns, before any layout. Rows shorter than `columns` are padded with empty cells. */
export interface TableView {
  columns: Column[]
  rows: TableRows
  /**
   * What the default table leaves out on a terminal narrower than it (see {@link TableOptions.maxWidth}), in this
   * order, one column at a time until it fits: a header, or `*SUFFIX` for every header ending in SUFFIX (right-most
   * first, as later resources matter less). Columns not named here always stay; a table that still does not fit
   * wraps, as kubectl's does. The least important columns first, as kubectl keeps its priority-0 columns.
   */
  hideToFit?: readonly string[]
}

/** How {@link renderTable} lays a table out. */
export interface TableOptions {
  /** Include `wideOnly` columns (`-o wide`). */
  wide: boolean
  /** Leave the header line out (`--no-headers`); widths then come from the rows alone, as in kubectl. */
  noHeaders?: boolean
  /** Emit colour escapes for cell roles and a bold header. */
  color: boolean
  /**
   * The terminal's width, given only when stdout is one: a default (not wide) table wider than this leaves out its
   * `hideToFit` columns until it fits. Never given for a pipe, so scripts always get every column.
   */
  maxWidth?: number
}

// kubectl prints every table through Go's text/tabwriter with these settings (cli-runtime printers): a column
// is as wide as its widest cell plus the padding, but never narrower than the minimum width, padding included.
const TAB_MIN_WIDTH = 6
const TAB_PADDING = 3

/** Reads a cell given either as a plain string or as a {@link Cell}. */
export function cellOf(value: string | Cell | undefined): Cell {
  if (value === undefined) return { text: '' }
  return typeof value === 'string' ? { text: value } : value
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what must not reach a terminal
const ESCAPE_OR_TAB = /[\u001b\t]/g

/**
 * What kubectl does to a table cell before printing: only the first line is kept, with "..." marking the cut,
 * and the escape character is shown as `^[` so object data cannot drive the terminal. A tab, which would start a
 * new tabwriter column in kubectl, becomes a space here.
 */
export function tableSafeText(text: string): string {
  const lineBreak = text.search(/[\f\n\r]/)
  const firstLine = lineBreak === -1 ? text : `${text.slice(0, lineBreak)}...`
  return firstLine.replace(ESCAPE_OR_TAB, (char) => (char === '\t' ? ' ' : '^['))
}

/**
 * The width of `text` when it is printable ASCII, the text of nearly every cell (names, quantities, ages); -1
 * otherwise. Such text needs nothing from {@link tableSafeText} (no line break, escape or tab) and is one terminal
 * cell per character, so the table measures and prints it as it is. A loop over the char codes: the regular
 * expressions and the code point walk it spares ran for every cell twice and were a tenth of `usage pods -A`'s CPU
 * at 150,000 pods.
 */
function plainWidth(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 || code > 0x7e) return -1
  }
  return text.length
}

/** The terminal width of a cell's text as the table prints it (made safe first). */
function cellWidth(text: string): number {
  const plain = plainWidth(text)
  return plain >= 0 ? plain : displayWidth(tableSafeText(text))
}

interface LaidCell {
  text: string
  width: number
  styled: string
}

/** A cell other than a plain string of printable ASCII: made safe, measured and coloured. */
function layCell(cell: Cell, color: boolean): LaidCell {
  const text = tableSafeText(cell.text)
  const spansMatch =
    cell.spans !== undefined && text === cell.text && cell.spans.map((span) => span.text).join('') === text
  const styled =
    spansMatch && cell.spans !== undefined
      ? cell.spans.map((span) => colorize(span.text, span.role, color)).join('')
      : colorize(text, cell.role, color)
  return { text, width: displayWidth(text), styled }
}

/** Runs of spaces by length, made once: padding is two thirds of the pieces of a large table. */
const SPACES: string[] = Array.from({ length: 64 }, (_, n) => ' '.repeat(n))

function spaces(count: number): string {
  return count <= 0 ? '' : (SPACES[count] ?? ' '.repeat(count))
}

/** How wide a laid-out line is: every column but the last padded, the last as wide as its widest cell. */
function lineWidth(contentWidths: readonly number[]): number {
  let width = 0
  contentWidths.forEach((content, position) => {
    width += position === contentWidths.length - 1 ? content : Math.max(TAB_MIN_WIDTH, content + TAB_PADDING)
  })
  return width
}

/**
 * The columns (indexes into table.columns) a default table keeps within `maxWidth`: `visible` less its `hideToFit`
 * columns, taken away in that order only while the line is still too wide.
 */
function columnsThatFit(
  table: TableView,
  visible: readonly number[],
  contentWidths: readonly number[],
  maxWidth: number,
): number[] {
  const widths = new Map(visible.map((index, position) => [index, contentWidths[position] ?? 0]))
  const kept = visible.slice()
  const keptWidths = (): number[] => kept.map((index) => widths.get(index) ?? 0)
  for (const entry of table.hideToFit ?? []) {
    const suffix = entry.startsWith('*') ? entry.slice(1) : undefined
    const matches = (index: number): boolean => {
      const header = table.columns[index]?.header ?? ''
      return suffix === undefined ? header === entry : header.endsWith(suffix)
    }
    for (let position = kept.length - 1; position >= 0; position--) {
      if (lineWidth(keptWidths()) <= maxWidth) return kept
      if (matches(kept[position] as number)) kept.splice(position, 1)
    }
  }
  return kept
}

/**
 * Lays a table out exactly as `kubectl get` does: each cell but the last in a line is padded to its column's
 * width (widest cell + 3 spaces, at least 6), and the last cell is printed as is, so lines carry no trailing
 * padding unless the last cell is empty. Right-aligned columns put the spaces before the text and keep the
 * 3-space gap after it. Widths are measured on plain text; colour is wrapped around the text afterwards, so the
 * output with colour stripped is byte-for-byte the colourless output. A table without rows renders as ''.
 */
export function renderTable(table: TableView, options: TableOptions): string {
  const chunks: string[] = []
  writeTable(table, options, (text) => chunks.push(text))
  return chunks.join('')
}

/** Lines handed to `write` at once by {@link writeTable}: few enough to stay small, enough to keep writes few. */
const LINES_PER_WRITE = 512

/**
 * {@link renderTable}, handed to `write` a batch of lines at a time rather than returned as one string: printing
 * 150,000 pods as one string held the whole text (and the lines it was joined from) at the end of the run, about
 * 60 MB of the peak. stdout on a pipe or file is written synchronously, so nothing piles up behind it.
 */
export function writeTable(table: TableView, options: TableOptions, write: (text: string) => void): void {
  if (table.rows.length === 0) return
  const visible = table.columns.flatMap((column, index) => (options.wide || !column.wideOnly ? [index] : []))
  if (visible.length === 0) return
  const header = (index: number): Cell => ({ text: table.columns[index]?.header ?? '', role: 'header' })

  // Two passes over the rows instead of one laid-out copy of every cell: at 150,000 pods that copy alone held
  // more memory than the rows it came from. Pass one measures, pass two measures again and writes.
  const contentWidths = visible.map(() => 0)
  if (!options.noHeaders)
    for (const [position, index] of visible.entries())
      contentWidths[position] = cellWidth(table.columns[index]?.header ?? '')
  for (const row of table.rows) {
    for (let position = 0; position < visible.length; position++) {
      const value = row[visible[position] as number]
      const width = cellWidth(value === undefined ? '' : typeof value === 'string' ? value : value.text)
      if (width > (contentWidths[position] as number)) contentWidths[position] = width
    }
  }

  if (!options.wide && options.maxWidth !== undefined && options.maxWidth > 0) {
    const kept = columnsThatFit(table, visible, contentWidths, options.maxWidth)
    if (kept.length < visible.length) {
      const widthOf = new Map(visible.map((index, position) => [index, contentWidths[position] ?? 0]))
      visible.length = 0
      contentWidths.length = 0
      for (const index of kept) {
        visible.push(index)
        contentWidths.push(widthOf.get(index) ?? 0)
      }
    }
  }

  const last = visible.length - 1
  const columnWidths = contentWidths.map((width) => Math.max(TAB_MIN_WIDTH, width + TAB_PADDING))
  const rightAligned = visible.map((index) => table.columns[index]?.align === 'right')
  // The pieces of up to LINES_PER_WRITE lines, joined once per write: one flat string per batch, where a string
  // per line (or a line built with +=, a tree of ~30 pieces until printed) cost a join or the memory per line.
  const parts: string[] = []
  let lines = 0
  const writeLine = (cellAt: (index: number) => string | Cell | undefined): void => {
    for (let position = 0; position <= last; position++) {
      const value = cellAt(visible[position] as number)
      // A plain string of printable ASCII is printed as it is (it has no role, so colour never changes it); any
      // other cell is made safe, measured and coloured.
      const plain = value === undefined ? 0 : typeof value === 'string' ? plainWidth(value) : -1
      let styled = typeof value === 'string' ? value : ''
      let width = plain
      if (plain < 0) {
        const cell = layCell(cellOf(value), options.color)
        styled = cell.styled
        width = cell.width
      }
      if (position === last) {
        if (rightAligned[position]) parts.push(spaces((contentWidths[position] as number) - width))
        parts.push(styled)
      } else if (rightAligned[position]) {
        parts.push(
          spaces((columnWidths[position] as number) - width - TAB_PADDING),
          styled,
          SPACES[TAB_PADDING] as string,
        )
      } else parts.push(styled, spaces((columnWidths[position] as number) - width))
    }
    parts.push('\n')
    if (++lines >= LINES_PER_WRITE) {
      write(parts.join(''))
      parts.length = 0
      lines = 0
    }
  }
  if (!options.noHeaders) writeLine(header)
  for (const row of table.rows) writeLine((index) => row[index])
  if (parts.length > 0) write(parts.join(''))
}
