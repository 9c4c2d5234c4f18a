import { SuiteError } from '../../shared/errors.ts'
import type { ResourceFigures } from './model.ts'

/**
 * `--sort-by`: any column, named the way the table heads it (`cpu.req`, `mem.use%`, `gpu.req`, `pods`, `name`),
 * descending for numbers and ascending for names; a `+` prefix means ascending, `-` descending. Ties break by name
 * so the order is stable, which kubectl's own sort is not.
 */
export interface SortKey {
  field: 'name' | 'namespace' | 'node' | 'pods' | 'age'
  resource?: string
  measure?: keyof Pick<ResourceFigures, 'requests' | 'limits' | 'usage' | 'allocatable' | 'available'>
  percent?: boolean
  descending: boolean
}

const MEASURES: Record<string, NonNullable<SortKey['measure']>> = {
  req: 'requests',
  requests: 'requests',
  lim: 'limits',
  limits: 'limits',
  use: 'usage',
  usage: 'usage',
  alloc: 'allocatable',
  allocatable: 'allocatable',
  avail: 'available',
  available: 'available',
}

/** What shell completion offers for --sort-by: the columns of the default resources, each measure. */
export function sortKeyChoices(fields: readonly string[]): string[] {
  const measures = ['req', 'req%', 'lim', 'lim%', 'use', 'use%', 'alloc', 'avail']
  return [...fields, ...['cpu', 'mem', 'gpu'].flatMap((r) => measures.map((m) => `${r}.${m}`))]
}

const ALIASES: Record<string, string> = { mem: 'memory', gpu: 'nvidia.com/gpu', eph: 'ephemeral-storage' }

export function parseSortKey(text: string, resourceNames: readonly string[]): SortKey {
  let spec = text.trim()
  let direction: boolean | undefined
  if (spec.startsWith('+')) {
    direction = false
    spec = spec.slice(1)
  } else if (spec.startsWith('-')) {
    direction = true
    spec = spec.slice(1)
  }
  const lower = spec.toLowerCase()
  if (lower === 'name' || lower === 'namespace' || lower === 'node')
    return { field: lower, descending: direction ?? false }
  if (lower === 'pods' || lower === 'age') return { field: lower, descending: direction ?? true }
  const dot = lower.lastIndexOf('.')
  const rawResource = dot < 0 ? lower : lower.slice(0, dot)
  let rawMeasure = dot < 0 ? 'req' : lower.slice(dot + 1)
  const percent = rawMeasure.endsWith('%')
  if (percent) rawMeasure = rawMeasure.slice(0, -1)
  const resource = ALIASES[rawResource] ?? rawResource
  const measure = MEASURES[rawMeasure]
  if (measure === undefined || !resourceNames.includes(resource)) {
    const examples = [
      'name',
      'pods',
      ...resourceNames.slice(0, 3).flatMap((r) => [`${shortName(r)}.req`, `${shortName(r)}.use%`]),
    ]
    throw new SuiteError('usage', `invalid --sort-by "${text}": no such column`, {
      hint: `use a column such as ${examples.join(', ')} (measures: req, lim, use, alloc, avail; add % for percentages)`,
    })
  }
  return { field: 'name', resource, measure, percent, descending: direction ?? true }
}

function shortName(resource: string): string {
  return resource === 'memory' ? 'mem' : resource === 'nvidia.com/gpu' ? 'gpu' : resource
}

interface Sortable {
  name: string
  namespace?: string
  node?: string | null
  createdAt?: string | undefined
  pods?: { count: number }
  resources: Record<string, Pick<ResourceFigures, 'requests' | 'limits' | 'usage'> & Partial<ResourceFigures>>
}

function sortValue(row: Sortable, key: SortKey): number | string {
  if (key.measure === undefined || key.resource === undefined) {
    if (key.field === 'pods') return row.pods?.count ?? 0
    if (key.field === 'age') return -(row.createdAt === undefined ? 0 : Date.parse(row.createdAt))
    if (key.field === 'namespace') return row.namespace ?? ''
    if (key.field === 'node') return row.node ?? ''
    return row.name
  }
  const figures = row.resources[key.resource]
  if (figures === undefined) return Number.NEGATIVE_INFINITY
  if (key.percent) {
    const percent =
      key.measure === 'requests'
        ? figures.requestsPercent
        : key.measure === 'limits'
          ? figures.limitsPercent
          : key.measure === 'usage'
            ? figures.usagePercent
            : null
    return percent ?? Number.NEGATIVE_INFINITY
  }
  return figures[key.measure] ?? Number.NEGATIVE_INFINITY
}

export function sortRows<T extends Sortable>(rows: T[], key: SortKey): T[] {
  return [...rows].sort((a, b) => {
    const va = sortValue(a, key)
    const vb = sortValue(b, key)
    let order = typeof va === 'string' && typeof vb === 'string' ? va.localeCompare(vb) : Number(va) - Number(vb)
    if (key.descending) order = -order
    if (order !== 0 && !Number.isNaN(order)) return order
    return `${a.namespace ?? ''}/${a.name}`.localeCompare(`${b.namespace ?? ''}/${b.name}`)
  })
}
