import { Readable, Writable } from 'node:stream'
import type { Io } from './io.ts'

/** An Io held in memory for tests: what a command wrote, and a fixed clock. */
export interface MemoryIo extends Io {
  stdout(): string
  stderr(): string
  stdoutBytes(): Buffer
  readonly stdin: Readable
}

function sink(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
      done()
    },
  })
}

export function createMemoryIo(
  options: { tty?: boolean; env?: Record<string, string>; now?: Date; columns?: number; stdin?: string } = {},
): MemoryIo {
  const out: Buffer[] = []
  const err: Buffer[] = []
  const tty = options.tty ?? false
  const env = options.env ?? {}
  return {
    out: sink(out),
    err: sink(err),
    outIsTTY: tty,
    errIsTTY: tty,
    inIsTTY: tty,
    color: tty && env.NO_COLOR === undefined,
    columns: tty ? (options.columns ?? 120) : undefined,
    env,
    now: () => options.now ?? new Date('2026-11-22T12:00:00Z'),
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
    stdoutBytes: () => Buffer.concat(out),
  }
}
