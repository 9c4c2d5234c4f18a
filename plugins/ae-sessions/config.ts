import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { SuiteError } from '../../shared/errors.ts'
import {
  DEFAULT_CONFIG,
  type KindRule,
  type MetadataKey,
  type PlatformConfig,
  parseMetadataKeys,
  WORKLOAD_KINDS,
  type WorkloadKind,
} from './platform.ts'

/**
 * Where the platform keys come from, strongest first: flags, environment, the config file, the defaults. The file
 * is `$AE_SESSIONS_CONFIG`, else `$XDG_CONFIG_HOME/kubectl-ae-sessions/config.yaml` (~/.config when unset); a
 * missing default file is fine, a missing file someone named is an error.
 */
export interface ConfigFlags {
  config?: string | undefined
  ownerKeys?: string | undefined
  projectKeys?: string | undefined
  sessionLabels?: string | undefined
  deploymentLabels?: string | undefined
  runLabels?: string | undefined
  platformNamespaces?: string | undefined
}

export const CONFIG_ENV = {
  config: 'AE_SESSIONS_CONFIG',
  ownerKeys: 'AE_SESSIONS_OWNER_KEYS',
  projectKeys: 'AE_SESSIONS_PROJECT_KEYS',
  sessionLabels: 'AE_SESSIONS_SESSION_LABELS',
  deploymentLabels: 'AE_SESSIONS_DEPLOYMENT_LABELS',
  runLabels: 'AE_SESSIONS_RUN_LABELS',
  platformNamespaces: 'AE_SESSIONS_NAMESPACES',
} as const

export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const base =
    env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config')
  return join(base, 'kubectl-ae-sessions', 'config.yaml')
}

export function loadPlatformConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv): PlatformConfig {
  const named = flags.config ?? nonEmpty(env[CONFIG_ENV.config])
  const path = named ?? defaultConfigPath(env)
  let text: string | undefined
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (named !== undefined || code !== 'ENOENT')
      throw new SuiteError('config', `cannot read the ae-sessions config file ${path}: ${code ?? String(error)}`, {
        hint: 'fix the path given by --config or AE_SESSIONS_CONFIG, or remove it to use the defaults',
      })
  }
  let config = text === undefined ? DEFAULT_CONFIG : configFromFile(text, path)
  const pick = (key: keyof typeof CONFIG_ENV): string | undefined => flags[key] ?? nonEmpty(env[CONFIG_ENV[key]])
  const ownerKeys = pick('ownerKeys')
  const projectKeys = pick('projectKeys')
  const namespaces = pick('platformNamespaces')
  config = {
    ...config,
    ...(ownerKeys === undefined ? {} : { ownerKeys: checkedKeys(ownerKeys, '--owner-keys') }),
    ...(projectKeys === undefined ? {} : { projectKeys: checkedKeys(projectKeys, '--project-keys') }),
    ...(namespaces === undefined ? {} : { namespaces: splitList(namespaces) }),
  }
  const kinds = { ...config.kinds }
  for (const [kind, key] of [
    ['session', 'sessionLabels'],
    ['deployment', 'deploymentLabels'],
    ['run', 'runLabels'],
  ] as const) {
    const labels = pick(key)
    if (labels !== undefined) kinds[kind] = { ...kinds[kind], idLabels: splitList(labels) }
  }
  return { ...config, kinds }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

function checkedKeys(text: string, where: string): MetadataKey[] {
  const keys = parseMetadataKeys(text)
  if (keys.length === 0)
    throw new SuiteError('usage', `${where} is empty`, {
      hint: 'give keys such as label:anaconda-owner,annotation:anaconda.com/owner',
    })
  return keys
}

/** The config file: every key optional, unknown keys refused so a typo never silently means "default". */
export function configFromFile(text: string, path: string): PlatformConfig {
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (error) {
    throw new SuiteError('config', `${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'fix the file or remove it to use the defaults',
    })
  }
  if (raw === null || raw === undefined) return DEFAULT_CONFIG
  const bad = (what: string): SuiteError =>
    new SuiteError('config', `${path}: ${what}`, {
      hint: 'keys: ownerKeys, projectKeys, namespaces (lists of strings) and kinds.{session,deployment,run}.{labels,jobNamePrefix,namePrefix}',
    })
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad('the file must be a mapping')
  const record = raw as Record<string, unknown>
  const strings = (value: unknown, key: string): string[] => {
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
      throw bad(`${key} must be a list of strings`)
    return value as string[]
  }
  const config: PlatformConfig = { ...DEFAULT_CONFIG, kinds: { ...DEFAULT_CONFIG.kinds } }
  for (const [key, value] of Object.entries(record)) {
    if (key === 'ownerKeys') config.ownerKeys = parseMetadataKeys(strings(value, key).join(','))
    else if (key === 'projectKeys') config.projectKeys = parseMetadataKeys(strings(value, key).join(','))
    else if (key === 'namespaces') config.namespaces = strings(value, key)
    else if (key === 'kinds') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('kinds must be a mapping')
      for (const [kindName, ruleValue] of Object.entries(value as Record<string, unknown>)) {
        if (!WORKLOAD_KINDS.includes(kindName as WorkloadKind)) throw bad(`unknown kind "${kindName}" under kinds`)
        const kind = kindName as WorkloadKind
        if (typeof ruleValue !== 'object' || ruleValue === null) throw bad(`kinds.${kind} must be a mapping`)
        const rule: KindRule = { ...config.kinds[kind] }
        for (const [field, fieldValue] of Object.entries(ruleValue as Record<string, unknown>)) {
          if (field === 'labels') rule.idLabels = strings(fieldValue, `kinds.${kind}.labels`)
          else if (field === 'namePrefix' && typeof fieldValue === 'string') rule.namePrefix = fieldValue
          else if (field === 'jobNamePrefix' && typeof fieldValue === 'string')
            rule.prefixedLabels = rule.prefixedLabels.map((p) => ({ ...p, valuePrefix: fieldValue }))
          else throw bad(`unknown or mistyped key kinds.${kind}.${field}`)
        }
        config.kinds[kind] = rule
      }
    } else throw bad(`unknown key "${key}"`)
  }
  return config
}
