import { join } from 'node:path'
import { SuiteError } from '../../errors.ts'
import type { KubeFlags, ResolvedConnection } from '../types.ts'
import { type ReadFile, readFailure } from './load.ts'

/**
 * The pod's own service account, as client-go rest.InClusterConfig and clientcmd's inClusterClientConfig read it.
 * Split out so the merge logic can ask "could we be in a pod?" without building anything.
 */
export const DEFAULT_SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

export interface InClusterEnvironment {
  env: NodeJS.ProcessEnv
  serviceAccountDir: string
  readFile: ReadFile
}

const IN_CLUSTER_HINT =
  'inside a pod, KUBERNETES_SERVICE_HOST/PORT and the service account token are set up by Kubernetes; elsewhere set KUBECONFIG or pass --kubeconfig'

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value

function tryRead(readFile: ReadFile, path: string): { text: string } | { error: unknown } {
  try {
    const content = readFile(path)
    return { text: typeof content === 'string' ? content : content.toString('utf8') }
  } catch (error) {
    return { error }
  }
}

/** The service account directory: the explicit option, else KUBECTL_SUITE_SERVICEACCOUNT_DIR, else the standard mount. */
export function serviceAccountDirOf(env: NodeJS.ProcessEnv, explicit: string | undefined): string {
  return explicit ?? nonEmpty(env.KUBECTL_SUITE_SERVICEACCOUNT_DIR) ?? DEFAULT_SERVICE_ACCOUNT_DIR
}

/**
 * clientcmd inClusterClientConfig.Possible: both service variables set and a token present. A
 * KUBERNETES_SERVICE_TOKEN stands in for the token file (our convention for pods that pass the token by env).
 */
export function inClusterPossible(where: InClusterEnvironment): boolean {
  const { env } = where
  if (nonEmpty(env.KUBERNETES_SERVICE_HOST) === undefined || nonEmpty(env.KUBERNETES_SERVICE_PORT) === undefined) {
    return false
  }
  return nonEmpty(env.KUBERNETES_SERVICE_TOKEN) !== undefined || 'text' in tryRead(where.readFile, tokenPath(where))
}

/**
 * Whether anything hints at a pod: then a failed in-cluster load is worth reporting as such rather than as "no
 * configuration at all".
 */
export function inClusterAttempted(where: InClusterEnvironment): boolean {
  const { env } = where
  return (
    nonEmpty(env.KUBERNETES_SERVICE_HOST) !== undefined ||
    nonEmpty(env.KUBERNETES_SERVICE_PORT) !== undefined ||
    nonEmpty(env.KUBERNETES_SERVICE_TOKEN) !== undefined ||
    'text' in tryRead(where.readFile, tokenPath(where))
  )
}

const tokenPath = (where: InClusterEnvironment): string => join(where.serviceAccountDir, 'token')

/**
 * The namespace a pod runs in (inClusterClientConfig.Namespace): POD_NAMESPACE from the downward API, else the
 * service account's namespace file, else "default".
 */
export function inClusterNamespace(where: InClusterEnvironment): string {
  const fromEnv = nonEmpty(where.env.POD_NAMESPACE)
  if (fromEnv !== undefined) return fromEnv
  const file = tryRead(where.readFile, join(where.serviceAccountDir, 'namespace'))
  return ('text' in file ? nonEmpty(file.text.trim()) : undefined) ?? 'default'
}

/**
 * rest.InClusterConfig plus the flags clientcmd lets through in a pod: --token and --certificate-authority replace
 * the service account's, and -n beats the pod's namespace. We also honour --as/--as-group/--as-uid, which
 * kubectl drops in a pod (kubernetes/kubernetes#116640 was never merged): refusing them silently helps nobody.
 * --server never reaches here: a server makes the flags a complete configuration of their own.
 */
export function inClusterConnection(
  flags: KubeFlags,
  where: InClusterEnvironment,
  requestTimeoutMs: number,
): ResolvedConnection {
  const { env } = where
  const host = nonEmpty(env.KUBERNETES_SERVICE_HOST)
  const port = nonEmpty(env.KUBERNETES_SERVICE_PORT)
  if (host === undefined || port === undefined) {
    throw new SuiteError(
      'config',
      'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined',
      { hint: IN_CLUSTER_HINT },
    )
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new SuiteError(
      'config',
      `unable to load in-cluster configuration: KUBERNETES_SERVICE_PORT ${JSON.stringify(port)} is not a port number`,
      { hint: IN_CLUSTER_HINT },
    )
  }
  const user: ResolvedConnection['user'] = { name: 'in-cluster', impersonateGroups: flags.asGroup ?? [] }
  const envToken = nonEmpty(env.KUBERNETES_SERVICE_TOKEN)
  const tokenFile = tokenPath(where)
  if (flags.token !== undefined && flags.token !== '') user.token = flags.token
  else if (envToken !== undefined) user.token = envToken
  else {
    const read = tryRead(where.readFile, tokenFile)
    if ('error' in read) {
      throw new SuiteError(
        'config',
        `unable to load in-cluster configuration: cannot read the service account token ${tokenFile}: ${readFailure(read.error)}`,
        { hint: 'mount the service account token (automountServiceAccountToken), or set KUBERNETES_SERVICE_TOKEN' },
      )
    }
    // The transport re-reads the file, so a rotated projected token is picked up.
    user.tokenFile = tokenFile
  }
  if (flags.as !== undefined && flags.as !== '') user.impersonate = flags.as
  if (flags.asUid !== undefined && flags.asUid !== '') user.impersonateUid = flags.asUid
  const caFile = flags.certificateAuthority ?? join(where.serviceAccountDir, 'ca.crt')
  const ca = tryRead(where.readFile, caFile)
  const cluster: ResolvedConnection['cluster'] = {
    name: 'in-cluster',
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    insecureSkipTlsVerify: false,
    disableCompression: flags.disableCompression === true,
  }
  if ('text' in ca) cluster.caFile = caFile
  else if (flags.certificateAuthority !== undefined) {
    throw new SuiteError('config', `unable to read certificate-authority ${caFile}: ${readFailure(ca.error)}`, {
      hint: 'pass a readable PEM file to --certificate-authority',
    })
  }
  // Without ca.crt client-go logs an error and falls back to the system roots; so do we, silently.
  return {
    contextName: undefined,
    cluster,
    user,
    namespace: nonEmpty(flags.namespace) ?? inClusterNamespace(where),
    source: 'in-cluster',
    requestTimeoutMs,
  }
}
