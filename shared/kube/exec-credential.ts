import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { SuiteError } from '../errors.ts'
import type { ExecConfig } from './types.ts'

/**
 * The client-go exec credential protocol (k8s.io/client-go/pkg/client/auth/exec, client.authentication.k8s.io
 * v1 and v1beta1), done ourselves because client-node neither sets KUBERNETES_EXEC_INFO nor lets an interactive
 * plugin (device code, MFA prompt) reach the terminal: here stderr always passes through, and stdin too when the
 * plugin may be interactive. Credentials are cached per user and plugin until they expire, as client-go does.
 */
export interface ExecCredentialContext {
  clusterServer: string
  caData?: Buffer
  /** Read into certificate-authority-data when caData is not given, as client-go loads the CA bundle. */
  caFile?: string
  insecure: boolean
  tlsServerName?: string
  proxyUrl?: string
  disableCompression?: boolean
  stdinIsTTY: boolean
  env: NodeJS.ProcessEnv
  userName: string
}

export interface ExecCredentialResult {
  token?: string
  /** PEM text, as the plugin printed it. */
  clientCertificateData?: string
  clientKeyData?: string
  expiresAt?: Date
}

const cache = new Map<string, ExecCredentialResult>()
/** Concurrent requests share one plugin run, as client-go's authenticator holds a lock while refreshing. */
const running = new Map<string, Promise<ExecCredentialResult>>()

/** Forgets every cached credential, e.g. after a 401 says the server no longer accepts it. */
export function clearExecCredentialCache(): void {
  cache.clear()
}

function cacheKey(exec: ExecConfig, context: ExecCredentialContext): string {
  return JSON.stringify([
    context.userName,
    exec.command,
    exec.args,
    exec.env,
    exec.apiVersion,
    exec.provideClusterInfo ? context.clusterServer : '',
  ])
}

const stillValid = (credential: ExecCredentialResult): boolean =>
  credential.expiresAt === undefined || credential.expiresAt.getTime() > Date.now()

/**
 * Runs the user's exec plugin (or reuses its unexpired answer) and returns the credential it printed.
 * Errors are SuiteError 'auth' with one line: executable not found (the plugin's installHint as the hint), a
 * non-zero exit, output that is not an ExecCredential of the requested apiVersion, or an Always-interactive
 * plugin without a terminal.
 */
export async function getExecCredential(
  exec: ExecConfig,
  context: ExecCredentialContext,
): Promise<ExecCredentialResult> {
  const key = cacheKey(exec, context)
  const cached = cache.get(key)
  if (cached !== undefined && stillValid(cached)) return cached
  const inFlight = running.get(key)
  if (inFlight !== undefined) return inFlight
  const run = runPlugin(exec, context).then((credential) => {
    cache.set(key, credential)
    return credential
  })
  running.set(key, run)
  try {
    return await run
  } finally {
    running.delete(key)
  }
}

/** The ExecCredential put in KUBERNETES_EXEC_INFO: spec.interactive always, spec.cluster only when asked for. */
export function execInfo(exec: ExecConfig, context: ExecCredentialContext, interactive: boolean): object {
  const spec: Record<string, unknown> = { interactive }
  if (exec.provideClusterInfo) {
    const cluster: Record<string, unknown> = { server: context.clusterServer }
    if (context.tlsServerName !== undefined) cluster['tls-server-name'] = context.tlsServerName
    if (context.insecure) cluster['insecure-skip-tls-verify'] = true
    const ca = context.caData ?? (context.caFile === undefined ? undefined : readCaFile(context.caFile, exec))
    if (ca !== undefined) cluster['certificate-authority-data'] = ca.toString('base64')
    if (context.proxyUrl !== undefined) cluster['proxy-url'] = context.proxyUrl
    if (context.disableCompression === true) cluster['disable-compression'] = true
    spec.cluster = cluster
  }
  return { apiVersion: exec.apiVersion, kind: 'ExecCredential', spec }
}

function readCaFile(path: string, exec: ExecConfig): Buffer {
  try {
    return readFileSync(path)
  } catch (error) {
    throw new SuiteError(
      'auth',
      `exec plugin "${exec.command}": cannot load the CA bundle ${path}: ${(error as Error).message}`,
    )
  }
}

const ESCAPE = String.fromCharCode(0x1b)

/** client-go cleans the install hint of terminal escapes; we also fold it to one line for the hint slot. */
function cleanHint(text: string): string {
  let withoutEscapes = ''
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ESCAPE && text[i + 1] === '[') {
      i += 2
      while (i < text.length && !/[A-Za-z]/.test(text[i] as string)) i++
      continue
    }
    const code = text.charCodeAt(i)
    withoutEscapes += code < 0x20 || code === 0x7f ? ' ' : text[i]
  }
  return withoutEscapes.replace(/\s+/g, ' ').trim()
}

function spawnPlugin(exec: ExecConfig, context: ExecCredentialContext, interactive: boolean): Promise<string> {
  // The plugin's own env entries beat the parent's, and KUBERNETES_EXEC_INFO beats both (client-go appends last).
  const env: NodeJS.ProcessEnv = { ...context.env }
  for (const { name, value } of exec.env) env[name] = value
  env.KUBERNETES_EXEC_INFO = JSON.stringify(execInfo(exec, context, interactive))
  return new Promise((resolve, reject) => {
    const child = spawn(exec.command, exec.args, {
      env,
      stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'inherit'],
    })
    const chunks: Buffer[] = []
    let startError: SuiteError | undefined
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.on('error', (error: NodeJS.ErrnoException) => {
      startError =
        error.code === 'ENOENT'
          ? new SuiteError('auth', `exec plugin: executable ${exec.command} not found`, {
              hint:
                exec.installHint === undefined
                  ? 'install the credential plugin, or fix users[].user.exec.command in the kubeconfig'
                  : cleanHint(exec.installHint),
            })
          : new SuiteError('auth', `exec plugin "${exec.command}" could not be started: ${error.code ?? error.message}`)
      // 'close' may never come for a process that never started.
      if (child.pid === undefined) reject(startError)
    })
    child.on('close', (code, signal) => {
      if (startError !== undefined) return reject(startError)
      if (code === 0) return resolve(Buffer.concat(chunks).toString('utf8'))
      const how = code === null ? `was killed by ${signal ?? 'a signal'}` : `failed with exit code ${code}`
      reject(
        new SuiteError('auth', `exec plugin "${exec.command}" ${how}`, {
          hint: 'its own message, if any, is printed above; try running the plugin by hand',
        }),
      )
    })
  })
}

function parseCredential(exec: ExecConfig, stdout: string): ExecCredentialResult {
  const bad = (what: string): SuiteError =>
    new SuiteError('auth', `exec plugin "${exec.command}" ${what}`, {
      hint: `the plugin must print an ExecCredential of apiVersion ${exec.apiVersion} on stdout`,
    })
  let parsed: unknown
  try {
    parsed = JSON.parse(stdout)
  } catch {
    throw bad('printed invalid JSON instead of an ExecCredential')
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw bad('printed no ExecCredential object')
  const credential = parsed as Record<string, unknown>
  if (credential.kind !== 'ExecCredential')
    throw bad(`returned kind "${String(credential.kind)}", expected ExecCredential`)
  if (credential.apiVersion !== exec.apiVersion) {
    throw bad(`returned apiVersion "${String(credential.apiVersion)}", expected "${exec.apiVersion}"`)
  }
  const status = credential.status
  if (status === null || typeof status !== 'object' || Array.isArray(status)) throw bad('returned no status')
  const fields = status as Record<string, unknown>
  const text = (name: string): string | undefined => {
    const value = fields[name]
    if (value === undefined || value === null || value === '') return undefined
    if (typeof value !== 'string') throw bad(`returned a status.${name} that is not a string`)
    return value
  }
  const token = text('token')
  const cert = text('clientCertificateData')
  const key = text('clientKeyData')
  const expiry = text('expirationTimestamp')
  if (token === undefined && cert === undefined && key === undefined) {
    throw bad('returned neither a token nor a client certificate and key')
  }
  if ((cert === undefined) !== (key === undefined))
    throw bad('returned only one of clientCertificateData and clientKeyData')
  const result: ExecCredentialResult = {}
  if (token !== undefined) result.token = token
  if (cert !== undefined) result.clientCertificateData = cert
  if (key !== undefined) result.clientKeyData = key
  if (expiry !== undefined) {
    const expiresAt = new Date(expiry)
    if (Number.isNaN(expiresAt.getTime())) throw bad(`returned an invalid expirationTimestamp "${expiry}"`)
    result.expiresAt = expiresAt
  }
  return result
}

async function runPlugin(exec: ExecConfig, context: ExecCredentialContext): Promise<ExecCredentialResult> {
  if (exec.interactiveMode === 'Always' && !context.stdinIsTTY) {
    throw new SuiteError('auth', `exec plugin "${exec.command}" requires an interactive terminal`, {
      hint: 'run the command from a terminal, or log in with the plugin first so it has a cached credential',
    })
  }
  const interactive = context.stdinIsTTY && exec.interactiveMode !== 'Never'
  return parseCredential(exec, await spawnPlugin(exec, context, interactive))
}
