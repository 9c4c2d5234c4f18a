import { kubeArgs, namespaceArgs, outputArgs, selectorArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { parseInterval, watchArgs, watchOrOnce } from '../../../shared/cli/watch.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { noResourcesMessage, parseOutputFormat, printsDocument, printView } from '../../../shared/output/index.ts'
import { collectStats, listClaims, listPods } from '../collect.ts'
import { bytesOf, type ClaimRow, claimRows } from '../model.ts'
import { renderClaims } from '../render.ts'

const FORMATS = ['table', 'wide', 'json', 'yaml', 'name', 'csv', 'tsv'] as const

const SORTS: Record<string, (row: ClaimRow) => number | string> = {
  name: (r) => r.name,
  namespace: (r) => r.namespace,
  status: (r) => r.status,
  capacity: (r) => -Number(bytesOf(r.capacity) ?? 0n),
  used: (r) => -(r.stats?.usedBytes ?? -1),
  avail: (r) => -(r.stats?.availableBytes ?? -1),
  'use%': (r) =>
    -(r.stats?.usedBytes === undefined || !r.stats.capacityBytes ? -1 : r.stats.usedBytes / r.stats.capacityBytes),
  age: (r) => r.created?.getTime() ?? 0,
}

export default defineSuiteCommand({
  meta: {
    examples: [
      ['Claims of every namespace with how full they are', 'kubectl pvclaim list -A'],
      ['The fullest claims first', 'kubectl pvclaim list -A --sort-by use%'],
    ],
    name: 'list',
    description: 'Claims with capacity, used, available, use%, inodes%, modes, class, volume and pods',
  },
  args: {
    ...namespaceArgs,
    ...selectorArgs,
    ...watchArgs,
    ...outputArgs(FORMATS),
    'sort-by': {
      type: 'string',
      valueHint: 'column',
      choices: Object.keys(SORTS),
      description: `Sort by a column: ${Object.keys(SORTS).join(', ')}`,
    },
    ...kubeArgs,
  },
  run: async ({ args, io, log, kube, signal }) => {
    const format = parseOutputFormat(args.output, FORMATS, args)
    const sort = args.sortBy === undefined ? undefined : SORTS[args.sortBy.toLowerCase()]
    if (args.sortBy !== undefined && sort === undefined)
      throw new SuiteError('usage', `invalid --sort-by "${args.sortBy}"`, {
        hint: `use one of ${Object.keys(SORTS).join(', ')}`,
      })
    if (args.watch === true) parseInterval(args.interval)
    const cluster = await kube()
    const all = args.allNamespaces === true
    const namespace = all ? undefined : (args.namespace ?? cluster.namespace)
    await watchOrOnce(io, signal, { watch: args.watch === true, interval: args.interval }, async (io) => {
      const [claims, pods] = await Promise.all([
        listClaims(cluster, namespace, signal, { labelSelector: args.selector, fieldSelector: args.fieldSelector }),
        listPods(cluster, namespace, signal),
      ])
      const { stats, warnings } = await collectStats(cluster, claims, pods)
      for (const warning of warnings) log.warn(warning)
      let rows = claimRows(claims, pods, stats).sort(
        (a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
      )
      if (sort !== undefined) {
        const key = sort
        rows = [...rows].sort((a, b) => {
          const x = key(a)
          const y = key(b)
          return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))
        })
      }
      if (rows.length === 0 && !printsDocument(format)) {
        io.err.write(`${noResourcesMessage(namespace)}\n`)
        return
      }
      printView(io, renderClaims(rows, { now: io.now(), showNamespace: all }), format, {
        noHeaders: args.noHeaders === true,
      })
    })
  },
})
