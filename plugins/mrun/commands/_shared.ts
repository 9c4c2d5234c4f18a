import {
  type CompletionSource,
  kubeArgs,
  kubeFlagsFromArgs,
  type ParsedKubeArgs,
  type SuiteArgsDef,
} from '../../../shared/cli/args.ts'
import type { SuiteCommandContext } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { connect, type Kube } from '../../../shared/kube/connect.ts'
import { listAll } from '../../../shared/kube/list.ts'
import { resourcePath } from '../../../shared/kube/paths.ts'
import { LABEL_EXPERIMENT, type MrunContext } from '../model.ts'
import { type LoadedProfiles, loadProfiles, profileNames, selectProfile } from '../profiles.ts'

/** Shell completion of profile names: read from the profiles file, no cluster needed. */
export const PROFILE_COMPLETION = {
  plural: 'profiles',
  local: (env) => profileNames(env),
} as const satisfies CompletionSource

/**
 * kubectl's flags, --context included (a kubeconfig context, as in every plugin), and --profile: the mrun profile
 * (registry, storage, resources, namespace, kube_context) a command uses instead of $MRUN_PROFILE or the current one.
 * Declared here once and spread into every command.
 */
export const contextArgs = {
  ...kubeArgs,
  profile: {
    type: 'string',
    valueHint: 'name',
    description: 'mrun profile to use instead of $MRUN_PROFILE or the current one',
    complete: PROFILE_COMPLETION,
  },
} as const satisfies SuiteArgsDef

/**
 * Where a command of mrun looks when -n or --context is not typed, for completion: the profile's kube_context and
 * namespace (as connectFor and namespaceFor decide), else the kubeconfig's current context and its namespace.
 */
export function mrunScope(
  args: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { kubeContext?: string | undefined; namespace?: string | undefined } {
  const typed = args.context as string | undefined
  try {
    const found = selectProfile(loadProfiles(env), { flag: args.profile as string | undefined, env: env.MRUN_PROFILE })
    return { kubeContext: typed ?? found?.profile.kube_context, namespace: found?.profile.namespace }
  } catch {
    return { kubeContext: typed }
  }
}

/** Shell completion of runs: the Jobs mrun made, in the namespace the command would use. */
export const RUN_COMPLETION = {
  plural: 'jobs',
  group: 'batch',
  version: 'v1',
  namespaced: true,
  labelSelector: 'app.kubernetes.io/managed-by=kubectl-mrun',
  scope: mrunScope,
} as const satisfies CompletionSource

/** Shell completion of experiment names: the mrun/experiment label of mrun's Jobs. */
export const EXPERIMENT_COMPLETION = {
  ...RUN_COMPLETION,
  nameOf: (item) => item.metadata?.labels?.['mrun/experiment'],
} as const satisfies CompletionSource

/**
 * Shell completion of what status, logs, fetch and results accept: runs (Job names, which hold the run id) and
 * experiment names (the newest run of each), from one list of mrun's Jobs in the namespace the command would use.
 */
export const RUN_OR_EXPERIMENT_COMPLETION = {
  ...RUN_COMPLETION,
  names: async ({ kube, namespace }) => {
    const { items } = await listAll<{ metadata?: { name?: string; labels?: Record<string, string> } }>(kube.transport, {
      path: resourcePath({ group: 'batch', version: 'v1', plural: 'jobs', namespace }),
      labelSelector: RUN_COMPLETION.labelSelector,
      context: { verb: 'list', resource: 'jobs', namespace },
      timeoutMs: 5_000,
    })
    const names: string[] = []
    for (const item of items) {
      if (item.metadata?.name !== undefined) names.push(item.metadata.name)
      const experiment = item.metadata?.labels?.[LABEL_EXPERIMENT]
      if (experiment !== undefined && experiment !== '') names.push(experiment)
    }
    return names
  },
} as const satisfies CompletionSource

/** The RUN argument of status, logs, fetch and results: a run, or an experiment for its newest run. */
export const runArg = {
  run: {
    type: 'positional',
    required: true,
    names: 'reference',
    description: 'Run (Job name or run id), or an experiment name for its newest run',
    complete: RUN_OR_EXPERIMENT_COMPLETION,
  },
} as const satisfies SuiteArgsDef

export interface Selected {
  /** The profiles file and its content. */
  loaded: LoadedProfiles
  /** The profile in use, if any. */
  name: string | undefined
  /** Its settings ({} without a profile): what run, status and the rest read. */
  context: MrunContext
}

/** The profile of a command (--profile, $MRUN_PROFILE, the current one), validated; notes go to stderr. */
export function selected(ctx: SuiteCommandContext): Selected {
  const loaded = loadProfiles(ctx.io.env, (line) => ctx.io.err.write(`${line}\n`))
  const found = selectProfile(loaded, {
    flag: (ctx.args as { profile?: string }).profile,
    env: ctx.io.env.MRUN_PROFILE,
  })
  return { loaded, name: found?.name, context: found?.profile ?? {} }
}

/** Connects with kubectl's global flags; --context, else the profile's kube_context, else the kubeconfig's. */
export async function connectFor(ctx: SuiteCommandContext, context: MrunContext): Promise<Kube> {
  const flags = kubeFlagsFromArgs(ctx.args as unknown as ParsedKubeArgs)
  const typed = flags.context
  if (typed === undefined && context.kube_context !== undefined) flags.context = context.kube_context
  let kube: Kube
  try {
    kube = await connect(flags, { env: ctx.io.env, stdinIsTTY: ctx.io.inIsTTY, log: (line) => ctx.log.trace(line) })
  } catch (error) {
    // Before profiles, mrun's --context named an mrun context: say so when the name is a profile's.
    if (
      error instanceof SuiteError &&
      typed !== undefined &&
      error.message.includes(`context "${typed}" does not exist`) &&
      profileNames(ctx.io.env).includes(typed)
    )
      throw new SuiteError(error.kind, error.message, {
        hint: `"${typed}" is an mrun profile: pass --profile ${typed} (--context names a kubeconfig context, as in kubectl)`,
      })
    throw error
  }
  ctx.log.debug(`using ${kube.describe()}`)
  return kube
}

/** The namespace of a command: -n, else the profile's, else the kubeconfig's. */
export function namespaceFor(ctx: SuiteCommandContext, context: MrunContext, kube: Kube | undefined): string {
  const flag = (ctx.args as { namespace?: string }).namespace
  if (flag !== undefined && flag !== '') return flag
  return context.namespace ?? kube?.namespace ?? 'default'
}
