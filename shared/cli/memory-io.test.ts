import { text } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { createMemoryIo } from './memory-io.ts'

describe('createMemoryIo', () => {
  it('keeps what was written to each stream apart', () => {
    const io = createMemoryIo()
    io.out.write('data\n')
    io.err.write('message\n')
    expect(io.stdout()).toBe('data\n')
    expect(io.stderr()).toBe('message\n')
    expect(io.stdoutBytes().toString()).toBe('data\n')
  })

  it('is piped, colourless and width-less by default, with a fixed clock', () => {
    const io = createMemoryIo()
    expect([io.outIsTTY, io.errIsTTY, io.inIsTTY, io.color, io.columns]).toEqual([
      false,
      false,
      false,
      false,
      undefined,
    ])
    expect(io.now().toISOString()).toBe('2026-11-22T12:00:00.000Z')
  })

  it('acts as a terminal when asked, honouring NO_COLOR and the width given', () => {
    expect(createMemoryIo({ tty: true }).color).toBe(true)
    expect(createMemoryIo({ tty: true }).columns).toBe(120)
    expect(createMemoryIo({ tty: true, env: { NO_COLOR: '1' } }).color).toBe(false)
    expect(createMemoryIo({ tty: true, columns: 80 }).columns).toBe(80)
  })

  it('serves the given stdin', async () => {
    expect(await text(createMemoryIo({ stdin: 'secret\n' }).stdin)).toBe('secret\n')
    expect(await text(createMemoryIo().stdin)).toBe('')
  })
})
