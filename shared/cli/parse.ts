import { SuiteError } from '../errors.ts'
import { aliasesOf, type ParsedValues, type SuiteArgDef, type SuiteArgs } from './args.ts'

/**
 * Our own argv parser with kubectl's (pflag) semantics. citty's parser silently accepts unknown flags (a mistyped
 * `--contxt prod` would run against the wrong cluster), keeps only the last of a repeated flag (`--as-group a
 * --as-group b`), reads `-n=foo` as "=foo" and consumes `--no-x` for any x. kubectl users expect none of that.
 */
export interface ParsedArgv {
  values: ParsedValues
  positionals: string[]
  /** Everything after the first `--`, verbatim. */
  rest: string[]
  /** Whether `--` was given at all. */
  dashDash: boolean
}

interface Flag {
  name: string
  def: SuiteArgDef
}

function index(defs: SuiteArgs): { long: Map<string, Flag>; short: Map<string, Flag> } {
  const long = new Map<string, Flag>()
  const short = new Map<string, Flag>()
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === 'positional') continue
    long.set(name, { name, def })
    const aliases = aliasesOf(def)
    for (const alias of aliases) (alias.length === 1 ? short : long).set(alias, { name, def })
    // kubectl's -v is also spelled --v.
    if (name.length === 1) short.set(name, { name, def })
  }
  return { long, short }
}

/** Damerau-free Levenshtein distance, small and good enough for flag suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length] as number
}

export function suggestFlag(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    if (candidate.length < 2) continue
    const d = distance(name, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined
}

function parseBool(raw: string, display: string): boolean {
  if (/^(1|t|T|TRUE|true|True)$/.test(raw)) return true
  if (/^(0|f|F|FALSE|false|False)$/.test(raw)) return false
  throw new SuiteError(
    'usage',
    `invalid argument "${raw}" for "${display}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`,
  )
}

export function parseArgv(argv: readonly string[], defs: SuiteArgs, helpHint: string): ParsedArgv {
  const { long, short } = index(defs)
  const values: ParsedValues = {}
  const positionals: string[] = []
  let rest: string[] = []
  let dashDash = false
  const assign = (flag: Flag, raw: string | undefined, display: string): void => {
    const def = flag.def
    if (def.type === 'boolean') {
      values[flag.name] = raw === undefined ? true : parseBool(raw, display)
      return
    }
    if (raw === undefined) throw new SuiteError('usage', `flag needs an argument: ${display}`, { hint: helpHint })
    if (def.type === 'enum' && def.options !== undefined && !def.options.includes(raw)) {
      throw new SuiteError(
        'usage',
        `invalid argument "${raw}" for "${display}" flag: must be one of ${def.options.join(', ')}`,
        { hint: helpHint },
      )
    }
    if (def.multiple === true) {
      const previous = values[flag.name]
      values[flag.name] = [...(Array.isArray(previous) ? previous : []), raw]
    } else values[flag.name] = raw
  }

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') {
      dashDash = true
      rest = argv.slice(i + 1)
      break
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=')
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq)
      const inline = eq < 0 ? undefined : arg.slice(eq + 1)
      let flag = long.get(name) ?? short.get(name)
      if (flag === undefined && name.startsWith('no-')) {
        const negated = long.get(name.slice(3))
        if (
          negated !== undefined &&
          negated.def.type === 'boolean' &&
          negated.def.negatable === true &&
          inline === undefined
        ) {
          values[negated.name] = false
          continue
        }
      }
      if (flag === undefined) {
        const suggestion = suggestFlag(name, long.keys())
        throw new SuiteError('usage', `unknown flag: --${name}`, {
          hint: suggestion === undefined ? helpHint : `did you mean --${suggestion}? ${helpHint}`,
        })
      }
      flag = flag as Flag
      if (flag.def.type === 'boolean' || inline !== undefined) assign(flag, inline, `--${name}`)
      else {
        const next = argv[i + 1]
        if (next === undefined) throw new SuiteError('usage', `flag needs an argument: --${name}`, { hint: helpHint })
        assign(flag, next, `--${name}`)
        i++
      }
      continue
    }
    if (arg.startsWith('-') && arg.length > 1 && arg !== '-') {
      // -n ns, -nns, -n=ns, and grouped booleans such as -Aw.
      let j = 1
      while (j < arg.length) {
        const letter = arg[j] as string
        const flag = short.get(letter)
        if (flag === undefined) {
          throw new SuiteError('usage', `unknown shorthand flag: '${letter}' in ${arg}`, { hint: helpHint })
        }
        if (flag.def.type === 'boolean') {
          const tail = arg.slice(j + 1)
          if (tail.startsWith('=')) {
            assign(flag, tail.slice(1), `-${letter}`)
            break
          }
          assign(flag, undefined, `-${letter}`)
          j++
          continue
        }
        let raw = arg.slice(j + 1)
        if (raw.startsWith('=')) raw = raw.slice(1)
        if (raw === '') {
          const next = argv[i + 1]
          if (next === undefined)
            throw new SuiteError('usage', `flag needs an argument: '${letter}' in -${letter}`, { hint: helpHint })
          raw = next
          i++
        }
        assign(flag, raw, `-${letter}`)
        break
      }
      continue
    }
    positionals.push(arg)
  }
  for (const [name, def] of Object.entries(defs)) {
    if (values[name] === undefined && def.default !== undefined && def.type !== 'positional')
      values[name] = def.default as string | boolean
  }
  return { values, positionals, rest, dashDash }
}
