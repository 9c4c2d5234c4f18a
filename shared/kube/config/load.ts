import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve, sep } from 'node:path'
import { parse } from 'yaml'
import { SuiteError } from '../../errors.ts'

/**
 * Reading and merging kubeconfig files with client-go's rules (clientcmd loader): each file's relative paths are
 * resolved against its own folder, then files merge first-wins per cluster/user/context name, and the first
 * file that sets current-context decides it. client-node throws on duplicates and lets the last file win, which
 * is why this is ours.
 */
export type Entry = Record<string, unknown>

export interface KubeconfigDoc {
  clusters: Map<string, Entry>
  users: Map<string, Entry>
  contexts: Map<string, Entry>
  currentContext: string | undefined
  files: string[]
}

export type ReadFile = (path: string) => string

const defaultRead: ReadFile = (path) => readFileSync(path, 'utf8')

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function resolvePath(base: string, value: unknown): unknown {
  if (typeof value !== 'string' || value === '' || isAbsolute(value)) return value
  if (value.startsWith('~/')) return value
  return resolve(base, value)
}

/** client-go resolves these fields against the file's folder; exec commands only when they contain a separator. */
function resolveRelative(file: string, doc: { clusters: Map<string, Entry>; users: Map<string, Entry> }): void {
  const base = dirname(file)
  for (const cluster of doc.clusters.values()) {
    cluster['certificate-authority'] = resolvePath(base, cluster['certificate-authority'])
  }
  for (const user of doc.users.values()) {
    for (const key of ['client-certificate', 'client-key', 'token-file']) user[key] = resolvePath(base, user[key])
    const exec = user.exec
    if (isRecord(exec) && typeof exec.command === 'string' && exec.command.includes(sep)) {
      exec.command = resolvePath(base, exec.command)
    }
  }
}

function namedEntries(list: unknown, field: string, file: string): Map<string, Entry> {
  const result = new Map<string, Entry>()
  if (list === undefined || list === null) return result
  if (!Array.isArray(list))
    throw new SuiteError('config', `error loading config file "${file}": "${field}s" must be a list`)
  for (const item of list) {
    if (!isRecord(item) || typeof item.name !== 'string') continue
    const body = item[field]
    // First occurrence wins within a file too, as client-go's map conversion keeps the first.
    if (!result.has(item.name)) result.set(item.name, isRecord(body) ? { ...body } : {})
  }
  return result
}

export function loadKubeconfigFile(file: string, read: ReadFile = defaultRead): KubeconfigDoc {
  const text = read(file)
  let raw: unknown
  try {
    raw = parse(text)
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0]
    throw new SuiteError('config', `error loading config file "${file}": ${reason}`, {
      hint: 'fix the YAML, or point --kubeconfig / KUBECONFIG at another file',
    })
  }
  if (raw === null || raw === undefined) raw = {}
  if (!isRecord(raw))
    throw new SuiteError('config', `error loading config file "${file}": not a kubeconfig (expected a YAML mapping)`)
  const doc = {
    clusters: namedEntries(raw.clusters, 'cluster', file),
    users: namedEntries(raw.users, 'user', file),
    contexts: namedEntries(raw.contexts, 'context', file),
    currentContext:
      typeof raw['current-context'] === 'string' && raw['current-context'] !== '' ? raw['current-context'] : undefined,
    files: [file],
  }
  resolveRelative(file, doc)
  return doc
}

/** Merges in order with first-wins per name; missing files in KUBECONFIG are skipped as kubectl skips them. */
export function mergeKubeconfigs(
  files: readonly string[],
  read: ReadFile = defaultRead,
  exists: (path: string) => boolean,
): KubeconfigDoc {
  const merged: KubeconfigDoc = {
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    currentContext: undefined,
    files: [],
  }
  const seen = new Set<string>()
  for (const file of files) {
    if (file === '' || seen.has(file)) continue
    seen.add(file)
    if (!exists(file)) continue
    const doc = loadKubeconfigFile(file, read)
    merged.files.push(file)
    for (const kind of ['clusters', 'users', 'contexts'] as const) {
      for (const [name, entry] of doc[kind]) if (!merged[kind].has(name)) merged[kind].set(name, entry)
    }
    merged.currentContext ??= doc.currentContext
  }
  return merged
}
