import { SuiteError } from '../../../shared/errors.ts'
import type { Kube } from '../../../shared/kube/connect.ts'
import { collectWorkloads } from '../collect.ts'
import { resolveWorkload, type WorkloadRow, withUsage } from '../model.ts'
import type { PlatformConfig } from '../platform.ts'

/**
 * Finds the workload an `info`/`logs` argument names (id, slug, unique prefix or pod name) in one pod list of the
 * namespace; unknown and ambiguous answers are errors that list what would have matched.
 */
export async function findWorkload(
  cluster: Kube,
  options: {
    query: string
    namespace: string | undefined
    config: PlatformConfig
    metrics: boolean
    chunkSize: number | undefined
    signal: AbortSignal
  },
): Promise<{ rows: WorkloadRow[]; warnings: string[] }> {
  const snapshot = await collectWorkloads(cluster, {
    namespace: options.namespace,
    metrics: options.metrics,
    chunkSize: options.chunkSize,
    config: options.config,
    fallbackNamespaces: [cluster.namespace, ...options.config.namespaces],
    signal: options.signal,
  })
  const rows = snapshot.rows.map((row) => {
    const usage = snapshot.usage?.get(`${row.namespace}/${row.pod}`)
    return usage === undefined ? row : withUsage(row, usage)
  })
  const where = options.namespace === undefined ? 'any namespace' : `namespace "${options.namespace}"`
  const resolution = resolveWorkload(rows, options.query)
  if (resolution.kind === 'none')
    throw new SuiteError('not-found', `no session, deployment or run "${options.query}" in ${where}`, {
      hint:
        options.namespace === undefined
          ? 'list them with `kubectl ae-sessions -A`'
          : `list them with \`kubectl ae-sessions -n ${options.namespace}\`, or look in every namespace with -A`,
    })
  if (resolution.kind === 'ambiguous') {
    const shown = resolution.ids.slice(0, 5).join(', ')
    const more = resolution.ids.length > 5 ? ` and ${resolution.ids.length - 5} more` : ''
    throw new SuiteError('usage', `"${options.query}" matches ${resolution.ids.length} workloads: ${shown}${more}`, {
      hint: 'give more characters of the id, or the full pod name',
    })
  }
  return { rows: resolution.rows, warnings: snapshot.warnings }
}
