import { readFileSync } from 'node:fs'
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path'
import type { Tags } from 'yaml'
import { SuiteError } from '../../errors.ts'
import { parseYamlQuietly, type YamlSyntaxError } from '../../yaml.ts'

/**
 * Reading and merging kubeconfig files with clientcmd's loader rules (loader.go): which files, how they merge,
 * how relative paths resolve, and what counts as a broken file. The result is a typed model of what kubectl
 * would hold in memory after `Load()`, before any context is chosen or any flag applied.
 */

/** Reads a whole file; throws a Node errno error (code ENOENT, EISDIR, EACCES...) when it cannot. */
export type ReadFile = (path: string) => string | Buffer

export interface KubeconfigCluster {
  name: string
  /** The file the entry came from (clientcmd LocationOfOrigin). */
  origin: string
  server?: string
  certificateAuthority?: string
  certificateAuthorityData?: Buffer
  insecureSkipTlsVerify: boolean
  tlsServerName?: string
  proxyUrl?: string
  disableCompression: boolean
}

export interface KubeconfigExec {
  command?: string
  args: string[]
  env: { name: string; value: string }[]
  apiVersion?: string
  installHint?: string
  provideClusterInfo: boolean
  interactiveMode?: string
}

export interface KubeconfigUser {
  name: string
  origin: string
  token?: string
  tokenFile?: string
  username?: string
  password?: string
  clientCertificate?: string
  clientCertificateData?: Buffer
  clientKey?: string
  clientKeyData?: Buffer
  impersonate?: string
  impersonateUid?: string
  impersonateGroups: string[]
  impersonateExtra?: Record<string, string[]>
  authProvider?: string
  exec?: KubeconfigExec
}

export interface KubeconfigContext {
  name: string
  origin: string
  cluster?: string
  user?: string
  namespace?: string
}

export interface Kubeconfig {
  /** The files that were read, in merge order (missing KUBECONFIG entries left out). */
  files: string[]
  clusters: Map<string, KubeconfigCluster>
  users: Map<string, KubeconfigUser>
  contexts: Map<string, KubeconfigContext>
  currentContext?: string
}

export const emptyKubeconfig = (): Kubeconfig => ({
  files: [],
  clusters: new Map(),
  users: new Map(),
  contexts: new Map(),
})

const LOAD_HINT = 'fix the file, or point --kubeconfig / KUBECONFIG at another one'

type Json = string | number | boolean | null | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

function describeType(value: unknown): string {
  if (Array.isArray(value)) return 'a list'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'a mapping'
  return `a ${typeof value}`
}

/**
 * Typed reads in the manner of Go's encoding/json into the clientcmd v1 structs: null or absent leaves the zero
 * value, a wrong type is an error that names the field, and an empty string counts as unset as in Go.
 */
class FieldReader {
  readonly file: string
  constructor(file: string) {
    this.file = file
  }

  fail(message: string): SuiteError {
    return new SuiteError('config', `error loading config file "${this.file}": ${message}`, { hint: LOAD_HINT })
  }

  object(value: Json | undefined, path: string): JsonObject | undefined {
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'object' || Array.isArray(value))
      throw this.fail(`${path} must be a mapping, not ${describeType(value)}`)
    return value
  }

  list(value: Json | undefined, path: string): Json[] {
    if (value === undefined || value === null) return []
    if (!Array.isArray(value)) throw this.fail(`${path} must be a list, not ${describeType(value)}`)
    return value
  }

  string(value: Json | undefined, path: string): string | undefined {
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'string') throw this.fail(`${path} must be a string, not ${describeType(value)}`)
    return value === '' ? undefined : value
  }

  strings(value: Json | undefined, path: string): string[] {
    return this.list(value, path).map((item, i) => this.string(item, `${path}[${i}]`) ?? '')
  }

  bool(value: Json | undefined, path: string): boolean {
    if (value === undefined || value === null) return false
    if (typeof value !== 'boolean') throw this.fail(`${path} must be true or false, not ${describeType(value)}`)
    return value
  }

  /** Go decodes []byte fields with standard padded base64, skipping only CR and LF. */
  base64(value: Json | undefined, path: string, owner: string): Buffer | undefined {
    const text = this.string(value, path)
    if (text === undefined) return undefined
    const clean = text.replace(/[\r\n]/g, '')
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) {
      const field = path.slice(path.lastIndexOf('.') + 1)
      throw this.fail(`illegal base64 data in ${field} of ${owner}`)
    }
    return Buffer.from(clean, 'base64')
  }
}

/** go-yaml (behind sigs.k8s.io/yaml) speaks YAML 1.1, so `on`/`y`/`no` are booleans there and must be here too. */
const yamlTags = (tags: Tags): Tags =>
  tags.filter((tag) => typeof tag !== 'object' || tag.tag !== 'tag:yaml.org,2002:timestamp')

function parseYaml(text: string, file: string): Json {
  try {
    return (parseYamlQuietly(text, { version: '1.1', customTags: yamlTags, uniqueKeys: false }) ?? null) as Json
  } catch (error) {
    // Line and column only: the yaml library's own message quotes the source line, which may hold a token.
    const err = error as YamlSyntaxError
    const where = err.line === undefined ? '' : `line ${err.line}, column ${err.column}: `
    throw new SuiteError('config', `error loading config file "${file}": yaml: ${where}${err.reason ?? 'unreadable'}`, {
      hint: LOAD_HINT,
    })
  }
}

/** Entries are lists of {name, <kind>: {...}}; a name repeated inside one file is an error in client-go. */
function namedEntries<T>(
  reader: FieldReader,
  raw: Json | undefined,
  listName: string,
  bodyName: string,
  decode: (name: string, body: JsonObject, path: string) => T,
): Map<string, T> {
  const entries = new Map<string, T>()
  reader.list(raw, listName).forEach((item, i) => {
    const path = `${listName}[${i}]`
    const entry = reader.object(item, path) ?? {}
    const name = reader.string(entry.name, `${path}.name`) ?? ''
    if (entries.has(name)) throw reader.fail(`duplicate name "${name}" in ${listName}`)
    entries.set(name, decode(name, reader.object(entry[bodyName], `${path}.${bodyName}`) ?? {}, `${path}.${bodyName}`))
  })
  return entries
}

/**
 * client-go ResolveLocalPaths: a relative reference is relative to the folder of the file that holds it. The
 * exec command only when it names a path (contains a separator); a bare name is looked up on PATH later.
 */
function resolveAgainst(base: string, path: string | undefined): string | undefined {
  return path === undefined || isAbsolute(path) ? path : join(base, path)
}

function decodeCluster(reader: FieldReader, name: string, body: JsonObject, path: string): KubeconfigCluster {
  const owner = `cluster "${name}"`
  const cluster: KubeconfigCluster = {
    name,
    origin: reader.file,
    insecureSkipTlsVerify: reader.bool(body['insecure-skip-tls-verify'], `${path}.insecure-skip-tls-verify`),
    disableCompression: reader.bool(body['disable-compression'], `${path}.disable-compression`),
  }
  const server = reader.string(body.server, `${path}.server`)
  const ca = reader.string(body['certificate-authority'], `${path}.certificate-authority`)
  const caData = reader.base64(body['certificate-authority-data'], `${path}.certificate-authority-data`, owner)
  const tlsServerName = reader.string(body['tls-server-name'], `${path}.tls-server-name`)
  const proxyUrl = reader.string(body['proxy-url'], `${path}.proxy-url`)
  if (server !== undefined) cluster.server = server
  if (ca !== undefined) cluster.certificateAuthority = ca
  if (caData !== undefined && caData.length > 0) cluster.certificateAuthorityData = caData
  if (tlsServerName !== undefined) cluster.tlsServerName = tlsServerName
  if (proxyUrl !== undefined) cluster.proxyUrl = proxyUrl
  return cluster
}

function decodeExec(reader: FieldReader, body: JsonObject, path: string): KubeconfigExec {
  const exec: KubeconfigExec = {
    args: reader.strings(body.args, `${path}.args`),
    env: reader.list(body.env, `${path}.env`).map((item, i) => {
      const variable = reader.object(item, `${path}.env[${i}]`) ?? {}
      return {
        name: reader.string(variable.name, `${path}.env[${i}].name`) ?? '',
        value: reader.string(variable.value, `${path}.env[${i}].value`) ?? '',
      }
    }),
    provideClusterInfo: reader.bool(body.provideClusterInfo, `${path}.provideClusterInfo`),
  }
  const command = reader.string(body.command, `${path}.command`)
  const apiVersion = reader.string(body.apiVersion, `${path}.apiVersion`)
  const installHint = reader.string(body.installHint, `${path}.installHint`)
  const interactiveMode = reader.string(body.interactiveMode, `${path}.interactiveMode`)
  if (command !== undefined) exec.command = command
  if (apiVersion !== undefined) exec.apiVersion = apiVersion
  if (installHint !== undefined) exec.installHint = installHint
  if (interactiveMode !== undefined) exec.interactiveMode = interactiveMode
  return exec
}

function decodeUser(reader: FieldReader, name: string, body: JsonObject, path: string): KubeconfigUser {
  const owner = `user "${name}"`
  const user: KubeconfigUser = {
    name,
    origin: reader.file,
    impersonateGroups: reader.strings(body['as-groups'], `${path}.as-groups`),
  }
  const strings = {
    token: 'token',
    tokenFile: 'tokenFile',
    username: 'username',
    password: 'password',
    clientCertificate: 'client-certificate',
    clientKey: 'client-key',
    impersonate: 'as',
    impersonateUid: 'as-uid',
  } as const
  for (const [field, key] of Object.entries(strings) as [keyof typeof strings, string][]) {
    const value = reader.string(body[key], `${path}.${key}`)
    if (value !== undefined) user[field] = value
  }
  const certData = reader.base64(body['client-certificate-data'], `${path}.client-certificate-data`, owner)
  const keyData = reader.base64(body['client-key-data'], `${path}.client-key-data`, owner)
  if (certData !== undefined && certData.length > 0) user.clientCertificateData = certData
  if (keyData !== undefined && keyData.length > 0) user.clientKeyData = keyData
  const extra = reader.object(body['as-user-extra'], `${path}.as-user-extra`)
  if (extra !== undefined && Object.keys(extra).length > 0) {
    user.impersonateExtra = Object.fromEntries(
      Object.entries(extra).map(([key, values]) => [key, reader.strings(values, `${path}.as-user-extra.${key}`)]),
    )
  }
  const provider = reader.object(body['auth-provider'], `${path}.auth-provider`)
  if (provider !== undefined) user.authProvider = reader.string(provider.name, `${path}.auth-provider.name`) ?? ''
  const exec = reader.object(body.exec, `${path}.exec`)
  if (exec !== undefined) user.exec = decodeExec(reader, exec, `${path}.exec`)
  return user
}

function decodeContext(reader: FieldReader, name: string, body: JsonObject, path: string): KubeconfigContext {
  const context: KubeconfigContext = { name, origin: reader.file }
  const cluster = reader.string(body.cluster, `${path}.cluster`)
  const user = reader.string(body.user, `${path}.user`)
  const namespace = reader.string(body.namespace, `${path}.namespace`)
  if (cluster !== undefined) context.cluster = cluster
  if (user !== undefined) context.user = user
  if (namespace !== undefined) context.namespace = namespace
  return context
}

function resolveLocalPaths(config: Kubeconfig, file: string): void {
  const base = dirname(file)
  for (const cluster of config.clusters.values()) {
    const ca = resolveAgainst(base, cluster.certificateAuthority)
    if (ca !== undefined) cluster.certificateAuthority = ca
  }
  for (const user of config.users.values()) {
    for (const field of ['clientCertificate', 'clientKey', 'tokenFile'] as const) {
      const path = resolveAgainst(base, user[field])
      if (path !== undefined) user[field] = path
    }
    if (user.exec?.command?.includes(sep)) user.exec.command = resolveAgainst(base, user.exec.command) as string
  }
}

/** Parses one kubeconfig text; `file` must be absolute, as relative references are resolved against it. */
export function parseKubeconfig(text: string, file: string): Kubeconfig {
  const reader = new FieldReader(file)
  const root = parseYaml(text, file)
  if (root !== null && (typeof root !== 'object' || Array.isArray(root))) {
    throw reader.fail(`not a kubeconfig: the document is ${describeType(root)}, not a mapping`)
  }
  const doc: JsonObject = root ?? {}
  const kind = reader.string(doc.kind, 'kind')
  const apiVersion = reader.string(doc.apiVersion, 'apiVersion')
  if (kind !== undefined && kind !== 'Config') throw reader.fail(`kind "${kind}" is not a kubeconfig (kind Config)`)
  if (apiVersion !== undefined && apiVersion !== 'v1')
    throw reader.fail(`apiVersion "${apiVersion}" is not supported (v1)`)
  const config: Kubeconfig = {
    files: [file],
    clusters: namedEntries(reader, doc.clusters, 'clusters', 'cluster', (name, body, path) =>
      decodeCluster(reader, name, body, path),
    ),
    users: namedEntries(reader, doc.users, 'users', 'user', (name, body, path) => decodeUser(reader, name, body, path)),
    contexts: namedEntries(reader, doc.contexts, 'contexts', 'context', (name, body, path) =>
      decodeContext(reader, name, body, path),
    ),
  }
  const current = reader.string(doc['current-context'], 'current-context')
  if (current !== undefined) config.currentContext = current
  resolveLocalPaths(config, file)
  return config
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  ENOTDIR: 'not a directory',
}

/** A short reason for a failed read, in the words Go would use ("no such file or directory"). */
export function readFailure(error: unknown): string {
  const code = errnoCode(error)
  return (code === undefined ? undefined : ERRNO_TEXT[code]) ?? (error as Error).message
}

/**
 * Loads one file. Returns undefined when it does not exist and `missingIsFine` (KUBECONFIG entries and
 * ~/.kube/config are skipped silently); any other failure is an "error loading config file" error.
 */
export function loadKubeconfigFile(file: string, read: ReadFile, missingIsFine: boolean): Kubeconfig | undefined {
  let content: string | Buffer
  try {
    content = read(file)
  } catch (error) {
    if (missingIsFine && errnoCode(error) === 'ENOENT') return undefined
    throw new SuiteError('config', `error loading config file "${file}": ${readFailure(error)}`, {
      hint: missingIsFine ? LOAD_HINT : 'pass an existing file to --kubeconfig, or leave it out to use KUBECONFIG',
    })
  }
  return parseKubeconfig(typeof content === 'string' ? content : content.toString('utf8'), file)
}

/**
 * clientcmd's merge: for clusters, users and contexts the first file that defines a name wins and keeps its whole
 * entry (no field-by-field mixing); the first non-empty current-context wins. Preferences and extensions are
 * not kept: nothing here uses them.
 */
export function mergeKubeconfigs(configs: readonly Kubeconfig[]): Kubeconfig {
  const merged = emptyKubeconfig()
  for (const config of configs) {
    merged.files.push(...config.files)
    for (const [name, cluster] of config.clusters) if (!merged.clusters.has(name)) merged.clusters.set(name, cluster)
    for (const [name, user] of config.users) if (!merged.users.has(name)) merged.users.set(name, user)
    for (const [name, context] of config.contexts) if (!merged.contexts.has(name)) merged.contexts.set(name, context)
    if (merged.currentContext === undefined && config.currentContext !== undefined) {
      merged.currentContext = config.currentContext
    }
  }
  return merged
}

export interface KubeconfigSources {
  /** --kubeconfig */
  explicitPath?: string | undefined
  env: NodeJS.ProcessEnv
  homeDir: string
  /** Relative KUBECONFIG entries and --kubeconfig are relative to this; default process.cwd(). */
  cwd?: string
  readFile?: ReadFile
}

/** clientcmd's precedence: --kubeconfig alone; else every KUBECONFIG entry (deduplicated); else ~/.kube/config. */
export function kubeconfigPaths(sources: KubeconfigSources): { paths: string[]; explicit: boolean } {
  const cwd = sources.cwd ?? process.cwd()
  if (sources.explicitPath !== undefined && sources.explicitPath !== '') {
    return { paths: [resolve(cwd, sources.explicitPath)], explicit: true }
  }
  const list = sources.env.KUBECONFIG
  if (list !== undefined && list !== '') {
    // client-go drops repeats by their text; repeats by meaning ("a" and "./a") would merge to the same result
    // anyway, so they are dropped too and the file is read and reported once.
    const paths = new Set<string>()
    for (const entry of list.split(delimiter)) if (entry !== '') paths.add(resolve(cwd, entry))
    return { paths: [...paths], explicit: false }
  }
  return { paths: [join(sources.homeDir, '.kube', 'config')], explicit: false }
}

/**
 * Everything kubectl would load before choosing a context: the merged kubeconfig, possibly with no files at all
 * (then the caller falls back to flags alone or in-cluster).
 */
export function loadKubeconfig(sources: KubeconfigSources): Kubeconfig {
  const read = sources.readFile ?? readFileSync
  const { paths, explicit } = kubeconfigPaths(sources)
  const configs: Kubeconfig[] = []
  for (const path of paths) {
    const config = loadKubeconfigFile(path, read, !explicit)
    if (config !== undefined) configs.push(config)
  }
  return mergeKubeconfigs(configs)
}
