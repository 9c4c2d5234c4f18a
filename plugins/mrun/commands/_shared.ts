import {
  type CompletionSource,
  kubeArgs,
  kubeFlagsFromArgs,
  type ParsedKubeArgs,
  type SuiteArgsDef,
} from '../../../shared/cli/args.ts'
import type { SuiteCommandContext } from '../../../shared/cli/run.ts'
import { connect, type Kube } from '../../../shared/kube/connect.ts'
import { configPath, loadConfig, selectContext } from '../config.ts'
import type { MrunConfig, MrunContext } from '../model.ts'

/**
 * `--context` names an mrun context, as in mrunner (the mrun context's kube_context picks the kubeconfig context);
 * `--kube-context` overrides that for one command. Declared here once and spread into every command.
 */
export const contextArgs = {
  ...kubeArgs,
  context: { type: 'string', valueHint: 'name', description: 'mrun context to use instead of the current one' },
  'mrun-context': { type: 'string', valueHint: 'name', hidden: true, description: 'Same as --context' },
  'kube-context': {
    type: 'string',
    valueHint: 'name',
    description: "Kubeconfig context to use instead of the mrun context's kube_context",
  },
} as const satisfies SuiteArgsDef

/**
 * Where a command of mrun looks when -n is not typed, for completion: the mrun context's kube_context and namespace
 * (as connectFor and namespaceFor decide), else the kubeconfig's current context and its namespace.
 */
export function mrunScope(
  args: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { kubeContext?: string | undefined; namespace?: string | undefined } {
  try {
    const path = configPath(env)
    const requested = (args.mrunContext ?? args.context) as string | undefined
    const found = selectContext(loadConfig(path), requested === '' ? undefined : requested, path)
    const kubeContext = (args.kubeContext as string | undefined) ?? found?.context.kube_context
    return { kubeContext, namespace: found?.context.namespace }
  } catch {
    return { kubeContext: args.kubeContext as string | undefined }
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

/** The RUN argument of status, logs and fetch. */
export const runArg = {
  run: {
    type: 'positional',
    required: true,
    names: 'reference',
    description: 'Run (Job name or run id)',
    complete: RUN_COMPLETION,
  },
} as const satisfies SuiteArgsDef

export interface Selected {
  path: string
  config: MrunConfig
  name: string | undefined
  context: MrunContext
}

export function selected(ctx: SuiteCommandContext): Selected {
  const path = configPath(ctx.io.env)
  const config = loadConfig(path)
  const args = ctx.args as { context?: string; mrunContext?: string }
  const requested = args.mrunContext ?? args.context
  const found = selectContext(config, requested === '' ? undefined : requested, path)
  return { path, config, name: found?.name, context: found?.context ?? {} }
}

/** Connects with kubectl's global flags, taking the kubeconfig context from the mrun context. */
export async function connectFor(ctx: SuiteCommandContext, context: MrunContext): Promise<Kube> {
  const flags = kubeFlagsFromArgs(ctx.args as unknown as ParsedKubeArgs)
  const kubeContext = (ctx.args as { kubeContext?: string }).kubeContext ?? context.kube_context
  if (kubeContext === undefined || kubeContext === '') delete flags.context
  else flags.context = kubeContext
  const kube = await connect(flags, { env: ctx.io.env, stdinIsTTY: ctx.io.inIsTTY, log: (line) => ctx.log.trace(line) })
  ctx.log.debug(`using ${kube.describe()}`)
  return kube
}

/** The namespace of a command: -n, else the mrun context's, else the kubeconfig's. */
export function namespaceFor(ctx: SuiteCommandContext, context: MrunContext, kube: Kube | undefined): string {
  const flag = (ctx.args as { namespace?: string }).namespace
  if (flag !== undefined && flag !== '') return flag
  return context.namespace ?? kube?.namespace ?? 'default'
}
