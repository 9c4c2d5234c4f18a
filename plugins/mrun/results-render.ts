import type { Cell, Column, View } from '../../shared/output/index.ts'
import { formatDuration, type RunSummary } from './model.ts'
import { columnNames, type MetricValue, type ResultRow } from './results.ts'

/** `mrun results` as a View: a table with a column per parameter and per metric, csv with raw values, a document. */

/** A metric in the table: up to 6 significant digits (0.912345678 → 0.912346); json and csv keep every digit. */
function metricText(value: MetricValue | undefined): string {
  if (value === undefined || value === null) return '-'
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Number(value.toPrecision(6)))
  return String(value)
}

const rawText = (value: MetricValue | undefined): string => (value === undefined || value === null ? '' : String(value))

function stateCell(row: ResultRow): Cell {
  const text = row.state
  if (row.state === 'succeeded') return { text, role: 'ok' }
  if (row.state === 'failed') return { text, role: 'bad' }
  if (row.state === 'pending' || row.state === 'not started') return { text, role: 'warn' }
  return { text }
}

export function renderResults(run: RunSummary, rows: readonly ResultRow[], options: { sweep: boolean }): View {
  const { params, metrics } = columnNames(rows)
  const duration = (row: ResultRow): string => (row.durationMs === undefined ? '-' : formatDuration(row.durationMs))
  const columns: Column[] = [
    ...(options.sweep ? [{ header: 'INDEX', align: 'right' as const }] : []),
    ...params.map((name) => ({ header: name })),
    { header: 'STATE' },
    { header: 'DURATION' },
    ...metrics.map((name) => ({ header: name, align: 'right' as const })),
    { header: 'EXIT', align: 'right', wideOnly: true },
    { header: 'REASON', wideOnly: true },
    { header: 'SOURCE', wideOnly: true },
  ]
  const tableRows = rows.map((row) => [
    ...(options.sweep ? [String(row.index)] : []),
    ...params.map((name) => (row.params[name] === undefined ? '-' : String(row.params[name]))),
    stateCell(row),
    duration(row),
    ...metrics.map((name) => metricText(row.metrics[name])),
    row.exitCode === undefined ? '-' : String(row.exitCode),
    row.reason === '' ? '-' : row.reason,
    row.source,
  ])
  const csvRows = rows.map((row) => [
    String(row.index),
    ...params.map((name) => (row.params[name] === undefined ? '' : String(row.params[name]))),
    row.state,
    row.durationMs === undefined ? '' : String(Math.round(row.durationMs / 1000)),
    ...metrics.map((name) => rawText(row.metrics[name])),
    row.exitCode === undefined ? '' : String(row.exitCode),
    row.reason,
    row.source,
  ])
  return {
    table: { columns, rows: tableRows },
    // Spreadsheets and pandas get every digit, durations in seconds, and empty cells for what is missing.
    csv: {
      columns: [
        { header: 'index' },
        ...params.map((name) => ({ header: name })),
        { header: 'state' },
        { header: 'duration_seconds' },
        ...metrics.map((name) => ({ header: name })),
        { header: 'exit_code' },
        { header: 'reason' },
        { header: 'source' },
      ],
      rows: csvRows,
    },
    document: {
      apiVersion: 'mrun.kubectl-suite/v1',
      kind: 'RunResults',
      run: { name: run.name, namespace: run.namespace, runId: run.runId, experiment: run.experiment, phase: run.phase },
      items: rows.map((row) => ({
        index: row.index,
        params: row.params,
        state: row.state,
        exitCode: row.exitCode ?? null,
        reason: row.reason,
        durationSeconds: row.durationMs === undefined ? null : Math.round(row.durationMs / 1000),
        metrics: row.metrics,
        source: row.source,
      })),
    },
    names: rows.map((row) => `${run.name}/${row.index}`),
  }
}
