import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { usageError } from '../../../shared/errors.ts'
import { findRun } from '../collect.ts'
import { followRun, printLogs } from '../follow.ts'
import { LABEL_RUN_ID } from '../model.ts'
import { connectFor, contextArgs, namespaceFor, runArg, selected } from './_shared.ts'

export default defineSuiteCommand({
  meta: {
    examples: [
      ["Follow a run's logs", 'kubectl mrun logs RUN -n ml-team -f'],
      ['Logs of one sweep index', 'kubectl mrun logs RUN -n ml-team --index 1'],
    ],
    name: 'logs',
    description: 'Logs of a run; in a sweep every index, prefixed [N], or one with --index',
  },
  args: {
    ...runArg,
    ...contextArgs,
    index: { type: 'string', description: 'Only this sweep index' },
    follow: { type: 'boolean', alias: 'f', description: 'Stream new lines until the run finishes' },
  },
  run: async (ctx) => {
    const { args, io, log, signal } = ctx
    if (args.index !== undefined && !/^\d+$/.test(args.index))
      throw usageError(`--index "${args.index}" must be a whole number`)
    const index = args.index === undefined ? undefined : Number(args.index)
    const { context } = selected(ctx)
    const kube = await connectFor(ctx, context)
    try {
      const namespace = namespaceFor(ctx, context, kube)
      const job = await findRun(kube, namespace, args.run, signal, { byExperiment: true })
      const name = job.metadata?.name ?? args.run
      const runId = job.metadata?.labels?.[LABEL_RUN_ID] ?? ''
      const sweep = job.spec?.completionMode === 'Indexed'
      if (index !== undefined && (!sweep || index >= (job.spec?.completions ?? 1)))
        throw usageError(
          `run ${name} has no index ${index}`,
          sweep ? `indexes go from 0 to ${(job.spec?.completions ?? 1) - 1}` : 'it is not a sweep; leave --index out',
        )
      if (args.follow === true) await followRun(kube, { namespace, name, runId, io, signal, index })
      else if ((await printLogs(kube, { namespace, runId, io, signal, index, sweep })) === 0)
        log.warn(`run ${name} has no started pods yet; wait with -f`)
    } finally {
      await kube.close()
    }
  },
})
