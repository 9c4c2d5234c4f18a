import { kubeArgs, outputArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { parseOutputFormat, printView } from '../../../shared/output/index.ts'
import { collectNodeSummaries } from '../collect.ts'
import { NODE_SORT_KEYS, type NodeSortKey, renderNodes } from '../render.ts'
import { parseChunkSize, platformArgs, platformConfigFrom } from './_shared.ts'

const FORMATS = ['table', 'wide', 'json', 'yaml', 'name', 'csv', 'tsv'] as const

export default defineSuiteCommand({
  meta: {
    examples: [['Capacity, usage and workload counts per node', 'kubectl ae-sessions nodes']],
    name: 'nodes',
    description:
      'Per node: readiness, pods, CPU/memory used and allocatable, GPUs, and counts of sessions, deployments and runs',
  },
  args: {
    'no-metrics': { type: 'boolean', description: 'Do not read the metrics API (usage shows -)' },
    'all-namespaces': {
      type: 'boolean',
      alias: 'A',
      description: 'Accepted as kubectl get nodes accepts it: the counts cover every platform namespace anyway',
    },
    ...platformArgs,
    ...outputArgs(FORMATS),
    'sort-by': {
      type: 'string',
      choices: NODE_SORT_KEYS,
      description: `Sort by a column: ${NODE_SORT_KEYS.join(', ')} (numbers largest first)`,
    },
    ...kubeArgs,
  },
  run: async ({ args, io, log, kube, signal }) => {
    const format = parseOutputFormat(args.output, FORMATS, args)
    const sortBy = args.sortBy
    if (sortBy !== undefined && !(NODE_SORT_KEYS as readonly string[]).includes(sortBy))
      throw new SuiteError('usage', `invalid --sort-by "${sortBy}": no such column`, {
        hint: `use one of ${NODE_SORT_KEYS.join(', ')}`,
      })
    const config = platformConfigFrom(args, io.env)
    const cluster = await kube()
    const snapshot = await collectNodeSummaries(cluster, {
      config,
      metrics: args.noMetrics !== true,
      chunkSize: parseChunkSize(args.chunkSize),
      signal,
      fallbackNamespaces: [cluster.namespace, ...config.namespaces],
    })
    for (const warning of snapshot.warnings) log.warn(warning)
    const metricsAvailable = snapshot.summaries.some((s) => s.usage !== undefined)
    const view = renderNodes(snapshot.summaries, snapshot.unscheduled, {
      metricsAvailable,
      ...(sortBy === undefined ? {} : { sortBy: sortBy as NodeSortKey }),
    })
    printView(io, view, format, {
      noHeaders: args.noHeaders === true,
    })
  },
})
