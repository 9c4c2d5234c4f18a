import type { SuiteArgsDef } from '../../../shared/cli/args.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { parseOutputFormat, TEMPLATE_FORMATS, type TemplateFormat } from '../../../shared/output/index.ts'

function isTemplateValue(value: string): boolean {
  return (TEMPLATE_FORMATS as readonly string[]).includes(value.split('=')[0] ?? '')
}

/**
 * The parsed template when `-o` is a template format (`jsonpath=…`, `custom-columns=…`) and the command prints
 * json; those print the same document as `-o json`. undefined for every other value.
 */
export function templateOutput(value: string | undefined, formats: readonly string[]): TemplateFormat | undefined {
  if (value === undefined || !formats.includes('json') || !isTemplateValue(value)) return undefined
  const chosen = parseOutputFormat(value, ['json'])
  return typeof chosen === 'object' ? chosen : undefined
}

/** `-o` for the secretview commands: kubectl's formats plus the decoded ones (env, dotenv) and file output. */
export function secretOutputArg(formats: readonly string[]) {
  const named = formats.includes('json') ? [...formats, ...TEMPLATE_FORMATS] : [...formats]
  return {
    output: {
      type: 'string',
      alias: 'o',
      valueHint: 'format',
      description: `Output format. One of: (${named.join(', ')}); leave it out for a table`,
      choices: named.map((name) => ((TEMPLATE_FORMATS as readonly string[]).includes(name) ? `${name}=` : name)),
      validate: (value: string): undefined => {
        if (templateOutput(value, formats) !== undefined) return undefined
        if (!formats.includes(value))
          throw new SuiteError(
            'usage',
            `unable to match a printer suitable for the output format "${value}", allowed formats are: ${named.join(',')}`,
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
