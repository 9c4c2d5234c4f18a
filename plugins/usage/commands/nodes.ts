import { kubeArgs, outputArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { parseInterval, watchArgs, watchOrOnce } from '../../../shared/cli/watch.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { parseOutputFormat, prefersAsciiBars, printsDocument, printView } from '../../../shared/output/index.ts'
import { collectNodes } from '../collect.ts'
import { buildNodesReport, resourceNamesOf } from '../model.ts'
import { parseResources, parseTop } from '../options.ts'
import { barsLegend, renderNodes } from '../render-nodes.ts'
import { parseSortKey, sortKeyChoices, sortRows } from '../sort.ts'
import { usageArgs } from './_shared.ts'

const FORMATS = ['table', 'wide', 'json', 'yaml', 'name', 'csv', 'tsv'] as const

export default defineSuiteCommand({
  meta: {
    examples: [
      ['Allocatable, requests, limits and live usage of every node', 'kubectl usage nodes'],
      ['Only the GPU node, as JSON', 'kubectl usage nodes gpu-1 -o json'],
      ['The three nodes with the most CPU requested', 'kubectl usage nodes --sort-by cpu.req --top 3'],
      ['Usage as bars', 'kubectl usage nodes --bars'],
    ],
    name: 'nodes',
    description: 'Allocatable, requests, limits and live usage per node, with a cluster total',
  },
  args: {
    name: {
      type: 'positional',
      required: false,
      names: 'object',
      description: 'Only this node',
      complete: { plural: 'nodes' },
    },
    ...usageArgs,
    selector: { type: 'string', alias: 'l', description: 'Node label selector' },
    'node-selector': {
      type: 'string',
      description: 'Same as -l: node label selector (kubectl-view-allocations spelling)',
    },
    'node-labels': { type: 'string', description: 'Same as -l: node label selector (kube-capacity spelling)' },
    'namespace-labels': { type: 'string', description: 'Count only pods in namespaces matching this label selector' },
    'field-selector': {
      type: 'string',
      valueHint: 'query',
      description: 'Node field selector: =, ==, != (e.g. --field-selector spec.unschedulable=false)',
    },
    'all-namespaces': {
      type: 'boolean',
      alias: 'A',
      description: 'Accepted as kubectl get nodes accepts it: nodes count the pods of every namespace anyway',
    },
    'pod-selector': { type: 'string', description: 'Count only pods matching this label selector' },
    available: { type: 'boolean', description: 'Show what is still available (allocatable − requests) per resource' },
    bars: { type: 'boolean', description: 'Draw a bar per node: usage and requests against allocatable' },
    ...watchArgs,
    ...outputArgs(FORMATS),
    'sort-by': { ...usageArgs['sort-by'], valueHint: 'column', choices: sortKeyChoices(['name', 'pods']) },
    ...kubeArgs,
  },
  run: async ({ args, io, log, kube, signal }) => {
    const format = parseOutputFormat(args.output, FORMATS, args)
    const top = parseTop(args.top)
    const chunkSize = args.chunkSize === undefined ? undefined : Number(args.chunkSize)
    if (args.watch === true) parseInterval(args.interval)
    const cluster = await kube()
    await watchOrOnce(io, signal, { watch: args.watch === true, interval: args.interval }, async (io) => {
      const { snapshot, warnings } = await collectNodes(cluster, {
        nodeSelector: args.selector ?? args.nodeSelector ?? args.nodeLabels,
        nodeFieldSelector: args.fieldSelector,
        namespaceSelector: args.namespaceLabels,
        podSelector: args.podSelector,
        chunkSize,
        metrics: args.noMetrics !== true && args.util !== false,
        signal,
      })
      for (const warning of warnings) log.warn(warning)
      if (args.name !== undefined) {
        snapshot.nodes = snapshot.nodes.filter((n) => n.metadata?.name === args.name)
        if (snapshot.nodes.length === 0) {
          throw new SuiteError('not-found', `node "${args.name}" not found`, {
            hint: 'list nodes with `kubectl get nodes`',
          })
        }
      }
      const available = resourceNamesOf(snapshot.nodes)
      const resources = parseResources(args.resources, available)
      const report = buildNodesReport(snapshot, resources === undefined ? {} : { resources })
      if (args.sortBy !== undefined)
        report.nodes = sortRows(report.nodes, parseSortKey(args.sortBy, report.resourceNames))
      if (top !== undefined) report.nodes = report.nodes.slice(0, top)
      if (report.nodes.length === 0) {
        io.err.write('No resources found\n')
        if (!printsDocument(format)) return
      }
      const view = renderNodes(report, {
        now: io.now(),
        bars: args.bars === true,
        asciiBars: prefersAsciiBars(io),
        showLabels: args.showLabels === true,
        available: args.available === true,
      })
      printView(io, view, format, { noHeaders: args.noHeaders === true })
      if (args.bars === true && (format === 'table' || format === 'wide') && report.nodes.length > 0)
        io.err.write(`${barsLegend(prefersAsciiBars(io))}\n`)
    })
  },
})
