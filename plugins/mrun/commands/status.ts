import { outputArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { parseInterval, watchArgs, watchOrOnce } from '../../../shared/cli/watch.ts'
import { parseOutputFormat, printView } from '../../../shared/output/index.ts'
import { findRun, runPods } from '../collect.ts'
import { indexRows } from '../jobs-model.ts'
import { podStatusRow, sortPodRows, summarizeRun } from '../model.ts'
import { renderStatus, statusHeadline } from '../render.ts'
import { connectFor, contextArgs, namespaceFor, runArg, selected } from './_shared.ts'

const FORMATS = ['table', 'wide', 'json', 'yaml', 'name'] as const

export default defineSuiteCommand({
  meta: {
    examples: [['Per pod (or sweep index) status of a run', 'kubectl mrun status RUN -n ml-team']],
    name: 'status',
    description: 'Per pod (every sweep index) phase, node, exit code and reason of a run',
  },
  args: {
    ...runArg,
    ...contextArgs,
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
      const namespace = namespaceFor(ctx, context, kube)
      await watchOrOnce(io, signal, { watch: args.watch === true, interval: args.interval }, async (io) => {
        const job = await findRun(kube, namespace, args.run, signal, { byExperiment: true })
        const run = summarizeRun(job)
        const found = await runPods(kube, namespace, run.runId, signal)
        // A sweep: one row per index, every index, started or not; a single run: every pod (retries too).
        const pods =
          job.spec?.completionMode === 'Indexed' ? indexRows(job, found) : sortPodRows(found.map(podStatusRow))
        if (format === 'table' || format === 'wide') io.err.write(`${statusHeadline(run)}\n`)
        printView(io, renderStatus(run, pods), format, { noHeaders: args.noHeaders === true })
      })
    } finally {
      await kube.close()
    }
  },
})
