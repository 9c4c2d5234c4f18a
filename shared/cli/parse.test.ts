import { describe, expect, it } from 'vitest'
import { SuiteError } from '../errors.ts'
import { kubeArgs, namespaceArgs, outputArgs, selectorArgs } from './args.ts'
import { editDistance, parseArgv, scanArgv, suggestName } from './parse.ts'

const COMMAND = 'kubectl usage nodes'

/** A list command as the plugins declare one: every group, two booleans and an enum, one optional NAME. */
const listDefs = {
  ...kubeArgs,
  ...namespaceArgs,
  ...selectorArgs,
  ...outputArgs(['table', 'wide', 'json', 'yaml']),
  watch: { type: 'boolean', alias: 'w', description: 'Keep watching' },
  color: { type: 'boolean', negatable: true, default: true, description: 'Colour the table' },
  'dry-run': { type: 'enum', options: ['none', 'server', 'client'], description: 'Only show what would be done' },
  name: { type: 'positional', required: false, description: 'Node name' },
} as const

/** `mrun run`-like: every word after the flags belongs to the command line it runs. */
const runDefs = {
  ...kubeArgs,
  command: { type: 'positional', multiple: true, required: false, description: 'Script and its arguments' },
} as const

const parse = (argv: readonly string[]) => parseArgv(argv, listDefs, { command: COMMAND })

interface Accepted {
  argv: string[]
  args?: Record<string, unknown>
  positionals?: string[]
}

const accepted: [string, Accepted][] = [
  ['--flag value', { argv: ['--context', 'prod'], args: { context: 'prod' } }],
  ['--flag=value', { argv: ['--context=prod'], args: { context: 'prod' } }],
  ['--flag= gives an empty value', { argv: ['--context='], args: { context: '' } }],
  [
    '--flag=value keeps later = signs',
    {
      argv: ['-l', 'a=b', '--field-selector=spec.nodeName=n1'],
      args: { selector: 'a=b', fieldSelector: 'spec.nodeName=n1' },
    },
  ],
  ['-n value', { argv: ['-n', 'team'], args: { namespace: 'team' } }],
  ['-nvalue', { argv: ['-nteam'], args: { namespace: 'team' } }],
  ['-n=value (not "=value" as citty reads it)', { argv: ['-n=team'], args: { namespace: 'team' } }],
  [
    'a value flag takes the next word even if it starts with a dash',
    { argv: ['--context', '-x'], args: { context: '-x' } },
  ],
  ['grouped short booleans', { argv: ['-Aw'], args: { allNamespaces: true, watch: true } }],
  [
    'a group may end in a value flag (pflag)',
    { argv: ['-An', 'team'], args: { allNamespaces: true, namespace: 'team' } },
  ],
  ['a boolean alone is true', { argv: ['--insecure-skip-tls-verify'], args: { insecureSkipTlsVerify: true } }],
  ['--bool=false', { argv: ['--insecure-skip-tls-verify=false'], args: { insecureSkipTlsVerify: false } }],
  [
    '--bool=T uses strconv.ParseBool spellings',
    { argv: ['--disable-compression=T'], args: { disableCompression: true } },
  ],
  [
    '--bool false leaves "false" as a positional',
    { argv: ['--insecure-skip-tls-verify', 'false'], args: { insecureSkipTlsVerify: true, name: 'false' } },
  ],
  ['-b=false for a short boolean', { argv: ['-A=false'], args: { allNamespaces: false } }],
  ['--no-flag for a negatable boolean', { argv: ['--no-color'], args: { color: false } }],
  ['a declared no- name is itself a flag', { argv: ['--no-headers'], args: { noHeaders: true } }],
  [
    'a repeatable flag collects every use, never splitting commas',
    { argv: ['--as-group', 'a', '--as-group=b,c'], args: { asGroup: ['a', 'b,c'] } },
  ],
  [
    'a plain flag given twice keeps the last value (pflag)',
    { argv: ['--context', 'a', '--context', 'b'], args: { context: 'b' } },
  ],
  ['-v 6', { argv: ['-v', '6'], args: { v: '6' } }],
  ['-v=6', { argv: ['-v=6'], args: { v: '6' } }],
  ['-v6', { argv: ['-v6'], args: { v: '6' } }],
  ['--v=6', { argv: ['--v=6'], args: { v: '6' } }],
  ['--v 6', { argv: ['--v', '6'], args: { v: '6' } }],
  ['an enum value from its options', { argv: ['--dry-run=server'], args: { dryRun: 'server' } }],
  ['-o with an allowed format', { argv: ['-ojson', '--sort-by', 'cpu'], args: { output: 'json', sortBy: 'cpu' } }],
  [
    'underscores in long names are dashes (kubectl normalises them)',
    { argv: ['--all_namespaces'], args: { allNamespaces: true } },
  ],
  ['a positional before flags', { argv: ['web', '-n', 'team'], args: { name: 'web', namespace: 'team' } }],
  ['a positional after flags', { argv: ['-n', 'team', 'web'], args: { name: 'web', namespace: 'team' } }],
  ['a lone dash is a positional (stdin)', { argv: ['-'], args: { name: '-' } }],
  [
    '-- makes the next word a positional',
    { argv: ['--', '--context'], args: { name: '--context', context: undefined } },
  ],
  [
    'hidden kubectl flags are accepted',
    { argv: ['--match-server-version', '--profile=none'], args: { matchServerVersion: true, profile: 'none' } },
  ],
  [
    'defaults: level 0, false booleans, empty lists, undefined strings (and no timeout flag)',
    {
      argv: [],
      args: {
        requestTimeout: undefined,
        v: '0',
        allNamespaces: false,
        color: true,
        asGroup: [],
        namespace: undefined,
        name: undefined,
      },
      positionals: [],
    },
  ],
]

describe('parseArgv accepts', () => {
  it.each(accepted)('%s', (_, row) => {
    const result = parse(row.argv)
    if (row.args !== undefined) expect(result.args).toMatchObject(row.args)
    if (row.positionals !== undefined) expect(result.positionals).toEqual(row.positionals)
  })
})

interface Rejected {
  argv: string[]
  message: string
  hint?: string
}

const rejected: [string, Rejected][] = [
  [
    'an unknown flag, suggesting a close one',
    {
      argv: ['--contxt', 'prod'],
      message: 'unknown flag: --contxt',
      hint: `did you mean --context? See '${COMMAND} --help'.`,
    },
  ],
  [
    'a swapped pair of letters, suggesting the flag',
    {
      argv: ['--cotnext=prod'],
      message: 'unknown flag: --cotnext',
      hint: `did you mean --context? See '${COMMAND} --help'.`,
    },
  ],
  [
    'a unique prefix, suggesting the whole name',
    {
      argv: ['--all'],
      message: 'unknown flag: --all',
      hint: `did you mean --all-namespaces? See '${COMMAND} --help'.`,
    },
  ],
  [
    'an unknown flag with nothing close, without a hint',
    { argv: ['--frobnicate'], message: 'unknown flag: --frobnicate' },
  ],
  ['a hidden flag is never suggested', { argv: ['--match-server'], message: 'unknown flag: --match-server' }],
  ['--no-flag for a boolean that is not negatable', { argv: ['--no-watch'], message: 'unknown flag: --no-watch' }],
  [
    '--no-flag with a value',
    { argv: ['--no-color=false'], message: 'invalid argument "false" for "--no-color" flag: it takes no value' },
  ],
  ['three dashes', { argv: ['---context'], message: 'bad flag syntax: ---context' }],
  ['an unknown shorthand', { argv: ['-x'], message: "unknown shorthand flag: 'x' in -x" }],
  ['an unknown shorthand inside a group', { argv: ['-Ax'], message: "unknown shorthand flag: 'x' in -x" }],
  ['a long flag without its value', { argv: ['--context'], message: 'flag needs an argument: --context' }],
  ['a shorthand without its value', { argv: ['-n'], message: "flag needs an argument: 'n' in -n" }],
  [
    'a boolean given a non-boolean value',
    {
      argv: ['--insecure-skip-tls-verify=maybe'],
      message:
        'invalid argument "maybe" for "--insecure-skip-tls-verify" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
    },
  ],
  [
    'a short boolean given a non-boolean value, named with its shorthand',
    {
      argv: ['-A=maybe'],
      message:
        'invalid argument "maybe" for "-A, --all-namespaces" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
    },
  ],
  [
    'an enum value outside its options',
    {
      argv: ['--dry-run=never'],
      message: 'invalid argument "never" for "--dry-run" flag: must be one of "none", "server", "client"',
    },
  ],
  [
    'an -o format the command does not offer, in kubectl printer wording',
    {
      argv: ['-o', 'xml'],
      message:
        'unable to match a printer suitable for the output format "xml", allowed formats are: custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,jsonpath-file,wide,yaml',
      hint: 'leave out -o for the default table, or pass one of the formats listed, e.g. -o json',
    },
  ],
  [
    'a -v level that is not a number',
    {
      argv: ['-v', 'x'],
      message: 'invalid argument "x" for "-v, --v" flag: strconv.ParseInt: parsing "x": invalid syntax',
    },
  ],
  [
    'a negative -v level',
    { argv: ['--v=-1'], message: 'invalid argument "-1" for "-v, --v" flag: must be a number from 0 to 10' },
  ],
  [
    'a request timeout that is no duration',
    {
      argv: ['--request-timeout=soon'],
      message:
        'invalid argument "soon" for "--request-timeout" flag: must be a whole number of seconds or a number with a unit (e.g. 1s, 2m, 3h); 0 means no timeout',
    },
  ],
  [
    'a request timeout past the longest timer (it fired after 1 ms)',
    {
      argv: ['--request-timeout=597h'],
      message:
        'invalid argument "597h" for "--request-timeout" flag: a duration cannot be longer than 596h31m23.647s (2^31-1 ms)',
    },
  ],
  [
    'one positional too many, naming it',
    { argv: ['web', 'db'], message: `unexpected argument "db" for "${COMMAND}", which takes one argument: NAME` },
  ],
  [
    'a positional after -- counts as well',
    { argv: ['web', '--', 'db'], message: `unexpected argument "db" for "${COMMAND}", which takes one argument: NAME` },
  ],
]

describe('parseArgv rejects', () => {
  it.each(rejected)('%s', (_, row) => {
    let caught: unknown
    try {
      parse(row.argv)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(SuiteError)
    const error = caught as SuiteError
    expect(error.kind).toBe('usage')
    expect(error.message).toBe(row.message)
    expect(error.hint).toBe(row.hint)
  })
})

describe('parseArgv positionals and --', () => {
  it.each([
    {
      argv: ['--', 'train.py', '--', '--epochs', '3'],
      positionals: ['train.py', '--', '--epochs', '3'],
      rest: ['train.py', '--', '--epochs', '3'],
      dashIndex: 0,
    },
    {
      argv: ['-n', 'ml', 'sweep', '--', 'train.py', '-v'],
      positionals: ['sweep', 'train.py', '-v'],
      rest: ['train.py', '-v'],
      dashIndex: 1,
    },
    { argv: ['a', '-n', 'ml', 'b'], positionals: ['a', 'b'], rest: [], dashIndex: -1 },
  ])('reports rest and where -- was for $argv', ({ argv, positionals, rest, dashIndex }) => {
    const result = parseArgv(argv, runDefs)
    expect(result.positionals).toEqual(positionals)
    expect(result.rest).toEqual(rest)
    expect(result.dashIndex).toBe(dashIndex)
    expect(result.args.command).toEqual(positionals)
  })

  it('fails on a missing required positional, naming it', () => {
    const defs = { name: { type: 'positional', description: 'Secret name' } } as const
    expect(() => parseArgv([], defs)).toThrow('missing required argument NAME')
  })

  it('fails on a missing required flag with cobra wording', () => {
    const defs = { from: { type: 'string', required: true }, to: { type: 'string', required: true } } as const
    expect(() => parseArgv([], defs)).toThrow('required flag(s) "from", "to" not set')
  })

  it('names the command that takes no arguments at all', () => {
    expect(() => parseArgv(['x'], kubeArgs, { command: COMMAND })).toThrow(
      `unexpected argument "x" for "${COMMAND}", which takes no arguments`,
    )
  })

  it('records which flags were given, by declared name', () => {
    expect([...parse(['-n', 'a', '-A', '--request-timeout=0']).changed].sort()).toEqual([
      'all-namespaces',
      'namespace',
      'request-timeout',
    ])
  })

  it('gives every value under its declared name and in camelCase', () => {
    const { args } = parse(['-A'])
    expect(args['all-namespaces']).toBe(true)
    expect(args.allNamespaces).toBe(true)
  })
})

describe('suggestions', () => {
  it.each([
    ['contxt', 'context', 1],
    ['cotnext', 'context', 1],
    ['namespace', 'namespace', 0],
    ['kitten', 'sitting', 3],
  ])('edit distance from %s to %s is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance)
  })

  it('suggests nothing for a name far from every candidate', () => {
    expect(suggestName('xyz', ['context', 'cluster'])).toBeUndefined()
  })
})

describe('scanArgv', () => {
  it('skips flag values and stops at --', () => {
    const scan = scanArgv(['-n', 'ns', 'nodes', '-A', 'x', '--', 'y'], listDefs)
    expect(scan.positionalIndexes).toEqual([2, 4])
  })

  it('takes an undeclared flag value only where the caller says so', () => {
    const scan = scanArgv(['--sort-by', 'cpu', 'nodes'], kubeArgs, { unknownTakesValue: (next) => next !== 'nodes' })
    expect(scan.positionalIndexes).toEqual([2])
  })
})

describe('flags with a bare value (pflag NoOptDefVal)', () => {
  const defs = {
    'dry-run': { type: 'string', bareValue: 'client', description: 'none, client or server' },
    output: { type: 'string', alias: 'o', description: 'Output format' },
    name: { type: 'positional', required: false, description: 'Name' },
  } as const
  it.each([
    { argv: ['--dry-run', '-o', 'yaml'], dryRun: 'client', output: 'yaml', name: undefined },
    { argv: ['--dry-run=server', 'x'], dryRun: 'server', output: undefined, name: 'x' },
    { argv: ['x', '--dry-run'], dryRun: 'client', output: undefined, name: 'x' },
    { argv: ['--dry-run', 'x'], dryRun: 'client', output: undefined, name: 'x' },
  ])('$argv', ({ argv, dryRun, output, name }) => {
    const { args } = parseArgv(argv, defs)
    expect(args.dryRun).toBe(dryRun)
    expect(args.output).toBe(output)
    expect(args.name).toBe(name)
  })
  it('never makes the scanner take the next word as its value', () => {
    expect(scanArgv(['--dry-run', 'create'], defs).positionalIndexes).toEqual([1])
  })
})
