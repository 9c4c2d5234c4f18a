/**
 * A fraction as a whole percentage, `0.127` → `12%`, truncated as `kubectl top` does; `-` when unknown
 * (undefined, NaN, infinite: e.g. usage against zero allocatable).
 */
export function formatPercent(fraction: number | undefined): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return '-'
  // The epsilon keeps 0.29 at 29% although 0.29 * 100 is 28.999999999999996 in binary floating point.
  return `${Math.trunc(fraction * 100 + Math.sign(fraction) * 1e-9)}%`
}

const SECOND = 1
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const YEAR = 365 * DAY

function withRemainder(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major}${majorUnit}` : `${major}${majorUnit}${minor}${minorUnit}`
}

/**
 * The time from `from` to `now` as kubectl's AGE column shows it (apimachinery's duration.HumanDuration): two or
 * three significant figures, seconds below 2 minutes, minutes and seconds below 10 minutes, minutes below 3
 * hours, hours and minutes below 8 hours, hours below 2 days, days and hours below 8 days, days below 2 years,
 * years and days below 8 years, then years. A clock up to 2 seconds behind reads as `0s`; further behind is
 * `<invalid>`.
 */
export function formatAge(from: Date, now: Date): string {
  const milliseconds = now.getTime() - from.getTime()
  if (Number.isNaN(milliseconds)) return '<invalid>'
  const seconds = Math.trunc(milliseconds / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 2 * MINUTE) return `${seconds}s`

  const minutes = Math.floor(seconds / MINUTE)
  if (minutes < 10) return withRemainder(minutes, 'm', seconds % MINUTE, 's')
  if (minutes < 3 * 60) return `${minutes}m`

  const hours = Math.floor(seconds / HOUR)
  if (hours < 8) return withRemainder(hours, 'h', minutes % 60, 'm')
  if (hours < 48) return `${hours}h`

  const days = Math.floor(seconds / DAY)
  if (hours < 8 * 24) return withRemainder(days, 'd', hours % 24, 'h')
  if (hours < 2 * 365 * 24) return `${days}d`

  const years = Math.floor(seconds / YEAR)
  if (hours < 8 * 365 * 24) return withRemainder(years, 'y', days % 365, 'd')
  return `${years}y`
}

/** A byte count for people, in binary units with one decimal: `512 B`, `1.3 KiB`, `101.0 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`
}
