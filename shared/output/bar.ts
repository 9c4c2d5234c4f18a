import type { Io } from '../cli/io.ts'
import { type ColorRole, colorize } from './color.ts'
import type { Cell, Span } from './table.ts'

/** One part of a bar: the share of the whole bar it fills and what it means. */
export interface BarSegment {
  /** Share of the bar, 0..1; values outside are clamped, NaN counts as 0. */
  fraction: number
  role: ColorRole
  /** One-cell glyph to draw with instead of the default for this segment's position. */
  char?: string
}

/** How a bar is drawn. */
export interface BarOptions {
  /** Draw with ASCII glyphs only, for pipes, logs and terminals without UTF-8. */
  ascii?: boolean
}

/**
 * Default glyphs by segment position: the first segment is solid, the second a medium shade, the third and later
 * a light shade, and unfilled capacity is blank. For a node: `█` used, `▒` requested but unused, `░` limits above
 * requests, blank free. The ASCII fallback keeps the same order: `#`, `=`, `.`, blank.
 */
export const BAR_GLYPHS = { unicode: ['█', '▒', '░'], ascii: ['#', '=', '.'] } as const

function clampFraction(fraction: number): number {
  return Number.isNaN(fraction) ? 0 : Math.min(1, Math.max(0, fraction))
}

/**
 * The spans of a bar `width` cells wide inside brackets, so `width + 2` cells in all, whatever the input.
 * Segments are laid end to end from the left; their total is capped at the whole bar. Segment ends are rounded
 * on the running total, so rounding never makes the bar longer or shorter.
 */
export function barSpans(segments: readonly BarSegment[], width: number, options: BarOptions = {}): Span[] {
  const cells = Number.isFinite(width) ? Math.max(0, Math.floor(width)) : 0
  const glyphs = options.ascii ? BAR_GLYPHS.ascii : BAR_GLYPHS.unicode
  const spans: Span[] = [{ text: '[' }]
  let total = 0
  let drawn = 0
  segments.forEach((segment, position) => {
    total = Math.min(1, total + clampFraction(segment.fraction))
    const end = Math.round(total * cells)
    const glyph = segment.char ?? glyphs[Math.min(position, glyphs.length - 1)] ?? ' '
    if (end > drawn) spans.push({ text: glyph.repeat(end - drawn), role: segment.role })
    drawn = Math.max(drawn, end)
  })
  if (cells > drawn) spans.push({ text: ' '.repeat(cells - drawn) })
  spans.push({ text: ']' })
  return spans
}

/**
 * A compact horizontal bar such as `[████▒▒░░      ]` (or `[####==..      ]` with `ascii`), `width` cells
 * between the brackets; see {@link BAR_GLYPHS} for what the glyphs mean. Coloured by role only when `color`.
 */
export function renderBar(
  segments: readonly BarSegment[],
  width: number,
  color: boolean,
  options: BarOptions = {},
): string {
  return barSpans(segments, width, options)
    .map((span) => colorize(span.text, span.role, color))
    .join('')
}

/** The same bar as a table cell, so tables lay it out on its plain width and colour each segment. */
export function barCell(segments: readonly BarSegment[], width: number, options: BarOptions = {}): Cell {
  const spans = barSpans(segments, width, options)
  return { text: spans.map((span) => span.text).join(''), spans }
}

/**
 * True when bars should use the ASCII glyphs: stdout is not a terminal, or the locale does not say UTF-8.
 * The locale is the first set of LC_ALL, LC_CTYPE and LANG, the order in which the C library reads them.
 */
export function prefersAsciiBars(io: Pick<Io, 'outIsTTY' | 'env'>): boolean {
  if (!io.outIsTTY) return true
  const locale = [io.env.LC_ALL, io.env.LC_CTYPE, io.env.LANG].find((value) => value !== undefined && value !== '')
  return locale === undefined || !/utf-?8/i.test(locale)
}
