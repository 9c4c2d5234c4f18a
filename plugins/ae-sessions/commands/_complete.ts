import type { V1Pod } from '@kubernetes/client-node'
import type { CompletionSource, SuiteArgsDef } from '../../../shared/cli/args.ts'
import { listAll } from '../../../shared/kube/list.ts'
import { resourcePath } from '../../../shared/kube/paths.ts'
import { containerAlias, DEFAULT_CONFIG, identifyWorkload } from '../platform.ts'

/** Shell completion of platform ids (a1-…, a2-…) from the namespace's pods, by the default detection rules. */
export const PLATFORM_IDS: CompletionSource = {
  plural: 'pods',
  namespaced: true,
  nameOf: (item) => identifyWorkload(item as V1Pod, DEFAULT_CONFIG)?.id,
}

/**
 * Shell completion of -c: the containers of the pods of the workload named by the ID typed before (a platform id, a
 * unique prefix of one, or a pod name), with the aliases logs accepts.
 */
export const WORKLOAD_CONTAINERS: CompletionSource = {
  plural: 'pods',
  namespaced: true,
  names: async ({ kube, namespace, positionals }) => {
    const id = positionals[0]
    if (id === undefined) return []
    const { items } = await listAll<V1Pod>(kube.transport, {
      path: resourcePath({ plural: 'pods', namespace }),
      context: { verb: 'list', resource: 'pods', namespace },
    })
    const names: string[] = []
    for (const pod of items) {
      const workload = identifyWorkload(pod, DEFAULT_CONFIG)?.id
      if (pod.metadata?.name !== id && (workload === undefined || !workload.startsWith(id))) continue
      const containers = (pod.spec?.containers ?? []).map((c) => c.name)
      for (const name of containers) names.push(name, containerAlias(name, containers))
    }
    return names
  },
}

/** The ID argument of info and logs. */
export const idArg = {
  id: {
    type: 'positional',
    required: false,
    names: 'reference',
    neededByCommand: true,
    description: 'Platform id (a1-…, a2-…), a unique prefix, or a pod name',
    complete: PLATFORM_IDS,
  },
} as const satisfies SuiteArgsDef
