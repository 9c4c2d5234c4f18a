import type { BooleanArgDef, EnumArgDef, PositionalArgDef, StringArgDef } from 'citty'
import { SuiteError } from '../errors.ts'
import { parseRequestTimeout } from '../kube/config/duration.ts'
import type { Kube } from '../kube/connect.ts'
import type { KubeFlags } from '../kube/types.ts'
import { isDnsSubdomain } from '../names.ts'
import { allowedFormatNames, formatChoices, type OutputFormat, parseOutputFormat } from '../output/format.ts'

/**
 * A flag's other names. One character is a shorthand (`-n`); longer is another long name. Readonly so groups can be
 * declared `as const` (citty's own type wants a mutable array, which `as const` can never satisfy).
 */
export type SuiteArgAlias = string | readonly string[]

/** What the suite adds to citty's argument definitions; citty itself ignores these keys. */
interface SuiteArgExtras {
  /** Kept out of --help and out of "did you mean" suggestions, but still accepted. */
  hidden?: boolean
  /**
   * Every use adds a value and the parsed value is a string[], like pflag's StringArray (`--as-group a --as-group b`).
   * Values are never split on commas. For a positional: it takes all the remaining words.
   */
  multiple?: boolean
  /**
   * pflag's NoOptDefVal: the value a string flag takes when given bare (`--dry-run` means `--dry-run=client`). Such a
   * flag then never takes the next word, so a value must be attached with `=`, as in kubectl.
   */
  bareValue?: string
  /**
   * Checks one value when it is parsed, before any command code runs. Returns the reason a value is wrong, which the
   * parser wraps in pflag's wording (`invalid argument "x" for "--flag" flag: <reason>`), or throws a SuiteError for
   * a message of its own (as -o does, to keep kubectl's printer wording).
   */
  validate?: (value: string) => string | undefined
  /**
   * Live values for shell completion (`kubectl <plugin> … <TAB>`): names of this API resource, listed when the
   * user completes the flag's value or the positional. See shared/cli/complete.ts.
   */
  complete?: CompletionSource
  /** Fixed values offered by shell completion for a free-form flag (an enum's options are offered anyway). */
  choices?: readonly string[]
}

/** Which objects' names complete an argument: `{ plural: 'nodes' }`, `{ plural: 'jobs', group: 'batch', … }`. */
export interface CompletionSource {
  plural: string
  group?: string
  version?: string
  /** List in the namespace of -n (or the context's), not cluster-wide. */
  namespaced?: boolean
  labelSelector?: string
  /** A name other than metadata.name, e.g. a label value: `(item) => item.metadata.labels?.['run-id']`. */
  nameOf?: (item: { metadata?: { name?: string; labels?: Record<string, string> } }) => string | undefined
  /**
   * Names that take more than one list, or depend on the words typed before (a secret's keys after its NAME): given
   * the connection, the namespace and the positionals so far. Replaces the list of `plural` when set.
   */
  names?: (context: CompletionContext) => Promise<string[]>
  /** Names known without a cluster (mrun's profiles, from a local file): listed without connecting at all. */
  local?: (env: NodeJS.ProcessEnv) => string[]
  /**
   * Where the command itself would look when -n (or --context) is not typed: mrun's profile (--profile,
   * $MRUN_PROFILE or the current one) has a kube_context and namespace that apply, so completion follows the same rule.
   */
  scope?: (
    args: Record<string, unknown>,
    env: NodeJS.ProcessEnv,
  ) => { kubeContext?: string | undefined; namespace?: string | undefined }
}

/** What a {@link CompletionSource}'s `names` gets. */
export interface CompletionContext {
  kube: Kube
  namespace: string
  /** The positionals typed before the word being completed. */
  positionals: readonly string[]
  args: Record<string, unknown>
}

/** A boolean flag. `--flag`, `--flag=true|false`; `--no-flag` only when `negatable`. */
export type SuiteBooleanArgDef = Omit<BooleanArgDef, 'alias' | 'type'> &
  Pick<SuiteArgExtras, 'hidden'> & {
    type: 'boolean'
    alias?: SuiteArgAlias
    /** Also accept `--no-<name>` to set it false (pflag has no such thing, so only where we declare it). */
    negatable?: boolean
  }

/** A flag that takes a value: `--flag value`, `--flag=value`, `-f value`, `-fvalue`, `-f=value`. */
export type SuiteStringArgDef = Omit<StringArgDef, 'alias' | 'type'> &
  SuiteArgExtras & {
    type: 'string'
    alias?: SuiteArgAlias
  }

/** A flag whose value must be one of `options`, spelled exactly. */
export type SuiteEnumArgDef = Omit<EnumArgDef, 'alias' | 'options' | 'type'> &
  SuiteArgExtras & {
    type: 'enum'
    alias?: SuiteArgAlias
    options: readonly string[]
  }

/**
 * What a positional that names an API object must look like, checked by the parser for every such positional
 * (exit 2 before anything connects), so an empty word can never reach a request path:
 * - `object`: a DNS-1123 subdomain, the apiserver's rule for secrets, claims, pods, nodes, jobs…;
 * - `reference`: a name, id or prefix looked up among objects (a run id, a platform id): not empty, and a single
 *   URL path segment (no '/', '%', and not '.' or '..'), as the apiserver requires of any name in a path;
 * - `nonempty`: a local name or a file that may also be an object's name (an mrun context, diff's FILE|NAME): not
 *   empty, and checked further by the command.
 */
export type NameRule = 'object' | 'reference' | 'nonempty'

/** Why `value` is not a name under `rule`, or undefined when it is one. */
export function nameProblem(rule: NameRule, value: string): string | undefined {
  if (value === '') return 'must not be empty'
  if (rule === 'nonempty') return undefined
  if (rule === 'object') {
    if (!isDnsSubdomain(value))
      return "must be a lower-case DNS-1123 subdomain (a-z, 0-9, '-' and '.'; 253 characters at most)"
    return undefined
  }
  if (value === '.' || value === '..' || /[/%]/.test(value)) return "must not be '.' or '..' or contain '/' or '%'"
  return undefined
}

/** A positional argument; required unless `required: false` or it has a default (citty's rule). */
export type SuitePositionalArgDef = Omit<PositionalArgDef, 'type'> &
  Omit<SuiteArgExtras, 'hidden'> & {
    type: 'positional'
    /** This positional names an API object: the parser rejects empty and malformed names (see {@link NameRule}). */
    names?: NameRule
    /** Its word in --help's Usage line (`NAME`); the key in capitals by default. */
    usageName?: string
    /** Optional to the parser but checked by the command itself: --help shows it as required (`NAME`, not `[NAME]`). */
    neededByCommand?: boolean
  }

/** citty's ArgDef plus `multiple`, `hidden`, `negatable` and `validate`. */
export type SuiteArgDef = SuiteBooleanArgDef | SuiteStringArgDef | SuiteEnumArgDef | SuitePositionalArgDef

/** A command's arguments, keyed by the long flag name as typed (kebab-case) or the positional's name. */
export type SuiteArgsDef = Record<string, SuiteArgDef>

/** `all-namespaces` → `allNamespaces`, at the type level, so parsed args can be read in camelCase. */
export type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S

type ValueOrUndefined<D, V> = D extends { default: string | boolean }
  ? V
  : D extends { required: true }
    ? V
    : V | undefined

/** The parsed value of one argument: booleans are never undefined, repeatable ones are arrays. */
export type SuiteArgValue<D extends SuiteArgDef> = D extends { multiple: true }
  ? string[]
  : D extends { type: 'boolean' }
    ? boolean
    : D extends { type: 'enum'; options: readonly (infer O)[] }
      ? ValueOrUndefined<D, O>
      : D extends { type: 'positional' }
        ? D extends { required: false }
          ? ValueOrUndefined<D, string>
          : string
        : ValueOrUndefined<D, string>

/** Parsed arguments, readable both by their declared name (`args['all-namespaces']`) and in camelCase. */
export type ParsedSuiteArgs<T extends SuiteArgsDef> = {
  -readonly [K in keyof T & string as CamelCase<K>]: SuiteArgValue<T[K]>
} & {
  -readonly [K in keyof T & string as K extends CamelCase<K> ? never : K]: SuiteArgValue<T[K]>
}

/** kubectl rejects -v values it cannot read as an integer with strconv's wording; we do the same. */
function verbosityProblem(value: string): string | undefined {
  if (/^\d+$/.test(value)) return undefined
  if (/^[+-]?\d+$/.test(value)) return 'must be a number from 0 to 10'
  return `strconv.ParseInt: parsing "${value}": invalid syntax`
}

/** kubectl's --request-timeout: bare seconds or a Go duration ("1m30s", "500ms"); "0" means no timeout. */
function requestTimeoutProblem(value: string): string | undefined {
  if (!/^\d+$/.test(value) && !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value))
    return 'must be a whole number of seconds or a number with a unit (e.g. 1s, 2m, 3h); 0 means no timeout'
  try {
    parseRequestTimeout(value)
    return undefined
  } catch (error) {
    // Past the longest timer Node can set (which would fire at once): the shared parser's reason.
    return error instanceof SuiteError ? error.message.replace(/^.*?": /, '') : String(error)
  }
}

/**
 * kubectl's global flags (genericclioptions.ConfigFlags plus klog's -v), spelled as kubectl spells them so scripts
 * and muscle memory carry over, plus the suite's own --via-ssh. Spread into every command's args.
 */
export const kubeArgs = {
  kubeconfig: {
    type: 'string',
    valueHint: 'path',
    description: 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config',
  },
  context: { type: 'string', valueHint: 'name', description: 'Kubeconfig context to use instead of the current one' },
  cluster: { type: 'string', valueHint: 'name', description: "Kubeconfig cluster to use instead of the context's" },
  user: { type: 'string', valueHint: 'name', description: "Kubeconfig user to use instead of the context's" },
  namespace: {
    type: 'string',
    alias: 'n',
    valueHint: 'name',
    complete: { plural: 'namespaces' },
    description: 'Namespace for this request, instead of the context\'s (or "default")',
  },
  server: {
    type: 'string',
    alias: 's',
    valueHint: 'url',
    description: 'Address and port of the Kubernetes API server',
  },
  token: { type: 'string', valueHint: 'token', description: 'Bearer token to authenticate to the API server with' },
  'certificate-authority': {
    type: 'string',
    valueHint: 'path',
    description: "CA certificate file to verify the API server's certificate with",
  },
  'client-certificate': {
    type: 'string',
    valueHint: 'path',
    description: 'Client certificate file for TLS authentication',
  },
  'client-key': { type: 'string', valueHint: 'path', description: 'Client key file for TLS authentication' },
  'insecure-skip-tls-verify': {
    type: 'boolean',
    description: "Do not verify the API server's certificate (the connection is then open to interception)",
  },
  'tls-server-name': {
    type: 'string',
    valueHint: 'name',
    description: "Server name to verify the API server's certificate against, instead of the host name used",
  },
  username: { type: 'string', valueHint: 'name', description: 'User name for basic authentication' },
  password: { type: 'string', valueHint: 'password', description: 'Password for basic authentication' },
  as: {
    type: 'string',
    valueHint: 'user',
    description: 'User (or system:serviceaccount:NAMESPACE:NAME) to impersonate',
  },
  'as-group': {
    type: 'string',
    multiple: true,
    valueHint: 'group',
    description: 'Group to impersonate; repeat the flag for several groups',
  },
  'as-uid': { type: 'string', valueHint: 'uid', description: 'UID to impersonate' },
  'request-timeout': {
    type: 'string',
    valueHint: 'duration',
    description:
      'How long to wait for one server request (1s, 2m, 3h; bare numbers are seconds; default 60s); 0 waits forever',
    validate: requestTimeoutProblem,
  },
  'cache-dir': {
    type: 'string',
    valueHint: 'path',
    description: 'Discovery cache directory (accepted for kubectl compatibility; the suite keeps no cache)',
  },
  'disable-compression': { type: 'boolean', description: 'Ask the API server not to compress responses' },
  v: {
    type: 'string',
    alias: 'v',
    default: '0',
    valueHint: 'level',
    description: 'Log verbosity 0-10 on stderr: 1-3 info, 4-5 debug, 6+ every HTTP request and stack traces',
    validate: verbosityProblem,
  },
  'via-ssh': {
    type: 'string',
    valueHint: 'user@host',
    description:
      'Reach the cluster through an SSH tunnel to a kubectl proxy on this host (or set KUBECTL_SUITE_VIA_SSH)',
  },
  // kubectl's remaining global flags: accepted so copied command lines keep working, hidden because they do nothing.
  'match-server-version': { type: 'boolean', hidden: true, description: 'Accepted for kubectl compatibility' },
  'warnings-as-errors': { type: 'boolean', hidden: true, description: 'Accepted for kubectl compatibility' },
  profile: { type: 'string', hidden: true, description: 'Accepted for kubectl compatibility' },
  'profile-output': { type: 'string', hidden: true, description: 'Accepted for kubectl compatibility' },
  vmodule: { type: 'string', hidden: true, description: 'Accepted for kubectl compatibility' },
  'log-flush-frequency': { type: 'string', hidden: true, description: 'Accepted for kubectl compatibility' },
} as const satisfies SuiteArgsDef

/** `-A`: kubectl's switch to list across every namespace. The namespace itself (`-n`) is in {@link kubeArgs}. */
export const namespaceArgs = {
  'all-namespaces': {
    type: 'boolean',
    alias: 'A',
    description: 'List across all namespaces (the current and -n namespace are then ignored)',
  },
} as const satisfies SuiteArgsDef

/** kubectl's label and field selectors, passed to the API server as they are. */
export const selectorArgs = {
  selector: {
    type: 'string',
    alias: 'l',
    valueHint: 'query',
    description: 'Label selector to filter on: =, ==, !=, in, notin, exists (e.g. -l app=web,tier!=db)',
  },
  'field-selector': {
    type: 'string',
    valueHint: 'query',
    description: 'Field selector to filter on: =, ==, != (e.g. --field-selector spec.nodeName=node-1)',
  },
} as const satisfies SuiteArgsDef

/**
 * `-o`, `--no-headers` and `--sort-by` for a command that prints with the shared printer. A function so each
 * command's --help lists exactly the formats it supports, and a wrong `-o` fails at parse time with kubectl's
 * printer wording (from parseOutputFormat) before anything connects.
 */
export function outputArgs(allowed: readonly OutputFormat[]) {
  const named = allowedFormatNames(allowed)
  const tableNote = allowed.includes('table') ? '; leave it out for a table' : ''
  const choices = formatChoices(allowed)
  return {
    output: {
      type: 'string',
      alias: 'o',
      valueHint: 'format',
      choices,
      description: `Output format. One of: (${named.join(', ')})${tableNote}`,
      validate: (value: string): undefined => {
        parseOutputFormat(value, allowed)
        return undefined
      },
    },
    'no-headers': { type: 'boolean', description: 'Print tables (and csv/tsv) without the header row' },
    ...templateKeysArg,
    'sort-by': { type: 'string', valueHint: 'column', description: 'Sort rows by this column' },
  } as const satisfies SuiteArgsDef
}

// kubectl's flag, accepted on every printing command. Hidden (left out of --help and of suggestions) so that
// `--all` keeps suggesting --all-namespaces; the README documents it.
const templateKeysArg = {
  'allow-missing-template-keys': {
    type: 'boolean',
    default: true,
    hidden: true,
    description: 'With -o jsonpath: print nothing for a missing key (the default); =false makes it an error',
  },
} as const satisfies SuiteArgsDef

/** The parsed kubectl global flags, as every command that spreads {@link kubeArgs} has them. */
export type ParsedKubeArgs = ParsedSuiteArgs<typeof kubeArgs>

/** Empty strings count as "not given", as in kubectl, where `--context=` falls back to the current context. */
function given(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

/**
 * The kubectl global flags in the shape shared/kube resolves a connection from. Unset booleans and empty lists are
 * left undefined so they never override the kubeconfig (kubectl merges only non-zero flag values). `viaSsh` is the
 * flag only; connect() falls back to KUBECTL_SUITE_VIA_SSH itself.
 */
export function kubeFlagsFromArgs(args: ParsedKubeArgs): KubeFlags & { viaSsh?: string } {
  const flags: KubeFlags & { viaSsh?: string } = {}
  const strings = {
    kubeconfig: args.kubeconfig,
    context: args.context,
    cluster: args.cluster,
    user: args.user,
    namespace: args.namespace,
    server: args.server,
    token: args.token,
    certificateAuthority: args.certificateAuthority,
    clientCertificate: args.clientCertificate,
    clientKey: args.clientKey,
    tlsServerName: args.tlsServerName,
    username: args.username,
    password: args.password,
    as: args.as,
    asUid: args.asUid,
    requestTimeout: args.requestTimeout,
    viaSsh: args.viaSsh,
  } as const
  for (const [key, value] of Object.entries(strings) as [keyof typeof strings, string | undefined][]) {
    const kept = given(value)
    if (kept !== undefined) flags[key] = kept
  }
  if (args.insecureSkipTlsVerify) flags.insecureSkipTlsVerify = true
  if (args.disableCompression) flags.disableCompression = true
  if (args.asGroup.length > 0) flags.asGroup = [...args.asGroup]
  return flags
}

/** The -v level as a number; values above 10 act as 10, as klog has nothing beyond. */
export function verbosityFromArgs(args: { v?: string | undefined }): number {
  const level = Number.parseInt(args.v ?? '0', 10)
  return Number.isFinite(level) ? Math.min(Math.max(level, 0), 10) : 0
}

export const DRY_RUN_MODES = ['none', 'client', 'server'] as const
export type DryRunMode = (typeof DRY_RUN_MODES)[number]

/** kubectl's `--dry-run[=none|client|server]`; bare, it means client. A wrong mode fails at parse time. */
export const dryRunArgs = {
  'dry-run': {
    type: 'string',
    bareValue: 'client',
    valueHint: 'mode',
    choices: DRY_RUN_MODES,
    description: 'none, client (print, send nothing) or server (the apiserver checks it, stores nothing)',
    validate: (value: string): undefined => {
      if (!(DRY_RUN_MODES as readonly string[]).includes(value))
        throw new SuiteError('usage', `invalid --dry-run "${value}"`, {
          hint: 'use --dry-run=client, --dry-run=server or --dry-run=none',
        })
      return undefined
    },
  },
} as const satisfies SuiteArgsDef

/** The parsed --dry-run (already checked by its validate). */
export function dryRunMode(value: string | undefined): DryRunMode {
  return (value ?? 'none') as DryRunMode
}
