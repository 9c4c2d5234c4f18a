import type { SuiteArgsDef } from '../../../shared/cli/args.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { type ConfigFlags, loadPlatformConfig } from '../config.ts'
import type { PlatformConfig } from '../platform.ts'

/** How this install labels its workloads: every command takes these, so `info` finds what `list` shows. */
export const platformArgs = {
  config: {
    type: 'string',
    description: 'Config file (default $XDG_CONFIG_HOME/kubectl-ae-sessions/config.yaml; env AE_SESSIONS_CONFIG)',
  },
  'owner-keys': {
    type: 'string',
    description:
      'Where the owner is read, in order: label:KEY, annotation:KEY or KEY (default label:anaconda-owner,annotation:anaconda.com/owner; env AE_SESSIONS_OWNER_KEYS)',
  },
  'project-keys': {
    type: 'string',
    description:
      'Where the project is read, same form (default label:anaconda-project-id,annotation:anaconda.com/project; env AE_SESSIONS_PROJECT_KEYS)',
  },
  'session-labels': {
    type: 'string',
    description: 'Labels holding a session id (default anaconda-session-id,session-id)',
  },
  'deployment-labels': {
    type: 'string',
    description: 'Labels holding a deployment id (default anaconda-app-id,app-id)',
  },
  'run-labels': {
    type: 'string',
    description: 'Labels holding a job run id (default job-id; job-name=anaconda-job-<id> always counts)',
  },
  'platform-namespaces': {
    type: 'string',
    description: 'Namespaces to read one by one when listing all namespaces is forbidden (env AE_SESSIONS_NAMESPACES)',
  },
  'chunk-size': { type: 'string', description: 'Objects per page when listing (default 500, as kubectl)' },
} as const satisfies SuiteArgsDef

export function platformConfigFrom(args: ConfigFlags, env: NodeJS.ProcessEnv): PlatformConfig {
  return loadPlatformConfig(
    {
      config: args.config,
      ownerKeys: args.ownerKeys,
      projectKeys: args.projectKeys,
      sessionLabels: args.sessionLabels,
      deploymentLabels: args.deploymentLabels,
      runLabels: args.runLabels,
      platformNamespaces: args.platformNamespaces,
    },
    env,
  )
}

export function parseChunkSize(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!Number.isInteger(value) || value < 0)
    throw new SuiteError('usage', `invalid --chunk-size "${text}": not a whole number`, {
      hint: 'use e.g. --chunk-size=500 (0 lists in one page)',
    })
  return value
}
