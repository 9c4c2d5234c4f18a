import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { parse, stringify } from 'yaml'
import { SuiteError } from '../../shared/errors.ts'
import type { MrunContext, MrunnerContext } from './model.ts'
import { type ProfilesFile, parseProfiles, type SchemaProblem } from './profiles-schema.ts'

/**
 * mrun's profiles on disk: `$XDG_CONFIG_HOME/kubectl-mrun/profiles.yaml` (else ~/.config/…), validated on every
 * read. The file before profiles (config.yaml with `contexts` and `current_context`) is moved over on the first
 * read that finds no profiles file, once, with a one-line note; the old file is left as it was.
 */

/** `$XDG_CONFIG_HOME/<app>/<file>`, else `~/.config/<app>/<file>`, as mrunner's click.get_app_dir on Linux. */
export function configFile(env: NodeJS.ProcessEnv, app: string, file: string): string {
  const base = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : undefined
  return join(base ?? join(env.HOME ?? homedir(), '.config'), app, file)
}

export const profilesPath = (env: NodeJS.ProcessEnv): string => configFile(env, 'kubectl-mrun', 'profiles.yaml')
/** Where mrun kept its "contexts" before they were profiles. */
export const legacyConfigPath = (env: NodeJS.ProcessEnv): string => configFile(env, 'kubectl-mrun', 'config.yaml')
/** mrunner's own config (what `profile import` reads by default). */
export const mrunnerConfigPath = (env: NodeJS.ProcessEnv): string => configFile(env, 'mrunner', 'config.yaml')

function readYaml(path: string, kind: 'config' | 'invalid'): unknown {
  try {
    return parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new SuiteError(kind, `${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'fix the file, or move it away and add the profiles again with kubectl mrun profile add NAME',
    })
  }
}

/** Every bad field of a file as one error: a line per field, then the fix. */
export function problemsError(path: string, problems: readonly SchemaProblem[]): SuiteError {
  const lines = problems.map((p) => `  ${p.path}: ${p.message}`)
  const count = problems.length === 1 ? '1 bad field' : `${problems.length} bad fields`
  return new SuiteError('config', `${path} has ${count}:\n${lines.join('\n')}`, {
    hint: 'fix them in the file (nothing was run), or set them again with kubectl mrun profile add NAME --help',
  })
}

/** The old file's shape made a profiles file's: `contexts` → `profiles`, `current_context` → `current_profile`. */
export function migrateLegacy(data: unknown): unknown {
  if (data === null || data === undefined) return {}
  if (typeof data !== 'object' || Array.isArray(data)) return data
  const { contexts, current_context, ...rest } = data as Record<string, unknown>
  return {
    ...rest,
    ...(current_context === undefined ? {} : { current_profile: current_context }),
    ...(contexts === undefined ? {} : { profiles: contexts }),
  }
}

export interface LoadedProfiles {
  path: string
  file: ProfilesFile
}

/**
 * The profiles, validated: a bad field is a config error (exit 3) naming every bad field, before anything runs.
 * `note` gets the one line that says the old config was moved.
 */
export function loadProfiles(env: NodeJS.ProcessEnv, note: (line: string) => void = () => {}): LoadedProfiles {
  const path = profilesPath(env)
  if (existsSync(path)) {
    const result = parseProfiles(readYaml(path, 'config'))
    if ('problems' in result) throw problemsError(path, result.problems)
    return { path, file: result.file }
  }
  const legacy = legacyConfigPath(env)
  if (!existsSync(legacy)) return { path, file: { profiles: {} } }
  const result = parseProfiles(migrateLegacy(readYaml(legacy, 'config')))
  if ('problems' in result)
    throw problemsError(
      legacy,
      result.problems.map((p) => ({
        path: p.path.replace(/^profiles\./, 'contexts.').replace(/^current_profile$/, 'current_context'),
        message: p.message,
      })),
    )
  saveProfiles(path, result.file)
  const count = Object.keys(result.file.profiles).length
  note(
    `note: moved ${count === 1 ? '1 mrun context' : `${count} mrun contexts`} from ${legacy} to ${path}; they are profiles now (--profile NAME), and --context names a kubeconfig context, as in kubectl`,
  )
  return { path, file: result.file }
}

/** Writes through a temporary file and a rename, so an interrupted write never leaves half a file behind. */
export function saveProfiles(path: string, file: ProfilesFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const temp = `${path}.tmp-${process.pid}`
  const ordered = {
    ...(file.current_profile === undefined ? {} : { current_profile: file.current_profile }),
    profiles: file.profiles,
  }
  writeFileSync(temp, stringify(ordered), { mode: 0o600 })
  chmodSync(temp, 0o600)
  renameSync(temp, path)
}

/** Where a command's profile comes from, strongest first. */
export interface ProfileRequest {
  /** --profile */
  flag?: string | undefined
  /** $MRUN_PROFILE */
  env?: string | undefined
}

/**
 * The profile a command uses: --profile, else $MRUN_PROFILE, else the file's current_profile, else none (every
 * setting at its default). A name that is not defined is a config error with the known names.
 */
export function selectProfile(
  loaded: LoadedProfiles,
  request: ProfileRequest,
): { name: string; profile: MrunContext } | undefined {
  const given = [
    [request.flag, '--profile'],
    [request.env, 'MRUN_PROFILE'],
  ].find(([value]) => value !== undefined && value !== '')
  const name = given?.[0] ?? loaded.file.current_profile
  if (name === undefined) return undefined
  const profile = loaded.file.profiles[name]
  if (profile === undefined) {
    const known = Object.keys(loaded.file.profiles).sort()
    const from = given === undefined ? `current_profile of ${loaded.path}` : (given[1] as string)
    throw new SuiteError('config', `mrun profile "${name}" (from ${from}) is not defined in ${loaded.path}`, {
      hint:
        known.length === 0
          ? 'add one with kubectl mrun profile add NAME (or kubectl mrun profile import)'
          : `known profiles: ${known.join(', ')}; add this one with kubectl mrun profile add ${name}`,
    })
  }
  return { name, profile }
}

/** Profile names for shell completion: never throws, a broken file simply offers none. */
export function profileNames(env: NodeJS.ProcessEnv): string[] {
  try {
    const path = profilesPath(env)
    const source = existsSync(path) ? path : legacyConfigPath(env)
    if (!existsSync(source)) return []
    const data = readYaml(source, 'config') as Record<string, unknown> | null
    const profiles = (source === path ? data?.profiles : data?.contexts) as Record<string, unknown> | undefined
    return profiles !== null && typeof profiles === 'object' ? Object.keys(profiles).sort() : []
  } catch {
    return []
  }
}

/** mrunner's file: `contexts: {name: {...}}` and `current_context`. */
export function readMrunnerConfig(path: string): { contexts: MrunnerContext[]; current?: string } {
  if (!existsSync(path))
    throw new SuiteError('not-found', `mrunner config ${path} does not exist`, {
      hint: 'pass the path of your mrunner config.yaml: kubectl mrun profile import FILE',
    })
  const data = readYaml(path, 'invalid')
  if (data !== null && data !== undefined && (typeof data !== 'object' || Array.isArray(data)))
    throw new SuiteError('invalid', `${path} is not an mrunner config: it must hold a mapping with "contexts"`)
  const doc = (data ?? {}) as { contexts?: unknown; current_context?: unknown }
  const contexts =
    doc.contexts !== null && typeof doc.contexts === 'object' && !Array.isArray(doc.contexts)
      ? Object.entries(doc.contexts as Record<string, unknown>).map(([key, value]) => ({
          context_name: key,
          ...(value !== null && typeof value === 'object' ? (value as MrunnerContext) : {}),
        }))
      : []
  return {
    contexts,
    ...(typeof doc.current_context === 'string' ? { current: doc.current_context } : {}),
  }
}
