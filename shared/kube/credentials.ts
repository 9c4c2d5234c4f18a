import { readFileSync } from 'node:fs'
import { SuiteError } from '../errors.ts'
import { clearExecCredentialCache, getExecCredential } from './exec-credential.ts'
import type { CredentialSource } from './transport.ts'
import type { ResolvedConnection } from './types.ts'

/** client-go re-reads a token file at most once a minute, so rotated service-account tokens are picked up. */
const TOKEN_FILE_TTL_MS = 60_000

/**
 * The Authorization header (and exec-plugin client certificates) for a resolved user, in client-go's order of
 * precedence: exec plugin, then bearer token (inline beats file), then basic auth. Client certificates from the
 * kubeconfig need no header; the TLS agent presents them.
 */
export function credentialSource(
  connection: ResolvedConnection,
  options: { stdinIsTTY: boolean; env: NodeJS.ProcessEnv },
): CredentialSource {
  const user = connection.user
  let tokenFromFile: { value: string; readAt: number } | undefined
  if (user.authProvider !== undefined && user.exec === undefined && user.token === undefined) {
    return async () => {
      throw new SuiteError('auth', `the "${user.authProvider}" auth-provider of user "${user.name}" is not supported`, {
        hint: 'switch the user to an exec credential plugin (e.g. kubelogin or gke-gcloud-auth-plugin)',
      })
    }
  }
  return async ({ refresh }) => {
    if (user.exec !== undefined) {
      // A 401 means the cached credential was revoked or expired early: ask the plugin again.
      if (refresh) clearExecCredentialCache()
      const credential = await getExecCredential(user.exec, {
        clusterServer: connection.cluster.server,
        ...(connection.cluster.caData === undefined ? {} : { caData: connection.cluster.caData }),
        insecure: connection.cluster.insecureSkipTlsVerify,
        ...(connection.cluster.tlsServerName === undefined ? {} : { tlsServerName: connection.cluster.tlsServerName }),
        stdinIsTTY: options.stdinIsTTY,
        env: options.env,
        userName: user.name,
      })
      const headers: Record<string, string> =
        credential.token === undefined ? {} : { authorization: `Bearer ${credential.token}` }
      return {
        headers,
        ...(credential.clientCertificateData === undefined
          ? {}
          : { cert: Buffer.from(credential.clientCertificateData) }),
        ...(credential.clientKeyData === undefined ? {} : { key: Buffer.from(credential.clientKeyData) }),
      }
    }
    if (user.token !== undefined && user.token !== '') return { headers: { authorization: `Bearer ${user.token}` } }
    if (user.tokenFile !== undefined) {
      const now = Date.now()
      if (tokenFromFile === undefined || refresh || now - tokenFromFile.readAt > TOKEN_FILE_TTL_MS) {
        try {
          tokenFromFile = { value: readFileSync(user.tokenFile, 'utf8').trim(), readAt: now }
        } catch (error) {
          throw new SuiteError(
            'config',
            `cannot read the token file ${user.tokenFile} of user "${user.name}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          )
        }
      }
      return { headers: { authorization: `Bearer ${tokenFromFile.value}` } }
    }
    if (user.username !== undefined && user.password !== undefined) {
      return {
        headers: { authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}` },
      }
    }
    return { headers: {} }
  }
}
