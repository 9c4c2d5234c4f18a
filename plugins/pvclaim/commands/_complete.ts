import type { CompletionSource } from '../../../shared/cli/args.ts'

/** Shell completion of claim names in the namespace being used. */
export const CLAIMS: CompletionSource = { plural: 'persistentvolumeclaims', namespaced: true }
