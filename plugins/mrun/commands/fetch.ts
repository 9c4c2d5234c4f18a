import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { transferArgs, transferFlags, transferWithProgress } from '../../../shared/volume/report.ts'
import { downloadFromClaim } from '../../../shared/volume/transfer.ts'
import { findRun } from '../collect.ts'
import { LABEL_RUN_ID, runOutputPath, STORAGE_CLAIM } from '../model.ts'
import { connectFor, contextArgs, namespaceFor, runArg, selected } from './_shared.ts'

export default defineSuiteCommand({
  meta: {
    examples: [
      ["Download a run's outputs into ./outputs, verified", 'kubectl mrun fetch RUN ./outputs -n ml-team --verify'],
    ],
    name: 'fetch',
    description: "Download a run's outputs ($MRUN_OUTPUT_DIR on the storage claim) into a local folder, verified",
  },
  args: {
    ...runArg,
    dir: { type: 'positional', required: false, description: 'Local folder (default: ./<job name>)' },
    ...transferArgs,
    ...contextArgs,
  },
  run: async (ctx) => {
    const { args, io, log, signal } = ctx
    const { context } = selected(ctx)
    const kube = await connectFor(ctx, context)
    try {
      const namespace = namespaceFor(ctx, context, kube)
      const job = await findRun(kube, namespace, args.run, signal, { byExperiment: true })
      const name = job.metadata?.name ?? args.run
      const runId = job.metadata?.labels?.[LABEL_RUN_ID] ?? args.run
      await transferWithProgress(
        io,
        log,
        `↓ ${name}`,
        {
          namespace,
          claim: STORAGE_CLAIM,
          pathInVolume: runOutputPath(runId),
          managedBy: 'kubectl-mrun',
          ...transferFlags(args),
          contentsOnly: true,
          signal,
        },
        (options) => downloadFromClaim(kube, args.dir ?? name, options),
      )
    } finally {
      await kube.close()
    }
  },
})
