import type { Readable, Writable } from 'node:stream'

/**
 * Everything a command may touch of the outside world besides the API: where data and messages go, whether a
 * person is watching, and the clock. Built once from the process by the entry point; tests build one in memory.
 */
export interface Io {
  /** Data only: tables, JSON, YAML, raw values. */
  readonly out: Writable
  /** Messages only: warnings, progress, errors. */
  readonly err: Writable
  /** stdout is a terminal (tables may use colour and bars). */
  readonly outIsTTY: boolean
  /** stderr is a terminal (progress bars and spinners may draw). */
  readonly errIsTTY: boolean
  /** stdin is a terminal (prompts are allowed). */
  readonly inIsTTY: boolean
  /** Colour is on: stdout is a TTY and NO_COLOR is unset (or FORCE_COLOR is set). */
  readonly color: boolean
  /** Terminal width in columns, or undefined when not a TTY. */
  readonly columns: number | undefined
  readonly env: NodeJS.ProcessEnv
  now(): Date
  /**
   * Input for commands that read data (`-f -`, a secret value from a pipe). Optional so existing Io objects stay
   * valid; processIo opens process.stdin only when a command asks for it.
   */
  readonly stdin?: Readable
}

export function colorEnabled(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true
  if (env.TERM === 'dumb') return false
  return isTTY
}

export function processIo(): Io {
  const outIsTTY = process.stdout.isTTY === true
  return {
    out: process.stdout,
    err: process.stderr,
    outIsTTY,
    errIsTTY: process.stderr.isTTY === true,
    inIsTTY: process.stdin.isTTY === true,
    color: colorEnabled(process.env, outIsTTY),
    columns: outIsTTY ? process.stdout.columns : undefined,
    env: process.env,
    now: () => new Date(),
    // A getter: touching process.stdin creates a handle, which costs start-up time most commands never need.
    get stdin(): Readable {
      return process.stdin
    },
  }
}
