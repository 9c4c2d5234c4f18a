import { describe, expect, it } from 'vitest'
import { createLogger, type LogLevelName } from './log.ts'
import { createMemoryIo } from './memory-io.ts'

const LEVELS: LogLevelName[] = ['error', 'warn', 'info', 'debug', 'trace']

const shownAt: [number, LogLevelName[]][] = [
  [0, ['error', 'warn']],
  [1, ['error', 'warn', 'info']],
  [3, ['error', 'warn', 'info']],
  [4, ['error', 'warn', 'info', 'debug']],
  [5, ['error', 'warn', 'info', 'debug']],
  [6, ['error', 'warn', 'info', 'debug', 'trace']],
  [10, ['error', 'warn', 'info', 'debug', 'trace']],
]

function logEveryLevel(verbosity: number, options: Parameters<typeof createMemoryIo>[0] = {}) {
  const io = createMemoryIo(options)
  const log = createLogger(io, verbosity)
  for (const level of LEVELS) log[level](`${level} line`)
  return io
}

describe('createLogger', () => {
  it.each(shownAt)('at -v %i prints %j', (verbosity, shown) => {
    const io = logEveryLevel(verbosity)
    const printed = LEVELS.filter((level) => io.stderr().includes(`${level} line`))
    expect(printed).toEqual(shown)
    const log = createLogger(io, verbosity)
    expect(LEVELS.filter((level) => log.enabled(level))).toEqual(shown)
  })

  it.each([0, 1, 4, 6, 10])('writes nothing to stdout at -v %i, even on a terminal', (verbosity) => {
    expect(logEveryLevel(verbosity, { tty: true }).stdout()).toBe('')
    expect(logEveryLevel(verbosity).stdout()).toBe('')
  })

  it('prints kubectl-like plain lines: error:, Warning:, and a klog header for -v lines', () => {
    const lines = logEveryLevel(6).stderr().trimEnd().split('\n')
    expect(lines[0]).toBe('error: error line')
    expect(lines[1]).toBe('Warning: warn line')
    for (const line of lines.slice(2)) expect(line).toMatch(/^I\d{4} \d\d:\d\d:\d\d\.\d{6} (info|debug|trace) line$/)
  })

  it('formats extra arguments like console.log', () => {
    const io = createMemoryIo()
    createLogger(io, 0).warn('%d pods skipped', 3, { reason: 'pending' })
    expect(io.stderr()).toBe("Warning: 3 pods skipped { reason: 'pending' }\n")
  })

  it('prints the same line every time it is logged (no consola throttling)', () => {
    const io = createMemoryIo()
    const log = createLogger(io, 0)
    for (let i = 0; i < 8; i++) log.warn('same')
    expect(io.stderr()).toBe('Warning: same\n'.repeat(8))
  })

  it('warns once per key', () => {
    const io = createMemoryIo()
    const log = createLogger(io, 0)
    log.warnOnce('metrics', 'metrics API unavailable')
    log.warnOnce('metrics', 'metrics API unavailable')
    log.warnOnce('other', 'something else')
    expect(io.stderr()).toBe('Warning: metrics API unavailable\nWarning: something else\n')
  })

  it.each<{ tty: boolean; env: Record<string, string>; colored: boolean }>([
    { tty: false, env: {}, colored: false },
    { tty: true, env: {}, colored: true },
    { tty: true, env: { NO_COLOR: '1' }, colored: false },
  ])('colours prefixes only on a terminal without NO_COLOR: $tty $env', ({ tty, env, colored }) => {
    const io = logEveryLevel(0, { tty, env })
    expect(io.stderr().includes('\u001b[')).toBe(colored)
  })
})
