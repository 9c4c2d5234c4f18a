import { describe, expect, it } from 'vitest'
import { COLOR_ROLES, colorize, stripAnsi } from './color.ts'

describe('colorize', () => {
  it.each([
    ['ok', '\u001b[32mx\u001b[39m'],
    ['warn', '\u001b[33mx\u001b[39m'],
    ['bad', '\u001b[31mx\u001b[39m'],
    ['dim', '\u001b[90mx\u001b[39m'],
    ['accent', '\u001b[36mx\u001b[39m'],
    ['header', '\u001b[1mx\u001b[22m'],
  ] as const)('maps %s to its colour when enabled', (role, expected) => {
    expect(colorize('x', role, true)).toBe(expected)
  })

  it.each(COLOR_ROLES)('never emits an escape for %s when disabled', (role) => {
    expect(colorize('Ready', role, false)).toBe('Ready')
  })

  it('adds nothing without a role or to empty text', () => {
    expect(colorize('x', undefined, true)).toBe('x')
    expect(colorize('', 'bad', true)).toBe('')
  })

  it('colours even when the environment says NO_COLOR, because the caller already decided', () => {
    const saved = process.env.NO_COLOR
    process.env.NO_COLOR = '1'
    try {
      expect(colorize('x', 'ok', true)).not.toBe('x')
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR
      else process.env.NO_COLOR = saved
    }
  })
})

describe('stripAnsi', () => {
  it.each([
    ['plain', 'plain'],
    ['\u001b[1m\u001b[31mbold red\u001b[39m\u001b[22m', 'bold red'],
    ['\u001b]8;;https://example.com\u0007link\u001b]8;;\u0007', 'link'],
    ['\u001b[2K\u001b[1Gline', 'line'],
  ])('%j → %j', (input, expected) => {
    expect(stripAnsi(input)).toBe(expected)
  })
})
