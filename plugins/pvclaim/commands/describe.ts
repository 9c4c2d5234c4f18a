import { kubeArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { getClaim } from '../../../shared/volume/claim-pod.ts'
import { claimEvents, collectStats, getVolume, listPods } from '../collect.ts'
import { claimRows } from '../model.ts'
import { renderDescribe } from '../render.ts'
import { claimArg } from './_complete.ts'

export default defineSuiteCommand({
  meta: {
    examples: [['A claim, its volume, usage, pods and events', 'kubectl pvclaim describe results -n ml-team']],
    name: 'describe',
    description: 'A claim, its volume (NFS server and path, CSI driver), usage, pods and events',
  },
  args: {
    ...claimArg,
    ...kubeArgs,
  },
  run: async ({ args, io, kube, signal }) => {
    if (args.claim === undefined)
      throw new SuiteError('usage', 'describe needs the CLAIM', { hint: 'list them with kubectl pvclaim list' })
    const cluster = await kube()
    const namespace = args.namespace ?? cluster.namespace
    const claim = await getClaim(cluster, namespace, args.claim)
    const [pods, volume, events] = await Promise.all([
      listPods(cluster, namespace, signal),
      getVolume(cluster, claim.spec?.volumeName),
      claimEvents(cluster, namespace, args.claim),
    ])
    const { stats } = await collectStats(cluster, [claim], pods)
    const [row] = claimRows([claim], pods, stats)
    if (row !== undefined) io.out.write(renderDescribe(claim, row, volume, events, { now: io.now() }))
  },
})
