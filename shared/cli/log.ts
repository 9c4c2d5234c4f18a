import { format } from 'node:util'
import { createConsola, type LogObject } from 'consola'
import { colorize } from '../output/color.ts'
import { colorEnabled, type Io } from './io.ts'

/**
 * The one logger: consola with a reporter that writes every level to stderr (consola's default sends info to
 * stdout, which would corrupt `-o json`), plain lines when stderr is not a terminal, and a level from `-v`.
 */
export interface Logger {
  warn(message: string): void
  /** A warning printed once per key, however many times the condition is met. */
  warnOnce(key: string, message: string): void
  info(message: string): void
  debug(message: string): void
  trace(message: string): void
  error(message: string): void
  readonly verbosity: number
}

/** kubectl's -v levels mapped onto consola's: 0 warnings, 1-3 info, 4-5 debug, 6+ trace (request lines). */
function consolaLevel(verbosity: number): number {
  if (verbosity >= 6) return 5
  if (verbosity >= 4) return 4
  if (verbosity >= 1) return 3
  return 1
}

const PREFIX: Record<string, [string, 'warn' | 'bad' | 'dim' | undefined]> = {
  warn: ['Warning: ', 'warn'],
  error: ['error: ', 'bad'],
  fatal: ['error: ', 'bad'],
  debug: ['debug: ', 'dim'],
  trace: ['trace: ', 'dim'],
}

export function createLogger(io: Io, verbosity: number): Logger {
  const color = colorEnabled(io.env, io.errIsTTY)
  const reporter = {
    log(entry: LogObject): void {
      const [prefix, role] = PREFIX[entry.type] ?? ['', undefined]
      io.err.write(`${colorize(prefix, role, color)}${format(...entry.args)}\n`)
    },
  }
  const consola = createConsola({ level: consolaLevel(verbosity), reporters: [reporter] })
  const warned = new Set<string>()
  return {
    verbosity,
    warn: (m) => consola.warn(m),
    warnOnce: (key, m) => {
      if (warned.has(key)) return
      warned.add(key)
      consola.warn(m)
    },
    info: (m) => consola.info(m),
    debug: (m) => consola.debug(m),
    trace: (m) => consola.trace(m),
    error: (m) => consola.error(m),
  }
}
