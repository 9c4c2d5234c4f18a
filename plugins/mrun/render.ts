import type { Cell, Column, View } from '../../shared/output/index.ts'
import { formatAge, timestampJson } from '../../shared/output/index.ts'
import { formatDuration, type PodStatusRow, type RunSummary } from './model.ts'

/** Summaries and contexts → Views for the shared printer. */

function phaseCell(run: RunSummary): Cell {
  const text =
    run.counts === undefined
      ? run.phase
      : `${run.phase} ${run.counts}${run.failed > 0 ? ` (${run.failed} failed)` : ''}`
  const role =
    run.phase === 'succeeded' ? 'ok' : run.phase === 'failed' ? 'bad' : run.phase === 'pending' ? 'warn' : undefined
  return role === undefined ? { text } : { text, role }
}

function duration(run: RunSummary, now: Date): string {
  if (run.startTime === undefined) return '-'
  const end = run.endTime === undefined ? now : new Date(run.endTime)
  return formatDuration(end.getTime() - new Date(run.startTime).getTime())
}

export function renderRuns(runs: RunSummary[], options: { now: Date; allNamespaces: boolean }): View {
  const columns: Column[] = [
    ...(options.allNamespaces ? [{ header: 'NAMESPACE' }] : []),
    { header: 'RUN' },
    { header: 'EXPERIMENT' },
    { header: 'TAGS' },
    { header: 'STATUS' },
    { header: 'DURATION' },
    { header: 'AGE' },
    { header: 'IMAGE', wideOnly: true },
    { header: 'PROJECT', wideOnly: true },
  ]
  const rows = runs.map((run) => [
    ...(options.allNamespaces ? [run.namespace] : []),
    run.name,
    run.experiment,
    run.tags.length === 0 ? '<none>' : run.tags.join(','),
    phaseCell(run),
    duration(run, options.now),
    run.createdAt === undefined ? '<unknown>' : formatAge(new Date(run.createdAt), options.now),
    run.image,
    run.project,
  ])
  return {
    table: { columns, rows },
    document: {
      apiVersion: 'mrun.kubectl-suite/v1',
      kind: 'RunList',
      items: runs.map((run) => ({ ...runDocument(run), duration: duration(run, options.now) })),
    },
    names: runs.map((run) => `job.batch/${run.name}`),
  }
}

/** A run in the suite's JSON convention: its times in RFC 3339 without fractions, whatever the API sent. */
function runDocument(run: RunSummary): Record<string, unknown> {
  return {
    ...run,
    startTime: timestampJson(run.startTime),
    endTime: timestampJson(run.endTime),
    createdAt: timestampJson(run.createdAt),
  }
}

export function renderStatus(run: RunSummary, pods: PodStatusRow[]): View {
  const indexed = run.counts !== undefined
  const columns: Column[] = [
    ...(indexed ? [{ header: 'INDEX', align: 'right' as const }] : []),
    { header: 'POD' },
    { header: 'PHASE' },
    { header: 'NODE' },
    { header: 'EXIT', align: 'right' },
    { header: 'REASON' },
  ]
  const rows = pods.map((pod) => [
    ...(indexed ? [pod.index === undefined ? '-' : String(pod.index)] : []),
    pod.pod === '' ? '<none>' : pod.pod,
    {
      text: pod.phase,
      ...(pod.phase === 'Failed' ? { role: 'bad' as const } : pod.phase === 'Succeeded' ? { role: 'ok' as const } : {}),
    },
    pod.node === '' ? '<none>' : pod.node,
    pod.exitCode === undefined ? '-' : String(pod.exitCode),
    pod.reason,
  ])
  return {
    table: { columns, rows },
    document: { apiVersion: 'mrun.kubectl-suite/v1', kind: 'RunStatus', run: runDocument(run), pods },
    names: pods.filter((pod) => pod.pod !== '').map((pod) => `pod/${pod.pod}`),
  }
}

/** The line above the pod table of `status`: what the run is and how it ended. */
export function statusHeadline(run: RunSummary): string {
  const counts = run.counts === undefined ? '' : ` ${run.counts} succeeded, ${run.failed} failed, ${run.active} active`
  const reason = run.reason === undefined ? '' : ` (${run.reason})`
  return `run ${run.name} in ${run.namespace}: ${run.phase}${reason}${counts}; image ${run.image || '<unknown>'}`
}
