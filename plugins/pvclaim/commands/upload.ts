import { kubeArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { transferArgs, transferFlags, transferWithProgress } from '../../../shared/volume/report.ts'
import { uploadToClaim } from '../../../shared/volume/transfer.ts'
import { claimArg } from './_complete.ts'

export default defineSuiteCommand({
  meta: {
    examples: [['Copy a local folder into a claim', 'kubectl pvclaim upload results ./data /inputs -n ml-team']],
    name: 'upload',
    description: 'Copy a local file or folder into a claim, verified, put in place only when complete',
  },
  args: {
    ...claimArg,
    source: {
      type: 'positional',
      required: false,
      neededByCommand: true,
      usageName: 'LOCAL-PATH',
      description: 'Local file or folder',
    },
    path: { type: 'positional', required: false, description: 'Folder inside the volume (default: its root)' },
    ...transferArgs,
    ...kubeArgs,
  },
  run: async ({ args, io, log, kube, signal }) => {
    if (args.claim === undefined || args.source === undefined)
      throw new SuiteError('usage', 'upload needs the CLAIM and a LOCAL-PATH', {
        hint: 'e.g. kubectl pvclaim upload data ./dataset',
      })
    const cluster = await kube()
    const namespace = args.namespace ?? cluster.namespace
    const claim = args.claim
    await transferWithProgress(
      io,
      log,
      `↑ ${claim}`,
      {
        namespace,
        claim,
        pathInVolume: args.path ?? '.',
        managedBy: 'kubectl-pvclaim',
        ...transferFlags(args),
        signal,
      },
      (options) => uploadToClaim(cluster, args.source as string, options),
    )
  },
})
