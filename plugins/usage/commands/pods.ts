import { kubeArgs, namespaceArgs, outputArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { parseInterval, watchArgs, watchOrOnce } from '../../../shared/cli/watch.ts'
import { noResourcesMessage, parseOutputFormat, printsDocument, printView } from '../../../shared/output/index.ts'
import { collectPods, type PodMetricsIndex } from '../collect.ts'
import { parseGroupBy, parseResources, parseTop } from '../options.ts'
import { containerRows, groupPodRows, type PodRow, podRow, withUsage } from '../pods-model.ts'
import { renderPods } from '../render-pods.ts'
import { parseSortKey, sortKeyChoices, sortRows } from '../sort.ts'
import { usageArgs } from './_shared.ts'

const FORMATS = ['table', 'wide', 'json', 'yaml', 'name', 'csv', 'tsv'] as const

/** Puts each pod's usage into its row(s) and drops the metrics map from `collected`. */
function applyUsage(rows: PodRow[], collected: { metrics: PodMetricsIndex | undefined }): void {
  const metrics = collected.metrics
  collected.metrics = undefined
  if (metrics !== undefined) for (const row of rows) withUsage(row, metrics.get(row.namespace)?.get(row.name))
}
const POD_RESOURCES = ['cpu', 'memory', 'ephemeral-storage', 'nvidia.com/gpu', 'amd.com/gpu']

export default defineSuiteCommand({
  meta: {
    examples: [
      ['Requests, limits and usage of the pods in ml-team', 'kubectl usage pods -n ml-team'],
      ['Every container of every namespace', 'kubectl usage pods -A --containers'],
      ['Pods on one node, grouped by namespace', 'kubectl usage pods -A --node worker-1 --group-by namespace'],
    ],
    name: 'pods',
    description: 'Requests, limits, live usage and usage ÷ request per pod or container',
  },
  args: {
    name: {
      type: 'positional',
      required: false,
      names: 'object',
      description: 'Only this pod',
      complete: { plural: 'pods', namespaced: true },
    },
    ...usageArgs,
    ...namespaceArgs,
    selector: { type: 'string', alias: 'l', description: 'Pod label selector' },
    'field-selector': { type: 'string', description: 'Pod field selector, e.g. status.phase=Running' },
    node: { type: 'string', description: 'Only pods on this node', complete: { plural: 'nodes' } },
    containers: { type: 'boolean', description: 'One row per container (init containers and sidecars marked)' },
    'group-by': {
      type: 'string',
      choices: ['node', 'namespace', 'owner'],
      description: 'Subtotals per node, namespace or owner (the controller, e.g. Deployment/x)',
    },
    'include-finished': { type: 'boolean', description: 'Also show Succeeded and Failed pods' },
    ...watchArgs,
    ...outputArgs(FORMATS),
    'sort-by': {
      ...usageArgs['sort-by'],
      valueHint: 'column',
      choices: sortKeyChoices(['name', 'namespace', 'node', 'age']),
    },
    ...kubeArgs,
  },
  run: async ({ args, io, log, kube, signal }) => {
    const format = parseOutputFormat(args.output, FORMATS, args)
    const top = parseTop(args.top)
    const groupBy = parseGroupBy(args.groupBy)
    const resources = parseResources(args.resources, POD_RESOURCES) ?? ['cpu', 'memory']
    if (args.watch === true) parseInterval(args.interval)
    const cluster = await kube()
    const all = args.allNamespaces === true
    const namespace = all ? undefined : (args.namespace ?? cluster.namespace)
    const containers = args.containers === true
    // Labels are printed only by --show-labels and the formats that print the document (templates included).
    const shape = { keepLabels: args.showLabels === true || printsDocument(format) }
    await watchOrOnce(io, signal, { watch: args.watch === true, interval: args.interval }, async (io) => {
      const collected = await collectPods(
        cluster,
        {
          namespace,
          labelSelector: args.selector,
          fieldSelector: [args.fieldSelector, args.name === undefined ? undefined : `metadata.name=${args.name}`]
            .filter((s) => s !== undefined)
            .join(','),
          node: args.node,
          includeFinished: args.includeFinished === true,
          metrics: args.noMetrics !== true && args.util !== false,
          chunkSize: args.chunkSize === undefined ? undefined : Number(args.chunkSize),
          signal,
        },
        (pod) =>
          containers ? containerRows(pod, undefined, resources, shape) : [podRow(pod, undefined, resources, shape)],
      )
      const { warnings } = collected
      for (const warning of warnings) log.warn(warning)
      let rows = collected.rows
      // The metrics map (150,000 entries on a large cluster) is let go once its numbers are in the rows, before
      // printing makes the table: held through printing, it was a sixth of the peak memory of usage pods -A.
      const metricsAvailable = collected.metrics !== undefined
      applyUsage(rows, collected)
      if (args.sortBy !== undefined) rows = sortRows(rows, parseSortKey(args.sortBy, resources))
      if (groupBy !== undefined) rows = groupPodRows(rows, groupBy)
      if (top !== undefined) rows = rows.slice(0, top)
      if (rows.length === 0) {
        io.err.write(`${noResourcesMessage(namespace)}\n`)
        if (!printsDocument(format)) return
      }
      const view = renderPods(rows, {
        now: io.now(),
        allNamespaces: all,
        containers,
        resources,
        showLabels: args.showLabels === true,
        metricsAvailable,
        wideCells: format !== 'table',
      })
      printView(io, view, format, { noHeaders: args.noHeaders === true })
    })
  },
})
