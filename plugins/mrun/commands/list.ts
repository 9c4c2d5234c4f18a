import { namespaceArgs, outputArgs, selectorArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { parseInterval, watchArgs, watchOrOnce } from '../../../shared/cli/watch.ts'
import { noResourcesMessage, parseOutputFormat, printsDocument, printView } from '../../../shared/output/index.ts'
import { listRuns } from '../collect.ts'
import { summarizeRun } from '../model.ts'
import { renderRuns } from '../render.ts'
import { connectFor, contextArgs, EXPERIMENT_COMPLETION, namespaceFor, selected } from './_shared.ts'

const FORMATS = ['table', 'wide', 'json', 'yaml', 'name'] as const

export default defineSuiteCommand({
  meta: {
    examples: [
      ['Runs in every namespace', 'kubectl mrun list -A'],
      ['Runs of one experiment, as JSON', 'kubectl mrun list -n ml-team --experiment lr-sweep -o json'],
    ],
    name: 'list',
    description: 'Runs: id, experiment, tags, status (with sweep counts), duration, age',
  },
  args: {
    ...contextArgs,
    ...namespaceArgs,
    ...selectorArgs,
    experiment: { type: 'string', description: 'Only runs of this experiment', complete: EXPERIMENT_COMPLETION },
    ...watchArgs,
    ...outputArgs(FORMATS),
  },
  run: async (ctx) => {
    const { args, io, signal } = ctx
    const format = parseOutputFormat(args.output, FORMATS, args)
    if (args.watch === true) parseInterval(args.interval)
    const { context } = selected(ctx)
    const kube = await connectFor(ctx, context)
    try {
      const all = args.allNamespaces === true
      const namespace = all ? undefined : namespaceFor(ctx, context, kube)
      await watchOrOnce(io, signal, { watch: args.watch === true, interval: args.interval }, async (io) => {
        let runs = (
          await listRuns(kube, namespace, signal, { labelSelector: args.selector, fieldSelector: args.fieldSelector })
        ).map(summarizeRun)
        if (args.experiment !== undefined) runs = runs.filter((r) => r.experiment === args.experiment)
        runs.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || a.name.localeCompare(b.name))
        if (runs.length === 0) {
          io.err.write(`${noResourcesMessage(namespace)}\n`)
          if (!printsDocument(format)) return
        }
        printView(io, renderRuns(runs, { now: io.now(), allNamespaces: all }), format, {
          noHeaders: args.noHeaders === true,
        })
      })
    } finally {
      await kube.close()
    }
  },
})
