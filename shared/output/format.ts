import { readFileSync } from 'node:fs'
import { SuiteError } from '../errors.ts'
import { type CustomColumn, parseCustomColumns, parseCustomColumnsFile } from './custom-columns.ts'
import { type JsonPath, JsonPathParseError, parseJsonPath } from './jsonpath.ts'

/** Every output format a plugin can offer with `-o`. `table` is the default, chosen by leaving `-o` out. */
export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'name', 'csv', 'tsv'] as const

/** One of {@link OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

/**
 * The template formats, `-o NAME=TEMPLATE`, that every command offering `-o json` also accepts: they print the
 * same document through a kubectl JSONPath template or as kubectl's custom columns.
 */
export const TEMPLATE_FORMATS = [
  'custom-columns',
  'custom-columns-file',
  'jsonpath',
  'jsonpath-as-json',
  'jsonpath-file',
] as const

/** A parsed `-o jsonpath=…` (or `jsonpath-file`, `jsonpath-as-json`) or `-o custom-columns=…` (or `-file`). */
export type TemplateFormat =
  | { kind: 'jsonpath'; template: JsonPath; asJson: boolean; allowMissingKeys: boolean }
  | { kind: 'custom-columns'; columns: CustomColumn[] }

/** What `-o` chose: a plain format, or a template over the command's JSON document. */
export type ChosenFormat = OutputFormat | TemplateFormat

/** True when `value` names one of {@link OUTPUT_FORMATS}. */
export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value)
}

/**
 * True when the format prints something for an empty list, as kubectl does: json, yaml and jsonpath print the
 * document, custom-columns its header line. Tables and names print nothing and leave "No resources found" to
 * the command.
 */
export function printsDocument(format: ChosenFormat): boolean {
  return format === 'json' || format === 'yaml' || typeof format === 'object'
}

function readTemplateFile(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new SuiteError('usage', `error reading --template ${path}, ${reason}`)
  }
}

/** Parses `-o NAME=TEMPLATE` for a template format, or returns undefined when `value` is not one. */
function parseTemplateFormat(value: string, allowMissingKeys: boolean): TemplateFormat | undefined {
  const equals = value.indexOf('=')
  const name = equals === -1 ? value : value.slice(0, equals)
  if (!(TEMPLATE_FORMATS as readonly string[]).includes(name)) return undefined
  const template = equals === -1 ? '' : value.slice(equals + 1)
  if (name.startsWith('custom-columns')) {
    try {
      const columns =
        name === 'custom-columns' ? parseCustomColumns(template) : parseCustomColumnsFile(readTemplateFile(template))
      return { kind: 'custom-columns', columns }
    } catch (err) {
      if (err instanceof JsonPathParseError) throw new SuiteError('usage', err.message)
      throw err
    }
  }
  if (template === '') throw new SuiteError('usage', 'template format specified but no template given')
  const text = name === 'jsonpath-file' ? readTemplateFile(template) : template
  try {
    return { kind: 'jsonpath', template: parseJsonPath(text), asJson: name === 'jsonpath-as-json', allowMissingKeys }
  } catch (err) {
    if (err instanceof JsonPathParseError)
      throw new SuiteError('usage', `error parsing jsonpath ${text}, ${err.message}`)
    throw err
  }
}

/**
 * Turns the `-o` value into a format the command supports. No value (or an empty one) means the default:
 * `table`, or the first allowed format for a command that has no table. A command that allows `json` also takes
 * the {@link TEMPLATE_FORMATS} (`jsonpath=…`, `custom-columns=…`), parsed here so a bad template fails before
 * anything connects. Anything else must be in `allowed`, spelled exactly; otherwise a usage error carries
 * kubectl's own wording, listing the allowed formats sorted and without `table`, because kubectl too leaves its
 * default out of that list. `allowMissingTemplateKeys: false` (kubectl's `--allow-missing-template-keys=false`)
 * makes a jsonpath key that is not there an error instead of nothing.
 */
export function parseOutputFormat(
  value: string | undefined,
  allowed: readonly OutputFormat[],
  options: { allowMissingTemplateKeys?: boolean } = {},
): ChosenFormat {
  const tableAllowed = allowed.includes('table')
  if (value === undefined || value === '') {
    const fallback = tableAllowed ? 'table' : allowed[0]
    if (fallback === undefined) throw new SuiteError('internal', 'parseOutputFormat: no output format is allowed')
    return fallback
  }
  const match = allowed.find((format) => format === value)
  if (match !== undefined) return match
  if (allowed.includes('json')) {
    const template = parseTemplateFormat(value, options.allowMissingTemplateKeys !== false)
    if (template !== undefined) return template
  }

  const named = allowedFormatNames(allowed)
  const listed = named.length > 0 ? named : ['table']
  const plain = listed.filter((name) => !(TEMPLATE_FORMATS as readonly string[]).includes(name))
  const example = `-o ${plain[0] ?? listed[0]}`
  const hint = tableAllowed
    ? `leave out -o for the default table, or pass one of the formats listed, e.g. ${example}`
    : `pass one of the formats listed to -o, e.g. ${example}`
  throw new SuiteError(
    'usage',
    `unable to match a printer suitable for the output format "${value}", allowed formats are: ${listed.join(',')}`,
    { hint },
  )
}

/** The `-o` names a command accepts, sorted, without `table`: its formats plus the template ones with `json`. */
export function allowedFormatNames(allowed: readonly OutputFormat[]): string[] {
  const names: string[] = allowed.filter((format) => format !== 'table')
  if (allowed.includes('json')) names.push(...TEMPLATE_FORMATS)
  return names.sort()
}

/** What `-o <TAB>` offers: the format names, template formats as `jsonpath=` so the template follows at once. */
export function formatChoices(allowed: readonly OutputFormat[]): string[] {
  return allowedFormatNames(allowed).map((name) =>
    (TEMPLATE_FORMATS as readonly string[]).includes(name) ? `${name}=` : name,
  )
}
