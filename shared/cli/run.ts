import { type CommandDef, type CommandMeta, defineCommand, type Resolvable } from 'citty'
import { BROKEN_PIPE_EXIT, EXIT_CODES, isSuiteError, SuiteError } from '../errors.ts'
import type { Kube } from '../kube/connect.ts'
import type { KubeFlags } from '../kube/types.ts'
import {
  kubeArgs,
  kubeFlagsFromArgs,
  type ParsedKubeArgs,
  type ParsedSuiteArgs,
  type SuiteArgsDef,
  verbosityFromArgs,
} from './args.ts'
import { renderGlobalOptions, renderHelp, type SuiteCommandMeta } from './help.ts'
import { type Io, processIo } from './io.ts'
import { createLogger, type Logger } from './log.ts'
import { parseArgv, type ScanResult, scanArgv, suggestName } from './parse.ts'

/** What a command's run() receives: its parsed arguments and everything it may touch, injected by runPlugin. */
export interface SuiteCommandContext<T extends SuiteArgsDef = SuiteArgsDef> {
  /** Every declared argument (and kubeArgs), by declared name and in camelCase; defaults filled in. */
  args: ParsedSuiteArgs<T>
  /** This command's argv: the plugin's argv without the subcommand words. */
  rawArgs: string[]
  /** Words that are neither flags nor flag values, including those after `--`. */
  positionals: string[]
  /** The words after the first `--`, verbatim. */
  rest: string[]
  /** Index in `positionals` where the words after `--` begin, or -1 (cobra's ArgsLenAtDash). */
  dashIndex: number
  /** Declared names of the flags given on the command line. */
  changed: ReadonlySet<string>
  io: Io
  log: Logger
  /** The -v level (0-10). */
  verbosity: number
  /**
   * Aborted on the first Ctrl-C: pass it to every request and wait, and clean up (helper pods!) in `finally`.
   * The run then ends with exit code 130; a second Ctrl-C ends the process at once.
   */
  signal: AbortSignal
  /** The command as typed, for messages and hints: `kubectl usage nodes`. */
  commandPath: string
  plugin: { name: string; version: string }
  /**
   * The cluster, connected on first call with this run's kubectl global flags (so --help and usage errors never
   * pay for it), and closed by runPlugin when the command ends.
   */
  kube(): Promise<Kube>
  cmd: CommandDef
}

/** A command as written in a plugin: citty's shape, with run() taking the suite's context. */
export interface SuiteCommandDef<T extends SuiteArgsDef = SuiteArgsDef> {
  meta?: Resolvable<SuiteCommandMeta>
  args?: T
  /** Lazy is best: `{ nodes: lazyCommand({ name: 'nodes', description }, () => import(...).then(m => m.default)) }`. */
  subCommands?: Resolvable<Record<string, Resolvable<CommandDef>>>
  /** The subcommand run when none is named (`kubectl ae-sessions` = `kubectl ae-sessions list`). */
  default?: Resolvable<string>
  run?: (context: SuiteCommandContext<T>) => unknown
}

/**
 * citty's defineCommand for suite commands: `run` gets a {@link SuiteCommandContext} typed from `args`. The result
 * is a citty CommandDef (usable in subCommands and by renderUsage) meant to be run by {@link runPlugin}, which is
 * what injects io, log and signal; citty's own runMain would not.
 */
export function defineSuiteCommand<const T extends SuiteArgsDef = Record<never, never>>(
  def: SuiteCommandDef<T>,
): CommandDef {
  // The cast is the one seam between citty's context type and ours; runPlugin passes a SuiteCommandContext.
  return defineCommand(def as unknown as CommandDef)
}

/** A subcommand that loads on first use but whose meta (name, description, alias, hidden) is known up front. */
export interface LazyCommand {
  (): Promise<CommandDef>
  readonly meta: CommandMeta
}

/**
 * A lazy subcommand with its meta declared beside it, so the parent's --help, alias lookup and "unknown command"
 * hints list it without importing its module (citty's renderUsage would import every subcommand for its meta).
 */
export function lazyCommand(meta: CommandMeta, load: () => Promise<CommandDef>): LazyCommand {
  return Object.assign(() => load(), { meta })
}

export function isLazyCommand(entry: unknown): entry is LazyCommand {
  return typeof entry === 'function' && typeof (entry as { meta?: unknown }).meta === 'object'
}

export async function resolveValue<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : await value
}

/**
 * The signals that stop a command cleanly (ctx.signal aborts, helper pods and temp files are removed) and the exit
 * code each ends with: 128 + the signal's number, as a shell reports a process killed by it.
 */
export const INTERRUPT_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const
export type InterruptSignal = keyof typeof INTERRUPT_EXIT_CODES
const INTERRUPT_SIGNALS = Object.keys(INTERRUPT_EXIT_CODES) as InterruptSignal[]

/** Where Ctrl-C comes from: the process, or an EventEmitter in tests. */
export interface InterruptSource {
  on(event: InterruptSignal, listener: () => void): unknown
  off(event: InterruptSignal, listener: () => void): unknown
}

export interface RunPluginOptions {
  /** The plugin as users type it: `kubectl usage`. */
  name: string
  /** `1.2.3`; printed by --version as `kubectl usage version v1.2.3`. */
  version: string
  /** Defaults to the process's streams. */
  io?: Io
  /** Defaults to process.argv without node and the script. */
  argv?: readonly string[]
  /** Where SIGINT, SIGTERM and SIGHUP come from; defaults to the process when `io` is not given, else none (tests stay in-process). */
  interrupts?: InterruptSource | false
  /** Connects for ctx.kube(); tests inject a fake. Defaults to shared/kube/connect.ts, imported on first use. */
  connect?: (flags: KubeFlags & { viaSsh?: string }, context: { io: Io; log: Logger }) => Promise<Kube>
}

/** Flags runPlugin answers itself when a command does not declare them. */
const BUILTIN_BOOLEANS = ['help', 'h', 'version']

/**
 * A command's own args first (they matter most in --help), then kubectl's globals, which every command accepts
 * even if it forgot to spread kubeArgs, as kubectl's persistent flags reach every subcommand.
 */
export async function argsOf(cmd: CommandDef): Promise<SuiteArgsDef> {
  const own = (await resolveValue(cmd.args ?? {})) as SuiteArgsDef
  const globals: SuiteArgsDef = kubeArgs
  const specific = Object.entries(own).filter(([key]) => !(key in globals))
  return {
    ...Object.fromEntries(specific),
    ...globals,
    ...Object.fromEntries(Object.entries(own).filter(([key]) => key in globals)),
  }
}

function asksFor(scan: ScanResult, defs: SuiteArgsDef, long: string, short?: string): boolean {
  return scan.flags.some((flag) =>
    flag.short ? flag.name === short && !(flag.name in defs) : flag.name === long && !(long in defs),
  )
}

function helpAsked(scan: ScanResult, defs: SuiteArgsDef): boolean {
  // A command that declares its own -h keeps it; --help stays.
  const shortTaken = Object.values(defs).some(
    (def) => def.type !== 'positional' && (def.alias === 'h' || (Array.isArray(def.alias) && def.alias.includes('h'))),
  )
  return asksFor(scan, defs, 'help', shortTaken ? undefined : 'h')
}

/** -v before parsing, so errors met before the full parse (a broken lazy import) still honour -v 6. */
function verbosityHint(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string
    if (word === '--') break
    const match = /^(?:-v|--v)(?:=?(\d+))?$/.exec(word)
    if (match === null) continue
    const value = match[1] ?? argv[i + 1] ?? ''
    if (/^\d+$/.test(value)) return Number(value)
  }
  return 0
}

export async function metaOf(entry: Resolvable<CommandDef>): Promise<CommandMeta> {
  if (isLazyCommand(entry)) return entry.meta
  return resolveValue((await resolveValue(entry)).meta ?? {})
}

export function aliasList(alias: string | string[] | undefined): string[] {
  return alias === undefined ? [] : typeof alias === 'string' ? [alias] : alias
}

type SubCommands = Record<string, Resolvable<CommandDef>>

/** The key of the subcommand `word` names, by key or by alias; loads non-lazy entries only to read aliases. */
export async function findSubCommand(subs: SubCommands, word: string): Promise<string | undefined> {
  if (Object.hasOwn(subs, word)) return word
  for (const [key, entry] of Object.entries(subs)) {
    if (aliasList((await metaOf(entry)).alias).includes(word)) return key
  }
  return undefined
}

async function unknownCommand(subs: SubCommands, word: string, path: string): Promise<SuiteError> {
  const visible: string[] = []
  const words: string[] = []
  for (const [key, entry] of Object.entries(subs)) {
    const meta = await metaOf(entry)
    if (meta.hidden === true) continue
    visible.push(key)
    words.push(key, ...aliasList(meta.alias))
  }
  // Canonical names first: "nods" should suggest "nodes", not its alias "node".
  const suggestion = suggestName(word, visible) ?? suggestName(word, words)
  const guess = suggestion === undefined ? '' : `did you mean "${suggestion}"? `
  return new SuiteError('usage', `unknown command "${word}" for "${path}"`, {
    hint: `${guess}available commands: ${visible.join(', ')}`,
  })
}

interface ResolvedCommand {
  cmd: CommandDef
  /** `kubectl usage nodes` */
  path: string
  /** The command as typed, without default subcommands followed: where a usage error's "See … --help" points. */
  typed: string
  /** argv without the subcommand words. */
  argv: string[]
  defs: SuiteArgsDef
}

/**
 * Finds the command argv names: subcommand words are the leading positionals that match a subCommands key or a
 * meta alias, wherever flags sit around them. With no word, `default` is followed, except for --help, which
 * describes the command named (the root's help lists its subcommands rather than showing the default's).
 */
async function resolveCommand(root: CommandDef, argv: readonly string[], name: string): Promise<ResolvedCommand> {
  let cmd = root
  let path = name
  let typed = name
  let remaining = [...argv]
  for (;;) {
    const defs = await argsOf(cmd)
    const subs = cmd.subCommands === undefined ? undefined : await resolveValue(cmd.subCommands)
    if (subs === undefined || Object.keys(subs).length === 0) return { cmd, path, typed, argv: remaining, defs }
    // Words that are command names (known without loading anything) are never taken as an undeclared flag's value:
    // `-A nodes` is a boolean before a subcommand, `--sort-by cpu nodes` a value then a subcommand.
    const commandWords = new Set(Object.keys(subs))
    for (const entry of Object.values(subs))
      if (isLazyCommand(entry)) for (const alias of aliasList(entry.meta.alias)) commandWords.add(alias)
    const scan = scanArgv(remaining, defs, {
      booleans: BUILTIN_BOOLEANS,
      unknownTakesValue: (next) => !commandWords.has(next),
    })
    const index = scan.positionalIndexes[0]
    const word = index === undefined ? undefined : remaining[index]
    const key = word === undefined ? undefined : await findSubCommand(subs, word)
    if (key !== undefined && index !== undefined) {
      cmd = await resolveValue(subs[key] as Resolvable<CommandDef>)
      path = `${path} ${key}`
      typed = `${typed} ${key}`
      remaining = [...remaining.slice(0, index), ...remaining.slice(index + 1)]
      continue
    }
    if (word === undefined && helpAsked(scan, defs)) return { cmd, path, typed, argv: remaining, defs }
    const defaultKey = cmd.default === undefined ? undefined : await resolveValue(cmd.default)
    if (defaultKey !== undefined) {
      const entry = subs[defaultKey]
      if (entry === undefined)
        throw new SuiteError('internal', `default subcommand "${defaultKey}" of "${path}" is not in its subCommands`)
      const defaultCmd = await resolveValue(entry)
      const defaultDefs = await argsOf(defaultCmd)
      const takesWords = Object.values(defaultDefs).some((def) => def.type === 'positional')
      // The parent does not know the default's flags, so `-o wide` looked like a flag and a word: scan again with
      // the default's own flags before calling any word a mistyped command.
      const rescan = word === undefined ? scan : scanArgv(remaining, defaultDefs, { booleans: BUILTIN_BOOLEANS })
      const strayIndex = rescan.positionalIndexes[0]
      const stray = strayIndex === undefined ? undefined : remaining[strayIndex]
      // A stray word goes to the default subcommand only if it takes words at all; otherwise it is a mistyped command.
      if (stray !== undefined && !takesWords) throw await unknownCommand(subs, stray, path)
      cmd = defaultCmd
      path = `${path} ${defaultKey}`
      continue
    }
    const takesWords = Object.values(defs).some((def) => def.type === 'positional')
    if (word !== undefined && !(cmd.run !== undefined && takesWords)) throw await unknownCommand(subs, word, path)
    return { cmd, path, typed, argv: remaining, defs }
  }
}

/** --help for the resolved command in kubectl's shape (shared/cli/help.ts); subcommands listed from their meta. */
async function usageText(resolved: ResolvedCommand, plugin: string): Promise<string> {
  const meta = (await resolveValue(resolved.cmd.meta ?? {})) as SuiteCommandMeta
  const subs = resolved.cmd.subCommands === undefined ? {} : await resolveValue(resolved.cmd.subCommands)
  const subCommands: [string, CommandMeta][] = []
  for (const [key, entry] of Object.entries(subs)) {
    const subMeta = await metaOf(entry)
    if (subMeta.hidden !== true) subCommands.push([key, subMeta])
  }
  return renderHelp({
    path: resolved.path,
    plugin,
    meta,
    defs: resolved.defs,
    subCommands,
    runs: resolved.cmd.run !== undefined || resolved.cmd.default !== undefined,
  })
}

/** `kubectl <plugin> options`: kubectl's global flags, which --help leaves out to keep each command's own in view. */
export const optionsCommand = lazyCommand(
  { name: 'options', description: 'Print the list of flags inherited by all commands' },
  async () =>
    defineSuiteCommand({
      meta: { name: 'options', description: 'Print the list of flags inherited by all commands' },
      run: ({ io }) => {
        io.out.write(renderGlobalOptions())
      },
    }),
)

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError'
}

/**
 * Resolves once what was written to `out` has been handed on or has failed: a failed write (EPIPE) reports its
 * error on a later tick, so wait one turn of the event loop even when nothing is buffered.
 */
async function flushed(out: NodeJS.WritableStream): Promise<void> {
  const stream = out as NodeJS.WritableStream & { destroyed?: boolean; writableLength?: number }
  if (stream.destroyed !== true && (stream.writableLength ?? 0) > 0)
    await new Promise<void>((resolve) => stream.write('', () => resolve()))
  await new Promise((resolve) => setImmediate(resolve))
}

/** Prints one failure the suite's way and returns its exit code. */
function report(
  error: unknown,
  io: Io,
  verbosity: number,
  commandPath: string,
  interrupted: number | false,
  helpPath = commandPath,
): number {
  const debug = verbosity >= 6 || io.env.KUBECTL_SUITE_DEBUG === '1'
  if (interrupted) {
    // Ctrl-C already said what happened: the AbortError (or a failure wrapping it) is only how the command stopped.
    // Anything else, such as a helper pod that could not be removed, is still worth its line.
    const cause = error instanceof Error ? error.cause : undefined
    const stopped = isAbortError(error) || isAbortError(cause) || (isSuiteError(error) && error.kind === 'interrupted')
    if (!stopped) report(error, io, verbosity, commandPath, false, helpPath)
    return interrupted
  }
  if (isSuiteError(error)) {
    io.err.write(`error: ${error.message}\n`)
    if (error.hint !== undefined) io.err.write(`hint: ${error.hint}\n`)
    if (error.kind === 'usage' && !error.hint?.includes(`'${helpPath} --help'`))
      io.err.write(`See '${helpPath} --help' for usage.\n`)
    if (debug) {
      if (error.kind === 'internal' && error.stack !== undefined) io.err.write(`${error.stack}\n`)
      if (error.cause instanceof Error && error.cause.stack !== undefined)
        io.err.write(`caused by: ${error.cause.stack}\n`)
    }
    return error.exitCode
  }
  const message = error instanceof Error ? error.message : String(error)
  io.err.write(`error: ${message}\n`)
  if (debug && error instanceof Error && error.stack !== undefined) io.err.write(`${error.stack}\n`)
  else io.err.write('hint: this is a bug; run again with -v 6 (or KUBECTL_SUITE_DEBUG=1) and report what it prints\n')
  return EXIT_CODES.internal
}

/**
 * Runs a plugin and returns its exit code; it never ends the process itself (the entry does
 * `process.exitCode = await runPlugin(root, { name, version })`). Resolves the subcommand, answers --help and
 * --version before parsing (and before any command module beyond the resolved path is imported), parses argv with
 * kubectl's rules, runs the command with a {@link SuiteCommandContext}, and turns any failure into `error: ...`,
 * an optional `hint: ...` and the exit code of its kind (EXIT_CODES). The first SIGINT, SIGTERM or SIGHUP aborts
 * ctx.signal and the run returns 130, 143 or 129 once the command has cleaned up; a second one re-raises the
 * signal so the process dies at once.
 */
export async function runPlugin(root: CommandDef, options: RunPluginOptions): Promise<number> {
  const io = options.io ?? processIo()
  const argv = [...(options.argv ?? process.argv.slice(2))]
  let verbosity = verbosityHint(argv)
  let log = createLogger(io, verbosity)
  let commandPath = options.name
  let helpPath = options.name
  const controller = new AbortController()
  const source = options.interrupts ?? (options.io === undefined ? process : false)
  /** The exit code of the signal that stopped the command (130, 143, 129), or false. */
  let interrupted: number | false = false
  const handlers = new Map<InterruptSignal, () => void>()
  const onInterrupt = (name: InterruptSignal): void => {
    if (interrupted !== false) {
      if (source === process) {
        for (const [signal, handler] of handlers) process.off(signal, handler)
        // Dying by the signal (not exit 130) tells a calling shell loop that the user pressed Ctrl-C.
        if (process.listenerCount(name) === 0) process.kill(process.pid, name)
        else process.exit(INTERRUPT_EXIT_CODES[name])
      }
      return
    }
    interrupted = INTERRUPT_EXIT_CODES[name]
    log.warn(
      name === 'SIGINT'
        ? 'interrupted: cleaning up (press Ctrl-C again to quit at once)'
        : `${name === 'SIGTERM' ? 'terminated' : 'hung up'}: cleaning up`,
    )
    controller.abort(new DOMException('interrupted', 'AbortError'))
  }
  if (source !== false)
    for (const name of INTERRUPT_SIGNALS) {
      const handler = (): void => onInterrupt(name)
      handlers.set(name, handler)
      source.on(name, handler)
    }
  // The reader of stdout went away (`| head -1`): stop the command as Ctrl-C would (helper pods are still removed),
  // print nothing, and end with 141. The listener stays after the run: a write still buffered may fail later.
  let brokenPipe = false
  // EIO: the terminal itself went away (SIGHUP after the window closed).
  const isPipeError = (error: NodeJS.ErrnoException): boolean =>
    error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED' || error.code === 'EIO'
  const onOutError = (error: NodeJS.ErrnoException): void => {
    if (!isPipeError(error)) throw error
    if (!brokenPipe) {
      brokenPipe = true
      controller.abort(new DOMException('broken pipe', 'AbortError'))
    }
    if (io.out === process.stdout && interrupted === false) process.exitCode = BROKEN_PIPE_EXIT
  }
  // Messages that cannot be written have nowhere else to go; failing on them would only print a stack trace.
  const onErrError = (): void => {}
  io.out.on('error', onOutError)
  io.err.on('error', onErrError)
  let kube: Kube | undefined
  try {
    if (argv[0] === '__complete' || argv[0] === '__completeNoDesc') {
      // kubectl ≥ 1.26 runs kubectl_complete-<plugin>, which calls us this way (cobra's protocol).
      const { complete } = await import('./complete.ts')
      return await complete(root, argv.slice(1), {
        io,
        descriptions: argv[0] === '__complete',
        connect: async (flags) => {
          if (options.connect !== undefined) return options.connect(flags, { io, log })
          {
            const { connect } = await import('../kube/connect.ts')
            return connect(flags, { env: io.env, stdinIsTTY: false })
          }
        },
      })
    }
    const flagWords = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length)
    if (flagWords.length === 1 && flagWords[0] === '--version') {
      io.out.write(`${options.name} version v${options.version.replace(/^v/, '')}\n`)
      return 0
    }
    const resolved = await resolveCommand(root, argv, options.name)
    commandPath = resolved.path
    helpPath = resolved.typed
    const scan = scanArgv(resolved.argv, resolved.defs, { booleans: BUILTIN_BOOLEANS })
    if (helpAsked(scan, resolved.defs)) {
      io.out.write(await usageText(resolved, options.name))
      return 0
    }
    if (resolved.cmd.run === undefined) {
      // A command that only groups others (`kubectl usage`) prints its help, as kubectl does, but a flag it does not
      // know is still a usage error (exit 2), as it is for every plugin whose root runs a default subcommand.
      parseArgv(resolved.argv, resolved.defs, { command: commandPath })
      io.out.write(await usageText(resolved, options.name))
      return 0
    }
    if (asksFor(scan, resolved.defs, 'version')) {
      io.out.write(`${options.name} version v${options.version.replace(/^v/, '')}\n`)
      return 0
    }
    const parsed = parseArgv(resolved.argv, resolved.defs, { command: commandPath })
    // kubectl reads `-n ''` as "no namespace given" (the context's); commands read args.namespace directly.
    if (parsed.args.namespace === '') {
      const args = parsed.args as Record<string, unknown>
      args.namespace = undefined
    }
    verbosity = verbosityFromArgs(parsed.args)
    log = createLogger(io, verbosity)
    const runLog = log
    const context: SuiteCommandContext = {
      args: parsed.args,
      rawArgs: resolved.argv,
      positionals: parsed.positionals,
      rest: parsed.rest,
      dashIndex: parsed.dashIndex,
      changed: parsed.changed,
      io,
      log,
      verbosity,
      signal: controller.signal,
      commandPath,
      plugin: { name: options.name, version: options.version },
      cmd: resolved.cmd,
      kube: async () => {
        if (kube !== undefined) return kube
        const flags = kubeFlagsFromArgs(parsed.args as unknown as ParsedKubeArgs)
        if (options.connect !== undefined) kube = await options.connect(flags, { io, log: runLog })
        else {
          const { connect } = await import('../kube/connect.ts')
          kube = await connect(flags, { env: io.env, stdinIsTTY: io.inIsTTY, log: (line) => runLog.trace(line) })
        }
        runLog.debug(`using ${kube.describe()}`)
        return kube
      },
    }
    const run = resolved.cmd.run as unknown as (context: SuiteCommandContext) => unknown
    await run(context)
    await flushed(io.out)
    if (interrupted !== false) return interrupted
    return brokenPipe ? BROKEN_PIPE_EXIT : 0
  } catch (error) {
    if (brokenPipe && interrupted === false) return BROKEN_PIPE_EXIT
    return report(error, io, verbosity, commandPath, interrupted, helpPath)
  } finally {
    if (source !== false) for (const [name, handler] of handlers) source.off(name, handler)
    // Whatever the command left running (a parallel request still waiting on a hung server, a retry) stops now:
    // the process ends when the error is printed, not a timeout later.
    if (!controller.signal.aborted) controller.abort(new DOMException('the command ended', 'AbortError'))
    if (kube !== undefined) {
      // A failed close must not hide the command's own result; it is only worth a line at -v 4.
      await kube.close().catch((error: unknown) => log.debug(`closing the connection: ${String(error)}`))
    }
  }
}
