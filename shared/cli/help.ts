import type { CommandMeta } from 'citty'
import { kubeArgs, type SuiteArgDef, type SuiteArgsDef, type SuitePositionalArgDef } from './args.ts'

/** One example in --help: what it does (the `# ...` line) and the command, which must work on the demo cluster. */
export type HelpExample = readonly [comment: string, command: string]

/** citty's meta plus the examples --help prints under `Examples:`, as kubectl's help does. */
export interface SuiteCommandMeta extends CommandMeta {
  examples?: readonly HelpExample[]
}

export interface HelpInput {
  /** `kubectl pvclaim describe` */
  path: string
  /** `kubectl pvclaim` */
  plugin: string
  meta: SuiteCommandMeta
  /** The command's args with kubectl's globals (which --help leaves to `options`). */
  defs: SuiteArgsDef
  /** Visible subcommands: name and meta. */
  subCommands: readonly (readonly [string, CommandMeta])[]
  /** The command runs itself (not only a group of subcommands). */
  runs: boolean
}

const GLOBAL_KEYS = new Set(Object.keys(kubeArgs))

/** kubectl's flag heading: `    -A, --all-namespaces=false:` then the description on the next line after a tab. */
function flagEntry(key: string, def: Exclude<SuiteArgDef, SuitePositionalArgDef>): string {
  const aliases = def.alias === undefined ? [] : typeof def.alias === 'string' ? [def.alias] : [...def.alias]
  const short = aliases.find((alias) => alias.length === 1)
  let shown: string
  if (def.type === 'boolean') shown = String(def.default === true)
  else if ('multiple' in def && def.multiple === true) shown = '[]'
  else shown = `'${def.default ?? ''}'`
  const head = `    ${short === undefined ? '' : `-${short}, `}--${key}=${shown}:`
  let description = def.description ?? ''
  if (def.type === 'enum') description += ` One of: ${def.options.join(', ')}.`
  if (def.type === 'boolean' && def.negatable === true) description += ` (--no-${key} turns it off)`
  return `${head}\n\t${description.trim()}\n`
}

function flagsSection(defs: SuiteArgsDef, keep: (key: string) => boolean): string {
  const entries: string[] = []
  for (const key of Object.keys(defs).sort()) {
    const def = defs[key] as SuiteArgDef
    if (def.type === 'positional' || def.hidden === true || !keep(key)) continue
    entries.push(flagEntry(key, def))
  }
  return entries.join('\n')
}

/** The words the Usage line shows for positionals: `NAME` when required, `[PATH]` when optional, `...` when many. */
export function positionalUsage(defs: SuiteArgsDef): string[] {
  const words: string[] = []
  for (const [key, def] of Object.entries(defs)) {
    if (def.type !== 'positional') continue
    const name = `${def.usageName ?? key.toUpperCase()}${def.multiple === true ? '...' : ''}`
    const required = (def.required !== false && def.default === undefined) || def.neededByCommand === true
    words.push(required ? name : `[${name}]`)
  }
  return words
}

function optionsPointer(plugin: string): string {
  return `Use "${plugin} options" for a list of global command-line options (applies to all commands).\n`
}

/**
 * --help in kubectl's shape: description, `Examples:`, `Available Commands:` (groups), the command's own flags under
 * `Options:`, `Usage:`, then one line pointing at `<plugin> options` for kubectl's global flags.
 */
export function renderHelp(input: HelpInput): string {
  const parts: string[] = []
  const description = (input.meta.description ?? '').trim()
  parts.push(`${description === '' ? input.path : description}\n`)
  const examples = input.meta.examples ?? []
  if (examples.length > 0)
    parts.push(`Examples:\n${examples.map(([comment, command]) => `  # ${comment}\n  ${command}\n`).join('  \n')}`)
  if (input.subCommands.length > 0) {
    const width = Math.max(...input.subCommands.map(([name]) => name.length)) + 2
    const lines = input.subCommands.map(([name, meta]) => {
      const aliases = meta.alias === undefined ? [] : typeof meta.alias === 'string' ? [meta.alias] : meta.alias
      const also = aliases.length === 0 ? '' : ` (alias: ${aliases.join(', ')})`
      return `  ${name.padEnd(width)}${meta.description ?? ''}${also}\n`
    })
    parts.push(`Available Commands:\n${lines.join('')}`)
  }
  // A global a command declares anew is its own flag (mrun's --profile names an mrun profile, where kubectl's is
  // a hidden profiling switch), so it is shown here.
  const own = flagsSection(
    input.defs,
    (key) => !GLOBAL_KEYS.has(key) || input.defs[key] !== (kubeArgs as SuiteArgsDef)[key],
  )
  if (own !== '') parts.push(`Options:\n${own}`)
  const usage: string[] = [input.path]
  if (input.subCommands.length > 0) usage.push(input.runs ? '[command]' : 'COMMAND')
  usage.push(...positionalUsage(input.defs))
  if (own !== '') usage.push('[flags]')
  usage.push('[options]')
  parts.push(`Usage:\n  ${usage.join(' ')}\n`)
  const pointers =
    input.subCommands.length > 0
      ? `Use "${input.path} <command> --help" for more information about a given command.\n${optionsPointer(input.plugin)}`
      : optionsPointer(input.plugin)
  parts.push(pointers)
  return parts.join('\n')
}

/** What `kubectl <plugin> options` prints: kubectl's global flags, which every command of the plugin accepts. */
export function renderGlobalOptions(): string {
  return `The following options can be passed to any command:\n\n${flagsSection(kubeArgs, () => true)}`
}
