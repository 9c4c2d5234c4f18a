import { type CommandDef, renderUsage } from 'citty'
import { EXIT_CODES, isSuiteError, SuiteError } from '../errors.ts'
import type { Kube } from '../kube/connect.ts'
import { aliasesOf, kubeArgs, kubeFlagsFromArgs, type ParsedValues, type SuiteArgs } from './args.ts'
import { type Io, processIo } from './io.ts'
import { createLogger, type Logger } from './log.ts'
import { parseArgv } from './parse.ts'

/**
 * The entry of every plugin: resolves the subcommand, handles --help and --version without loading anything
 * heavy, parses argv with kubectl's rules, runs the command, and turns any failure into one `error:` line, an
 * optional `hint:` line and a distinct exit code. It is the only place that decides how the process ends.
 */
export interface SuiteContext {
  values: ParsedValues
  /** Named positionals (declared with type 'positional'), by name. */
  positional: Record<string, string | undefined>
  positionals: string[]
  /** Words after `--`. */
  rest: string[]
  dashDash: boolean
  io: Io
  log: Logger
  signal: AbortSignal
  /** The command path as typed: 'kubectl usage nodes'. */
  commandPath: string
  string(name: string): string | undefined
  flag(name: string): boolean
  strings(name: string): string[]
  /** Connects lazily with the kubectl global flags of this invocation; closed by the runner at the end. */
  kube(): Promise<Kube>
}

export interface SuiteCommand {
  meta: { name: string; description: string; alias?: string[]; hidden?: boolean }
  args?: SuiteArgs
  subCommands?: Record<string, () => Promise<SuiteCommand>>
  /** Subcommand used when none is named (`kubectl ae-sessions` = `kubectl ae-sessions list`). */
  default?: string
  run?: (ctx: SuiteContext) => Promise<void>
}

export function defineSuiteCommand(command: SuiteCommand): SuiteCommand {
  return command
}

export interface RunOptions {
  /** 'kubectl usage' */
  name: string
  version: string
  io?: Io
  argv?: string[]
  /** Injected in tests; otherwise shared/kube/connect.ts is imported on first use. */
  connect?: (values: ParsedValues, io: Io, log: Logger) => Promise<Kube>
}

function verbosityOf(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const m = /^--?v(?:=(\d+))?$/.exec(arg)
    if (m !== null) return Number(m[1] ?? argv[i + 1] ?? 0) || 0
    const joined = /^-v(\d+)$/.exec(arg)
    if (joined !== null) return Number(joined[1])
  }
  return 0
}

/** Help rendered by citty from the same definitions, so flags and help can never disagree. */
async function usageText(command: SuiteCommand, path: string): Promise<string> {
  const visibleArgs = Object.fromEntries(Object.entries(command.args ?? {}).filter(([, def]) => def.hidden !== true))
  const subCommands: Record<string, CommandDef> = {}
  for (const [name, load] of Object.entries(command.subCommands ?? {})) {
    const sub = await load()
    if (sub.meta.hidden !== true) subCommands[name] = { meta: { name, description: sub.meta.description } }
  }
  const def: CommandDef = {
    meta: { name: path, description: command.meta.description },
    args: visibleArgs,
    ...(Object.keys(subCommands).length > 0 ? { subCommands } : {}),
  }
  const text = await renderUsage(def)
  return `${text.replace(/\u001B\[[0-9;]*m/g, '')}\n`
}

async function resolveCommand(
  root: SuiteCommand,
  argv: string[],
  name: string,
): Promise<{ command: SuiteCommand; path: string; argv: string[] }> {
  let command = root
  let path = name
  let remaining = argv
  for (;;) {
    const subs = command.subCommands
    if (subs === undefined) return { command, path, argv: remaining }
    // The first word that is not a flag (or a flag's value) names the subcommand.
    const index = firstWord(remaining, command.args ?? {})
    const word = index < 0 ? undefined : remaining[index]
    let key = word === undefined ? undefined : Object.keys(subs).find((k) => k === word)
    if (key === undefined && word !== undefined) {
      for (const [k, load] of Object.entries(subs)) if ((await load()).meta.alias?.includes(word)) key = k
    }
    if (key !== undefined && index >= 0) {
      remaining = [...remaining.slice(0, index), ...remaining.slice(index + 1)]
    } else if (command.default !== undefined) {
      key = command.default
    } else if (word !== undefined && !remaining.includes('--help') && !remaining.includes('-h')) {
      throw new SuiteError('usage', `unknown command "${word}" for "${path}"`, {
        hint: `available commands: ${Object.keys(subs).join(', ')}. See '${path} --help'.`,
      })
    } else {
      return { command, path, argv: remaining }
    }
    const load = subs[key as string]
    if (load === undefined) throw new SuiteError('internal', `default subcommand ${key} is missing`)
    command = await load()
    path = `${path} ${key}`
  }
}

function firstWord(argv: string[], args: SuiteArgs): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') return -1
    if (arg.startsWith('-')) {
      if (arg.includes('=')) continue
      const name = arg.replace(/^--?/, '')
      const def = Object.entries({ ...kubeArgs, ...args } as SuiteArgs).find(
        ([n, d]) => n === name || aliasesOf(d).includes(name),
      )?.[1]
      if (def !== undefined && def.type !== 'boolean' && !/^-[a-zA-Z]./.test(arg)) i++
      continue
    }
    return i
  }
  return -1
}

export async function runPlugin(root: SuiteCommand, options: RunOptions): Promise<number> {
  const io = options.io ?? processIo()
  const argv = options.argv ?? process.argv.slice(2)
  const verbosity = verbosityOf(argv)
  const log = createLogger(io, verbosity)
  const controller = new AbortController()
  let interrupts = 0
  const onSigint = (): void => {
    interrupts++
    if (interrupts > 1) process.exit(EXIT_CODES.interrupted)
    controller.abort(new SuiteError('interrupted', 'interrupted'))
  }
  const listening = options.io === undefined
  if (listening) process.on('SIGINT', onSigint)
  let kube: Kube | undefined
  try {
    if (argv.length === 1 && (argv[0] === '--version' || argv[0] === 'version')) {
      io.out.write(`${options.name} version v${options.version}\n`)
      return 0
    }
    const { command, path, argv: own } = await resolveCommand(root, argv, options.name)
    if (
      own.includes('--help') ||
      own.includes('-h') ||
      (command.run === undefined && command.subCommands !== undefined)
    ) {
      io.out.write(await usageText(command, path))
      return 0
    }
    const helpHint = `See '${path} --help' for usage.`
    const args: SuiteArgs = { ...kubeArgs, ...(command.args ?? {}) }
    const parsed = parseArgv(own, args, helpHint)
    const positionalDefs = Object.entries(args).filter(([, d]) => d.type === 'positional')
    const positional: Record<string, string | undefined> = {}
    positionalDefs.forEach(([name, def], i) => {
      positional[name] = parsed.positionals[i] ?? (def.default as string | undefined)
      if (positional[name] === undefined && def.required === true) {
        throw new SuiteError('usage', `missing required argument ${name.toUpperCase()}`, { hint: helpHint })
      }
    })
    if (command.run === undefined) throw new SuiteError('usage', `"${path}" needs a subcommand`, { hint: helpHint })
    const values = parsed.values
    const ctx: SuiteContext = {
      values,
      positional,
      positionals: parsed.positionals,
      rest: parsed.rest,
      dashDash: parsed.dashDash,
      io,
      log,
      signal: controller.signal,
      commandPath: path,
      string: (name) => (typeof values[name] === 'string' ? (values[name] as string) : undefined),
      flag: (name) => values[name] === true,
      strings: (name) => {
        const v = values[name]
        return Array.isArray(v) ? v : typeof v === 'string' ? [v] : []
      },
      kube: async () => {
        if (kube !== undefined) return kube
        if (options.connect !== undefined) kube = await options.connect(values, io, log)
        else {
          const { connect } = await import('../kube/connect.ts')
          kube = await connect(kubeFlagsFromArgs(values), {
            env: io.env,
            stdinIsTTY: io.inIsTTY,
            ...(verbosity >= 6 ? { log: (line: string) => log.trace(line) } : {}),
          })
        }
        log.debug(`using ${kube.describe()}`)
        return kube
      },
    }
    await command.run(ctx)
    return 0
  } catch (error) {
    return report(error, io, log, verbosity, controller.signal.aborted)
  } finally {
    if (listening) process.off('SIGINT', onSigint)
    await kube?.close().catch(() => {})
  }
}

function report(error: unknown, io: Io, log: Logger, verbosity: number, aborted: boolean): number {
  const debug = verbosity >= 6 || io.env.KUBECTL_SUITE_DEBUG === '1'
  if (aborted || (error as { name?: string } | undefined)?.name === 'AbortError') {
    io.err.write('error: interrupted\n')
    return EXIT_CODES.interrupted
  }
  if (isSuiteError(error)) {
    io.err.write(`error: ${error.message}\n`)
    if (error.hint !== undefined) io.err.write(`hint: ${error.hint}\n`)
    if (debug && error.cause instanceof Error && error.cause.stack !== undefined) log.error(error.cause.stack)
    return error.exitCode
  }
  const message = error instanceof Error ? error.message : String(error)
  io.err.write(`error: ${message}\n`)
  if (debug && error instanceof Error && error.stack !== undefined) io.err.write(`${error.stack}\n`)
  else io.err.write('hint: this is a bug; run again with -v 6 for details and report it\n')
  return EXIT_CODES.internal
}
