import type { V1Pod } from '@kubernetes/client-node'
import type { CompletionSource, SuiteArgsDef } from '../../../shared/cli/args.ts'
import { DEFAULT_CONFIG, identifyWorkload } from '../platform.ts'

/** Shell completion of platform ids (a1-…, a2-…) from the namespace's pods, by the default detection rules. */
export const PLATFORM_IDS: CompletionSource = {
  plural: 'pods',
  namespaced: true,
  nameOf: (item) => identifyWorkload(item as V1Pod, DEFAULT_CONFIG)?.id,
}

/** The ID argument of info and logs. */
export const idArg = {
  id: {
    type: 'positional',
    required: false,
    neededByCommand: true,
    description: 'Platform id (a1-…, a2-…), a unique prefix, or a pod name',
    complete: PLATFORM_IDS,
  },
} as const satisfies SuiteArgsDef
