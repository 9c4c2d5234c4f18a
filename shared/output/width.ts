import { stripAnsi } from './color.ts'

// Code points a terminal draws two cells wide: the East Asian Wide and Fullwidth blocks (CJK, kana, Hangul,
// fullwidth forms). A short range list rather than the full Unicode table: cheap, and right for the text that
// actually shows up in cluster object names and labels.
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x2329, 0x232a],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1b000, 0x1b2ff],
  [0x1f200, 0x1f251],
  [0x20000, 0x3fffd],
]

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]$/u
const EMOJI_PRESENTATION = /^\p{Emoji_Presentation}$/u
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

function codePointWidth(char: string): number {
  const code = char.codePointAt(0) ?? 0
  if (code < 0x7f) return code >= 0x20 ? 1 : 0
  if (ZERO_WIDTH.test(char)) return 0
  for (const [first, last] of WIDE_RANGES) {
    if (code < first) break
    if (code <= last) return 2
  }
  return EMOJI_PRESENTATION.test(char) ? 2 : 1
}

/**
 * How many terminal cells `text` occupies: escape sequences count 0, combining marks and control characters 0,
 * East Asian wide characters and emoji 2, everything else 1. kubectl counts code points instead, which misaligns
 * CJK names; counting cells keeps columns straight on a real terminal.
 */
export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length
  let width = 0
  for (const char of stripAnsi(text)) width += codePointWidth(char)
  return width
}
