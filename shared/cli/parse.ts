import { SuiteError } from '../errors.ts'
import {
  nameProblem,
  type ParsedSuiteArgs,
  type SuiteArgDef,
  type SuiteArgsDef,
  type SuitePositionalArgDef,
} from './args.ts'

/*
 * Our own argv parser, with pflag's rules (kubectl's flag library), instead of citty's. citty's parser silently
 * accepts unknown flags (a mistyped `--contxt prod` would run against the current context), keeps only the last of
 * a repeated flag (`--as-group a --as-group b`), reads `-n=foo` as "=foo", consumes `--no-x` for any x, and
 * special-cases `-v`, which kubectl uses for verbosity. Scripts written for kubectl must mean the same thing here.
 * citty still owns command definitions and help rendering.
 */

/** A flag definition: anything but a positional. */
type SuiteFlagDef = Exclude<SuiteArgDef, SuitePositionalArgDef>

interface FlagSpec {
  /** The key in the definitions: the long name as declared. */
  key: string
  def: SuiteFlagDef
  /** How pflag names the flag in messages: `-o, --output` with a shorthand, else `--output`. */
  display: string
}

/** Lookup tables for one command's flags. */
export interface FlagTable {
  long: ReadonlyMap<string, FlagSpec>
  short: ReadonlyMap<string, FlagSpec>
  positionals: readonly (readonly [string, SuitePositionalArgDef])[]
}

/** A definition's aliases as a list (positionals have none). */
export function aliasesOf(def: SuiteArgDef): string[] {
  if (def.type === 'positional' || def.alias === undefined) return []
  return typeof def.alias === 'string' ? [def.alias] : [...def.alias]
}

/** `all-namespaces` → `allNamespaces`. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/gi, (_, letter: string) => letter.toUpperCase())
}

/** kubectl normalises `_` to `-` in flag names (cliflag.WordSepNormalizeFunc), so `--all_namespaces` works. */
function normalizeLongName(name: string): string {
  return name.replaceAll('_', '-')
}

/** Builds the long and short lookup tables; one-character aliases are shorthands, longer ones are long names. */
export function flagTable(defs: SuiteArgsDef): FlagTable {
  const long = new Map<string, FlagSpec>()
  const short = new Map<string, FlagSpec>()
  const positionals: [string, SuitePositionalArgDef][] = []
  for (const [key, def] of Object.entries(defs)) {
    if (def.type === 'positional') {
      positionals.push([key, def])
      continue
    }
    const aliases = aliasesOf(def)
    const shorthand = aliases.find((alias) => alias.length === 1)
    const spec: FlagSpec = { key, def, display: shorthand === undefined ? `--${key}` : `-${shorthand}, --${key}` }
    long.set(key, spec)
    for (const alias of aliases) (alias.length === 1 ? short : long).set(alias, spec)
  }
  return { long, short, positionals }
}

/**
 * Distance between two names counting insertions, deletions, substitutions and swaps of neighbours (optimal
 * string alignment), so `--contxt` and `--cotnext` both find `--context`.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[] = new Array(rows * cols).fill(0)
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0
  for (let i = 0; i < rows; i++) d[i * cols] = i
  for (let j = 0; j < cols; j++) d[j] = j
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1)
      d[i * cols + j] = best
    }
  }
  return at(a.length, b.length)
}

/**
 * The declared name closest to a mistyped one, or undefined when nothing is close enough to be a likely typo:
 * at most one edit for short names, up to a third of the name's length (never more than 3) for longer ones.
 * A typed prefix of at least three characters (`--all` for `--all-namespaces`) also counts, when only one
 * name starts with it.
 */
export function suggestName(typed: string, candidates: Iterable<string>): string | undefined {
  const names = [...new Set(candidates)].filter((name) => name.length > 1).sort()
  const allowed = Math.min(3, Math.max(1, Math.floor(typed.length / 3)))
  let best: string | undefined
  let bestDistance = allowed + 1
  for (const name of names) {
    const distance = editDistance(typed, name)
    if (distance < bestDistance) {
      best = name
      bestDistance = distance
    }
  }
  if (best !== undefined) return best
  const prefixed = typed.length >= 3 ? names.filter((name) => name.startsWith(typed)) : []
  return prefixed.length === 1 ? prefixed[0] : undefined
}

/** Go's strconv.ParseBool, which pflag uses for `--flag=value`. */
function parseBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false
  return undefined
}

function invalidArgument(value: string, spec: { display: string }, reason: string): SuiteError {
  return new SuiteError('usage', `invalid argument "${value}" for "${spec.display}" flag: ${reason}`)
}

/** A value as pflag would reject it, or undefined when the definition accepts it. */
function valueProblem(def: SuiteArgDef, value: string): string | undefined {
  if (def.type === 'enum' && !def.options.includes(value)) {
    const quoted = def.options.map((option) => `"${option}"`)
    return `must be one of ${quoted.join(', ')}`
  }
  return def.type === 'boolean' ? undefined : def.validate?.(value)
}

export interface ParseOptions {
  /** The command as typed, for hints: `kubectl usage nodes`. */
  command?: string
}

/** What argv meant to one command. */
export interface ParseResult<T extends SuiteArgsDef> {
  /** Every declared argument by declared name and in camelCase; defaults filled in. */
  args: ParsedSuiteArgs<T>
  /** Words that are not flags or flag values, in order, including those after `--`. */
  positionals: string[]
  /** The words after the first `--`, verbatim (`mrun run -- train.py -- --epochs 3` gives the script's argv). */
  rest: string[]
  /**
   * Index in `positionals` where the words after `--` begin (cobra's ArgsLenAtDash), or -1 without `--`. Tells
   * `NAME -- cmd` from `-- cmd` when a command takes both.
   */
  dashIndex: number
  /** Declared names of the flags given on the command line (pflag's Changed), to tell "-n default" from no -n. */
  changed: ReadonlySet<string>
}

/**
 * Parses argv for one command with pflag's semantics: `--flag value`, `--flag=value`, `-f value`, `-fvalue`,
 * `-f=value`, grouped shorthands (`-Aw`, and pflag's `-An ns`: booleans first, one value flag last), booleans as
 * `--flag` or `--flag=true|false` but never `--flag false`, `--no-flag` only for negatable booleans, repeatable
 * flags collected in order, `--` ending flags, and flags before, between and after positionals.
 * Throws a usage SuiteError with kubectl's wording for any mistake.
 */
export function parseArgv<const T extends SuiteArgsDef>(
  argv: readonly string[],
  defs: T,
  options: ParseOptions = {},
): ParseResult<T> {
  const table = flagTable(defs)
  const values = new Map<string, string | boolean | string[]>()
  const changed = new Set<string>()
  const positionals: string[] = []
  let rest: string[] = []
  let dashIndex = -1

  const assign = (spec: FlagSpec, value: string | boolean): void => {
    changed.add(spec.key)
    if (typeof value === 'string') {
      const problem = valueProblem(spec.def, value)
      if (problem !== undefined) throw invalidArgument(value, spec, problem)
    }
    if (spec.def.type !== 'boolean' && spec.def.multiple === true) {
      const previous = values.get(spec.key)
      values.set(spec.key, [...(Array.isArray(previous) ? previous : []), String(value)])
    } else values.set(spec.key, value)
  }

  const assignBoolean = (spec: FlagSpec, value: string | undefined): void => {
    if (value === undefined) return assign(spec, true)
    const parsed = parseBool(value)
    if (parsed === undefined)
      throw invalidArgument(value, spec, `strconv.ParseBool: parsing "${value}": invalid syntax`)
    assign(spec, parsed)
  }

  const unknownFlag = (typed: string): SuiteError => {
    const visible = [...table.long].filter(([, spec]) => spec.def.hidden !== true).map(([name]) => name)
    const suggestion = suggestName(typed, visible)
    const see = options.command === undefined ? '' : ` See '${options.command} --help'.`
    return new SuiteError('usage', `unknown flag: --${typed}`, {
      ...(suggestion === undefined ? {} : { hint: `did you mean --${suggestion}?${see}` }),
    })
  }

  let i = 0
  while (i < argv.length) {
    const word = argv[i] as string
    i++
    if (word === '--') {
      rest = argv.slice(i)
      dashIndex = positionals.length
      positionals.push(...rest)
      break
    }
    if (word.length < 2 || !word.startsWith('-')) {
      positionals.push(word)
      continue
    }
    if (word.startsWith('--')) {
      const body = word.slice(2)
      if (body.startsWith('-') || body.startsWith('=')) throw new SuiteError('usage', `bad flag syntax: ${word}`)
      const equals = body.indexOf('=')
      const name = normalizeLongName(equals < 0 ? body : body.slice(0, equals))
      const inline = equals < 0 ? undefined : body.slice(equals + 1)
      const spec = table.long.get(name)
      if (spec === undefined) {
        const negated = name.startsWith('no-') ? table.long.get(name.slice(3)) : undefined
        if (negated?.def.type === 'boolean' && negated.def.negatable === true) {
          if (inline !== undefined)
            throw new SuiteError('usage', `invalid argument "${inline}" for "--${name}" flag: it takes no value`)
          assign(negated, false)
          continue
        }
        throw unknownFlag(name)
      }
      if (spec.def.type === 'boolean') {
        assignBoolean(spec, inline)
      } else if (inline !== undefined) {
        assign(spec, inline)
      } else if ('bareValue' in spec.def && spec.def.bareValue !== undefined) {
        assign(spec, spec.def.bareValue)
      } else if (i < argv.length) {
        // pflag takes the next word whatever it looks like: `--context -x` means the context "-x".
        assign(spec, argv[i] as string)
        i++
      } else {
        throw new SuiteError('usage', `flag needs an argument: ${word}`)
      }
      continue
    }
    // One or more shorthands: each boolean is set in turn; a value flag takes the rest of the word, or the next.
    let shorthands = word.slice(1)
    while (shorthands.length > 0) {
      const letter = shorthands[0] as string
      const spec = table.short.get(letter)
      if (spec === undefined) throw new SuiteError('usage', `unknown shorthand flag: '${letter}' in -${shorthands}`)
      if (shorthands.length > 2 && shorthands[1] === '=') {
        const value = shorthands.slice(2)
        if (spec.def.type === 'boolean') assignBoolean(spec, value)
        else assign(spec, value)
        shorthands = ''
      } else if (spec.def.type === 'boolean') {
        assign(spec, true)
        shorthands = shorthands.slice(1)
      } else if (shorthands.length > 1) {
        assign(spec, shorthands.slice(shorthands[1] === '=' ? 2 : 1))
        shorthands = ''
      } else if (i < argv.length) {
        assign(spec, argv[i] as string)
        i++
        shorthands = ''
      } else {
        throw new SuiteError('usage', `flag needs an argument: '${letter}' in -${shorthands}`)
      }
    }
  }

  const missing = [...table.long.values()]
    .filter((spec, index, all) => all.indexOf(spec) === index)
    .filter((spec) => spec.def.required === true && spec.def.default === undefined && !changed.has(spec.key))
    .map((spec) => `"${spec.key}"`)
  if (missing.length > 0) throw new SuiteError('usage', `required flag(s) ${missing.join(', ')} not set`)

  let next = 0
  for (const [key, def] of table.positionals) {
    const required = def.required !== false && def.default === undefined
    const label = key.toUpperCase()
    const taken = def.multiple === true ? positionals.slice(next) : positionals.slice(next, next + 1)
    next += taken.length
    for (const value of taken) {
      const problem = (def.names === undefined ? undefined : nameProblem(def.names, value)) ?? def.validate?.(value)
      if (problem !== undefined) throw new SuiteError('usage', `invalid ${label} "${value}": ${problem}`)
    }
    if (taken.length === 0 && required) throw new SuiteError('usage', `missing required argument ${label}`)
    if (def.multiple === true) values.set(key, taken)
    else if (taken[0] !== undefined) values.set(key, taken[0])
    else if (def.default !== undefined) values.set(key, def.default)
  }
  const extra = positionals[next]
  if (extra !== undefined) {
    const names = table.positionals.map(([key]) => key.toUpperCase())
    const subject = options.command === undefined ? '' : ` for "${options.command}"`
    const accepts =
      names.length === 0
        ? 'which takes no arguments'
        : `which takes ${names.length === 1 ? 'one argument' : `${names.length} arguments`}: ${names.join(' ')}`
    throw new SuiteError('usage', `unexpected argument "${extra}"${subject}, ${accepts}`)
  }

  const args: Record<string, string | boolean | string[] | undefined> = {}
  for (const [key, def] of Object.entries(defs)) {
    let value = values.get(key)
    if (value === undefined && def.type !== 'positional') {
      if (def.type === 'boolean') value = def.default ?? false
      else if (def.multiple === true) value = []
      else value = def.default
    }
    args[key] = value
    args[camelCase(key)] = value
  }
  return { args: args as ParsedSuiteArgs<T>, positionals, rest, dashIndex, changed }
}

/** One flag word met while scanning argv without parsing it: `--name` or a single shorthand `-n`. */
export interface ScannedFlag {
  /** The long name (normalised) or the shorthand letter, without dashes or value. */
  name: string
  short: boolean
  /** Where in argv it was. */
  index: number
}

export interface ScanResult {
  /** Indexes in argv of the words that are neither flags nor flag values, before `--`. */
  positionalIndexes: number[]
  flags: ScannedFlag[]
}

export interface ScanOptions {
  /** Names (long or short) that are booleans even though `defs` does not declare them, like `help` and `h`. */
  booleans?: readonly string[]
  /** Whether an undeclared flag written without `=` takes `next` as its value (cobra assumes it does). */
  unknownTakesValue?: (next: string) => boolean
}

/**
 * Walks argv the way the parser would, without failing on anything, to find the subcommand words and --help before
 * the command's full definitions are loaded (cobra's stripFlags does the same job).
 */
export function scanArgv(argv: readonly string[], defs: SuiteArgsDef, options: ScanOptions = {}): ScanResult {
  const table = flagTable(defs)
  const booleans = new Set(options.booleans ?? [])
  const unknownTakesValue = options.unknownTakesValue ?? (() => false)
  const positionalIndexes: number[] = []
  const flags: ScannedFlag[] = []
  const takesValue = (spec: FlagSpec | undefined, name: string, next: string | undefined): boolean => {
    if (next === undefined) return false
    if (spec !== undefined)
      return spec.def.type !== 'boolean' && !('bareValue' in spec.def && spec.def.bareValue !== undefined)
    return !booleans.has(name) && unknownTakesValue(next)
  }
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string
    if (word === '--') break
    if (word.length < 2 || !word.startsWith('-')) {
      positionalIndexes.push(i)
      continue
    }
    if (word.startsWith('--')) {
      const body = word.slice(2)
      const equals = body.indexOf('=')
      const name = normalizeLongName(equals < 0 ? body : body.slice(0, equals))
      flags.push({ name, short: false, index: i })
      const spec = table.long.get(name)
      const negated = spec === undefined && name.startsWith('no-') && table.long.has(name.slice(3))
      if (equals < 0 && !negated && takesValue(spec, name, argv[i + 1])) i++
      continue
    }
    for (let j = 1; j < word.length; j++) {
      const letter = word[j] as string
      flags.push({ name: letter, short: true, index: i })
      const spec = table.short.get(letter)
      if (word[j + 1] === '=') break
      if (spec?.def.type === 'boolean' || (spec === undefined && booleans.has(letter))) continue
      if (j === word.length - 1 && takesValue(spec, letter, argv[i + 1])) i++
      break
    }
  }
  return { positionalIndexes, flags }
}
