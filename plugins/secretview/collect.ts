import type { V1Pod, V1Secret, V1ServiceAccount } from '@kubernetes/client-node'
import { SuiteError } from '../../shared/errors.ts'
import type { Kube } from '../../shared/kube/connect.ts'
import { listAll } from '../../shared/kube/list.ts'
import { resourcePath } from '../../shared/kube/paths.ts'

/** The API reads and writes of `kubectl secretview`, through the shared client. */
export async function getSecret(kube: Kube, namespace: string, name: string, signal?: AbortSignal): Promise<V1Secret> {
  try {
    return await kube.transport.json<V1Secret>({
      path: resourcePath({ plural: 'secrets', namespace, name }),
      context: { verb: 'get', resource: 'secrets', namespace, name },
      ...(signal === undefined ? {} : { signal }),
    })
  } catch (error) {
    if (error instanceof SuiteError && error.status === 404)
      throw new SuiteError('not-found', `secret "${name}" not found in namespace "${namespace}"`, {
        status: 404,
        hint: `list the secrets with \`kubectl secretview --all -n ${namespace}\`, or pick another namespace with -n`,
      })
    throw error
  }
}

/** Secrets of a namespace (or every namespace), paginated; sorted by namespace and name as kubectl prints them. */
export async function listSecrets(
  kube: Kube,
  options: {
    namespace: string | undefined
    labelSelector?: string | undefined
    fieldSelector?: string | undefined
    signal?: AbortSignal | undefined
  },
): Promise<V1Secret[]> {
  const { items } = await listAll<V1Secret>(kube.transport, {
    path: resourcePath({ plural: 'secrets', namespace: options.namespace }),
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
    context: { verb: 'list', resource: 'secrets', namespace: options.namespace },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
  return items.sort(
    (a, b) =>
      (a.metadata?.namespace ?? '').localeCompare(b.metadata?.namespace ?? '') ||
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  )
}

export async function listConsumers(
  kube: Kube,
  namespace: string | undefined,
  signal?: AbortSignal,
): Promise<{ pods: V1Pod[]; serviceAccounts: V1ServiceAccount[] }> {
  const signalOption = signal === undefined ? {} : { signal }
  const [pods, serviceAccounts] = await Promise.all([
    listAll<V1Pod>(kube.transport, {
      path: resourcePath({ plural: 'pods', namespace }),
      context: { verb: 'list', resource: 'pods', namespace },
      ...signalOption,
    }),
    listAll<V1ServiceAccount>(kube.transport, {
      path: resourcePath({ plural: 'serviceaccounts', namespace }),
      context: { verb: 'list', resource: 'serviceaccounts', namespace },
      ...signalOption,
    }),
  ])
  return { pods: pods.items, serviceAccounts: serviceAccounts.items }
}

/** Creates (or, with `replace`, updates with optimistic locking) a secret; `serverDryRun` asks the apiserver only. */
export async function writeSecret(
  kube: Kube,
  secret: V1Secret,
  options: { replace: boolean; serverDryRun: boolean },
): Promise<V1Secret> {
  const namespace = secret.metadata?.namespace ?? ''
  const name = secret.metadata?.name ?? ''
  return kube.transport.json<V1Secret>({
    method: options.replace ? 'PUT' : 'POST',
    path: resourcePath({ plural: 'secrets', namespace, ...(options.replace ? { name } : {}) }),
    ...(options.serverDryRun ? { query: { dryRun: 'All' } } : {}),
    body: secret,
    context: { verb: options.replace ? 'update' : 'create', resource: 'secrets', namespace, name },
  })
}

/** The secret if it exists, undefined on 404 (create checks before it writes). */
export async function findSecret(kube: Kube, namespace: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await getSecret(kube, namespace, name)
  } catch (error) {
    if (error instanceof SuiteError && error.kind === 'not-found') return undefined
    throw error
  }
}
