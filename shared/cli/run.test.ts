import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { type ErrorKind, EXIT_CODES, SuiteError } from '../errors.ts'
import type { Kube } from '../kube/connect.ts'
import { kubeArgs, namespaceArgs, outputArgs } from './args.ts'
import { createMemoryIo, type MemoryIoOptions } from './memory-io.ts'
import { defineSuiteCommand, lazyCommand, type RunPluginOptions, runPlugin } from './run.ts'

const NAME = 'kubectl usage'

/** What the fixture commands saw, so tests can assert on resolution without parsing their output. */
const seen: { command?: string; args?: Record<string, unknown>; rest?: string[]; dashIndex?: number } = {}
const loaded = new Set<string>()

const nodes = defineSuiteCommand({
  meta: { name: 'nodes', description: 'Node usage', alias: ['node', 'no'] },
  args: { ...kubeArgs, ...namespaceArgs, ...outputArgs(['table', 'json', 'yaml']) },
  run: ({ args, io }) => {
    Object.assign(seen, { command: 'nodes', args: { namespace: args.namespace, all: args.allNamespaces } })
    io.out.write(`nodes ${args.output ?? 'table'}\n`)
  },
})

const pods = defineSuiteCommand({
  meta: { name: 'pods', description: 'Pod usage' },
  args: { ...kubeArgs, name: { type: 'positional', required: false, description: 'Pod name' } },
  run: ({ args }) => {
    Object.assign(seen, { command: 'pods', args: { name: args.name } })
  },
})

const exec = defineSuiteCommand({
  meta: { name: 'exec', description: 'Run a command' },
  args: { ...kubeArgs, command: { type: 'positional', multiple: true, required: false } },
  run: ({ rest, dashIndex }) => {
    Object.assign(seen, { command: 'exec', rest, dashIndex })
  },
})

const fail = defineSuiteCommand({
  meta: { name: 'fail', description: 'Fails as told', hidden: true },
  args: { ...kubeArgs, kind: { type: 'positional' }, hinted: { type: 'boolean' } },
  run: ({ args }) => {
    if (args.kind === 'crash') throw new TypeError('boom')
    throw new SuiteError(args.kind as ErrorKind, `failed as ${args.kind}`, {
      ...(args.hinted ? { hint: 'do the other thing' } : {}),
    })
  },
})

const chatty = defineSuiteCommand({
  meta: { name: 'chatty', description: 'Logs at every level', hidden: true },
  args: kubeArgs,
  run: ({ log }) => {
    log.error('e')
    log.warn('w')
    log.info('i')
    log.debug('d')
    log.trace('t')
  },
})

const config = defineSuiteCommand({
  meta: { name: 'config', description: 'A group without run or default' },
  subCommands: { show: lazyCommand({ name: 'show', description: 'Show it' }, async () => nodes) },
})

const lazy = (name: string, command: typeof nodes, meta: Parameters<typeof lazyCommand>[0]) =>
  lazyCommand(meta, async () => {
    loaded.add(name)
    return command
  })

const root = defineSuiteCommand({
  meta: { name: 'usage', description: 'Resource usage of nodes and pods' },
  default: 'nodes',
  subCommands: {
    nodes: lazy('nodes', nodes, { name: 'nodes', description: 'Node usage', alias: ['node', 'no'] }),
    pods: lazy('pods', pods, { name: 'pods', description: 'Pod usage' }),
    exec: lazy('exec', exec, { name: 'exec', description: 'Run a command' }),
    config: lazy('config', config, { name: 'config', description: 'A group' }),
    fail: lazy('fail', fail, { name: 'fail', description: 'Fails', hidden: true }),
    chatty: lazy('chatty', chatty, { name: 'chatty', description: 'Logs', hidden: true }),
  },
})

async function run(argv: string[], io: MemoryIoOptions = {}, options: Partial<RunPluginOptions> = {}) {
  for (const key of Object.keys(seen)) delete seen[key as keyof typeof seen]
  loaded.clear()
  const memory = createMemoryIo(io)
  const code = await runPlugin(root, { name: NAME, version: '1.2.3', io: memory, argv, ...options })
  return { code, stdout: memory.stdout(), stderr: memory.stderr() }
}

describe('runPlugin --help', () => {
  it('prints the root usage with its commands to stdout, loading no subcommand module', async () => {
    const result = await run(['--help'])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/^Resource usage of nodes and pods\n/)
    expect(result.stdout).toMatch(/Available Commands:\n {2}nodes\s+Node usage \(alias: node, no\)/)
    expect(result.stdout).toContain('Usage:\n  kubectl usage [command] [options]\n')
    expect(result.stdout).toContain('Use "kubectl usage <command> --help" for more information about a given command.')
    expect(result.stdout).not.toContain('chatty')
    expect(loaded.size).toBe(0)
  })

  it.each([
    [['nodes', '--help']],
    [['-h', 'nodes']],
    [['no', '-n', 'x', '--bogus', '-h']],
    [['nodes', '--context', 'c', '--help']],
  ])('prints the resolved command usage for %j', async (argv) => {
    const result = await run(argv)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Usage:\n  kubectl usage nodes [flags] [options]\n')
    expect(result.stdout).toContain("    -o, --output='':\n")
    expect(result.stdout).toContain(
      'Output format. One of: (custom-columns, custom-columns-file, json, jsonpath, jsonpath-as-json, jsonpath-file, yaml); leave it out for a table',
    )
    // kubectl's global flags are left to `options`, as kubectl's own --help does.
    expect(result.stdout).not.toContain('--namespace')
    expect(result.stdout).not.toContain('--kubeconfig')
    expect(result.stdout).toMatch(
      /\nUse "kubectl usage options" for a list of global command-line options \(applies to all commands\)\.\n$/,
    )
    expect(result.stdout).not.toContain('match-server-version')
    expect(seen.command).toBeUndefined()
  })

  it('prints description, Options, Usage and the options pointer in kubectl’s order', async () => {
    const { stdout } = await run(['nodes', '--help'])
    const order = ['Node usage', 'Options:', 'Usage:', 'Use "kubectl usage options"'].map((s) => stdout.indexOf(s))
    expect(order.every((at) => at >= 0)).toBe(true)
    expect([...order].sort((a, b) => a - b)).toEqual(order)
    expect(stdout).toContain('    -A, --all-namespaces=false:\n\t')
  })

  it('prints no colour codes and no trailing blanks when stdout is not a terminal', async () => {
    const { stdout } = await run(['nodes', '--help'])
    expect(stdout).not.toContain('\u001b[')
    expect(stdout.split('\n').filter((line) => line !== line.trimEnd())).toEqual([])
  })

  it('leaves --help after -- to the command', async () => {
    const result = await run(['exec', '--', 'script.py', '--help'])
    expect(result.code).toBe(0)
    expect(seen.rest).toEqual(['script.py', '--help'])
  })

  it('prints the usage of a group that has neither run nor default', async () => {
    const result = await run(['config'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Usage:\n  kubectl usage config COMMAND [options]\n')
    expect(result.stdout).toContain('show')
  })
})

describe('runPlugin --version', () => {
  it.each([[['--version']], [['nodes', '--version']], [['-v', '2', '--version']]])(
    'prints the name and version for %j',
    async (argv) => {
      const result = await run(argv)
      expect(result).toEqual({ code: 0, stdout: 'kubectl usage version v1.2.3\n', stderr: '' })
    },
  )

  it('answers a lone --version without loading any subcommand', async () => {
    await run(['--version'])
    expect(loaded.size).toBe(0)
  })
})

describe('runPlugin subcommand resolution', () => {
  it.each([
    { argv: ['nodes'], command: 'nodes', args: { namespace: undefined, all: false } },
    { argv: ['nodes', '-n', 'team'], command: 'nodes', args: { namespace: 'team', all: false } },
    { argv: ['-n', 'team', 'nodes'], command: 'nodes', args: { namespace: 'team', all: false } },
    { argv: ['-A', 'nodes'], command: 'nodes', args: { namespace: undefined, all: true } },
    { argv: ['no', '-A'], command: 'nodes', args: { namespace: undefined, all: true } },
    { argv: ['node'], command: 'nodes', args: { namespace: undefined, all: false } },
    { argv: [], command: 'nodes', args: { namespace: undefined, all: false } },
    { argv: ['-A'], command: 'nodes', args: { namespace: undefined, all: true } },
    { argv: ['pods', 'web-1'], command: 'pods', args: { name: 'web-1' } },
    { argv: ['--context', 'prod', 'pods'], command: 'pods', args: { name: undefined } },
  ])('runs $command for $argv', async ({ argv, command, args }) => {
    const result = await run(argv)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(seen.command).toBe(command)
    expect(seen.args).toEqual(args)
  })

  it('loads only the subcommand it runs', async () => {
    await run(['pods'])
    expect([...loaded]).toEqual(['pods'])
  })

  it('writes the data to stdout and nothing to stderr', async () => {
    expect(await run(['nodes', '-o', 'json'])).toEqual({ code: 0, stdout: 'nodes json\n', stderr: '' })
  })

  it('rejects an unknown command as kubectl does, suggesting a close one and listing the visible ones', async () => {
    const result = await run(['nods'])
    expect(result.code).toBe(EXIT_CODES.usage)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      [
        'error: unknown command "nods" for "kubectl usage"',
        'hint: did you mean "nodes"? available commands: nodes, pods, exec, config',
        "See 'kubectl usage --help' for usage.",
        '',
      ].join('\n'),
    )
  })

  it('names the nested group in an unknown command error', async () => {
    const result = await run(['config', 'shw'])
    expect(result.stderr).toContain('error: unknown command "shw" for "kubectl usage config"')
    expect(result.stderr).toContain('hint: did you mean "show"?')
  })

  it('hands -- and what follows to the command: rest and where -- was', async () => {
    const result = await run(['exec', '-n', 'ml', '--', 'train.py', '--', '--epochs', '3'])
    expect(result.code).toBe(0)
    expect(seen.rest).toEqual(['train.py', '--', '--epochs', '3'])
    expect(seen.dashIndex).toBe(0)
  })
})

describe('runPlugin errors', () => {
  it('prints an unknown flag on one line, with the suggestion as the hint and no extra usage line', async () => {
    const result = await run(['nodes', '--contxt', 'prod'])
    expect(result.code).toBe(EXIT_CODES.usage)
    expect(result.stderr).toBe(
      "error: unknown flag: --contxt\nhint: did you mean --context? See 'kubectl usage nodes --help'.\n",
    )
  })

  it('adds kubectl’s "See ... for usage." line to a usage error without a help hint', async () => {
    const result = await run(['nodes', '-x'])
    expect(result.stderr).toBe(
      "error: unknown shorthand flag: 'x' in -x\nSee 'kubectl usage nodes --help' for usage.\n",
    )
  })

  const kinds = Object.entries(EXIT_CODES).filter(([kind]) => kind !== 'usage') as [ErrorKind, number][]
  it.each(kinds)('exits with the code of a %s error (%i) after one error line', async (kind, code) => {
    const result = await run(['fail', kind])
    expect(result.code).toBe(code)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(`error: failed as ${kind}\n`)
  })

  it('prints the hint line of an error that has one', async () => {
    const result = await run(['fail', 'not-found', '--hinted'])
    expect(result.stderr).toBe('error: failed as not-found\nhint: do the other thing\n')
  })

  it('exits 2 for a usage error thrown by a command, with the usage line', async () => {
    const result = await run(['fail', 'usage'])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe("error: failed as usage\nSee 'kubectl usage fail --help' for usage.\n")
  })

  it('prints a bug as one error line and a hint, without the stack', async () => {
    const result = await run(['fail', 'crash'])
    expect(result.code).toBe(EXIT_CODES.internal)
    expect(result.stderr).toBe(
      'error: boom\nhint: this is a bug; run again with -v 6 (or KUBECTL_SUITE_DEBUG=1) and report what it prints\n',
    )
  })

  it.each<{ argv: string[]; env: Record<string, string> }>([
    { argv: ['fail', 'crash', '-v', '6'], env: {} },
    { argv: ['fail', 'crash', '--v=9'], env: {} },
    { argv: ['fail', 'crash'], env: { KUBECTL_SUITE_DEBUG: '1' } },
  ])('prints the stack of a bug with $argv $env', async ({ argv, env }) => {
    const result = await run(argv, { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^error: boom\nTypeError: boom\n\s+at /)
  })

  it('keeps the stack out at -v 5', async () => {
    const result = await run(['fail', 'crash', '-v', '5'])
    expect(result.stderr).not.toContain('    at ')
  })
})

describe('runPlugin logging', () => {
  it.each([0, 3, 6, 10])('writes nothing to stdout at -v %i', async (level) => {
    const result = await run(['chatty', `-v=${level}`])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('error: e\nWarning: w\n')
  })

  it('honours -v given before the subcommand', async () => {
    const result = await run(['-v', '6', 'chatty'])
    expect(result.stderr).toMatch(/ t\n$/)
  })
})

describe('runPlugin interrupts', () => {
  it('aborts ctx.signal on SIGINT, lets the command clean up, and exits 130', async () => {
    const interrupts = new EventEmitter()
    const steps: string[] = []
    const slow = defineSuiteCommand({
      meta: { name: 'slow' },
      run: async ({ signal }) => {
        try {
          await new Promise((_, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason))
            interrupts.emit('SIGINT')
          })
        } finally {
          steps.push('cleaned up')
        }
      },
    })
    const io = createMemoryIo()
    const code = await runPlugin(slow, { name: 'kubectl slow', version: '0.0.1', io, argv: [], interrupts })
    expect(code).toBe(EXIT_CODES.interrupted)
    expect(steps).toEqual(['cleaned up'])
    expect(io.stderr()).toBe('Warning: interrupted: cleaning up (press Ctrl-C again to quit at once)\n')
    expect(interrupts.listenerCount('SIGINT')).toBe(0)
  })

  it('exits 130 after an interrupt whatever failed, still printing failures other than the abort', async () => {
    const interrupts = new EventEmitter()
    const leaky = defineSuiteCommand({
      run: ({ signal }) => {
        interrupts.emit('SIGINT')
        throw new SuiteError('connection', 'could not delete helper pod', { cause: signal.reason })
      },
    })
    const cleanupFails = defineSuiteCommand({
      run: () => {
        interrupts.emit('SIGINT')
        throw new SuiteError('conflict', 'helper pod kubectl-usage-x is still there')
      },
    })
    const io = createMemoryIo()
    expect(await runPlugin(leaky, { name: 'kubectl l', version: '1', io, argv: [], interrupts })).toBe(130)
    expect(io.stderr()).not.toContain('error:')
    const io2 = createMemoryIo()
    expect(await runPlugin(cleanupFails, { name: 'kubectl l', version: '1', io: io2, argv: [], interrupts })).toBe(130)
    expect(io2.stderr()).toContain('error: helper pod kubectl-usage-x is still there\n')
  })

  it('a terminal that went away (SIGHUP, then writes fail with EIO) ends with 129, not a crash or 141', async () => {
    const interrupts = new EventEmitter()
    const failing = (): Writable =>
      new Writable({
        write(_chunk, _encoding, done) {
          done(Object.assign(new Error('write EIO'), { code: 'EIO' }))
        },
      })
    const chatty = defineSuiteCommand({
      run: async ({ io, log, signal }) => {
        interrupts.emit('SIGHUP')
        log.warn('still here')
        io.out.write('data\n')
        await new Promise((resolve) => setImmediate(resolve))
        signal.throwIfAborted()
      },
    })
    const io = { ...createMemoryIo(), out: failing(), err: failing() }
    expect(await runPlugin(chatty, { name: 'kubectl c', version: '1', io, argv: [], interrupts })).toBe(129)
  })

  it('exits 130 when the command returns normally after an interrupt', async () => {
    const interrupts = new EventEmitter()
    const quick = defineSuiteCommand({ run: () => void interrupts.emit('SIGINT') })
    const code = await runPlugin(quick, { name: 'kubectl q', version: '1', io: createMemoryIo(), argv: [], interrupts })
    expect(code).toBe(130)
  })
})

describe('runPlugin ctx.kube', () => {
  it('connects once with the kubectl flags given and closes the connection at the end', async () => {
    const calls: string[] = []
    const fake = {
      describe: () => 'fake',
      close: async () => void calls.push('close'),
    } as unknown as Kube
    const cmd = defineSuiteCommand({
      args: kubeArgs,
      run: async ({ kube }) => {
        await kube()
        await kube()
      },
    })
    const code = await runPlugin(cmd, {
      name: 'kubectl k',
      version: '1',
      io: createMemoryIo(),
      argv: ['--context', 'prod', '--as-group', 'a'],
      connect: async (flags) => {
        calls.push(`connect ${JSON.stringify(flags)}`)
        return fake
      },
    })
    expect(code).toBe(0)
    expect(calls).toEqual(['connect {"context":"prod","asGroup":["a"]}', 'close'])
  })
})
