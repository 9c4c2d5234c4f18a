import { describe, expect, it } from 'vitest'
import { createMemoryIo } from './memory-io.ts'
import { CLEAR_SCREEN, parseInterval, watchOrOnce } from './watch.ts'

describe('watchOrOnce', () => {
  async function frames(tty: boolean, watch: boolean) {
    const io = createMemoryIo({ tty })
    const controller = new AbortController()
    let drawn = 0
    await watchOrOnce(io, controller.signal, { watch, interval: '200ms' }, async (frame) => {
      drawn++
      frame.out.write(`TABLE ${drawn}\n`)
      if (drawn === 2) frame.err.write('No resources found\n')
      if (drawn === 3) controller.abort()
    })
    return { stdout: io.stdout(), stderr: io.stderr(), drawn }
  }

  it('draws once without --watch, straight to the real streams', async () => {
    expect(await frames(false, false)).toEqual({ stdout: 'TABLE 1\n', stderr: '', drawn: 1 })
  })

  it('redraws in place on a terminal, with stderr messages in the frame, until the signal aborts', async () => {
    const { stdout, stderr, drawn } = await frames(true, true)
    expect(drawn).toBe(3)
    const screens = stdout.split(CLEAR_SCREEN).slice(1)
    expect(screens).toHaveLength(2)
    expect(screens[0]).toMatch(/every 0\.2s, Ctrl-C to stop\n\nTABLE 1\n$/)
    expect(screens[1]).toMatch(/TABLE 2\nNo resources found\n$/)
    expect(stderr).toBe('')
  })

  it('appends each refresh after a blank line on a pipe, messages on stderr', async () => {
    const { stdout, stderr } = await frames(false, true)
    expect(stdout).toBe('TABLE 1\n\nTABLE 2\n\n')
    expect(stderr).toBe('No resources found\n')
  })

  it('refuses a bad or too short interval', () => {
    expect(() => parseInterval('soon')).toThrow(/invalid --interval "soon"/)
    expect(() => parseInterval('10ms')).toThrow(/invalid --interval "10ms": a duration cannot be shorter than 200ms/)
    // Past 2^31-1 ms a timer fires at once: the one duration parser's bound, not a poll 330 times a second.
    expect(() => parseInterval('2147483648ms')).toThrow(/cannot be longer than 596h31m23.647s/)
    expect(parseInterval('1m')).toBe(60_000)
  })
})
