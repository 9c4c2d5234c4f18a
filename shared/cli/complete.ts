import type { CommandDef } from 'citty'
import { pushAll } from '../arrays.ts'
import type { Kube } from '../kube/connect.ts'
import { listAll } from '../kube/list.ts'
import { resourcePath } from '../kube/paths.ts'
import type { KubeFlags } from '../kube/types.ts'
import { type CompletionSource, kubeFlagsFromArgs, type ParsedKubeArgs, type SuiteArgDef } from './args.ts'
import type { Io } from './io.ts'
import { aliasesOf, flagTable, parseArgv, scanArgv } from './parse.ts'
import { argsOf, findSubCommand, isLazyCommand, metaOf, resolveValue } from './run.ts'

/**
 * Shell completion through kubectl's plugin completion: for `kubectl usage no<TAB>` kubectl (≥ 1.26) runs
 * `kubectl_complete-usage no`, which runs `kubectl-usage __complete no`. We answer cobra's protocol: one
 * candidate per line (`name<TAB>description` unless __completeNoDesc), then `:<directive>`.
 *
 * Everything is derived from the citty command tree, so a new plugin completes its subcommands and flags for free;
 * live names come from `complete: { plural, … }` on a positional or flag (see CompletionSource), listed with the
 * flags already typed (-n, --context, --kubeconfig) so they match what the command would see.
 */
export const DIRECTIVE = {
  /** Let the shell complete file names. */
  default: 0,
  /** No space after the completed word (`-o jsonpath=` waits for its template). */
  noSpace: 2,
  /** No file names: only our candidates. */
  noFileComp: 4,
} as const

export interface CompleteOptions {
  io: Io
  descriptions: boolean
  connect: (flags: KubeFlags & { viaSsh?: string }) => Promise<Kube>
}

interface Candidate {
  value: string
  description?: string | undefined
}

/** Live name lists are a convenience: a slow or absent cluster must not hang the shell. */
const LIVE_TIMEOUT_MS = 5_000

function takesValue(def: SuiteArgDef): boolean {
  return def.type === 'string' || def.type === 'enum'
}

async function liveNames(
  source: CompletionSource,
  words: readonly string[],
  defs: Record<string, SuiteArgDef>,
  options: CompleteOptions,
): Promise<Candidate[]> {
  if (source.local !== undefined) return [...new Set(source.local(options.io.env))].sort().map((value) => ({ value }))
  let flags: KubeFlags & { viaSsh?: string } = {}
  let args: Record<string, unknown> = {}
  let positionals: string[] = []
  try {
    // The words typed so far may be incomplete or wrong; whatever parses still steers the listing. The positional
    // being completed is not typed yet, so none is required here (or `status -n ns <TAB>` would lose its -n).
    const relaxed = Object.fromEntries(
      Object.entries(defs).map(([key, def]) => [key, def.type === 'positional' ? { ...def, required: false } : def]),
    ) as Record<string, SuiteArgDef>
    // `-c <TAB>` ends the words with a flag still waiting for the value being completed: parse without it.
    const parsed = (() => {
      try {
        return parseArgv(words, relaxed)
      } catch (error) {
        if (words.length === 0) throw error
        return parseArgv(words.slice(0, -1), relaxed)
      }
    })()
    args = parsed.args as Record<string, unknown>
    positionals = parsed.positionals
    flags = kubeFlagsFromArgs(parsed.args as unknown as ParsedKubeArgs)
  } catch {}
  const scope = source.scope?.(args, options.io.env) ?? {}
  if ('kubeContext' in scope) {
    if (scope.kubeContext === undefined || scope.kubeContext === '') delete flags.context
    else flags.context = scope.kubeContext
  }
  const kube = await options.connect(flags)
  try {
    const current = flags.namespace ?? scope.namespace ?? kube.namespace
    if (source.names !== undefined) {
      const names = await source.names({ kube, namespace: current, positionals, args })
      return [...new Set(names)].sort().map((value) => ({ value }))
    }
    const namespace = source.namespaced === true ? current : undefined
    const path = resourcePath({
      plural: source.plural,
      ...(source.group === undefined ? {} : { group: source.group }),
      ...(source.version === undefined ? {} : { version: source.version }),
      namespace,
    })
    const { items } = await listAll<{ metadata?: { name?: string; labels?: Record<string, string> } }>(kube.transport, {
      path,
      labelSelector: source.labelSelector,
      context: { verb: 'list', resource: source.plural, namespace },
      timeoutMs: LIVE_TIMEOUT_MS,
    })
    const names = new Set<string>()
    for (const item of items) {
      const name = source.nameOf === undefined ? item.metadata?.name : source.nameOf(item)
      if (name !== undefined && name !== '') names.add(name)
    }
    return [...names].sort().map((value) => ({ value }))
  } finally {
    await kube.close().catch(() => {})
  }
}

/** Values for one flag: enum options, live names, or file names for path-like flags. */
async function flagValues(
  def: SuiteArgDef,
  words: readonly string[],
  defs: Record<string, SuiteArgDef>,
  options: CompleteOptions,
): Promise<{ candidates: Candidate[]; directive: number }> {
  if (def.type === 'enum')
    return { candidates: def.options.map((value) => ({ value })), directive: DIRECTIVE.noFileComp }
  if (def.type === 'string' && def.choices !== undefined)
    return { candidates: def.choices.map((value) => ({ value })), directive: DIRECTIVE.noFileComp }
  if (def.type === 'string' && def.complete !== undefined)
    return { candidates: await liveNames(def.complete, words, defs, options), directive: DIRECTIVE.noFileComp }
  if (def.type === 'string' && def.valueHint === 'path') return { candidates: [], directive: DIRECTIVE.default }
  return { candidates: [], directive: DIRECTIVE.noFileComp }
}

/** Returns the exit code; never throws (a completion error must not spill into the user's prompt). */
export async function complete(root: CommandDef, args: readonly string[], options: CompleteOptions): Promise<number> {
  const { io } = options
  const toComplete = args.at(-1) ?? ''
  let words = args.slice(0, -1)
  let candidates: Candidate[] = []
  let directive: number = DIRECTIVE.noFileComp
  try {
    let cmd = root
    for (;;) {
      const defs = await argsOf(cmd)
      const subs = cmd.subCommands === undefined ? undefined : await resolveValue(cmd.subCommands)
      if (subs === undefined) break
      const scan = scanArgv(words, defs, { booleans: ['help', 'h', 'version'] })
      const index = scan.positionalIndexes[0]
      const key = index === undefined ? undefined : await findSubCommand(subs, words[index] as string)
      if (key === undefined || index === undefined) break
      cmd = await resolveValue(subs[key] as CommandDef)
      words = [...words.slice(0, index), ...words.slice(index + 1)]
    }
    const subs = cmd.subCommands === undefined ? {} : await resolveValue(cmd.subCommands)
    let defs = await argsOf(cmd)
    // With no subcommand typed, the default one (`kubectl ae-sessions` = `… list`) lends its flags and names.
    const defaultKey = cmd.default === undefined ? undefined : await resolveValue(cmd.default)
    if (defaultKey !== undefined && subs[defaultKey] !== undefined)
      defs = { ...(await argsOf(await resolveValue(subs[defaultKey] as CommandDef))), ...defs }
    const table = flagTable(defs)
    const previous = words.at(-1)
    const lookup = (flag: string) =>
      flag.startsWith('--') ? table.long.get(flag.slice(2)) : table.short.get(flag.slice(1))
    const previousSpec =
      previous?.startsWith('-') === true && !previous.includes('=') && previous !== '--' ? lookup(previous) : undefined
    const eq = toComplete.indexOf('=')
    if (toComplete.startsWith('-') && eq > 0) {
      // --namespace=ku<TAB>
      const spec = lookup(toComplete.slice(0, eq))
      if (spec !== undefined && takesValue(spec.def)) {
        const values = await flagValues(spec.def, words, defs, options)
        const prefix = toComplete.slice(0, eq + 1)
        candidates = values.candidates.map((c) => ({ ...c, value: `${prefix}${c.value}` }))
        directive = values.directive
      }
    } else if (
      previousSpec !== undefined &&
      takesValue(previousSpec.def) &&
      // `--dry-run <TAB>`: a flag with a bare value (pflag's NoOptDefVal) never takes the next word.
      !(previousSpec.def.type === 'string' && previousSpec.def.bareValue !== undefined)
    ) {
      ;({ candidates, directive } = await flagValues(previousSpec.def, words, defs, options))
    } else if (toComplete.startsWith('-')) {
      for (const [key, def] of Object.entries(defs)) {
        if (def.type === 'positional' || def.hidden === true) continue
        candidates.push({ value: `--${key}`, description: def.description })
        if (!toComplete.startsWith('--'))
          for (const alias of aliasesOf(def))
            if (alias.length === 1) candidates.push({ value: `-${alias}`, description: def.description })
      }
    } else {
      const typed = scanArgv(words, defs, { booleans: ['help', 'h', 'version'] }).positionalIndexes.length
      // Subcommand names only in the first place: after `secretview NAME` the next word is a KEY, not a command.
      if (typed === 0)
        for (const [key, entry] of Object.entries(subs)) {
          const meta = isLazyCommand(entry) ? entry.meta : await metaOf(entry)
          if (meta.hidden === true) continue
          candidates.push({ value: key, description: meta.description })
        }
      const positional = table.positionals[Math.min(typed, table.positionals.length - 1)]
      const def = positional?.[1]
      if (
        def !== undefined &&
        def.complete !== undefined &&
        (typed < table.positionals.length || def.multiple === true)
      )
        pushAll(candidates, await liveNames(def.complete, words, defs, options))
    }
  } catch (error) {
    // Shown only at -v: a cluster that cannot be reached simply offers no live names.
    if (io.env.KUBECTL_SUITE_DEBUG === '1' || args.some((a) => /^(-v|--v)=?[1-9]/.test(a)))
      io.err.write(`completion: ${String(error)}\n`)
  }
  const matching = candidates.filter((c) => c.value.startsWith(toComplete))
  for (const c of matching) {
    const description = options.descriptions && c.description ? `\t${c.description.split('\n')[0]}` : ''
    io.out.write(`${c.value}${description}\n`)
  }
  // Every match ends in '=' (`-o jsonpath=`): the value goes on, so the shell must not add a space.
  if (matching.length > 0 && matching.every((c) => c.value.endsWith('='))) directive |= DIRECTIVE.noSpace
  io.out.write(`:${directive}\n`)
  return 0
}
