import type { Cell, TableView, View } from '../../shared/output/index.ts'
import { formatAge } from '../../shared/output/index.ts'
import { lazyRows } from '../../shared/output/table.ts'
import { formatAmount, formatPct, resourceLabel } from './format.ts'
import { unitOf } from './model.ts'
import type { Owner, PodRow } from './pods-model.ts'

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
  /**
   * false when the view is printed as the default table, which never shows the wide-only columns: their cells
   * (owner, age) are then left empty instead of made twice per row for nothing. Default true.
   */
  wideCells?: boolean
}

interface Column {
  header: string
  wideOnly?: boolean
}

/**
 * The columns and a function from a row to its cells, made once per render: at 150,000 pods the header strings and
 * a wrapper object per cell, made again for every row (and the table walks the rows twice), were a fifth of the
 * command's CPU.
 */
function layout(options: RenderPodsOptions): { columns: Column[]; cells: (row: PodRow) => (string | Cell)[] } {
  const columns: Column[] = []
  if (options.allNamespaces) columns.push({ header: 'NAMESPACE' })
  columns.push({ header: 'POD' })
  if (options.containers) columns.push({ header: 'CONTAINER' })
  columns.push({ header: 'NODE' })
  const perResource = options.resources.map((resource) => ({
    resource,
    unit: unitOf(resource),
    live: resource === 'cpu' || resource === 'memory',
  }))
  for (const { resource, live } of perResource) {
    const label = resourceLabel(resource)
    columns.push({ header: `${label} REQ` }, { header: `${label} LIM` })
    if (live) columns.push({ header: `${label} USE` }, { header: `${label} %REQ` }, { header: `${label} %LIM` })
  }
  columns.push(
    { header: 'PHASE', wideOnly: true },
    { header: 'QOS', wideOnly: true },
    { header: 'OWNER', wideOnly: true },
    { header: 'AGE', wideOnly: true },
  )
  if (options.showLabels) columns.push({ header: 'LABELS' })

  const wideCells = options.wideCells ?? true
  // Rows share their owner objects, and many pods were created in the same second: one text for each.
  const owners = new Map<Owner, string>()
  const ownerText = (owner: Owner): string => {
    let text = owners.get(owner)
    if (text === undefined) {
      text = `${owner.kind}/${owner.name}`
      owners.set(owner, text)
    }
    return text
  }
  const ages = new Map<string, string>()
  const ageOf = (createdAt: string): string => {
    let age = ages.get(createdAt)
    if (age === undefined) {
      age = formatAge(new Date(createdAt), options.now)
      // Bounded: on a cluster whose pods were all created at different times the cache would only grow.
      if (ages.size < 4096) ages.set(createdAt, age)
    }
    return age
  }
  const cells = (row: PodRow): (string | Cell)[] => {
    const out: (string | Cell)[] = []
    if (options.allNamespaces) out.push(row.namespace)
    out.push(row.name)
    if (options.containers)
      out.push(
        row.containerRole === 'app' || row.containerRole === undefined
          ? (row.container ?? '')
          : `${row.container} [${row.containerRole}]`,
      )
    out.push(row.node === null ? { text: '<none>', role: 'warn' } : row.node)
    for (const { resource, unit, live } of perResource) {
      const f = row.resources[resource]
      out.push(formatAmount(unit, f?.requests ?? 0), formatAmount(unit, f?.limits ?? 0))
      if (live) {
        const ofLimit = f?.usageOfLimitPercent ?? null
        out.push(
          options.metricsAvailable ? formatAmount(unit, f?.usage ?? null) : '-',
          formatPct(f?.usageOfRequestPercent ?? null),
          ofLimit !== null && ofLimit >= 90 ? { text: formatPct(ofLimit), role: 'bad' } : formatPct(ofLimit),
        )
      }
    }
    if (!wideCells) out.push('', '', '', '')
    else
      out.push(
        row.phase,
        row.qosClass ?? '<none>',
        row.owner === null ? '<none>' : ownerText(row.owner),
        row.createdAt === undefined ? '<unknown>' : ageOf(row.createdAt),
      )
    if (options.showLabels)
      out.push(
        Object.entries(row.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',') || '<none>',
      )
    return out
  }
  return { columns, cells }
}

/**
 * The order `kubectl usage pods` leaves columns out on a terminal too narrow for its table: usage as a share of
 * the limit, then of the request, then the limits, then the node.
 */
export const POD_COLUMNS_TO_HIDE: readonly string[] = ['* %LIM', '* %REQ', '* LIM', 'NODE']

/**
 * The view's parts are made only when a format asks for them (a table never needs the document, json never
 * needs the table), and a table cell is kept as a bare string unless it has a colour: on 150,000 pods each
 * wrapper object per cell cost more memory than the pods' rows.
 */
export function renderPods(rows: PodRow[], options: RenderPodsOptions): View {
  const { columns, cells } = layout(options)
  return {
    get table(): TableView {
      return { columns, rows: lazyRows(rows, cells), hideToFit: POD_COLUMNS_TO_HIDE }
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
