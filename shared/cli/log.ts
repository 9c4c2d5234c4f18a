import { formatWithOptions } from 'node:util'
import { type ConsolaReporter, createConsola, type LogObject } from 'consola/core'
import { type ColorRole, colorize } from '../output/color.ts'
import { colorEnabled, type Io } from './io.ts'

/** The levels a command logs at; kubectl's -v picks how many of them reach stderr. */
export type LogLevelName = 'error' | 'warn' | 'info' | 'debug' | 'trace'

/**
 * Messages for people, always on stderr so stdout stays pure data (`-o json | jq` must never see a log line).
 * Arguments are formatted like console.log's.
 */
export interface Logger {
  /** The -v level this logger was made for (0-10). */
  readonly verbosity: number
  /** Whether a message at `level` would be printed, to skip building expensive ones. */
  enabled(level: LogLevelName): boolean
  error(message: string, ...args: unknown[]): void
  /** Printed as kubectl prints API warnings: `Warning: ...`. Shown at every -v. */
  warn(message: string, ...args: unknown[]): void
  /** A warning printed once per key, however often the condition is met (e.g. once per deprecated flag). */
  warnOnce(key: string, message: string, ...args: unknown[]): void
  /** -v 1 and above. */
  info(message: string, ...args: unknown[]): void
  /** -v 4 and above. */
  debug(message: string, ...args: unknown[]): void
  /** -v 6 and above: every HTTP request, as kubectl's round_trippers lines. */
  trace(message: string, ...args: unknown[]): void
}

// consola's numeric levels: 0 error, 1 warn, 3 info, 4 debug, 5 trace.
const CONSOLA_LEVEL: Record<LogLevelName, number> = { error: 0, warn: 1, info: 3, debug: 4, trace: 5 }

/** kubectl's -v onto consola's levels: 0 warnings and errors, 1-3 info, 4-5 debug, 6+ trace. */
export function consolaLevelOf(verbosity: number): number {
  if (verbosity >= 6) return CONSOLA_LEVEL.trace
  if (verbosity >= 4) return CONSOLA_LEVEL.debug
  if (verbosity >= 1) return CONSOLA_LEVEL.info
  return CONSOLA_LEVEL.warn
}

const two = (n: number): string => String(n).padStart(2, '0')

/** klog's line header without thread id and source line: `I0601 12:00:00.000000`. */
function klogHeader(date: Date): string {
  const micros = String(date.getMilliseconds() * 1000).padStart(6, '0')
  return `I${two(date.getMonth() + 1)}${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${micros}`
}

/**
 * Writes every level to io.err. consola's own reporters send info and below to stdout (which would corrupt
 * `-o json`) and its fancy reporter draws icons and boxes; kubectl prints plain lines, so we do too, with colour
 * only on the prefixes and only when stderr is a terminal that wants colour.
 */
function stderrReporter(io: Io, color: boolean): ConsolaReporter {
  const prefix = (type: string): [string, ColorRole | undefined] => {
    if (type === 'error' || type === 'fatal') return ['error: ', 'bad']
    if (type === 'warn') return ['Warning: ', 'warn']
    return [`${klogHeader(io.now())} `, 'dim']
  }
  return {
    log(entry: LogObject): void {
      const [text, role] = prefix(entry.type)
      const message = formatWithOptions({ colors: false }, ...entry.args)
      io.err.write(`${colorize(text, role, color)}${message}\n`)
    },
  }
}

/**
 * The one logger of a run, for the -v level given. Everything goes to io.err; nothing is ever written to io.out.
 * Colour follows io.errIsTTY and NO_COLOR (FORCE_COLOR and TERM=dumb as Io.color treats them).
 */
export function createLogger(io: Io, verbosity: number): Logger {
  const level = consolaLevelOf(verbosity)
  const consola = createConsola({
    level,
    // Our reporter is the only one, so consola's stdout/stderr options (process streams) are never written to.
    reporters: [stderrReporter(io, colorEnabled(io.env, io.errIsTTY))],
    // consola folds repeated identical lines into "(repeated N times)" after a delay; a CLI prints what it says.
    throttle: 0,
  })
  const warned = new Set<string>()
  return {
    verbosity,
    enabled: (name) => CONSOLA_LEVEL[name] <= level,
    error: (message, ...args) => consola.error(message, ...args),
    warn: (message, ...args) => consola.warn(message, ...args),
    warnOnce: (key, message, ...args) => {
      if (warned.has(key)) return
      warned.add(key)
      consola.warn(message, ...args)
    },
    info: (message, ...args) => consola.info(message, ...args),
    debug: (message, ...args) => consola.debug(message, ...args),
    trace: (message, ...args) => consola.trace(message, ...args),
  }
}
