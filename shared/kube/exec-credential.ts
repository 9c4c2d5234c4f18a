import { spawn } from 'node:child_process'
import { SuiteError } from '../errors.ts'
import type { ExecConfig } from './types.ts'

/**
 * The client-go exec credential protocol (client.authentication.k8s.io v1 and v1beta1), done ourselves because
 * client-node neither sets KUBERNETES_EXEC_INFO nor lets an interactive plugin (device code, MFA prompt) reach
 * the terminal: here stderr always passes through, and stdin too when the plugin may be interactive.
 */
export interface ExecCredentialContext {
  clusterServer: string
  caData?: Buffer
  insecure: boolean
  tlsServerName?: string
  stdinIsTTY: boolean
  env: NodeJS.ProcessEnv
  userName: string
}

export interface ExecCredentialResult {
  token?: string
  clientCertificateData?: string
  clientKeyData?: string
  expiresAt?: Date
}

const cache = new Map<string, ExecCredentialResult>()

export function clearExecCredentialCache(): void {
  cache.clear()
}

function cacheKey(exec: ExecConfig, ctx: ExecCredentialContext): string {
  return JSON.stringify([ctx.userName, exec.command, exec.args, exec.env])
}

export async function getExecCredential(exec: ExecConfig, ctx: ExecCredentialContext): Promise<ExecCredentialResult> {
  const key = cacheKey(exec, ctx)
  const cached = cache.get(key)
  if (cached !== undefined && (cached.expiresAt === undefined || cached.expiresAt.getTime() > Date.now() + 10_000))
    return cached
  const interactive = ctx.stdinIsTTY && exec.interactiveMode !== 'Never'
  if (exec.interactiveMode === 'Always' && !ctx.stdinIsTTY) {
    throw new SuiteError('auth', `exec plugin "${exec.command}" requires an interactive terminal`, {
      hint: 'run the command from a terminal, or log in with the plugin first',
    })
  }
  const info = {
    apiVersion: exec.apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive,
      ...(exec.provideClusterInfo
        ? {
            cluster: {
              server: ctx.clusterServer,
              ...(ctx.tlsServerName === undefined ? {} : { 'tls-server-name': ctx.tlsServerName }),
              'insecure-skip-tls-verify': ctx.insecure,
              ...(ctx.caData === undefined ? {} : { 'certificate-authority-data': ctx.caData.toString('base64') }),
            },
          }
        : {}),
    },
  }
  const env: NodeJS.ProcessEnv = { ...ctx.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) }
  for (const { name, value } of exec.env) env[name] = value
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(exec.command, exec.args, {
      env,
      stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'inherit'],
    })
    const chunks: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => chunks.push(c))
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        reject(
          new SuiteError('auth', `exec plugin: executable ${exec.command} not found`, {
            hint:
              exec.installHint?.trim().split('\n')[0] ??
              'install the credential plugin or fix users[].user.exec.command',
          }),
        )
      } else reject(new SuiteError('auth', `exec plugin "${exec.command}" could not start: ${error.message}`))
    })
    child.on('close', (code) => {
      if (code !== 0)
        reject(
          new SuiteError('auth', `exec plugin "${exec.command}" failed with exit code ${code}`, {
            hint: 'its own message is printed above',
          }),
        )
      else resolve(Buffer.concat(chunks).toString('utf8'))
    })
  })
  let parsed: {
    apiVersion?: string
    kind?: string
    status?: { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string }
  }
  try {
    parsed = JSON.parse(stdout)
  } catch {
    throw new SuiteError(
      'auth',
      `exec plugin "${exec.command}" printed something that is not an ExecCredential (invalid JSON)`,
    )
  }
  if (parsed.kind !== 'ExecCredential' || parsed.apiVersion !== exec.apiVersion) {
    throw new SuiteError(
      'auth',
      `exec plugin "${exec.command}" returned apiVersion "${parsed.apiVersion}", expected "${exec.apiVersion}"`,
    )
  }
  const status = parsed.status ?? {}
  if (status.token === undefined && status.clientCertificateData === undefined) {
    throw new SuiteError('auth', `exec plugin "${exec.command}" returned no token and no client certificate`)
  }
  const result: ExecCredentialResult = {
    ...(status.token === undefined ? {} : { token: status.token }),
    ...(status.clientCertificateData === undefined ? {} : { clientCertificateData: status.clientCertificateData }),
    ...(status.clientKeyData === undefined ? {} : { clientKeyData: status.clientKeyData }),
    ...(status.expirationTimestamp === undefined ? {} : { expiresAt: new Date(status.expirationTimestamp) }),
  }
  cache.set(key, result)
  return result
}
