import type { Cell, TableView, View } from '../../shared/output/index.ts'
import { formatAge } from '../../shared/output/index.ts'
import { lazyRows } from '../../shared/output/table.ts'
import { formatAmount, formatPct, resourceLabel } from './format.ts'
import { unitOf } from './model.ts'
import type { PodRow } from './pods-model.ts'

/**
 * Report → View for `kubectl usage pods`: per pod (or per container) requests, limits, usage and usage as a
 * share of request and limit. `-o wide` adds phase, QoS, owner and age.
 */
export interface RenderPodsOptions {
  now: Date
  allNamespaces: boolean
  containers: boolean
  resources: string[]
  showLabels: boolean
  metricsAvailable: boolean
}

interface Built {
  header: string
  cell: Cell
  wideOnly?: boolean
}

function rowCells(row: PodRow, options: RenderPodsOptions): Built[] {
  const cells: Built[] = []
  if (options.allNamespaces) cells.push({ header: 'NAMESPACE', cell: { text: row.namespace } })
  cells.push({ header: 'POD', cell: { text: row.name } })
  if (options.containers) {
    cells.push({
      header: 'CONTAINER',
      cell: {
        text:
          row.containerRole === 'app' || row.containerRole === undefined
            ? (row.container ?? '')
            : `${row.container} [${row.containerRole}]`,
      },
    })
  }
  cells.push({
    header: 'NODE',
    cell: { text: row.node ?? '<none>', ...(row.node === null ? { role: 'warn' as const } : {}) },
  })
  for (const resource of options.resources) {
    const f = row.resources[resource]
    const unit = unitOf(resource)
    const label = resourceLabel(resource)
    cells.push({ header: `${label} REQ`, cell: { text: formatAmount(unit, f?.requests ?? 0) } })
    cells.push({ header: `${label} LIM`, cell: { text: formatAmount(unit, f?.limits ?? 0) } })
    if (resource === 'cpu' || resource === 'memory') {
      cells.push({
        header: `${label} USE`,
        cell: { text: options.metricsAvailable ? formatAmount(unit, f?.usage ?? null) : '-' },
      })
      const ofLimit = f?.usageOfLimitPercent ?? null
      cells.push({ header: `${label} %REQ`, cell: { text: formatPct(f?.usageOfRequestPercent ?? null) } })
      cells.push({
        header: `${label} %LIM`,
        cell: { text: formatPct(ofLimit), ...(ofLimit !== null && ofLimit >= 90 ? { role: 'bad' as const } : {}) },
      })
    }
  }
  cells.push({ header: 'PHASE', cell: { text: row.phase }, wideOnly: true })
  cells.push({ header: 'QOS', cell: { text: row.qosClass ?? '<none>' }, wideOnly: true })
  cells.push({
    header: 'OWNER',
    cell: { text: row.owner === null ? '<none>' : `${row.owner.kind}/${row.owner.name}` },
    wideOnly: true,
  })
  cells.push({
    header: 'AGE',
    cell: { text: row.createdAt === undefined ? '<unknown>' : formatAge(new Date(row.createdAt), options.now) },
    wideOnly: true,
  })
  if (options.showLabels) {
    cells.push({
      header: 'LABELS',
      cell: {
        text:
          Object.entries(row.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(',') || '<none>',
      },
    })
  }
  return cells
}

const EMPTY_ROW: PodRow = {
  namespace: '',
  name: '',
  node: null,
  phase: '',
  qosClass: null,
  owner: null,
  labels: {},
  createdAt: undefined,
  resources: {},
}

/**
 * The view's parts are made only when a format asks for them (a table never needs the document, json never
 * needs the table), and a table cell is kept as a bare string unless it has a colour: on 150,000 pods each
 * wrapper object per cell cost more memory than the pods' rows.
 */
/**
 * The order `kubectl usage pods` leaves columns out on a terminal too narrow for its table: usage as a share of
 * the limit, then of the request, then the limits, then the node.
 */
export const POD_COLUMNS_TO_HIDE: readonly string[] = ['* %LIM', '* %REQ', '* LIM', 'NODE']

export function renderPods(rows: PodRow[], options: RenderPodsOptions): View {
  const columns = rowCells(rows[0] ?? EMPTY_ROW, options).map((c) => ({
    header: c.header,
    ...(c.wideOnly === true ? { wideOnly: true } : {}),
  }))
  return {
    get table(): TableView {
      return {
        columns,
        rows: lazyRows(rows, (row) =>
          rowCells(row, options).map((c) => (c.cell.role === undefined ? c.cell.text : c.cell)),
        ),
        hideToFit: POD_COLUMNS_TO_HIDE,
      }
    },
    get document() {
      return {
        apiVersion: 'usage.kubectl-suite/v1',
        kind: options.containers ? 'ContainerUsageList' : 'PodUsageList',
        metadata: { metricsAvailable: options.metricsAvailable, resources: options.resources },
        items: rows,
      }
    },
    get names() {
      return rows.map((r) => `pod/${r.name}`)
    },
  }
}
