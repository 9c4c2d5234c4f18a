import { kubeArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { claimConsumers, getClaim, podsOfNamespace } from '../../../shared/volume/claim-pod.ts'
import { deleteObject, getVolume } from '../collect.ts'
import { deleteConsequence } from '../model.ts'
import { claimArg } from './_complete.ts'

export default defineSuiteCommand({
  meta: {
    examples: [['Delete a claim, saying what happens to its data', 'kubectl pvclaim delete scratch -n ml-team']],
    name: 'delete',
    description: 'Delete a claim, refusing while pods mount it, and say what happens to the data',
  },
  args: {
    ...claimArg,
    force: { type: 'boolean', description: 'Delete even while pods mount it (it is removed once they are gone)' },
    ...kubeArgs,
  },
  run: async ({ args, io, kube, signal }) => {
    if (args.claim === undefined)
      throw new SuiteError('usage', 'delete needs the CLAIM', { hint: 'e.g. kubectl pvclaim delete scratch' })
    const cluster = await kube()
    const namespace = args.namespace ?? cluster.namespace
    const claim = await getClaim(cluster, namespace, args.claim)
    const users = claimConsumers(await podsOfNamespace(cluster, namespace, signal), args.claim).map(
      (p) => p.metadata?.name ?? '',
    )
    const consequence = deleteConsequence(claim, await getVolume(cluster, claim.spec?.volumeName))
    if (users.length > 0 && args.force !== true)
      throw new SuiteError('conflict', `persistentvolumeclaim "${args.claim}" is mounted by ${users.join(', ')}`, {
        hint: `stop those pods first, or pass --force (${consequence})`,
      })
    await deleteObject(cluster, 'persistentvolumeclaims', namespace, args.claim)
    io.out.write(`persistentvolumeclaim/${args.claim} deleted\n`)
    io.err.write(
      `${users.length > 0 ? `still mounted by ${users.join(', ')}: it goes once they stop; ` : ''}${consequence}\n`,
    )
  },
})
