import { describe, expect, it } from 'vitest'
import { barCell, prefersAsciiBars, renderBar } from './bar.ts'
import { stripAnsi } from './color.ts'
import { displayWidth } from './width.ts'

describe('renderBar', () => {
  it.each([
    { name: 'empty', segments: [], expected: '[          ]' },
    { name: 'one segment', segments: [{ fraction: 0.4, role: 'ok' }], expected: '[████      ]' },
    {
      name: 'three segments end to end',
      segments: [
        { fraction: 0.4, role: 'ok' },
        { fraction: 0.2, role: 'warn' },
        { fraction: 0.2, role: 'dim' },
      ],
      expected: '[████▒▒░░  ]',
    },
    { name: 'full', segments: [{ fraction: 1, role: 'bad' }], expected: '[██████████]' },
    { name: 'over 1 clamped', segments: [{ fraction: 1.7, role: 'bad' }], expected: '[██████████]' },
    { name: 'negative clamped', segments: [{ fraction: -0.5, role: 'ok' }], expected: '[          ]' },
    { name: 'NaN as zero', segments: [{ fraction: Number.NaN, role: 'ok' }], expected: '[          ]' },
    {
      name: 'total capped at the whole bar',
      segments: [
        { fraction: 0.8, role: 'ok' },
        { fraction: 0.5, role: 'warn' },
      ],
      expected: '[████████▒▒]',
    },
    {
      name: 'rounding on the running total',
      segments: [
        { fraction: 0.15, role: 'ok' },
        { fraction: 0.15, role: 'warn' },
      ],
      expected: '[██▒       ]',
    },
    { name: 'custom glyph', segments: [{ fraction: 0.3, role: 'accent', char: '▶' }], expected: '[▶▶▶       ]' },
  ] as const)('draws $name', ({ segments, expected }) => {
    expect(renderBar(segments, 10, false)).toBe(expected)
  })

  it('falls back to ASCII glyphs in the same order', () => {
    const segments = [
      { fraction: 0.4, role: 'ok' },
      { fraction: 0.2, role: 'warn' },
      { fraction: 0.2, role: 'dim' },
    ] as const
    expect(renderBar(segments, 10, false, { ascii: true })).toBe('[####==..  ]')
  })

  it.each([0, 1, 7, 20, 33])('is always width + 2 cells wide, width %i', (width) => {
    for (const fraction of [0, 0.01, 0.333, 0.5, 0.999, 1, 2]) {
      const bar = renderBar(
        [
          { fraction, role: 'ok' },
          { fraction: fraction / 3, role: 'warn' },
        ],
        width,
        true,
      )
      expect(displayWidth(bar)).toBe(width + 2)
    }
  })

  it('treats a negative or fractional width as a whole number of cells', () => {
    expect(renderBar([{ fraction: 1, role: 'ok' }], -3, false)).toBe('[]')
    expect(renderBar([{ fraction: 1, role: 'ok' }], 2.9, false)).toBe('[██]')
  })

  it('colours each segment by role and nothing when colour is off', () => {
    const segments = [
      { fraction: 0.5, role: 'ok' },
      { fraction: 0.5, role: 'bad' },
    ] as const
    expect(renderBar(segments, 4, true)).toBe('[\u001b[32m██\u001b[39m\u001b[31m▒▒\u001b[39m]')
    expect(renderBar(segments, 4, false)).not.toContain('\u001b')
    expect(stripAnsi(renderBar(segments, 4, true))).toBe(renderBar(segments, 4, false))
  })
})

describe('barCell', () => {
  it('carries the plain bar as text and the coloured parts as spans', () => {
    const cell = barCell([{ fraction: 0.5, role: 'warn' }], 4, { ascii: true })
    expect(cell.text).toBe('[##  ]')
    expect(cell.spans).toEqual([{ text: '[' }, { text: '##', role: 'warn' }, { text: '  ' }, { text: ']' }])
  })
})

describe('prefersAsciiBars', () => {
  it.each([
    { outIsTTY: false, env: { LANG: 'en_US.UTF-8' }, ascii: true },
    { outIsTTY: true, env: { LANG: 'en_US.UTF-8' }, ascii: false },
    { outIsTTY: true, env: { LANG: 'C.utf8' }, ascii: false },
    { outIsTTY: true, env: {}, ascii: true },
    { outIsTTY: true, env: { LANG: 'C' }, ascii: true },
    { outIsTTY: true, env: { LC_ALL: 'C', LANG: 'en_US.UTF-8' }, ascii: true },
    { outIsTTY: true, env: { LC_ALL: '', LC_CTYPE: 'de_DE.UTF-8', LANG: 'C' }, ascii: false },
  ])('tty=$outIsTTY env=$env → ascii $ascii', ({ outIsTTY, env, ascii }) => {
    expect(prefersAsciiBars({ outIsTTY, env })).toBe(ascii)
  })
})
