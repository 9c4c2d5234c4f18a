import { kubeArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { transferArgs, transferFlags, transferWithProgress } from '../../../shared/volume/report.ts'
import { downloadFromClaim } from '../../../shared/volume/transfer.ts'
import { claimArg } from './_complete.ts'

export default defineSuiteCommand({
  meta: {
    examples: [
      [
        "Copy a claim's files into ./results, verified",
        'kubectl pvclaim download results / ./results -n ml-team --verify',
      ],
    ],
    name: 'download',
    description: 'Copy a claim’s files (or a path in it) to a local folder, verified, never half-written',
  },
  args: {
    ...claimArg,
    path: { type: 'positional', required: false, description: 'Path inside the volume (default: all of it)' },
    dir: { type: 'positional', required: false, description: 'Local folder (default: ./NAME)' },
    ...transferArgs,
    ...kubeArgs,
  },
  run: async ({ args, io, log, kube, signal }) => {
    const claim = args.claim
    if (claim === undefined)
      throw new SuiteError('usage', 'download needs the CLAIM', {
        hint: 'e.g. kubectl pvclaim download results run-001 ./results',
      })
    const cluster = await kube()
    const namespace = args.namespace ?? cluster.namespace
    await transferWithProgress(
      io,
      log,
      `↓ ${claim}`,
      {
        namespace,
        claim,
        pathInVolume: args.path ?? '.',
        managedBy: 'kubectl-pvclaim',
        ...transferFlags(args),
        signal,
      },
      (options) => downloadFromClaim(cluster, args.dir ?? claim, options),
    )
  },
})
