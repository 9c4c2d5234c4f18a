import { kubeArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { formatQuantity } from '../../../shared/quantity.ts'
import { getClaim } from '../../../shared/volume/claim-pod.ts'
import { getStorageClass, resizeClaim } from '../collect.ts'
import { checkResize, parseSize } from '../model.ts'
import { claimArg } from './_complete.ts'

export default defineSuiteCommand({
  meta: {
    examples: [['Grow a claim to 20Gi', 'kubectl pvclaim resize results --size 20Gi -n ml-team']],
    name: 'resize',
    description: 'Grow a claim, where its storage class allows expansion',
  },
  args: {
    ...claimArg,
    size: { type: 'string', description: 'New size, larger than the current one' },
    ...kubeArgs,
  },
  run: async ({ args, io, kube }) => {
    if (args.claim === undefined)
      throw new SuiteError('usage', 'resize needs the CLAIM and --size', {
        hint: 'e.g. kubectl pvclaim resize data --size 20Gi',
      })
    const size = parseSize(args.size)
    const cluster = await kube()
    const namespace = args.namespace ?? cluster.namespace
    const claim = await getClaim(cluster, namespace, args.claim)
    checkResize(claim, size, await getStorageClass(cluster, claim.spec?.storageClassName))
    await resizeClaim(cluster, namespace, args.claim, formatQuantity(size))
    io.out.write(
      `persistentvolumeclaim/${args.claim} resized to ${formatQuantity(size)} (was ${claim.spec?.resources?.requests?.storage ?? '-'})\n`,
    )
  },
})
