import { readFileSync } from 'node:fs'
import { delimiter } from 'node:path'
import { SuiteError } from '../../errors.ts'
import type { ExecConfig, KubeFlags, ResolvedCluster, ResolvedConnection, ResolvedUser } from '../types.ts'
import { parseRequestTimeout } from './duration.ts'
import {
  type InClusterEnvironment,
  inClusterAttempted,
  inClusterConnection,
  inClusterNamespace,
  inClusterPossible,
  serviceAccountDirOf,
} from './in-cluster.ts'
import {
  type Kubeconfig,
  type KubeconfigCluster,
  type KubeconfigContext,
  type KubeconfigUser,
  loadKubeconfig,
  type ReadFile,
  readFailure,
} from './load.ts'

export interface ResolveOptions {
  env: NodeJS.ProcessEnv
  homeDir: string
  /** Default /var/run/secrets/kubernetes.io/serviceaccount; KUBECTL_SUITE_SERVICEACCOUNT_DIR overrides the default. */
  serviceAccountDir?: string
  /** Every file read goes through here (kubeconfigs, CA and key files checked for readability, in-cluster files). */
  readFile?: ReadFile
  /** Relative --kubeconfig and KUBECONFIG entries are relative to this; default process.cwd(). */
  cwd?: string
}

const EXEC_API_VERSIONS = new Set(['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'])
/** client-go's defaulting (api/v1/defaults.go): only the pre-v1 exec APIs get IfAvailable when the field is empty. */
const EXEC_DEFAULTS_INTERACTIVE = new Set([
  'client.authentication.k8s.io/v1beta1',
  'client.authentication.k8s.io/v1alpha1',
])
const CONTEXTS_HINT = 'run kubectl config get-contexts'
const VIEW_HINT = 'check it with kubectl config view'

const given = (value: string | undefined): value is string => value !== undefined && value !== ''

function configError(message: string, hint: string = VIEW_HINT): SuiteError {
  return new SuiteError('config', message, { hint })
}

function canRead(readFile: ReadFile, path: string): string | undefined {
  try {
    readFile(path)
    return undefined
  } catch (error) {
    return readFailure(error)
  }
}

/** Flags that fill in the user (clientcmd ConfigOverrides.AuthInfo), so a missing kubeconfig user does not matter. */
function hasCredentialFlags(flags: KubeFlags): boolean {
  return given(flags.token) || given(flags.clientCertificate) || given(flags.username) || given(flags.password)
}

/**
 * clientcmd getAuthInfo: the kubeconfig entry, then every non-empty flag replaces its field (mergo semantics), with
 * --client-certificate / --client-key also clearing the matching *-data so the two never clash.
 */
function mergeUser(entry: KubeconfigUser | undefined, name: string, flags: KubeFlags): KubeconfigUser {
  const user: KubeconfigUser =
    entry === undefined
      ? { name, origin: '', impersonateGroups: [] }
      : { ...entry, impersonateGroups: [...entry.impersonateGroups] }
  if (given(flags.token)) user.token = flags.token
  if (given(flags.username)) user.username = flags.username
  if (given(flags.password)) user.password = flags.password
  if (given(flags.as)) user.impersonate = flags.as
  if (given(flags.asUid)) user.impersonateUid = flags.asUid
  if (flags.asGroup !== undefined && flags.asGroup.length > 0) user.impersonateGroups = [...flags.asGroup]
  if (given(flags.clientCertificate)) {
    user.clientCertificate = flags.clientCertificate
    delete user.clientCertificateData
  }
  if (given(flags.clientKey)) {
    user.clientKey = flags.clientKey
    delete user.clientKeyData
  }
  return user
}

/**
 * clientcmd getCluster: KUBERNETES_MASTER as the default server, the kubeconfig entry over it, then the flags.
 * --insecure-skip-tls-verify or --certificate-authority take over all three TLS trust fields (so a kubeconfig CA
 * does not fight the insecure flag), and --server drops the kubeconfig tls-server-name unless one is passed too.
 */
function mergeCluster(entry: KubeconfigCluster | undefined, name: string, flags: KubeFlags, env: NodeJS.ProcessEnv) {
  const cluster: KubeconfigCluster =
    entry === undefined ? { name, origin: '', insecureSkipTlsVerify: false, disableCompression: false } : { ...entry }
  let fromDefaultsOnly = false
  if (cluster.server === undefined && given(env.KUBERNETES_MASTER)) {
    cluster.server = env.KUBERNETES_MASTER
    fromDefaultsOnly = entry === undefined
  }
  const insecureFlag = flags.insecureSkipTlsVerify === true
  if (given(flags.server)) cluster.server = flags.server
  if (flags.disableCompression === true) cluster.disableCompression = true
  if (insecureFlag || given(flags.certificateAuthority)) {
    cluster.insecureSkipTlsVerify = insecureFlag
    if (given(flags.certificateAuthority)) cluster.certificateAuthority = flags.certificateAuthority
    else delete cluster.certificateAuthority
    delete cluster.certificateAuthorityData
  }
  if (given(flags.tlsServerName) || given(flags.server)) {
    if (given(flags.tlsServerName)) cluster.tlsServerName = flags.tlsServerName
    else delete cluster.tlsServerName
  }
  const touchedByFlags =
    given(flags.server) ||
    insecureFlag ||
    given(flags.certificateAuthority) ||
    given(flags.tlsServerName) ||
    flags.disableCompression === true
  return { cluster, fromDefaultsOnly: fromDefaultsOnly && !touchedByFlags }
}

/** clientcmd validateAuthInfo, in its order, stopping at the first problem. */
function validateUser(user: KubeconfigUser, flags: KubeFlags, readFile: ReadFile): void {
  const label = user.name === '' ? 'the user given by flags' : `user "${user.name}"`
  if (user.clientCertificate !== undefined || user.clientCertificateData !== undefined) {
    if (user.clientCertificate !== undefined && user.clientCertificateData !== undefined) {
      throw configError(`client-certificate-data and client-certificate are both specified for ${label}`)
    }
    if (user.clientKey !== undefined && user.clientKeyData !== undefined) {
      throw configError(`client-key-data and client-key are both specified for ${label}`)
    }
    if (user.clientKey === undefined && user.clientKeyData === undefined) {
      throw configError(`client-key-data or client-key must be specified for ${label} to use a client certificate`)
    }
    for (const [path, what] of [
      [user.clientCertificate, 'client-certificate'],
      [user.clientKey, 'client-key'],
    ] as const) {
      const failure = path === undefined ? undefined : canRead(readFile, path)
      if (failure !== undefined) throw configError(`unable to read ${what} ${path} for ${label}: ${failure}`)
    }
  }
  const exec = user.exec
  if (exec !== undefined) {
    const problem = (text: string): SuiteError => configError(`exec plugin of ${label}: ${text}`)
    if (user.authProvider !== undefined) throw problem('auth-provider cannot be combined with an exec plugin')
    if (exec.command === undefined) throw problem('command must be specified')
    if (exec.apiVersion === undefined) throw problem('apiVersion must be specified')
    if (exec.env.some((variable) => variable.name === '')) throw problem('every env entry needs a name')
    if (exec.interactiveMode === undefined && !EXEC_DEFAULTS_INTERACTIVE.has(exec.apiVersion)) {
      throw problem('interactiveMode must be specified (Never, IfAvailable or Always)')
    }
    if (exec.interactiveMode !== undefined && !['Never', 'IfAvailable', 'Always'].includes(exec.interactiveMode)) {
      throw problem(`invalid interactiveMode "${exec.interactiveMode}" (Never, IfAvailable or Always)`)
    }
    if (!EXEC_API_VERSIONS.has(exec.apiVersion)) {
      throw problem(`invalid apiVersion "${exec.apiVersion}" (client.authentication.k8s.io/v1 or v1beta1)`)
    }
  }
  const basicAuth = user.username !== undefined || user.password !== undefined
  if (basicAuth && (user.token !== undefined || user.tokenFile !== undefined)) {
    // kubectl rejects this pair in two places (validation for token, the transport for tokenFile); one message.
    throw configError(
      `more than one authentication method found for ${label}: a bearer token and a username/password; only one is allowed`,
    )
  }
  const impersonating = user.impersonate !== undefined
  if (
    !impersonating &&
    (user.impersonateUid !== undefined || user.impersonateGroups.length > 0 || user.impersonateExtra)
  ) {
    const fromFlags = given(flags.asUid) || (flags.asGroup?.length ?? 0) > 0
    const message = `requesting uid, groups or user-extra for ${label} without impersonating a user`
    if (fromFlags)
      throw new SuiteError('usage', message, { hint: 'pass --as USER together with --as-group / --as-uid' })
    throw configError(message)
  }
  if (user.tokenFile !== undefined) {
    const failure = canRead(readFile, user.tokenFile)
    if (failure !== undefined) throw configError(`unable to read tokenFile ${user.tokenFile} for ${label}: ${failure}`)
  }
}

const PROXY_SCHEMES = new Set(['http:', 'https:', 'socks5:'])

/** clientcmd validateClusterInfo plus the rest-config checks kubectl makes before the first request. */
function validateCluster(cluster: KubeconfigCluster, flags: KubeFlags, readFile: ReadFile): void {
  const label = cluster.name === '' ? 'the default cluster' : `cluster "${cluster.name}"`
  if (cluster.server === undefined) {
    throw configError(
      `no server found for ${label}`,
      'set clusters[].cluster.server in the kubeconfig, or pass --server',
    )
  }
  if (cluster.proxyUrl !== undefined) {
    let scheme: string | undefined
    try {
      scheme = new URL(cluster.proxyUrl).protocol
    } catch {
      scheme = undefined
    }
    if (scheme === undefined || !PROXY_SCHEMES.has(scheme)) {
      throw configError(
        `invalid proxy-url "${cluster.proxyUrl}" for ${label}: the scheme must be http, https or socks5`,
      )
    }
  }
  if (cluster.certificateAuthority !== undefined && cluster.certificateAuthorityData !== undefined) {
    throw configError(`certificate-authority-data and certificate-authority are both specified for ${label}`)
  }
  if (cluster.certificateAuthority !== undefined) {
    const failure = canRead(readFile, cluster.certificateAuthority)
    if (failure !== undefined) {
      throw configError(`unable to read certificate-authority ${cluster.certificateAuthority} for ${label}: ${failure}`)
    }
  }
  if (
    cluster.insecureSkipTlsVerify &&
    (cluster.certificateAuthority ?? cluster.certificateAuthorityData) !== undefined
  ) {
    const message = `specifying a root certificates file with the insecure flag is not allowed (${label})`
    if (flags.insecureSkipTlsVerify === true && given(flags.certificateAuthority)) {
      throw new SuiteError('usage', message, {
        hint: 'pass either --certificate-authority or --insecure-skip-tls-verify',
      })
    }
    throw configError(message, 'remove insecure-skip-tls-verify or the certificate-authority from the cluster')
  }
}

/**
 * client-go DefaultServerURL: a server without a scheme is https when any TLS setting is present, else http.
 * The query and fragment are dropped (clientcmd ClientConfig does so for servers with a path) and so is a
 * trailing slash, which only doubles the one every request path starts with.
 */
function normaliseServer(server: string, defaultTls: boolean, label: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `${defaultTls ? 'https' : 'http'}://${server}`
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw configError(`invalid server "${server}" for ${label}: not a URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw configError(`invalid server "${server}" for ${label}: the scheme must be https or http`)
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`
}

function execConfigOf(exec: NonNullable<KubeconfigUser['exec']>): ExecConfig {
  const apiVersion = exec.apiVersion as string
  const config: ExecConfig = {
    command: exec.command as string,
    args: [...exec.args],
    env: exec.env.map((variable) => ({ ...variable })),
    apiVersion,
    provideClusterInfo: exec.provideClusterInfo,
    interactiveMode: (exec.interactiveMode ?? 'IfAvailable') as ExecConfig['interactiveMode'],
  }
  if (exec.installHint !== undefined) config.installHint = exec.installHint
  return config
}

/**
 * What client-go actually sends, so the credential code can simply take the first credential present:
 * - a tokenFile beats an inline token (the file token source replaces the static one, even for --token);
 * - a bearer token or basic auth means the exec plugin is never run (it steps aside when Authorization is set);
 * - over plain http no credential at all is sent, only impersonation (clientcmd reads auth only for TLS).
 */
function resolvedUserOf(user: KubeconfigUser, tls: boolean): ResolvedUser {
  const resolved: ResolvedUser = { name: user.name, impersonateGroups: [...user.impersonateGroups] }
  if (user.impersonate !== undefined) resolved.impersonate = user.impersonate
  if (user.impersonateUid !== undefined) resolved.impersonateUid = user.impersonateUid
  if (user.impersonateExtra !== undefined) resolved.impersonateExtra = user.impersonateExtra
  if (!tls) return resolved
  if (user.tokenFile !== undefined) resolved.tokenFile = user.tokenFile
  else if (user.token !== undefined) resolved.token = user.token
  if (user.username !== undefined) resolved.username = user.username
  if (user.password !== undefined) resolved.password = user.password
  if (user.clientCertificate !== undefined || user.clientCertificateData !== undefined) {
    if (user.clientCertificateData !== undefined) resolved.certData = user.clientCertificateData
    if (user.clientCertificate !== undefined) resolved.certFile = user.clientCertificate
    if (user.clientKeyData !== undefined) resolved.keyData = user.clientKeyData
    if (user.clientKey !== undefined) resolved.keyFile = user.clientKey
  }
  const headerCredential =
    resolved.token !== undefined ||
    resolved.tokenFile !== undefined ||
    user.username !== undefined ||
    user.password !== undefined
  if (user.exec !== undefined && !headerCredential) resolved.exec = execConfigOf(user.exec)
  if (user.authProvider !== undefined) resolved.authProvider = user.authProvider
  return resolved
}

type KubeconfigOutcome =
  | { kind: 'resolved'; connection: ResolvedConnection; namespaceExplicit: boolean }
  /** Only KUBERNETES_MASTER contributed: clientcmd prefers in-cluster over such a "default" config. */
  | { kind: 'default'; connection: ResolvedConnection }
  /** Nothing names a server: clientcmd's ErrEmptyConfig, after which in-cluster is tried. */
  | { kind: 'empty' }

/** clientcmd DirectClientConfig.ClientConfig over the merged kubeconfig, checks in kubectl's order. */
function resolveFromKubeconfig(
  config: Kubeconfig,
  flags: KubeFlags,
  env: NodeJS.ProcessEnv,
  readFile: ReadFile,
  requestTimeoutMs: number,
): KubeconfigOutcome {
  const contextName = given(flags.context) ? flags.context : config.currentContext
  const contextEntry: KubeconfigContext | undefined =
    contextName === undefined ? undefined : config.contexts.get(contextName)
  const userName = given(flags.user) ? flags.user : (contextEntry?.user ?? '')
  const clusterName = given(flags.cluster) ? flags.cluster : (contextEntry?.cluster ?? '')
  if (given(flags.user) && !config.users.has(flags.user)) {
    throw configError(`user "${flags.user}" does not exist`, 'run kubectl config view to see the users, or drop --user')
  }
  if (given(flags.context) && contextEntry === undefined) {
    throw configError(`context "${flags.context}" does not exist`, CONTEXTS_HINT)
  }
  if (given(flags.cluster) && !config.clusters.has(flags.cluster)) {
    throw configError(`cluster "${flags.cluster}" does not exist`, 'run kubectl config get-clusters, or drop --cluster')
  }
  if (contextName !== undefined && contextEntry === undefined) {
    throw configError(
      `context was not found for specified context: ${contextName}`,
      `${CONTEXTS_HINT}, then kubectl config use-context NAME or pass --context NAME`,
    )
  }
  // kubectl quietly connects with an empty cluster or user for a dangling reference; naming it is kinder.
  if (contextEntry?.cluster !== undefined && !given(flags.cluster) && !given(flags.server)) {
    if (!config.clusters.has(contextEntry.cluster)) {
      throw configError(
        `cluster "${contextEntry.cluster}" of context "${contextEntry.name}" does not exist`,
        'run kubectl config get-clusters, or pass --cluster / --server',
      )
    }
  }
  if (contextEntry?.user !== undefined && !given(flags.user) && !hasCredentialFlags(flags)) {
    if (!config.users.has(contextEntry.user)) {
      throw configError(
        `user "${contextEntry.user}" of context "${contextEntry.name}" does not exist`,
        'run kubectl config view to see the users, or pass --user',
      )
    }
  }
  const userEntry = config.users.get(userName)
  const user = mergeUser(userEntry, userName, flags)
  validateUser(user, flags, readFile)
  const clusterEntry = config.clusters.get(clusterName)
  const { cluster, fromDefaultsOnly } = mergeCluster(clusterEntry, clusterName, flags, env)
  // TLS flags alone do not name a server: like clientcmd's ErrEmptyConfig this still falls back to in-cluster.
  if (cluster.server === undefined && clusterEntry === undefined) return { kind: 'empty' }
  validateCluster(cluster, flags, readFile)

  const label = clusterName === '' ? 'the default cluster' : `cluster "${clusterName}"`
  const hasTlsSettings =
    cluster.insecureSkipTlsVerify ||
    cluster.certificateAuthority !== undefined ||
    cluster.certificateAuthorityData !== undefined ||
    user.clientCertificate !== undefined ||
    user.clientCertificateData !== undefined
  const server = normaliseServer(cluster.server as string, hasTlsSettings, label)
  const resolvedCluster: ResolvedCluster = {
    name: clusterName !== '' ? clusterName : given(flags.server) ? 'flags' : 'default',
    server,
    insecureSkipTlsVerify: cluster.insecureSkipTlsVerify,
    disableCompression: cluster.disableCompression,
  }
  if (cluster.certificateAuthorityData !== undefined) resolvedCluster.caData = cluster.certificateAuthorityData
  if (cluster.certificateAuthority !== undefined) resolvedCluster.caFile = cluster.certificateAuthority
  if (cluster.tlsServerName !== undefined) resolvedCluster.tlsServerName = cluster.tlsServerName
  if (cluster.proxyUrl !== undefined) resolvedCluster.proxyUrl = cluster.proxyUrl

  const namespaceExplicit = given(flags.namespace) || contextEntry?.namespace !== undefined
  const connection: ResolvedConnection = {
    contextName: contextEntry?.name,
    cluster: resolvedCluster,
    user: resolvedUserOf(user, server.startsWith('https:')),
    namespace: given(flags.namespace) ? flags.namespace : (contextEntry?.namespace ?? 'default'),
    source:
      config.files.length > 0
        ? `kubeconfig ${config.files.join(delimiter)}`
        : given(flags.server)
          ? 'flags'
          : 'KUBERNETES_MASTER',
    requestTimeoutMs,
  }
  const userEmpty = userEntry === undefined && !hasCredentialFlags(flags) && !given(flags.as)
  if (fromDefaultsOnly && userEmpty) return { kind: 'default', connection }
  return { kind: 'resolved', connection, namespaceExplicit }
}

function noConfiguration(config: Kubeconfig): SuiteError {
  if (config.files.length > 0 && config.contexts.size > 0 && config.currentContext === undefined) {
    return configError(
      `no context is selected: current-context is not set in ${config.files.join(delimiter)}`,
      'pass --context NAME, or run kubectl config use-context NAME (kubectl config get-contexts lists them)',
    )
  }
  const read = config.files.length > 0 ? ` (read ${config.files.join(delimiter)})` : ''
  return configError(
    `no configuration has been provided, try setting KUBERNETES_MASTER environment variable${read}`,
    'set KUBECONFIG or pass --kubeconfig (or create ~/.kube/config), pass --server, or run in a pod with a service account (in-cluster)',
  )
}

/**
 * Where and as whom to connect, by kubectl's rules (clientcmd DeferredLoadingClientConfig): load --kubeconfig, or
 * every KUBECONFIG file merged first-wins, or ~/.kube/config; pick --context or current-context; let the global
 * flags override the context, cluster and user field by field (ConfigOverrides); validate like ConfirmUsable.
 * When nothing names a server, fall back to the pod's service account (rest.InClusterConfig). Throws SuiteError
 * 'config' for an unusable configuration and 'usage' for bad flags (--request-timeout, conflicting flags).
 */
export function resolveConnection(flags: KubeFlags, options: ResolveOptions): ResolvedConnection {
  const requestTimeoutMs = parseRequestTimeout(flags.requestTimeout)
  const readFile = options.readFile ?? readFileSync
  const config = loadKubeconfig({
    explicitPath: flags.kubeconfig,
    env: options.env,
    homeDir: options.homeDir,
    readFile,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  })
  const pod: InClusterEnvironment = {
    env: options.env,
    serviceAccountDir: serviceAccountDirOf(options.env, options.serviceAccountDir),
    readFile,
  }
  const outcome = resolveFromKubeconfig(config, flags, options.env, readFile, requestTimeoutMs)
  if (outcome.kind === 'resolved') {
    // clientcmd: in a pod, a kubeconfig context without a namespace runs in the pod's namespace.
    if (!outcome.namespaceExplicit && inClusterPossible(pod)) outcome.connection.namespace = inClusterNamespace(pod)
    return outcome.connection
  }
  if (outcome.kind === 'default') {
    return inClusterPossible(pod) ? inClusterConnection(flags, pod, requestTimeoutMs) : outcome.connection
  }
  if (inClusterAttempted(pod)) {
    validateImpersonationFlags(flags)
    return inClusterConnection(flags, pod, requestTimeoutMs)
  }
  throw noConfiguration(config)
}

function validateImpersonationFlags(flags: KubeFlags): void {
  if (!given(flags.as) && (given(flags.asUid) || (flags.asGroup?.length ?? 0) > 0)) {
    throw new SuiteError('usage', 'requesting uid or groups without impersonating a user', {
      hint: 'pass --as USER together with --as-group / --as-uid',
    })
  }
}
