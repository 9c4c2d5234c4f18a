import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** The suite's plugins: the name users type after `kubectl`, and the entry that runs it from source. */
export const PLUGINS = [
  { name: 'usage', entry: 'plugins/usage/main.ts' },
  { name: 'ae-sessions', entry: 'plugins/ae-sessions/main.ts' },
  { name: 'secretview', entry: 'plugins/secretview/main.ts' },
  { name: 'mrun', entry: 'plugins/mrun/main.ts' },
  { name: 'pvclaim', entry: 'plugins/pvclaim/main.ts' },
] as const

export type PluginName = (typeof PLUGINS)[number]['name']

export const REPO_ROOT = resolve(import.meta.dirname, '../..')

/**
 * kubectl looks a plugin up as `kubectl-` + the words joined by '-', with '-' inside a word turned into '_':
 * `kubectl ae-sessions` runs `kubectl-ae_sessions`. Krew names its links the same way.
 */
export function dispatchName(plugin: string): string {
  return `kubectl-${plugin.replaceAll('-', '_')}`
}

export function existingPlugins(): (typeof PLUGINS)[number][] {
  return PLUGINS.filter((p) => existsSync(join(REPO_ROOT, p.entry)))
}

/**
 * A temporary bin folder holding a link per existing plugin, named as kubectl dispatches it, pointing at the
 * TypeScript entry (which starts with `#!/usr/bin/env node`). Put it first on PATH to use real plugin dispatch.
 */
export function pluginBinDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubectl-suite-bin-'))
  removeAtExit(dir)
  for (const plugin of existingPlugins())
    symlinkSync(join(REPO_ROOT, plugin.entry), join(dir, dispatchName(plugin.name)))
  return dir
}

/** PATH with the plugin folder first and the Node that npm scripts use (node_modules/.bin) right after. */
export function pluginPath(binDir: string, env: NodeJS.ProcessEnv = process.env): string {
  // Only folders that exist: kubectl plugin list warns about every missing PATH entry npm adds.
  const rest = (env.PATH ?? '').split(':').filter((dir) => dir !== '' && existsSync(dir))
  return [binDir, join(REPO_ROOT, 'node_modules/.bin'), ...rest].join(':')
}

const toRemove = new Set<string>()

/** Removes a temporary folder when the process (a test worker, the demo) exits, however the tests went. */
export function removeAtExit(dir: string): void {
  if (toRemove.size === 0)
    process.once('exit', () => {
      for (const path of toRemove) rmSync(path, { recursive: true, force: true })
    })
  toRemove.add(dir)
}
