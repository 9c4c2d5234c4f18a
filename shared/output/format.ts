import { SuiteError } from '../errors.ts'

/** Every output format a plugin can offer with `-o`. `table` is the default, chosen by leaving `-o` out. */
export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'name', 'csv', 'tsv'] as const

/** One of {@link OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

/** True when `value` names one of {@link OUTPUT_FORMATS}. */
export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value)
}

/**
 * Turns the `-o` value into a format the command supports. No value (or an empty one) means the default:
 * `table`, or the first allowed format for a command that has no table. Anything else must be in `allowed`,
 * spelled exactly; otherwise a usage error carries kubectl's own wording, listing the allowed formats sorted
 * and without `table`, because kubectl too leaves its default out of that list.
 */
export function parseOutputFormat(value: string | undefined, allowed: readonly OutputFormat[]): OutputFormat {
  const tableAllowed = allowed.includes('table')
  if (value === undefined || value === '') {
    const fallback = tableAllowed ? 'table' : allowed[0]
    if (fallback === undefined) throw new SuiteError('internal', 'parseOutputFormat: no output format is allowed')
    return fallback
  }
  const match = allowed.find((format) => format === value)
  if (match !== undefined) return match

  const named = allowed.filter((format) => format !== 'table').sort()
  const listed = named.length > 0 ? named : ['table']
  const example = `-o ${listed[0]}`
  const hint = tableAllowed
    ? `leave out -o for the default table, or pass one of the formats listed, e.g. ${example}`
    : `pass one of the formats listed to -o, e.g. ${example}`
  throw new SuiteError(
    'usage',
    `unable to match a printer suitable for the output format "${value}", allowed formats are: ${listed.join(',')}`,
    { hint },
  )
}
