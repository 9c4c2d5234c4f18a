import { SuiteError } from '../errors.ts'

/**
 * metrics.k8s.io is optional in every plugin: a cluster without metrics-server, a user without rights to it or a
 * slow aggregated API must cost a warning and `-` cells, never the command.
 */

/** How long the optional metrics API may take before usage shows "-" (metrics-server answers in milliseconds). */
export const METRICS_TIMEOUT_MS = 5_000

export interface MetricsResult<T> {
  value: T | undefined
  /** Why usage is missing, in one line, when it is. */
  warning: string | undefined
}

export function metricsWarning(error: SuiteError): string {
  const reason =
    error.status === 404
      ? 'the metrics API (metrics.k8s.io) is not available: is metrics-server installed?'
      : error.status === 403
        ? `the metrics API is forbidden for this user: ${error.message}`
        : `the metrics API did not answer: ${error.message}`
  return `usage columns show "-": ${reason}`
}

/** Runs a metrics read; API and network failures become a warning, Ctrl-C and bugs still end the command. */
export async function optionalMetrics<T>(read: () => Promise<T>): Promise<MetricsResult<T>> {
  try {
    return { value: await read(), warning: undefined }
  } catch (error) {
    if (!(error instanceof SuiteError) || error.kind === 'interrupted') throw error
    return { value: undefined, warning: metricsWarning(error) }
  }
}
