import type { CompletionSource, SuiteArgsDef } from '../../../shared/cli/args.ts'

/** Shell completion of claim names in the namespace being used. */
export const CLAIMS: CompletionSource = { plural: 'persistentvolumeclaims', namespaced: true }

/**
 * The CLAIM argument every command but create and list takes, declared once: a valid object name (checked before
 * any request), shown as the required NAME in help, completed from the namespace's claims.
 */
export const claimArg = {
  claim: {
    type: 'positional',
    required: false,
    names: 'object',
    neededByCommand: true,
    usageName: 'NAME',
    description: 'The claim',
    complete: CLAIMS,
  },
} as const satisfies SuiteArgsDef
