/**
 * The connection the core resolves from kubeconfig, in-cluster files, environment and the kubectl global flags.
 * Everything the transport needs is here, already merged and overridden, so the transport never reads config files.
 */
export interface ExecConfig {
  command: string
  args: string[]
  env: { name: string; value: string }[]
  apiVersion: string
  installHint?: string
  provideClusterInfo: boolean
  /** Never | IfAvailable | Always, as in client-go. */
  interactiveMode: 'Never' | 'IfAvailable' | 'Always'
}

export interface ResolvedCluster {
  /** Name of the cluster entry, or a synthetic name ("in-cluster", "flags"). */
  name: string
  server: string
  caData?: Buffer
  caFile?: string
  insecureSkipTlsVerify: boolean
  tlsServerName?: string
  proxyUrl?: string
  disableCompression: boolean
}

export interface ResolvedUser {
  name: string
  token?: string
  tokenFile?: string
  username?: string
  password?: string
  certData?: Buffer
  certFile?: string
  keyData?: Buffer
  keyFile?: string
  exec?: ExecConfig
  /** A legacy auth-provider block; we only say it is unsupported with a hint to switch to exec. */
  authProvider?: string
  impersonate?: string
  impersonateGroups: string[]
  impersonateUid?: string
  /** kubeconfig `as-user-extra`: sent as Impersonate-Extra-<key> headers, one per value. */
  impersonateExtra?: Record<string, string[]>
}

export interface ResolvedConnection {
  /** The context name used, or undefined when running in-cluster or with --server only. */
  contextName: string | undefined
  cluster: ResolvedCluster
  user: ResolvedUser
  namespace: string
  /** Where the settings came from, for error messages and -v: "kubeconfig /a:/b", "in-cluster", "--server". */
  source: string
  /** Request timeout in ms, 0 = none. */
  requestTimeoutMs: number
}

/** The kubectl global flags (genericclioptions.ConfigFlags) as parsed from argv; undefined = not given. */
export interface KubeFlags {
  kubeconfig?: string
  context?: string
  cluster?: string
  user?: string
  namespace?: string
  server?: string
  token?: string
  certificateAuthority?: string
  clientCertificate?: string
  clientKey?: string
  insecureSkipTlsVerify?: boolean
  tlsServerName?: string
  username?: string
  password?: string
  as?: string
  asGroup?: string[]
  asUid?: string
  /** Go duration ("30s", "1m") or bare seconds; "0" = no timeout. */
  requestTimeout?: string
  disableCompression?: boolean
}
