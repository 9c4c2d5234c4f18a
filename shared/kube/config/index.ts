import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { SuiteError } from '../../errors.ts'
import type { ExecConfig, KubeFlags, ResolvedCluster, ResolvedConnection, ResolvedUser } from '../types.ts'
import { parseRequestTimeout } from './duration.ts'
import { type Entry, type KubeconfigDoc, loadKubeconfigFile, mergeKubeconfigs } from './load.ts'

export { parseGoDuration, parseRequestTimeout } from './duration.ts'
export { loadKubeconfigFile, mergeKubeconfigs } from './load.ts'

/**
 * kubectl's way to decide where and as whom to connect: --kubeconfig, else KUBECONFIG (merged), else
 * ~/.kube/config, else the in-cluster service account; then the global flags override the chosen context,
 * cluster and user field by field (clientcmd ConfigOverrides).
 */
export interface ResolveOptions {
  env: NodeJS.ProcessEnv
  homeDir: string
  serviceAccountDir?: string
  exists?: (path: string) => boolean
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'
const CONFIG_HINT = 'check the file with `kubectl config view`, or pass --kubeconfig / --context'

function str(entry: Entry | undefined, key: string): string | undefined {
  const value = entry?.[key]
  return typeof value === 'string' && value !== '' ? value : undefined
}

function base64Field(entry: Entry, key: string, owner: string): Buffer | undefined {
  const text = str(entry, key)
  if (text === undefined) return undefined
  const clean = text.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) {
    throw new SuiteError('config', `${owner} has invalid base64 in ${key}`, { hint: CONFIG_HINT })
  }
  return Buffer.from(clean, 'base64')
}

function checkFile(path: string | undefined, what: string, exists: (p: string) => boolean): string | undefined {
  if (path === undefined) return undefined
  if (!exists(path))
    throw new SuiteError('config', `unable to read ${what} ${path}: no such file`, { hint: CONFIG_HINT })
  return path
}

function execConfig(raw: unknown, userName: string): ExecConfig | undefined {
  if (raw === null || typeof raw !== 'object') return undefined
  const exec = raw as Record<string, unknown>
  if (typeof exec.command !== 'string' || exec.command === '') {
    throw new SuiteError('config', `user "${userName}" has an exec block without a command`, { hint: CONFIG_HINT })
  }
  const mode = exec.interactiveMode
  return {
    command: exec.command,
    args: Array.isArray(exec.args) ? exec.args.map(String) : [],
    env: Array.isArray(exec.env)
      ? exec.env
          .filter((e): e is { name: string; value: string } => typeof e?.name === 'string')
          .map((e) => ({ name: e.name, value: String(e.value ?? '') }))
      : [],
    apiVersion: typeof exec.apiVersion === 'string' ? exec.apiVersion : 'client.authentication.k8s.io/v1beta1',
    ...(typeof exec.installHint === 'string' ? { installHint: exec.installHint } : {}),
    provideClusterInfo: exec.provideClusterInfo === true,
    interactiveMode: mode === 'Never' || mode === 'Always' ? mode : 'IfAvailable',
  }
}

function loadDoc(flags: KubeFlags, options: ResolveOptions, exists: (p: string) => boolean): KubeconfigDoc | undefined {
  if (flags.kubeconfig !== undefined) {
    if (!exists(flags.kubeconfig)) {
      throw new SuiteError('config', `stat ${flags.kubeconfig}: no such file or directory`, {
        hint: 'pass an existing file to --kubeconfig',
      })
    }
    return loadKubeconfigFile(flags.kubeconfig)
  }
  const list = options.env.KUBECONFIG
  if (list !== undefined && list !== '') {
    const doc = mergeKubeconfigs(list.split(delimiter), undefined, exists)
    return doc.files.length === 0 ? undefined : doc
  }
  const home = join(options.homeDir, '.kube', 'config')
  return exists(home) ? loadKubeconfigFile(home) : undefined
}

function inCluster(flags: KubeFlags, options: ResolveOptions, exists: (p: string) => boolean): ResolvedConnection {
  const env = options.env
  const dir = options.serviceAccountDir ?? env.KUBECTL_SUITE_SERVICEACCOUNT_DIR ?? SERVICE_ACCOUNT_DIR
  const host = env.KUBERNETES_SERVICE_HOST
  const port = env.KUBERNETES_SERVICE_PORT
  if (flags.server === undefined && (host === undefined || host === '' || port === undefined || port === '')) {
    throw new SuiteError(
      'config',
      'no configuration has been provided: no kubeconfig file was found and this is not a pod in a cluster',
      {
        hint: 'set KUBECONFIG or pass --kubeconfig, create ~/.kube/config, or pass --server; in a pod, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set',
      },
    )
  }
  const tokenFile = join(dir, 'token')
  const envToken = env.KUBERNETES_SERVICE_TOKEN
  const server = flags.server ?? `https://${host?.includes(':') ? `[${host}]` : host}:${port}`
  const user: ResolvedUser = { name: 'in-cluster', impersonateGroups: flags.asGroup ?? [] }
  if (flags.token !== undefined) user.token = flags.token
  else if (envToken !== undefined && envToken !== '') user.token = envToken
  else if (flags.server === undefined) {
    if (!exists(tokenFile)) {
      throw new SuiteError(
        'config',
        `unable to load in-cluster configuration: the service account token ${tokenFile} does not exist`,
        {
          hint: 'mount a service account token, or set KUBERNETES_SERVICE_TOKEN',
        },
      )
    }
    user.tokenFile = tokenFile
  }
  applyUserFlags(user, flags, exists)
  const caFile = join(dir, 'ca.crt')
  const cluster: ResolvedCluster = {
    name: 'in-cluster',
    server,
    insecureSkipTlsVerify: flags.insecureSkipTlsVerify === true,
    disableCompression: flags.disableCompression === true,
  }
  if (flags.certificateAuthority !== undefined)
    cluster.caFile = checkFile(flags.certificateAuthority, 'certificate authority', exists) as string
  else if (exists(caFile)) cluster.caFile = caFile
  if (flags.tlsServerName !== undefined) cluster.tlsServerName = flags.tlsServerName
  const nsFile = join(dir, 'namespace')
  const namespace = flags.namespace ?? (exists(nsFile) ? readFileSync(nsFile, 'utf8').trim() : '') ?? 'default'
  return {
    contextName: undefined,
    cluster,
    user,
    namespace: namespace === '' ? 'default' : namespace,
    source: flags.server === undefined ? 'in-cluster' : 'flags',
    requestTimeoutMs: parseRequestTimeout(flags.requestTimeout),
  }
}

function applyUserFlags(user: ResolvedUser, flags: KubeFlags, exists: (p: string) => boolean): void {
  // A credential given on the command line replaces the kubeconfig user's credentials, as kubectl does.
  if (flags.token !== undefined) {
    user.token = flags.token
    delete user.tokenFile
    delete user.exec
    delete user.username
    delete user.password
  }
  if (flags.clientCertificate !== undefined) {
    user.certFile = checkFile(flags.clientCertificate, 'client certificate', exists) as string
    delete user.certData
  }
  if (flags.clientKey !== undefined) {
    user.keyFile = checkFile(flags.clientKey, 'client key', exists) as string
    delete user.keyData
  }
  if (flags.username !== undefined) user.username = flags.username
  if (flags.password !== undefined) user.password = flags.password
  if (flags.as !== undefined) user.impersonate = flags.as
  if (flags.asGroup !== undefined && flags.asGroup.length > 0) user.impersonateGroups = [...flags.asGroup]
  if (flags.asUid !== undefined) user.impersonateUid = flags.asUid
}

export function resolveConnection(flags: KubeFlags, options: ResolveOptions): ResolvedConnection {
  const exists = options.exists ?? existsSync
  const doc = loadDoc(flags, options, exists)
  if (doc === undefined) return inCluster(flags, options, exists)
  const contextName = flags.context ?? doc.currentContext
  let context: Entry | undefined
  if (contextName !== undefined) {
    context = doc.contexts.get(contextName)
    if (context === undefined) {
      throw new SuiteError('config', `context "${contextName}" does not exist in ${doc.files.join(':')}`, {
        hint: `pick one of: ${[...doc.contexts.keys()].join(', ') || '(none)'} (kubectl config get-contexts)`,
      })
    }
  } else if (flags.server === undefined && flags.cluster === undefined) {
    throw new SuiteError('config', `no current context is set in ${doc.files.join(':')}`, {
      hint: 'pass --context NAME, or run `kubectl config use-context NAME`',
    })
  }
  const clusterName = flags.cluster ?? str(context, 'cluster')
  const userName = flags.user ?? str(context, 'user') ?? ''
  const clusterEntry = clusterName === undefined ? undefined : doc.clusters.get(clusterName)
  if (clusterName !== undefined && clusterEntry === undefined && flags.server === undefined) {
    throw new SuiteError('config', `cluster "${clusterName}" of context "${contextName ?? ''}" does not exist`, {
      hint: CONFIG_HINT,
    })
  }
  const userEntry = userName === '' ? {} : doc.users.get(userName)
  if (userEntry === undefined) {
    throw new SuiteError('config', `user "${userName}" of context "${contextName ?? ''}" does not exist`, {
      hint: CONFIG_HINT,
    })
  }
  const clusterOwner = `cluster "${clusterName ?? ''}"`
  const server = flags.server ?? str(clusterEntry, 'server')
  if (server === undefined) {
    throw new SuiteError('config', `${clusterOwner} has no server address`, {
      hint: 'set clusters[].cluster.server, or pass --server',
    })
  }
  const cluster: ResolvedCluster = {
    name: clusterName ?? 'flags',
    server: server.replace(/\/+$/, ''),
    insecureSkipTlsVerify: flags.insecureSkipTlsVerify ?? clusterEntry?.['insecure-skip-tls-verify'] === true,
    disableCompression: flags.disableCompression ?? clusterEntry?.['disable-compression'] === true,
  }
  if (flags.certificateAuthority !== undefined)
    cluster.caFile = checkFile(flags.certificateAuthority, 'certificate authority', exists) as string
  else if (clusterEntry !== undefined) {
    const data = base64Field(clusterEntry, 'certificate-authority-data', clusterOwner)
    if (data !== undefined) cluster.caData = data
    else {
      const file = checkFile(str(clusterEntry, 'certificate-authority'), 'certificate authority', exists)
      if (file !== undefined) cluster.caFile = file
    }
  }
  if (cluster.insecureSkipTlsVerify && flags.insecureSkipTlsVerify === true) {
    delete cluster.caData
    delete cluster.caFile
  }
  const tlsServerName = flags.tlsServerName ?? str(clusterEntry, 'tls-server-name')
  if (tlsServerName !== undefined) cluster.tlsServerName = tlsServerName
  const proxyUrl = str(clusterEntry, 'proxy-url')
  if (proxyUrl !== undefined) cluster.proxyUrl = proxyUrl

  const owner = `user "${userName}"`
  const user: ResolvedUser = { name: userName, impersonateGroups: [] }
  const token = str(userEntry, 'token')
  if (token !== undefined) user.token = token
  const tokenFile = checkFile(str(userEntry, 'token-file'), 'token file', exists)
  if (tokenFile !== undefined) user.tokenFile = tokenFile
  const username = str(userEntry, 'username')
  const password = str(userEntry, 'password')
  if (username !== undefined) user.username = username
  if (password !== undefined) user.password = password
  const certData = base64Field(userEntry, 'client-certificate-data', owner)
  const keyData = base64Field(userEntry, 'client-key-data', owner)
  if (certData !== undefined) user.certData = certData
  else {
    const file = checkFile(str(userEntry, 'client-certificate'), 'client certificate', exists)
    if (file !== undefined) user.certFile = file
  }
  if (keyData !== undefined) user.keyData = keyData
  else {
    const file = checkFile(str(userEntry, 'client-key'), 'client key', exists)
    if (file !== undefined) user.keyFile = file
  }
  const exec = execConfig(userEntry.exec, userName)
  if (exec !== undefined) user.exec = exec
  const provider = userEntry['auth-provider']
  if (provider !== null && typeof provider === 'object' && typeof (provider as Entry).name === 'string') {
    user.authProvider = (provider as Entry).name as string
  }
  const as = str(userEntry, 'as')
  if (as !== undefined) user.impersonate = as
  const asGroups = userEntry['as-groups']
  if (Array.isArray(asGroups)) user.impersonateGroups = asGroups.map(String)
  applyUserFlags(user, flags, exists)
  if (
    (user.certData !== undefined || user.certFile !== undefined) !==
    (user.keyData !== undefined || user.keyFile !== undefined)
  ) {
    throw new SuiteError('config', `${owner} has a client certificate without a key, or a key without a certificate`, {
      hint: CONFIG_HINT,
    })
  }
  return {
    contextName,
    cluster,
    user,
    namespace: flags.namespace ?? str(context, 'namespace') ?? 'default',
    source: `kubeconfig ${doc.files.join(delimiter)}`,
    requestTimeoutMs: parseRequestTimeout(flags.requestTimeout),
  }
}

/** The kubeconfig user name, or the CN of its client certificate: the `--mine` fallback when whoami is missing. */
export function certificateCommonName(pem: Buffer | string): string | undefined {
  try {
    const subject = new X509Certificate(pem).subject
    return /(?:^|\n)CN=([^\n]+)/.exec(subject)?.[1]
  } catch {
    return undefined
  }
}
