import { type Grid, gridPoint, type Params, type ParamValue } from './model.ts'

/**
 * `mrun results`: one row per point of a run (every index of a sweep, or the one pod of a single run) with its
 * parameters, state, duration and the metrics it reported. Pure: the API and the claim are read in
 * results-collect.ts. This is what mrunner left to Neptune.
 */

export type MetricValue = string | number | boolean | null
export type Metrics = Record<string, MetricValue>

/** Where a point's metrics came from: its metrics.json, its log, or nowhere yet. */
export type MetricsSource = 'metrics.json' | 'log' | 'none'

export type PointState = 'succeeded' | 'failed' | 'running' | 'pending' | 'not started'

/** What results reads of a pod: its index, phase, and the main container's times and exit. */
export interface ResultPod {
  metadata?: { name?: string; annotations?: Record<string, string>; creationTimestamp?: string }
  status?: {
    phase?: string
    startTime?: string
    containerStatuses?: {
      name: string
      state?: {
        running?: { startedAt?: string }
        terminated?: { exitCode?: number; reason?: string; startedAt?: string; finishedAt?: string }
        waiting?: { reason?: string }
      }
    }[]
  }
}

export interface ResultRow {
  index: number
  params: Params
  state: PointState
  exitCode: number | undefined
  /** Why it failed or waits (OOMKilled, ImagePullBackOff), '' otherwise. */
  reason: string
  /** Milliseconds the main container ran (so far, if it still runs); undefined before it started. */
  durationMs: number | undefined
  metrics: Metrics
  source: MetricsSource
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

/**
 * The last JSON object in a text: the whole text when it is one object (metrics.json rewritten at every epoch), else
 * the last line that is one (metrics.json appended to as JSON lines, or a log that prints its metrics as JSON).
 * Lines that are not JSON objects (progress bars, warnings, arrays, numbers) are skipped.
 */
export function lastJsonObject(text: string): Record<string, unknown> | undefined {
  const whole = text.trim()
  if (whole === '') return undefined
  try {
    const value: unknown = JSON.parse(whole)
    if (isPlainObject(value)) return value
  } catch {
    // Not one document: look at its lines.
  }
  const lines = whole.split(/\r?\n/)
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] as string).trim()
    if (!line.startsWith('{') || !line.endsWith('}')) continue
    try {
      const value: unknown = JSON.parse(line)
      if (isPlainObject(value)) return value
    } catch {
      // A line that only looks like an object.
    }
  }
  return undefined
}

/**
 * Metrics as flat name → scalar: nested objects become dotted names (`val.loss`), lists and other values are kept
 * as their JSON text, so every metric is one column and one sortable value.
 */
export function flattenMetrics(object: Record<string, unknown>, prefix = ''): Metrics {
  const out: Metrics = {}
  for (const [key, value] of Object.entries(object)) {
    const name = `${prefix}${key}`
    if (isPlainObject(value)) Object.assign(out, flattenMetrics(value, `${name}.`))
    else if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      out[name] = value
    else out[name] = JSON.stringify(value)
  }
  return out
}

function mainStatus(pod: ResultPod) {
  const statuses = pod.status?.containerStatuses ?? []
  return statuses.find((c) => c.name === 'main') ?? statuses[0]
}

const time = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms
}

/** A pod's completion index (0 for the one pod of a single run). */
export function resultIndex(pod: ResultPod): number {
  const text = pod.metadata?.annotations?.['batch.kubernetes.io/job-completion-index']
  return text === undefined || !/^\d+$/.test(text) ? 0 : Number(text)
}

/** The pod that speaks for each index: the newest (a retry replaces the attempt before it). */
export function latestPodPerIndex(pods: readonly ResultPod[]): Map<number, ResultPod> {
  const latest = new Map<number, ResultPod>()
  for (const pod of pods) {
    const index = resultIndex(pod)
    const seen = latest.get(index)
    const created = pod.metadata?.creationTimestamp ?? ''
    const seenCreated = seen?.metadata?.creationTimestamp ?? ''
    if (
      seen === undefined ||
      created > seenCreated ||
      (created === seenCreated && (pod.metadata?.name ?? '') > (seen.metadata?.name ?? ''))
    )
      latest.set(index, pod)
  }
  return latest
}

function podState(pod: ResultPod | undefined, now: Date): Omit<ResultRow, 'index' | 'params' | 'metrics' | 'source'> {
  if (pod === undefined) return { state: 'not started', exitCode: undefined, reason: '', durationMs: undefined }
  const main = mainStatus(pod)
  const terminated = main?.state?.terminated
  const phase = pod.status?.phase
  const state: PointState =
    phase === 'Succeeded' ? 'succeeded' : phase === 'Failed' ? 'failed' : phase === 'Running' ? 'running' : 'pending'
  const started = time(terminated?.startedAt ?? main?.state?.running?.startedAt)
  const finished = time(terminated?.finishedAt)
  const durationMs =
    started === undefined
      ? undefined
      : Math.max(0, (finished ?? (terminated === undefined ? now.getTime() : started)) - started)
  const reason =
    terminated !== undefined && terminated.reason !== 'Completed'
      ? (terminated.reason ?? (terminated.exitCode === 0 ? '' : 'Error'))
      : (main?.state?.waiting?.reason ?? '')
  return { state, exitCode: terminated?.exitCode, reason, durationMs }
}

/**
 * The rows of a run: every index from 0 to points-1 (a point with no pod yet is "not started"), its parameters
 * from the grid (or the single run's parameters), and its metrics: metrics.json's last object if the point wrote
 * one, else the last JSON object line of its log.
 */
export function resultRows(input: {
  points: number
  /** The sweep's grid (from its ConfigMap), or undefined for a single run. */
  grid: Grid | undefined
  /** A single run's parameters (its mrun/params annotation). */
  params: Params
  pods: readonly ResultPod[]
  /** Each index's metrics.json text, for the points that wrote one. */
  metricsFiles: ReadonlyMap<number, string>
  /** Each index's log text, for the points without metrics.json. */
  logs: ReadonlyMap<number, string>
  now: Date
}): ResultRow[] {
  const latest = latestPodPerIndex(input.pods)
  const rows: ResultRow[] = []
  for (let index = 0; index < input.points; index++) {
    const fromFile = input.metricsFiles.has(index) ? lastJsonObject(input.metricsFiles.get(index) as string) : undefined
    const fromLog =
      fromFile === undefined && input.logs.has(index) ? lastJsonObject(input.logs.get(index) as string) : undefined
    const found = fromFile ?? fromLog
    rows.push({
      index,
      params: input.grid === undefined ? input.params : gridPoint(input.grid, index),
      ...podState(latest.get(index), input.now),
      metrics: found === undefined ? {} : flattenMetrics(found),
      source: fromFile !== undefined ? 'metrics.json' : fromLog !== undefined ? 'log' : 'none',
    })
  }
  return rows
}

/**
 * Every parameter and metric name over all rows, in first-seen order (the order a point wrote them). A metric that
 * only repeats a parameter (scripts often log their config with their metrics) is left out when every point reports
 * the same value as its parameter; one that differs somewhere stays, as its own column.
 */
export function columnNames(rows: readonly ResultRow[]): { params: string[]; metrics: string[] } {
  const params = new Set<string>()
  const metrics = new Set<string>()
  for (const row of rows) {
    for (const key of Object.keys(row.params)) params.add(key)
    for (const key of Object.keys(row.metrics)) metrics.add(key)
  }
  const repeats = (name: string): boolean =>
    params.has(name) &&
    rows.every((row) => !(name in row.metrics) || String(row.metrics[name]) === String(row.params[name]))
  return { params: [...params], metrics: [...metrics].filter((name) => !repeats(name)) }
}

/** What --sort-by may name: a metric, a parameter, or index, state, duration. */
export const BUILTIN_SORT_KEYS = ['index', 'state', 'duration'] as const

export type SortKey =
  | { kind: 'builtin'; name: (typeof BUILTIN_SORT_KEYS)[number] }
  | { kind: 'metric' | 'param'; name: string }

/**
 * Resolves --sort-by: a metric first (what a researcher sorts a sweep by), then a parameter, then index, state or
 * duration. A leading `-` sorts descending is handled by the caller. Undefined when the name is none of them.
 */
export function sortKey(name: string, rows: readonly ResultRow[]): SortKey | undefined {
  const { params, metrics } = columnNames(rows)
  if (metrics.includes(name)) return { kind: 'metric', name }
  if (params.includes(name)) return { kind: 'param', name }
  const builtin = BUILTIN_SORT_KEYS.find((key) => key === name)
  return builtin === undefined ? undefined : { kind: 'builtin', name: builtin }
}

type Comparable = number | string | boolean | null | undefined

function sortValue(row: ResultRow, key: SortKey): Comparable {
  if (key.kind === 'metric') return row.metrics[key.name]
  if (key.kind === 'param') return row.params[key.name] as ParamValue | undefined
  if (key.name === 'index') return row.index
  if (key.name === 'duration') return row.durationMs
  return row.state
}

/** Numbers before text, each in its natural order; a missing value (a point that reported nothing) always last. */
function compare(a: Comparable, b: Comparable): number {
  const missingA = a === undefined || a === null
  const missingB = b === undefined || b === null
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'number') return -1
  if (typeof b === 'number') return 1
  return String(a).localeCompare(String(b), 'en', { numeric: true })
}

/** Rows sorted by one key, ties by index; missing values stay last in either direction. */
export function sortRows(rows: readonly ResultRow[], key: SortKey, descending: boolean): ResultRow[] {
  return [...rows].sort((x, y) => {
    const a = sortValue(x, key)
    const b = sortValue(y, key)
    const missing = a === undefined || a === null || b === undefined || b === null
    const order = missing ? compare(a, b) : descending ? compare(b, a) : compare(a, b)
    return order !== 0 ? order : x.index - y.index
  })
}
