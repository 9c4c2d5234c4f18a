import type { Cell, ColorRole, TableView, View } from '../../shared/output/index.ts'
import { BAR_GLYPHS, barCell, formatAge, nodeStatusText } from '../../shared/output/index.ts'
import { amountWithPercent, formatAmount, resourceLabel } from './format.ts'
import type { NodeRow, NodesReport, ResourceFigures } from './model.ts'

/**
 * Report → View for `kubectl usage nodes`. The default table shows CPU, memory, GPUs (when any node has them)
 * and pods; `-o wide` adds status, roles, taints, age, every other resource and what is still available.
 * JSON/YAML carry the exact integers of the report (schema `usage.kubectl-suite/v1`, documented in the README).
 */
export interface RenderNodesOptions {
  now: Date
  bars: boolean
  asciiBars: boolean
  showLabels: boolean
  available: boolean
}

const DEFAULT_RESOURCES = new Set(['cpu', 'memory', 'nvidia.com/gpu', 'amd.com/gpu'])

function roleForPercent(percent: number | null): ColorRole | undefined {
  if (percent === null) return undefined
  if (percent >= 90) return 'bad'
  if (percent >= 75) return 'warn'
  return undefined
}

function statusText(row: Pick<NodeRow, 'ready' | 'schedulable'>): string {
  return nodeStatusText(row.ready, row.schedulable)
}

function resourceCells(
  resource: string,
  figures: ResourceFigures | undefined,
  options: RenderNodesOptions,
  metrics: boolean,
): { header: string; cell: Cell; wideOnly: boolean }[] {
  const label = resourceLabel(resource)
  const wideOnly = !DEFAULT_RESOURCES.has(resource)
  if (figures === undefined) return []
  const unit = figures.unit
  const cells: { header: string; cell: Cell; wideOnly: boolean }[] = [
    {
      header: `${label} REQ`,
      cell: {
        text: amountWithPercent(unit, figures.requests, figures.requestsPercent),
        role: roleForPercent(figures.requestsPercent),
      },
      wideOnly,
    },
    {
      header: `${label} LIM`,
      cell: { text: amountWithPercent(unit, figures.limits, figures.limitsPercent) },
      wideOnly,
    },
  ]
  if (resource === 'cpu' || resource === 'memory') {
    cells.push({
      header: `${label} USE`,
      cell: {
        text: metrics ? amountWithPercent(unit, figures.usage, figures.usagePercent) : '-',
        role: roleForPercent(figures.usagePercent),
      },
      wideOnly,
    })
  }
  cells.push({ header: `${label} ALLOC`, cell: { text: formatAmount(unit, figures.allocatable) }, wideOnly })
  if (options.available)
    cells.push({ header: `${label} AVAIL`, cell: { text: formatAmount(unit, figures.available) }, wideOnly })
  else cells.push({ header: `${label} AVAIL`, cell: { text: formatAmount(unit, figures.available) }, wideOnly: true })
  if (options.bars && (resource === 'cpu' || resource === 'memory')) {
    const alloc = figures.allocatable || 1
    const used = Math.min(1, (figures.usage ?? 0) / alloc)
    const requested = Math.min(1, figures.requests / alloc)
    cells.push({
      header: `${label} BAR`,
      cell: barCell(
        [
          { fraction: Math.min(used, requested), role: 'accent' },
          { fraction: Math.max(0, requested - used), role: 'ok' },
          { fraction: Math.max(0, used - requested), role: 'warn' },
        ],
        10,
        { ascii: options.asciiBars },
      ),
      wideOnly,
    })
  }
  return cells
}

/**
 * The key to the CPU and MEM bars, one line for stderr under a `--bars` table (stdout keeps only the table): what
 * each glyph means, in the glyphs the bars were drawn with.
 */
export function barsLegend(ascii: boolean): string {
  const [used, requested, over] = ascii ? BAR_GLYPHS.ascii : BAR_GLYPHS.unicode
  return `bars (whole bar = allocatable): ${used} used within requests, ${requested} requested but unused, ${over} used beyond requests`
}

function rowCells(
  name: string,
  status: string,
  roles: string,
  taints: string,
  age: string,
  labels: string | undefined,
  resources: Record<string, ResourceFigures>,
  pods: { count: number; allocatable: number },
  report: NodesReport,
  options: RenderNodesOptions,
): { header: string; cell: Cell; wideOnly: boolean; align?: 'right' }[] {
  const cells: { header: string; cell: Cell; wideOnly: boolean; align?: 'right' }[] = [
    { header: 'NODE', cell: { text: name }, wideOnly: false },
    { header: 'STATUS', cell: { text: status, role: status.startsWith('Ready') ? undefined : 'bad' }, wideOnly: true },
    { header: 'ROLES', cell: { text: roles }, wideOnly: true },
    { header: 'TAINTS', cell: { text: taints }, wideOnly: true },
    { header: 'AGE', cell: { text: age }, wideOnly: true },
  ]
  for (const resource of report.resourceNames)
    cells.push(...resourceCells(resource, resources[resource], options, report.metricsAvailable))
  cells.push({ header: 'PODS', cell: { text: `${pods.count}/${pods.allocatable}` }, wideOnly: false })
  if (labels !== undefined) cells.push({ header: 'LABELS', cell: { text: labels }, wideOnly: false })
  return cells
}

/** The order `kubectl usage nodes` leaves columns out on a terminal too narrow for its table (README, Output). */
export const NODE_COLUMNS_TO_HIDE: readonly string[] = ['* LIM', '* ALLOC', 'PODS', '* USE']

export function renderNodes(report: NodesReport, options: RenderNodesOptions): View {
  const rows = report.nodes.map((node) =>
    rowCells(
      node.name,
      statusText(node),
      node.roles.join(',') || '<none>',
      node.taints.map((t) => `${t.key}${t.value === undefined ? '' : `=${t.value}`}:${t.effect}`).join(',') || '<none>',
      node.createdAt === undefined ? '<unknown>' : formatAge(new Date(node.createdAt), options.now),
      options.showLabels
        ? Object.entries(node.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(',') || '<none>'
        : undefined,
      node.resources,
      node.pods,
      report,
      options,
    ),
  )
  const totalRow =
    report.nodes.length > 1
      ? rowCells(
          '*total*',
          '',
          '',
          '',
          '',
          options.showLabels ? '' : undefined,
          report.total.resources,
          report.total.pods,
          report,
          options,
        )
      : undefined
  const template = rows[0] ?? totalRow ?? []
  const table: TableView = {
    columns: template.map((c) => ({ header: c.header, ...(c.wideOnly ? { wideOnly: true } : {}) })),
    rows: [...rows, ...(totalRow === undefined ? [] : [totalRow])].map((r) => r.map((c) => c.cell)),
    // On a narrow terminal: limits, then allocatable (the % after each request is of it), then pod slots, then usage.
    hideToFit: NODE_COLUMNS_TO_HIDE,
  }
  return {
    table,
    document: {
      apiVersion: 'usage.kubectl-suite/v1',
      kind: 'NodeUsageList',
      metadata: { metricsAvailable: report.metricsAvailable, resources: report.resourceNames },
      items: report.nodes,
      total: report.total,
      pending: report.pending,
    },
    names: report.nodes.map((n) => `node/${n.name}`),
  }
}
