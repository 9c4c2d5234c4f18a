import { SuiteError } from '../../errors.ts'

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Go's time.ParseDuration ("1h30m", "500ms", "2.5s"); returns milliseconds. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy
  let total = 0
  let consumed = 0
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number)
    consumed = re.lastIndex
  }
  return consumed === text.length && consumed > 0 ? total : undefined
}

/** kubectl's --request-timeout: a Go duration, or a bare integer meaning seconds; "0" means no limit of our own. */
export function parseRequestTimeout(text: string | undefined): number {
  if (text === undefined || text === '') return 0
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const ms = parseGoDuration(text)
  if (ms === undefined) {
    throw new SuiteError(
      'usage',
      `invalid request timeout "${text}": expected a duration such as 30s, 1m or 2h30m, or a number of seconds`,
      {
        hint: 'pass e.g. --request-timeout=30s',
      },
    )
  }
  return Math.round(ms)
}
