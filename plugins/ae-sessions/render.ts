import type {
  BytesJson,
  Cell,
  ChosenFormat,
  Column,
  CpuJson,
  RenderOptions,
  TableView,
  View,
} from '../../shared/output/index.ts'
import {
  bytesJson,
  bytesJsonOrNull,
  cpuJson,
  formatAge,
  nodeStatusText,
  plainTable,
  renderFields,
  renderTable,
  renderView,
  timestampJson,
} from '../../shared/output/index.ts'
import { writeJsonList } from '../../shared/output/json-stream.ts'
import { writeTable } from '../../shared/output/table.ts'
import { writeYamlList } from '../../shared/output/yaml-stream.ts'
import { formatCpuMillis, formatMemoryMi } from '../../shared/quantity.ts'
import type { ContainerRow, CpuMemory, NodeSummary, WorkloadRow } from './model.ts'
import type { WorkloadKind } from './platform.ts'

/** Printers for `kubectl ae-sessions`: rows from the model in, a View (table, document, names) out. */
const MILLI = 1_000_000n

/** `kubectl top` rounds CPU up to whole millicores (MilliValue). */
const milliOf = (nanos: bigint): bigint => (nanos + MILLI - 1n) / MILLI

export const cpuCell = (nanos: bigint | undefined): string =>
  nanos === undefined ? '-' : formatCpuMillis(milliOf(nanos))
export const memoryCell = (bytes: bigint | undefined): string => (bytes === undefined ? '-' : formatMemoryMi(bytes))

function percentCell(percent: WorkloadRow['cpuPercent']): Cell {
  if (percent === undefined) return { text: '-', role: 'dim' }
  const role = percent.value >= 90 ? 'bad' : percent.value >= 70 ? 'warn' : undefined
  return role === undefined ? { text: `${percent.value}%` } : { text: `${percent.value}%`, role }
}

function phaseCell(row: WorkloadRow): Cell {
  const role =
    row.phase === 'Running' && row.reason === undefined
      ? 'ok'
      : row.phase === 'Failed' || row.reason === 'Unschedulable' || row.reason === 'CrashLoopBackOff'
        ? 'bad'
        : row.phase === 'Succeeded'
          ? 'dim'
          : 'warn'
  return { text: row.phase, role }
}

const requestLimit = (request: string, limit: string): string => `${request}/${limit}`

export interface ListRenderOptions {
  now: Date
  /** -A (or a fallback over several namespaces): NAMESPACE leads, as in kubectl get -A. */
  showNamespace: boolean
}

export function renderList(rows: readonly WorkloadRow[], options: ListRenderOptions): View {
  return {
    table: listTable(rows, options),
    document: { ...LIST_HEAD, items: rows.map(workloadDocument) },
    names: rows.map((row) => `pod/${row.pod}`),
  }
}

const LIST_HEAD = { apiVersion: 'ae-sessions.kubectl-suite/v1', kind: 'WorkloadList' }

/**
 * The list as `format`, handed to `write` in pieces: tables a batch of lines at a time, JSON and YAML a batch of
 * items at a time, so 20,000 workloads are never one document plus one string. Tables build no document (renderList's
 * document is ~40 objects per row). The text is what renderView(renderList(rows), format) gives.
 */
export function writeList(
  rows: readonly WorkloadRow[],
  format: ChosenFormat,
  options: ListRenderOptions & RenderOptions,
  write: (text: string) => void,
): void {
  const { noHeaders = false, color, maxWidth } = options
  if (format === 'table' || format === 'wide') {
    const wide = format === 'wide'
    writeTable(
      listTable(rows, options),
      { wide, noHeaders, color, ...(wide || maxWidth === undefined ? {} : { maxWidth }) },
      write,
    )
    return
  }
  if (format === 'json') {
    writeJsonList(LIST_HEAD, rows, workloadDocument, write)
    return
  }
  if (format === 'yaml') {
    writeYamlList(LIST_HEAD, rows, workloadDocument, write)
    return
  }
  const text = renderView(renderList(rows, options), format, options)
  if (text !== '') write(text)
}

function listTable(rows: readonly WorkloadRow[], options: ListRenderOptions): TableView {
  const columns: Column[] = [
    ...(options.showNamespace ? [{ header: 'NAMESPACE' }] : []),
    { header: 'KIND' },
    { header: 'ID' },
    { header: 'OWNER' },
    { header: 'PHASE' },
    { header: 'READY' },
    { header: 'RESTARTS', align: 'right' },
    { header: 'CPU', align: 'right' },
    { header: 'CPU%', align: 'right' },
    { header: 'MEMORY', align: 'right' },
    { header: 'MEM%', align: 'right' },
    { header: 'GPU', align: 'right' },
    { header: 'NODE' },
    { header: 'AGE' },
    ...(options.showNamespace ? [] : [{ header: 'NAMESPACE', wideOnly: true }]),
    { header: 'POD', wideOnly: true },
    { header: 'PROJECT', wideOnly: true },
    { header: 'CPU-REQ/LIM', wideOnly: true, align: 'right' },
    { header: 'MEM-REQ/LIM', wideOnly: true, align: 'right' },
    { header: 'REASON', wideOnly: true },
  ]
  const table = rows.map((row): (string | Cell)[] => [
    ...(options.showNamespace ? [row.namespace] : []),
    row.kind,
    row.id,
    row.owner === undefined ? { text: '<unknown>', role: 'dim' } : row.owner,
    phaseCell(row),
    `${row.readyContainers}/${row.totalContainers}`,
    String(row.restarts),
    cpuCell(row.usage?.cpu),
    percentCell(row.cpuPercent),
    memoryCell(row.usage?.memory),
    percentCell(row.memoryPercent),
    row.gpu === 0n ? '-' : String(row.gpu),
    row.node ?? '<none>',
    row.started === undefined ? '<unknown>' : formatAge(row.started, options.now),
    ...(options.showNamespace ? [] : [row.namespace]),
    row.pod,
    row.project ?? '<none>',
    requestLimit(cpuCell(row.requests.cpu), cpuCell(row.limits.cpu)),
    requestLimit(memoryCell(row.requests.memory), memoryCell(row.limits.memory)),
    row.reason ?? '',
  ])
  // On a narrow terminal: restarts, node, ready, GPU, then the two percentages.
  return { columns, rows: table, hideToFit: ['RESTARTS', 'NODE', 'READY', 'GPU', 'MEM%', 'CPU%'] }
}

function figures(values: Partial<CpuMemory> | undefined): { cpu: CpuJson | null; memory: BytesJson | null } | null {
  if (values === undefined) return null
  return {
    cpu: values.cpu === undefined ? null : cpuJson(milliOf(values.cpu)),
    memory: bytesJsonOrNull(values.memory),
  }
}

/**
 * The JSON/YAML record of one workload, in the suite's JSON convention (shared/output/json-values.ts): cpu as
 * `{millicores, display}`, memory as `{bytes, display}`, times in RFC 3339 without fractions; percentages say
 * what they are a percentage of. No env, volumes or images.
 */
export function workloadDocument(row: WorkloadRow): Record<string, unknown> {
  return {
    kind: row.kind,
    id: row.id,
    namespace: row.namespace,
    pod: row.pod,
    owner: row.owner ?? null,
    project: row.project ?? null,
    detectedBy: row.detectedBy,
    phase: row.phase,
    reason: row.reason ?? null,
    ready: `${row.readyContainers}/${row.totalContainers}`,
    restarts: row.restarts,
    node: row.node ?? null,
    startTime: timestampJson(row.started),
    since: timestampJson(row.since),
    requests: figures(row.requests),
    limits: figures(row.limits),
    usage: figures(row.usage),
    percent: {
      cpu: row.cpuPercent ?? null,
      memory: row.memoryPercent ?? null,
    },
    gpu: Number(row.gpu),
    metrics:
      row.usage === undefined
        ? null
        : { window: row.metricsWindow ?? null, timestamp: timestampJson(row.metricsTimestamp) },
    containers: row.containers.map((c) => ({
      name: c.name,
      alias: c.alias,
      ready: c.ready,
      restarts: c.restarts,
      state: c.state,
      requests: figures(c.requests),
      limits: figures(c.limits),
      usage: figures(c.usage),
    })),
  }
}

function describeFigures(values: Partial<CpuMemory>, missing: string): string {
  return `cpu ${values.cpu === undefined ? missing : cpuCell(values.cpu)}, memory ${values.memory === undefined ? missing : memoryCell(values.memory)}`
}

function percentText(percent: WorkloadRow['cpuPercent']): string {
  return percent === undefined ? '' : ` (${percent.value}% of ${percent.of})`
}

/** `info`: one field block per pod of the workload, then its containers. Never env, volumes or mounted files. */
export function renderInfo(rows: readonly WorkloadRow[]): View {
  return {
    table: { columns: [], rows: [] },
    document:
      rows.length === 1
        ? workloadDocument(rows[0] as WorkloadRow)
        : { ...LIST_HEAD, items: rows.map(workloadDocument) },
    names: rows.map((row) => `pod/${row.pod}`),
  }
}

export function renderInfoText(rows: readonly WorkloadRow[], options: { now: Date }): string {
  return rows
    .map((row) => {
      const usage =
        row.usage === undefined
          ? '-'
          : `cpu ${cpuCell(row.usage.cpu)}${percentText(row.cpuPercent)}, memory ${memoryCell(row.usage.memory)}${percentText(row.memoryPercent)}`
      const fields: [string, string][] = [
        ['Kind', row.kind],
        ['ID', row.id],
        ['Pod', row.pod],
        ['Namespace', row.namespace],
        ['Node', row.node ?? '<none>'],
        ['Owner', row.owner ?? '<unknown>'],
        ['Project', row.project ?? '<none>'],
        ['Phase', row.reason === undefined ? row.phase : `${row.phase} (${row.reason})`],
        ...(row.message === undefined || row.message === '' ? [] : ([['Message', row.message]] as [string, string][])),
        [
          'Since',
          row.since === undefined
            ? '<unknown>'
            : `${row.since.toISOString()} (${formatAge(row.since, options.now)} ago)`,
        ],
        [
          'Started',
          row.started === undefined
            ? '<unknown>'
            : `${row.started.toISOString()} (${formatAge(row.started, options.now)} ago)`,
        ],
        ['Ready', `${row.readyContainers}/${row.totalContainers}`],
        ['Restarts', String(row.restarts)],
        ['Requests', describeFigures(row.requests, '0')],
        ['Limits', describeFigures(row.limits, 'none')],
        ['GPU', row.gpu === 0n ? '-' : String(row.gpu)],
        ['Usage', usage],
        [
          'Metrics window',
          row.usage === undefined ? '-' : `${row.metricsWindow ?? '-'} at ${row.metricsTimestamp ?? '-'}`,
        ],
        ['Detected by', row.detectedBy],
      ]
      return `${renderFields(fields)}\n${containerTable(row.containers)}`
    })
    .join('\n')
}

function containerTable(containers: readonly ContainerRow[]): string {
  const header = ['ALIAS', 'CONTAINER', 'READY', 'STATE', 'RESTARTS', 'CPU', 'MEMORY', 'CPU-REQ/LIM', 'MEM-REQ/LIM']
  const lines = containers.map((c) => [
    c.alias,
    c.name,
    c.ready ? 'true' : 'false',
    c.state,
    String(c.restarts),
    cpuCell(c.usage?.cpu),
    memoryCell(c.usage?.memory),
    requestLimit(
      c.requests.cpu === undefined ? '-' : cpuCell(c.requests.cpu),
      c.limits.cpu === undefined ? '-' : cpuCell(c.limits.cpu),
    ),
    requestLimit(
      c.requests.memory === undefined ? '-' : memoryCell(c.requests.memory),
      c.limits.memory === undefined ? '-' : memoryCell(c.limits.memory),
    ),
  ])
  return renderTable(plainTable(header, lines), { wide: false, color: false })
}

const milliCores = (nanos: bigint): bigint => milliOf(nanos)

function usedOfAllocatable(used: string, allocatable: string): string {
  return `${used}/${allocatable}`
}

/** `nodes`: per node counts and sums; safe for every user (no pod names, no owners). */
/** `nodes --sort-by`: the columns; numbers sort largest first, words A→Z, ties by node name. */
export const NODE_SORT_KEYS = [
  'name',
  'status',
  'pods',
  'cpu',
  'memory',
  'gpu',
  'sessions',
  'deployments',
  'runs',
  'cpu-requests',
  'memory-requests',
] as const
export type NodeSortKey = (typeof NODE_SORT_KEYS)[number]

function nodeSortValue(s: NodeSummary, key: NodeSortKey): bigint | string {
  switch (key) {
    case 'name':
      return s.name
    case 'status':
      return nodeStatusText(s.ready, s.schedulable)
    case 'pods':
      return BigInt(s.pods)
    case 'cpu':
      return s.usage?.cpu ?? -1n
    case 'memory':
      return s.usage?.memory ?? -1n
    case 'gpu':
      return s.gpuRequested
    case 'sessions':
      return BigInt(s.counts.session)
    case 'deployments':
      return BigInt(s.counts.deployment)
    case 'runs':
      return BigInt(s.counts.run)
    case 'cpu-requests':
      return s.requests.cpu
    case 'memory-requests':
      return s.requests.memory
  }
}

export function sortNodeSummaries(summaries: readonly NodeSummary[], key: NodeSortKey = 'name'): NodeSummary[] {
  return [...summaries].sort((a, b) => {
    const x = nodeSortValue(a, key)
    const y = nodeSortValue(b, key)
    const order = typeof x === 'string' ? x.localeCompare(y as string) : x === y ? 0 : x > (y as bigint) ? -1 : 1
    return order !== 0 ? order : a.name.localeCompare(b.name)
  })
}

/**
 * One unit per column, as `kubectl top` prints them: CPU in millicores, memory in whole MiB (rounded down), so a
 * column can be read down and compared (`294m/4` next to `2.741/8` could not).
 */
export function renderNodes(
  summaries: readonly NodeSummary[],
  unscheduled: Record<WorkloadKind, number>,
  options: { metricsAvailable: boolean; sortBy?: NodeSortKey },
): View {
  const sorted = sortNodeSummaries(summaries, options.sortBy)
  const columns: Column[] = [
    { header: 'NODE' },
    { header: 'STATUS' },
    { header: 'PODS', align: 'right' },
    { header: 'CPU(USED/ALLOC)', align: 'right' },
    { header: 'MEM(USED/ALLOC)', align: 'right' },
    { header: 'GPU(REQ/ALLOC)', align: 'right' },
    { header: 'SESSIONS', align: 'right' },
    { header: 'DEPLOYMENTS', align: 'right' },
    { header: 'RUNS', align: 'right' },
    { header: 'CONDITIONS', wideOnly: true },
    { header: 'PENDING', wideOnly: true, align: 'right' },
    { header: 'CPU-REQ', wideOnly: true, align: 'right' },
    { header: 'MEM-REQ', wideOnly: true, align: 'right' },
  ]
  const rows: (string | Cell)[][] = sorted.map((s) => [
    s.name,
    {
      text: nodeStatusText(s.ready, s.schedulable),
      role: s.ready !== 'True' ? 'bad' : s.schedulable ? 'ok' : 'warn',
    },
    `${s.pods}/${s.allocatable.pods}`,
    usedOfAllocatable(
      s.usage === undefined ? '-' : formatCpuMillis(milliCores(s.usage.cpu)),
      formatCpuMillis(milliCores(s.allocatable.cpu)),
    ),
    usedOfAllocatable(
      s.usage === undefined ? '-' : formatMemoryMi(s.usage.memory),
      formatMemoryMi(s.allocatable.memory),
    ),
    s.allocatable.gpu === 0n && s.gpuRequested === 0n ? '-' : `${s.gpuRequested}/${s.allocatable.gpu}`,
    String(s.counts.session),
    String(s.counts.deployment),
    String(s.counts.run),
    s.problems.length === 0 ? '<none>' : s.problems.join(','),
    String(s.pending),
    formatCpuMillis(milliCores(s.requests.cpu)),
    formatMemoryMi(s.requests.memory),
  ])
  const unscheduledTotal = unscheduled.session + unscheduled.deployment + unscheduled.run
  if (unscheduledTotal > 0)
    rows.push([
      { text: '<unscheduled>', role: 'warn' },
      '-',
      String(unscheduledTotal),
      '-',
      '-',
      '-',
      String(unscheduled.session),
      String(unscheduled.deployment),
      String(unscheduled.run),
      '<none>',
      String(unscheduledTotal),
      '-',
      '-',
    ])
  const document = {
    apiVersion: 'ae-sessions.kubectl-suite/v1',
    kind: 'NodeSummaryList',
    items: sorted.map((s) => ({
      name: s.name,
      ready: s.ready,
      status: nodeStatusText(s.ready, s.schedulable),
      conditions: s.problems,
      pods: s.pods,
      pending: s.pending,
      allocatable: {
        cpu: cpuJson(milliCores(s.allocatable.cpu)),
        memory: bytesJson(s.allocatable.memory),
        gpu: Number(s.allocatable.gpu),
        pods: Number(s.allocatable.pods),
      },
      requests: {
        cpu: cpuJson(milliCores(s.requests.cpu)),
        memory: bytesJson(s.requests.memory),
        gpu: Number(s.gpuRequested),
      },
      usage:
        s.usage === undefined ? null : { cpu: cpuJson(milliCores(s.usage.cpu)), memory: bytesJson(s.usage.memory) },
      sessions: s.counts.session,
      deployments: s.counts.deployment,
      runs: s.counts.run,
    })),
    unscheduled,
    metricsAvailable: options.metricsAvailable,
  }
  // On a narrow terminal: pod slots, GPUs, then memory and CPU; the workload counts stay.
  const hideToFit = ['PODS', 'GPU(REQ/ALLOC)', 'MEM(USED/ALLOC)', 'CPU(USED/ALLOC)']
  return { table: { columns, rows, hideToFit }, document, names: sorted.map((s) => `node/${s.name}`) }
}
