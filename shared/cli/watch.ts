import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseDurationFlag } from '../kube/config/duration.ts'
import type { SuiteArgsDef } from './args.ts'
import type { Io } from './io.ts'

/** ANSI: cursor home and clear screen, so --watch redraws in place like `watch kubectl ...` does. */
export const CLEAR_SCREEN = '\u001b[H\u001b[2J'

/** `-w/--watch` and `--interval`, the same on every command that can refresh. */
export const watchArgs = {
  watch: {
    type: 'boolean',
    alias: 'w',
    description: 'Refresh every --interval (in place on a terminal, appended when piped) until Ctrl-C',
  },
  interval: { type: 'string', valueHint: 'duration', description: 'Refresh period of --watch (default 2s)' },
} as const satisfies SuiteArgsDef

/** --interval in milliseconds: 500ms, 2s, 1m; bare numbers are seconds; at least 200ms. */
export function parseInterval(text: string | undefined): number {
  if (text === undefined) return 2_000
  // The one bounded duration parser: an interval past 2^31-1 ms would fire at once, hundreds of times a second.
  return parseDurationFlag('--interval', text.trim(), {
    minMs: 200,
    hint: 'use a duration such as 2s, 500ms or 1m (200ms or more)',
  })
}

/** A Writable that keeps what is written, as text. */
function buffer(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = []
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
      done()
    },
  })
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') }
}

/**
 * Runs `draw` once, or with --watch every `interval` until Ctrl-C (the aborted signal; runPlugin then exits 130).
 * Each refresh is drawn into memory first, then on a terminal replaces the screen under a one-line header, and on a
 * pipe is appended after a blank line, so `| tee` keeps every refresh. What a refresh writes to stderr (such as
 * "No resources found") is part of the frame on a terminal and goes to stderr on a pipe.
 */
export async function watchOrOnce(
  io: Io,
  signal: AbortSignal,
  options: { watch: boolean; interval: string | undefined },
  draw: (io: Io) => Promise<void>,
): Promise<void> {
  if (!options.watch) return draw(io)
  const interval = parseInterval(options.interval)
  const inPlace = io.outIsTTY
  while (!signal.aborted) {
    const out = buffer()
    const err = buffer()
    // The real io underneath (its stdin getter is only touched if a refresh reads stdin), writing into memory.
    const frame: Io = Object.assign(Object.create(io) as Io, { out: out.stream, err: err.stream })
    await draw(frame)
    if (signal.aborted) break
    if (inPlace) {
      const header = `${io.now().toISOString()}  every ${interval / 1000}s, Ctrl-C to stop\n\n`
      io.out.write(`${CLEAR_SCREEN}${header}${out.text()}${err.text()}`)
    } else {
      if (out.text() !== '') io.out.write(`${out.text()}\n`)
      if (err.text() !== '') io.err.write(err.text())
    }
    try {
      await sleep(interval, undefined, { signal })
    } catch {
      break
    }
  }
}
