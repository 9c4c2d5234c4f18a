/**
 * A container's log as the kubelet keeps it (CRI log format): what the process wrote to stdout and stderr, one
 * entry per line, each stamped with the time it arrived (RFC 3339 with nanoseconds). A line longer than 16 KiB, or
 * a last line without a newline, is kept as a partial entry, as containerd does.
 */
export interface LogEntry {
  /** RFC3339Nano, e.g. 2026-12-02T07:00:00.123456789Z */
  time: string
  /** Sortable nanoseconds since the epoch. */
  nanos: bigint
  stream: 'stdout' | 'stderr'
  data: Buffer
}

const MAX_LINE = 16 * 1024
/** Per container; older entries are dropped first, like a rotated log. */
const MAX_BYTES = 8 * 1024 * 1024

let lastNanos = 0n

/** Now in nanoseconds, strictly increasing so entries keep their order. */
export function stamp(clock: () => Date): { time: string; nanos: bigint } {
  const ms = BigInt(clock().getTime())
  const sub = process.hrtime.bigint() % 1_000_000n
  let nanos = ms * 1_000_000n + sub
  if (nanos <= lastNanos) nanos = lastNanos + 1n
  lastNanos = nanos
  return { time: rfc3339Nano(nanos), nanos }
}

export function rfc3339Nano(nanos: bigint): string {
  const seconds = new Date(Number(nanos / 1_000_000_000n) * 1000).toISOString().slice(0, 19)
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0')
  return `${seconds}.${fraction}Z`
}

export class ContainerLog {
  readonly entries: LogEntry[] = []
  private bytes = 0
  private readonly pending = { stdout: [] as Buffer[], stderr: [] as Buffer[] }
  private readonly listeners = new Set<() => void>()

  private readonly clock: () => Date
  constructor(clock: () => Date) {
    this.clock = clock
  }

  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    let rest = chunk
    for (;;) {
      const newline = rest.indexOf(10)
      if (newline < 0) break
      this.push(stream, Buffer.concat([...this.pending[stream], rest.subarray(0, newline + 1)]))
      this.pending[stream] = []
      rest = rest.subarray(newline + 1)
    }
    if (rest.length > 0) {
      this.pending[stream].push(Buffer.from(rest))
      if (this.pending[stream].reduce((n, b) => n + b.length, 0) >= MAX_LINE) this.flush(stream)
    }
  }

  /** The process ended: keep what it wrote without a final newline. */
  end(): void {
    this.flush('stdout')
    this.flush('stderr')
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private flush(stream: 'stdout' | 'stderr'): void {
    if (this.pending[stream].length === 0) return
    this.push(stream, Buffer.concat(this.pending[stream]))
    this.pending[stream] = []
  }

  private push(stream: 'stdout' | 'stderr', data: Buffer): void {
    this.entries.push({ ...stamp(this.clock), stream, data })
    this.bytes += data.length
    while (this.bytes > MAX_BYTES && this.entries.length > 1)
      this.bytes -= (this.entries.shift() as LogEntry).data.length
    for (const l of this.listeners) l()
  }

  /** The log as `kubectl logs` gets it, from `sinceTime`/`sinceSeconds` on, with timestamps when asked for. */
  text(options: { timestamps?: boolean; sinceNanos?: bigint } = {}): string {
    const since = options.sinceNanos ?? 0n
    return this.entries
      .filter((e) => e.nanos >= since)
      .map((e) => (options.timestamps === true ? `${e.time} ${e.data.toString('utf8')}` : e.data.toString('utf8')))
      .join('')
  }
}
