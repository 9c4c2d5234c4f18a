import type { SuiteArgsDef } from '../../../shared/cli/args.ts'
import { SuiteError } from '../../../shared/errors.ts'

/** `-o` for the secretview commands: kubectl's formats plus the decoded ones (env, dotenv) and file output. */
export function secretOutputArg(formats: readonly string[]) {
  return {
    output: {
      type: 'string',
      alias: 'o',
      valueHint: 'format',
      description: `Output format. One of: (${formats.join(', ')}); leave it out for a table`,
      validate: (value: string): undefined => {
        if (!formats.includes(value))
          throw new SuiteError(
            'usage',
            `unable to match a printer suitable for the output format "${value}", allowed formats are: ${formats.join(',')}`,
          )
        return undefined
      },
    },
    'no-headers': { type: 'boolean', description: 'Print tables without the header row' },
  } as const satisfies SuiteArgsDef
}

/** kubectl-style durations plus days and weeks, which certificate lifetimes are counted in: 30d, 2w, 720h. */
export function parseDays(text: string): number {
  const match = /^(\d+)(d|w|h)?$/.exec(text.trim())
  if (match === null)
    throw new SuiteError('usage', `invalid --within "${text}"`, {
      hint: 'use a number of days such as 30d, 2w or 720h',
    })
  const value = Number(match[1])
  return match[2] === 'w' ? value * 7 : match[2] === 'h' ? Math.floor(value / 24) : value
}
