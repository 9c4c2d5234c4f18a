import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { parse, stringify } from 'yaml'
import { SuiteError } from '../../shared/errors.ts'
import { BUILDERS, type MrunConfig, type MrunContext, type MrunnerContext } from './model.ts'

/** `$XDG_CONFIG_HOME/<app>/config.yaml`, else `~/.config/<app>/config.yaml`, as mrunner's click.get_app_dir on Linux. */
export function configPath(env: NodeJS.ProcessEnv, app = 'kubectl-mrun'): string {
  const base = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : undefined
  return join(base ?? join(env.HOME ?? homedir(), '.config'), app, 'config.yaml')
}

export function loadConfig(path: string): MrunConfig {
  if (!existsSync(path)) return { contexts: {} }
  let data: unknown
  try {
    data = parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new SuiteError('config', `${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'fix the file or remove it and add the contexts again with kubectl mrun context add',
    })
  }
  if (data === null || data === undefined) return { contexts: {} }
  if (typeof data !== 'object' || Array.isArray(data))
    throw new SuiteError('config', `${path} must hold a mapping with "contexts" and "current_context"`)
  const config = data as Partial<MrunConfig>
  const contexts = config.contexts ?? {}
  for (const [name, context] of Object.entries(contexts)) {
    if (context?.builder !== undefined && !BUILDERS.includes(context.builder))
      throw new SuiteError('config', `context "${name}" in ${path} has builder "${context.builder}"`, {
        hint: `use one of ${BUILDERS.join(', ')}`,
      })
  }
  return { ...(config.current_context === undefined ? {} : { current_context: config.current_context }), contexts }
}

/** Writes through a temporary file and a rename, so an interrupted write never leaves half a config behind. */
export function saveConfig(path: string, config: MrunConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const temp = `${path}.tmp-${process.pid}`
  writeFileSync(temp, stringify(config), { mode: 0o600 })
  chmodSync(temp, 0o600)
  renameSync(temp, path)
}

/** The context a command uses: --context, else current_context; an unknown name is a config error with the fix. */
export function selectContext(
  config: MrunConfig,
  requested: string | undefined,
  path: string,
): { name: string; context: MrunContext } | undefined {
  const name = requested ?? config.current_context
  if (name === undefined) return undefined
  const context = config.contexts[name]
  if (context === undefined) {
    const known = Object.keys(config.contexts)
    throw new SuiteError('config', `mrun context "${name}" is not defined in ${path}`, {
      hint:
        known.length === 0
          ? 'add one with kubectl mrun context add NAME (or kubectl mrun context import)'
          : `known contexts: ${known.join(', ')}; add one with kubectl mrun context add ${name}`,
    })
  }
  return { name, context }
}

/** mrunner's file: `contexts: {name: {...}}` and `current_context`. */
export function readMrunnerConfig(path: string): { contexts: MrunnerContext[]; current?: string } {
  if (!existsSync(path))
    throw new SuiteError('not-found', `mrunner config ${path} does not exist`, {
      hint: 'pass the path of your mrunner config.yaml: kubectl mrun context import FILE',
    })
  let data: unknown
  try {
    data = parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new SuiteError('invalid', `${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`)
  }
  const doc = (data ?? {}) as { contexts?: Record<string, MrunnerContext>; current_context?: string }
  const contexts = Object.entries(doc.contexts ?? {}).map(([key, value]) => ({ context_name: key, ...value }))
  return { contexts, ...(doc.current_context === undefined ? {} : { current: doc.current_context }) }
}
