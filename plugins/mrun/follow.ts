import type { Io } from '../../shared/cli/io.ts'
import { SuiteError } from '../../shared/errors.ts'
import type { Kube } from '../../shared/kube/connect.ts'
import { resourcePath } from '../../shared/kube/paths.ts'
import { deleteObject, podLogs, runPods } from './collect.ts'
import { type Informer, inform, informEvents, Pulse, type Watched } from './informer.ts'
import { type IndexedJobLike, podRefusal, podStall, type Refusal, stallHint } from './jobs-model.ts'
import { finishedCondition, formatDuration, LABEL_RUN_ID, type PodLike, podIndex, summarizeRun } from './model.ts'
import { progress } from './progress.ts'
import { type EventLike, newestFirst } from './storage-model.ts'

/** Following runs: log streams per pod, and waiting for the Job to end, through watches. */

function prefixer(prefix: string, write: (text: string) => void): { push(text: string): void; end(): void } {
  let pending = ''
  return {
    push(text) {
      pending += text
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) write(`${prefix}${line}\n`)
    },
    end() {
      if (pending !== '') write(`${prefix}${pending}\n`)
      pending = ''
    },
  }
}

const podStarted = (pod: PodLike): boolean => pod.status?.phase !== undefined && pod.status.phase !== 'Pending'

function prefixOf(pod: PodLike, many: boolean): string {
  if (!many) return ''
  const index = podIndex(pod)
  return index === undefined ? `[${pod.metadata?.name}] ` : `[${index}] `
}

export interface SuperviseOptions {
  namespace: string
  name: string
  runId: string
  io: Io
  signal: AbortSignal
  /** Stream the logs of the run's pods (of one index with `index`) as they start. */
  follow: boolean
  index: number | undefined
  /** Watch for what never finishes, show a spinner, print the end line, fail on a failed run. */
  wait: boolean
  /** Give up after this long in all (exit 1 with the reason); undefined: no limit while the run makes progress. */
  timeoutMs?: number | undefined
  /** Printed as a warning at once when something keeps the run from finishing. */
  warn?: (line: string) => void
  /** What the messages call it: "run NAME" by default. */
  what?: string
  /** The spinner's first text. */
  spinnerText?: string
}

/** How long a run that cannot start is waited for when no --timeout is given. */
export const STALL_TIMEOUT_MS = 5 * 60_000

interface RunObjects {
  job: Informer<IndexedJobLike & Watched>
  pods: Informer<PodLike & Watched>
  events: Informer<EventLike & Watched>
}

function watchRunObjects(
  kube: Kube,
  options: { namespace: string; name: string; runId: string },
  signal: AbortSignal,
  pulse: Pulse,
): RunObjects {
  const { namespace, name } = options
  return {
    job: inform(
      kube,
      {
        path: resourcePath({ group: 'batch', version: 'v1', plural: 'jobs', namespace }),
        resource: 'jobs',
        namespace,
        fieldSelector: `metadata.name=${name}`,
        signal,
      },
      pulse,
    ),
    pods: inform(
      kube,
      {
        path: resourcePath({ plural: 'pods', namespace }),
        resource: 'pods',
        namespace,
        labelSelector: `${LABEL_RUN_ID}=${options.runId}`,
        signal,
      },
      pulse,
    ),
    events: informEvents(kube, { namespace, kind: 'Job', name, signal }, pulse),
  }
}

/**
 * The Job controller's newest FailedCreate, as a policy refusal, while it still holds: no pod of the run was created
 * after it (a quota that freed up lets the next pod through).
 */
function activeRefusal(objects: RunObjects, namespace: string): Refusal | undefined {
  const failed = newestFirst(objects.events.items().filter((e) => e.reason === 'FailedCreate'))[0]
  if (failed === undefined) return undefined
  const at = failed.lastTimestamp ?? failed.eventTime ?? failed.metadata?.creationTimestamp ?? ''
  const newestPod = objects.pods
    .items()
    .map((p) => p.metadata?.creationTimestamp ?? '')
    .sort()
    .at(-1)
  if (newestPod !== undefined && newestPod > at) return undefined
  return podRefusal(failed.message ?? '', namespace)
}

const transientLine = (refusal: Refusal): string => `${refusal.policy} refuses the pods for now: ${refusal.detail}`

function refusalError(what: string, refusal: Refusal): SuiteError {
  return new SuiteError(
    'forbidden',
    `${what} cannot start its pods: ${refusal.policy} refuses them: ${refusal.detail}`,
    {
      hint: refusal.hint,
    },
  )
}

/**
 * After the Job is created: waits (a few seconds at most) until its first pod exists or the Job controller reports
 * that an admission policy refuses the pods. A refusal that waiting cannot fix (PodSecurity, LimitRange, a quota
 * that requires limits) is an error naming the policy, and the Job is removed (it could never run); a quota that is
 * only full right now is a warning.
 */
export async function checkPodsAdmitted(
  kube: Kube,
  options: { namespace: string; name: string; runId: string; signal: AbortSignal; warn: (line: string) => void },
  withinMs = 15_000,
): Promise<void> {
  const stop = new AbortController()
  const signal = AbortSignal.any([options.signal, stop.signal])
  const pulse = new Pulse()
  const objects = watchRunObjects(kube, options, signal, pulse)
  const deadline = Date.now() + withinMs
  try {
    while (Date.now() < deadline) {
      await pulse.next(Math.max(1, deadline - Date.now()))
      options.signal.throwIfAborted()
      // Events only explain; a user who may not read them still follows the run.
      const failure = objects.job.failure() ?? objects.pods.failure()
      if (failure !== undefined) throw failure
      // A pod exists, or the Job is held back on purpose (suspended, e.g. by a queue): nothing to check yet.
      if (objects.pods.items().length > 0 || objects.job.items()[0]?.spec?.suspend === true) return
      const refusal = activeRefusal(objects, options.namespace)
      if (refusal === undefined) continue
      if (!refusal.permanent) {
        options.warn(transientLine(refusal))
        return
      }
      await deleteObject(kube, 'jobs', options.namespace, options.name, new AbortController().signal)
      const error = refusalError(`run ${options.name}`, refusal)
      throw new SuiteError(error.kind, error.message, { hint: `${error.hint}; the Job was removed` })
    }
  } finally {
    stop.abort()
  }
}

/**
 * Follows a run through watches on its Job, pods and the Job's events (the server pushes each change; nothing
 * polls): streams the logs of pods as they start (`follow`), and with `wait` warns at once about what will never
 * finish by itself (the scheduler's Unschedulable message, an image that cannot be pulled, a policy refusing pods),
 * gives up on it after `timeoutMs` (5 minutes without) and on any run after `timeoutMs`, each with exit 1 and the
 * reason, and fails when the run failed.
 */
export async function superviseRun(kube: Kube, options: SuperviseOptions): Promise<IndexedJobLike | undefined> {
  const { namespace, io, name } = options
  const what = options.what ?? `run ${name}`
  const stop = new AbortController()
  const signal = AbortSignal.any([options.signal, stop.signal])
  const pulse = new Pulse()
  const objects = watchRunObjects(kube, options, signal, pulse)
  const followed = new Set<string>()
  const streams: Promise<void>[] = []
  const warned = new Set<string>()
  const startedAt = Date.now()
  const stallLimit = options.timeoutMs ?? STALL_TIMEOUT_MS
  let stalledSince: number | undefined
  const spinnerText = options.spinnerText ?? `waiting for ${what}`
  let spinner = options.wait && !options.follow ? progress(io, spinnerText) : undefined
  let spinnerLine = spinnerText
  const warn = (line: string): void => {
    // The spinner's line is cleared first, so a warning never lands on it; then it starts again below.
    spinner?.stop()
    if (options.warn !== undefined) options.warn(line)
    else io.err.write(`Warning: ${line}\n`)
    if (spinner !== undefined) {
      spinner = progress(io, spinnerLine)
    }
  }
  let job: IndexedJobLike | undefined
  try {
    for (;;) {
      await pulse.next(1000)
      if (options.signal.aborted) {
        if (options.wait) options.signal.throwIfAborted()
        break
      }
      // Events only explain; a user who may not read them still follows the run.
      const failure = objects.job.failure() ?? objects.pods.failure()
      if (failure !== undefined) throw failure
      if (!objects.job.synced() || !objects.pods.synced()) continue
      job = objects.job.items()[0]
      if (job === undefined)
        throw new SuiteError('not-found', `${what} was deleted in namespace "${namespace}" while we waited`)
      const sweep = job.spec?.completionMode === 'Indexed' && options.index === undefined
      const pods = objects.pods.items().filter((p) => options.index === undefined || podIndex(p) === options.index)
      if (options.follow)
        for (const pod of pods) {
          const podName = pod.metadata?.name ?? ''
          if (followed.has(podName) || !podStarted(pod)) continue
          followed.add(podName)
          streams.push(streamPod(kube, pod, { namespace, io, signal: options.signal, many: sweep }))
        }
      if (finishedCondition(job) !== undefined) break
      if (!options.wait) continue
      const refusal = activeRefusal(objects, namespace)
      if (refusal?.permanent === true) throw refusalError(what, refusal)
      const stalls = [
        ...(refusal === undefined ? [] : [transientLine(refusal)]),
        ...pods.map(podStall).filter((line): line is string => line !== undefined),
      ]
      for (const line of stalls)
        if (!warned.has(line)) {
          warned.add(line)
          warn(line)
        }
      const now = Date.now()
      // A pod still running is progress: a sweep whose later points wait for quota or room is not stuck.
      const progressing = pods.some((p) => p.status?.phase === 'Running')
      stalledSince = stalls.length === 0 || progressing ? undefined : (stalledSince ?? now)
      const overall = options.timeoutMs !== undefined && now - startedAt >= options.timeoutMs
      if (stalledSince !== undefined && (overall || now - stalledSince >= stallLimit))
        throw new SuiteError('internal', `${what} will not finish: ${stalls[0]}`, {
          hint: `gave up after ${formatDuration(overall ? (options.timeoutMs as number) : stallLimit)}; ${refusal !== undefined && stalls[0] === transientLine(refusal) ? refusal.hint : stallHint(stalls[0] as string, name, namespace)}`,
        })
      if (overall) {
        const summary = summarizeRun(job)
        throw new SuiteError(
          'internal',
          `${what} did not finish within ${formatDuration(options.timeoutMs as number)}: ${summary.phase}${summary.counts === undefined ? '' : ` ${summary.counts}`}`,
          {
            hint: `it goes on in the cluster: kubectl mrun status ${name} -n ${namespace}, or kubectl mrun delete ${name}`,
          },
        )
      }
      const summary = summarizeRun(job)
      spinnerLine = `${what}: ${summary.phase}${summary.counts === undefined ? '' : ` ${summary.counts}`}`
      spinner?.update(spinnerLine)
    }
  } finally {
    // Cleared before any message, so the final line never lands on the spinner's.
    spinner?.stop()
    if (options.signal.aborted || job === undefined || finishedCondition(job) === undefined) stop.abort()
  }
  await Promise.all(streams)
  stop.abort()
  return job
}

/** Waits for a run (following its logs with `follow`) and says how it ended; a failed run is exit 1 with the reason. */
export async function waitForRun(kube: Kube, options: Omit<SuperviseOptions, 'wait'>): Promise<void> {
  const { name, namespace, io } = options
  const job = await superviseRun(kube, { ...options, wait: true })
  if (job === undefined) return
  const finished = finishedCondition(job)
  const summary = summarizeRun(job)
  if (finished?.type === 'Failed') {
    const failedIndexes = (job as IndexedJobLike).status?.failedIndexes
    throw new SuiteError(
      'internal',
      `run ${name} failed (${finished.reason ?? 'Failed'}${failedIndexes === undefined || failedIndexes === '' ? '' : `: index ${failedIndexes} of ${summary.completions} failed`})`,
      { hint: `see why with kubectl mrun status ${name} -n ${namespace}` },
    )
  }
  io.err.write(`run ${name} ${summary.phase}${summary.counts === undefined ? '' : ` ${summary.counts}`}\n`)
}

function streamPod(
  kube: Kube,
  pod: PodLike,
  options: { namespace: string; io: Io; signal: AbortSignal; many: boolean },
): Promise<void> {
  const out = prefixer(prefixOf(pod, options.many), (text) => options.io.out.write(text))
  return (async () => {
    const stream = await podLogs(kube, options.namespace, pod.metadata?.name ?? '', {
      follow: true,
      signal: options.signal,
    })
    if (typeof stream === 'string') out.push(stream)
    else
      try {
        for await (const chunk of stream) out.push(String(chunk))
      } catch (error) {
        if (!options.signal.aborted) throw error
      }
    out.end()
  })()
}

/**
 * Streams the logs of every pod of a run (or of one index) as they start, each line prefixed with its index in a
 * sweep, until the Job has finished and every stream has ended.
 */
export function followRun(
  kube: Kube,
  options: { namespace: string; name: string; runId: string; io: Io; signal: AbortSignal; index: number | undefined },
): Promise<void> {
  return superviseRun(kube, { ...options, follow: true, wait: false }).then(() => undefined)
}

/** Logs of every pod (or one index) as they are now, prefixed per index in a sweep. */
export async function printLogs(
  kube: Kube,
  options: { namespace: string; runId: string; io: Io; signal: AbortSignal; index: number | undefined; sweep: boolean },
): Promise<number> {
  const pods = (await runPods(kube, options.namespace, options.runId, options.signal))
    .filter((p) => options.index === undefined || podIndex(p) === options.index)
    .filter(podStarted)
    .sort((a, b) => (podIndex(a) ?? 0) - (podIndex(b) ?? 0))
  for (const pod of pods) {
    const text = await podLogs(kube, options.namespace, pod.metadata?.name ?? '', {
      follow: false,
      signal: options.signal,
    })
    const out = prefixer(prefixOf(pod, options.sweep && options.index === undefined), (t) => options.io.out.write(t))
    out.push(typeof text === 'string' ? text : '')
    out.end()
  }
  return pods.length
}
