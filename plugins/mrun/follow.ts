import type { Io } from '../../shared/cli/io.ts'
import { SuiteError } from '../../shared/errors.ts'
import type { Kube } from '../../shared/kube/connect.ts'
import { findRun, podLogs, runPods } from './collect.ts'
import { finishedCondition, type PodLike, podIndex, summarizeRun } from './model.ts'
import { progress } from './progress.ts'

/** Following runs: log streams per pod, and waiting for the Job to end. */

const POLL_MS = 300

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })

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

const started = (pod: PodLike): boolean => pod.status?.phase !== undefined && pod.status.phase !== 'Pending'

function prefixOf(pod: PodLike, many: boolean): string {
  if (!many) return ''
  const index = podIndex(pod)
  return index === undefined ? `[${pod.metadata?.name}] ` : `[${index}] `
}

/**
 * Streams the logs of every pod of a run (or of one index) as they start, each line prefixed with its index in a
 * sweep, until the Job has finished and every stream has ended.
 */
export async function followRun(
  kube: Kube,
  options: { namespace: string; name: string; runId: string; io: Io; signal: AbortSignal; index: number | undefined },
): Promise<void> {
  const { namespace, io, signal } = options
  const followed = new Set<string>()
  const streams: Promise<void>[] = []
  for (;;) {
    const job = await findRun(kube, namespace, options.name, signal)
    const sweep = job.spec?.completionMode === 'Indexed' && options.index === undefined
    const pods = (await runPods(kube, namespace, options.runId, signal)).filter(
      (p) => options.index === undefined || podIndex(p) === options.index,
    )
    for (const pod of pods) {
      const podName = pod.metadata?.name ?? ''
      if (followed.has(podName) || !started(pod)) continue
      followed.add(podName)
      const out = prefixer(prefixOf(pod, sweep), (text) => io.out.write(text))
      streams.push(
        (async () => {
          const stream = await podLogs(kube, namespace, podName, { follow: true, signal })
          if (typeof stream === 'string') out.push(stream)
          else
            try {
              for await (const chunk of stream) out.push(String(chunk))
            } catch (error) {
              if (!signal.aborted) throw error
            }
          out.end()
        })(),
      )
    }
    if (finishedCondition(job) !== undefined || signal.aborted) break
    await sleep(POLL_MS, signal)
  }
  await Promise.all(streams)
}

/** Waits for the Job to end; a failed run is exit code 1 with the reason. */
export async function waitForRun(
  kube: Kube,
  options: { namespace: string; name: string; io: Io; signal: AbortSignal },
): Promise<void> {
  const spinner = progress(options.io, `waiting for run ${options.name}`)
  let line: string
  try {
    line = await waitLoop(kube, options, spinner.update)
  } finally {
    // Cleared before any message, so the final line never lands on the spinner's.
    spinner.stop()
  }
  options.io.err.write(line)
}

async function waitLoop(
  kube: Kube,
  options: { namespace: string; name: string; io: Io; signal: AbortSignal },
  update: (text: string) => void,
): Promise<string> {
  for (;;) {
    const job = await findRun(kube, options.namespace, options.name, options.signal)
    const finished = finishedCondition(job)
    if (finished === undefined) {
      const now = summarizeRun(job)
      update(`run ${options.name}: ${now.phase}${now.counts === undefined ? '' : ` ${now.counts}`}`)
    }
    if (finished !== undefined) {
      const summary = summarizeRun(job)
      if (finished.type === 'Failed')
        throw new SuiteError('internal', `run ${options.name} failed (${finished.reason ?? 'Failed'})`, {
          hint: `see why with kubectl mrun status ${options.name} -n ${options.namespace}`,
        })
      return `run ${options.name} ${summary.phase}${summary.counts === undefined ? '' : ` ${summary.counts}`}\n`
    }
    options.signal.throwIfAborted()
    await sleep(POLL_MS, options.signal)
  }
}

/** Logs of every pod (or one index) as they are now, prefixed per index in a sweep. */
export async function printLogs(
  kube: Kube,
  options: { namespace: string; runId: string; io: Io; signal: AbortSignal; index: number | undefined; sweep: boolean },
): Promise<number> {
  const pods = (await runPods(kube, options.namespace, options.runId, options.signal))
    .filter((p) => options.index === undefined || podIndex(p) === options.index)
    .filter(started)
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
