import type { ArgDef } from 'citty'
import type { KubeFlags } from '../kube/types.ts'
import type { OutputFormat } from '../output/format.ts'

/**
 * Argument groups declared once and spread into every command (the nuxt/cli habit), so every plugin accepts every
 * kubectl global flag with kubectl's spelling. `multiple` marks a repeatable flag (collected into an array).
 */
export type SuiteArgDef = ArgDef & { multiple?: boolean; hidden?: boolean; negatable?: boolean }
export type SuiteArgs = Record<string, SuiteArgDef>

export const kubeArgs = {
  kubeconfig: { type: 'string', description: 'Path to the kubeconfig file to use', valueHint: 'path' },
  context: { type: 'string', description: 'The name of the kubeconfig context to use', valueHint: 'name' },
  cluster: { type: 'string', description: 'The name of the kubeconfig cluster to use', valueHint: 'name' },
  user: { type: 'string', description: 'The name of the kubeconfig user to use', valueHint: 'name' },
  namespace: { type: 'string', alias: 'n', description: 'The namespace scope for this request', valueHint: 'ns' },
  server: {
    type: 'string',
    alias: 's',
    description: 'The address and port of the Kubernetes API server',
    valueHint: 'url',
  },
  token: { type: 'string', description: 'Bearer token for authentication to the API server' },
  'certificate-authority': { type: 'string', description: 'Path to a cert file for the certificate authority' },
  'client-certificate': { type: 'string', description: 'Path to a client certificate file for TLS' },
  'client-key': { type: 'string', description: 'Path to a client key file for TLS' },
  'insecure-skip-tls-verify': { type: 'boolean', description: "Don't check the server's certificate (insecure)" },
  'tls-server-name': { type: 'string', description: 'Server name to use for server certificate validation' },
  username: { type: 'string', description: 'Username for basic authentication to the API server' },
  password: { type: 'string', description: 'Password for basic authentication to the API server' },
  as: { type: 'string', description: 'Username to impersonate for the operation' },
  'as-group': { type: 'string', multiple: true, description: 'Group to impersonate (repeatable)' },
  'as-uid': { type: 'string', description: 'UID to impersonate for the operation' },
  'request-timeout': {
    type: 'string',
    description: 'How long to wait for each request (1s, 2m, 3h; a bare number is seconds; 0 = our 60s default)',
  },
  'cache-dir': { type: 'string', description: 'Accepted for kubectl compatibility (unused)', hidden: true },
  'disable-compression': { type: 'boolean', description: 'Accepted for kubectl compatibility', hidden: true },
  v: { type: 'string', description: 'Log level (0-10): 4 debug, 6 requests and stack traces', valueHint: 'level' },
  'via-ssh': {
    type: 'string',
    description:
      'Reach the cluster through an SSH tunnel to a kubectl proxy on user@host[:port] (env KUBECTL_SUITE_VIA_SSH)',
    valueHint: 'user@host',
  },
} as const satisfies SuiteArgs

export const allNamespacesArgs = {
  'all-namespaces': { type: 'boolean', alias: 'A', description: 'List across all namespaces' },
} as const satisfies SuiteArgs

export const selectorArgs = {
  selector: { type: 'string', alias: 'l', description: 'Label selector (e.g. -l key1=value1,key2 in (a,b))' },
  'field-selector': { type: 'string', description: 'Field selector (e.g. status.phase=Running)' },
} as const satisfies SuiteArgs

/** -o with the formats this command supports, named in its help. */
export function outputArgs(allowed: readonly OutputFormat[]) {
  return {
    output: { type: 'string', alias: 'o', description: `Output format: ${allowed.join('|')}`, valueHint: 'format' },
    'no-headers': { type: 'boolean', description: 'Do not print headers in table output' },
  } as const satisfies SuiteArgs
}

export type ParsedValues = Record<string, string | boolean | string[] | undefined>

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** The kubectl global flags as the config resolver wants them. */
export function kubeFlagsFromArgs(args: ParsedValues): KubeFlags & { viaSsh?: string } {
  const flags: KubeFlags & { viaSsh?: string } = {}
  const set = <K extends keyof (KubeFlags & { viaSsh?: string })>(
    key: K,
    value: (KubeFlags & { viaSsh?: string })[K] | undefined,
  ): void => {
    if (value !== undefined) flags[key] = value
  }
  set('kubeconfig', str(args.kubeconfig))
  set('context', str(args.context))
  set('cluster', str(args.cluster))
  set('user', str(args.user))
  set('namespace', str(args.namespace))
  set('server', str(args.server))
  set('token', str(args.token))
  set('certificateAuthority', str(args['certificate-authority']))
  set('clientCertificate', str(args['client-certificate']))
  set('clientKey', str(args['client-key']))
  if (typeof args['insecure-skip-tls-verify'] === 'boolean')
    flags.insecureSkipTlsVerify = args['insecure-skip-tls-verify']
  set('tlsServerName', str(args['tls-server-name']))
  set('username', str(args.username))
  set('password', str(args.password))
  set('as', str(args.as))
  const groups = args['as-group']
  if (Array.isArray(groups) && groups.length > 0) flags.asGroup = groups
  set('asUid', str(args['as-uid']))
  set('requestTimeout', str(args['request-timeout']))
  set('viaSsh', str(args['via-ssh']))
  return flags
}

/** A definition's aliases as a list (positionals have none). */
export function aliasesOf(def: SuiteArgDef): string[] {
  const alias = 'alias' in def ? def.alias : undefined
  return alias === undefined ? [] : Array.isArray(alias) ? alias : [alias]
}
