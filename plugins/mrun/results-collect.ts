import { SuiteError } from '../../shared/errors.ts'
import type { Kube } from '../../shared/kube/connect.ts'
import { execCapture } from '../../shared/kube/exec.ts'
import { resourcePath } from '../../shared/kube/paths.ts'
import { withClaimPod } from '../../shared/volume/claim-pod.ts'
import { getObject, runPods } from './collect.ts'
import {
  ANNOTATION_GRID,
  ANNOTATION_PARAMS,
  type Grid,
  type JobLike,
  LABEL_RUN_ID,
  MANAGED_BY,
  type Params,
  runOutputPath,
  STORAGE_CLAIM,
} from './model.ts'
import { latestPodPerIndex, type ResultPod } from './results.ts'

/** API and claim I/O of `mrun results`: the run's grid, its pods, their metrics.json files and their logs. */

/** The most of one metrics.json that is read (its end: the last object is what counts). */
const METRICS_TAIL_BYTES = 1024 * 1024
/** The most log lines read per point when it wrote no metrics.json. */
export const LOG_TAIL_LINES = 1000
/** Points whose logs are read at once. */
const LOG_CONCURRENCY = 8

const RECORD = '\x1e'
const UNIT = '\x1f'

/**
 * Prints every metrics.json of a run's output folder: `<RS>name<US>` then the file's last bytes. $1 is the folder;
 * a run that wrote nothing has none and prints nothing. Plain POSIX sh, tail and printf (busybox has them).
 */
const LIST_METRICS = `cd "$1" 2>/dev/null || exit 0
for f in metrics.json [0-9]*/metrics.json; do
  [ -f "$f" ] || continue
  printf '\\036%s\\037' "$f"
  tail -c ${METRICS_TAIL_BYTES} "$f"
done`

/** The script's output → index → text (a sweep's files are <index>/metrics.json; a single run's is metrics.json). */
export function parseMetricsListing(output: string, sweep: boolean): Map<number, string> {
  const files = new Map<number, string>()
  for (const record of output.split(RECORD)) {
    const cut = record.indexOf(UNIT)
    if (cut < 0) continue
    const name = record.slice(0, cut)
    const match = sweep ? /^(\d+)\/metrics\.json$/.exec(name) : name === 'metrics.json' ? ['', '0'] : null
    if (match === null) continue
    files.set(Number(match[1]), record.slice(cut + 1))
  }
  return files
}

export interface RunResultsInput {
  sweep: boolean
  points: number
  grid: Grid | undefined
  params: Params
  pods: ResultPod[]
  metricsFiles: Map<number, string>
  logs: Map<number, string>
  /** Why metrics.json files could not be read (the claim is gone, not bound…), shown once as a warning. */
  metricsProblem: string | undefined
}

function parseJson<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as T
  } catch {
    return undefined
  }
}

async function readGrid(kube: Kube, namespace: string, job: JobLike, signal: AbortSignal): Promise<Grid | undefined> {
  const name = job.metadata?.annotations?.[ANNOTATION_GRID]
  if (name === undefined) return undefined
  const map = await getObject<{ data?: Record<string, string> }>(kube, 'configmaps', namespace, name, signal)
  const grid = parseJson<Grid>(map?.data?.['grid.json'])
  return grid !== undefined && Array.isArray(grid.axes) && typeof grid.fixed === 'object' ? grid : undefined
}

/** Every metrics.json of the run, read through a pod that mounts the claim (a running point, else a helper). */
async function readMetricsFiles(
  kube: Kube,
  options: { namespace: string; runId: string; sweep: boolean; signal: AbortSignal; log: (line: string) => void },
): Promise<Map<number, string>> {
  const output = await withClaimPod(
    kube,
    {
      namespace: options.namespace,
      claim: STORAGE_CLAIM,
      write: false,
      managedBy: MANAGED_BY,
      signal: options.signal,
      log: options.log,
      // A running point's image may lack sh or tail (distroless): then a helper pod reads the files.
      probe: async (access) => {
        const probe = await execCapture(kube, {
          namespace: options.namespace,
          pod: access.pod,
          container: access.container,
          command: ['sh', '-c', 'command -v tail >/dev/null'],
          signal: options.signal,
        }).catch(() => undefined)
        return probe?.exitCode === 0 ? undefined : 'has no sh or tail'
      },
    },
    async (access) => {
      const dir = `${access.mountPath.replace(/\/+$/, '')}/${runOutputPath(options.runId)}`
      const result = await execCapture(kube, {
        namespace: options.namespace,
        pod: access.pod,
        container: access.container,
        command: ['sh', '-c', LIST_METRICS, 'sh', dir],
        signal: options.signal,
      })
      if (result.exitCode !== 0)
        throw new SuiteError(
          'internal',
          `reading metrics.json files in pod ${access.pod} failed: ${result.stderr.trim() || result.message}`,
        )
      return result.stdout.toString('utf8')
    },
  )
  return parseMetricsListing(output, options.sweep)
}

async function tailLog(kube: Kube, namespace: string, pod: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    return await kube.transport.text({
      path: resourcePath({ plural: 'pods', namespace, name: pod, subresource: 'log' }),
      query: { container: 'main', tailLines: String(LOG_TAIL_LINES) },
      context: { verb: 'get', resource: 'pods/log', namespace, name: pod },
      signal,
    })
  } catch (error) {
    // A pod still pulling its image, or gone since the list: it reported nothing yet.
    if (error instanceof SuiteError && (error.status === 400 || error.status === 404)) return undefined
    throw error
  }
}

/** Everything results needs of one run: its points, their pods, and what each point reported. */
export async function collectResults(
  kube: Kube,
  options: { namespace: string; job: JobLike; signal: AbortSignal; log: (line: string) => void },
): Promise<RunResultsInput> {
  const { namespace, job, signal } = options
  const runId = job.metadata?.labels?.[LABEL_RUN_ID] ?? ''
  const sweep = job.spec?.completionMode === 'Indexed'
  const points = sweep ? (job.spec?.completions ?? 1) : 1
  const [grid, pods] = await Promise.all([
    sweep ? readGrid(kube, namespace, job, signal) : Promise.resolve(undefined),
    runPods(kube, namespace, runId, signal) as Promise<ResultPod[]>,
  ])
  const params = parseJson<Params>(job.metadata?.annotations?.[ANNOTATION_PARAMS]) ?? {}
  let metricsFiles = new Map<number, string>()
  let metricsProblem: string | undefined
  try {
    metricsFiles = await readMetricsFiles(kube, { namespace, runId, sweep, signal, log: options.log })
  } catch (error) {
    if (signal.aborted || !(error instanceof SuiteError) || error.kind === 'internal') throw error
    metricsProblem = error.message
  }
  // Logs only for the points that wrote no metrics.json, newest pod of each.
  const latest = latestPodPerIndex(pods)
  const wanted = [...latest.entries()].filter(
    ([index, pod]) => !metricsFiles.has(index) && pod.status?.phase !== 'Pending' && pod.metadata?.name !== undefined,
  )
  const logs = new Map<number, string>()
  for (let i = 0; i < wanted.length; i += LOG_CONCURRENCY) {
    const batch = wanted.slice(i, i + LOG_CONCURRENCY)
    const texts = await Promise.all(
      batch.map(([, pod]) => tailLog(kube, namespace, pod.metadata?.name as string, signal)),
    )
    batch.forEach(([index], k) => {
      const text = texts[k]
      if (text !== undefined) logs.set(index, text)
    })
  }
  return { sweep, points, grid, params, pods, metricsFiles, logs, metricsProblem }
}
