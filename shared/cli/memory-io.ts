import { Readable, Writable } from 'node:stream'
import { colorEnabled, type Io } from './io.ts'

/**
 * The one clock every test reads "now" from: memory Ios, scenarios, and the certificates and tokens tests issue.
 * Tests that compare ages or days left with objects made at the real date fail on any other day, so nothing in a
 * test may mix this clock with Date.now().
 */
export const FIXED_NOW: Date = new Date('2026-11-22T12:00:00Z')

/** An Io held in memory for tests: what a command wrote to each stream, a fixed clock and a given stdin. */
export interface MemoryIo extends Io {
  /** Everything written to io.out so far, as UTF-8. */
  stdout(): string
  /** Everything written to io.err so far, as UTF-8. */
  stderr(): string
  /** io.out's bytes, for binary output (tar streams, raw secret values). */
  stdoutBytes(): Buffer
  readonly stdin: Readable
}

export interface MemoryIoOptions {
  /** Pretend all three streams are terminals (default false: piped, as in CI). */
  tty?: boolean
  /** The environment the command sees (default empty, so the host's NO_COLOR or KUBECONFIG never leak in). */
  env?: Record<string, string>
  /** What io.now() returns (default FIXED_NOW). */
  now?: Date
  /** Terminal width; defaults to 120 on a tty and undefined otherwise, as processIo reports it. */
  columns?: number
  /** The text a command reads from stdin (default: empty, already ended). */
  stdin?: string
}

function sink(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
      done()
    },
  })
}

/** A fresh in-memory Io. Colour follows the same rule as processIo: on a tty, unless NO_COLOR says otherwise. */
export function createMemoryIo(options: MemoryIoOptions = {}): MemoryIo {
  const out: Buffer[] = []
  const err: Buffer[] = []
  const tty = options.tty ?? false
  const env = { ...options.env }
  const now = options.now ?? FIXED_NOW
  return {
    out: sink(out),
    err: sink(err),
    outIsTTY: tty,
    errIsTTY: tty,
    inIsTTY: tty,
    color: colorEnabled(env, tty),
    columns: options.columns ?? (tty ? 120 : undefined),
    env,
    now: () => new Date(now),
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
    stdoutBytes: () => Buffer.concat(out),
  }
}
