import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { ResolvedConnection } from '../types.ts'
import type { ReadFile } from './load.ts'

/**
 * The subject common name of a PEM (or DER) certificate: the user name the API server sees for x509 client
 * authentication. Undefined when the bytes are not a certificate or have no CN.
 */
export function certificateCommonName(certPem: Buffer | string): string | undefined {
  let subject: string
  try {
    subject = new X509Certificate(certPem).subject
  } catch {
    return undefined
  }
  for (const line of subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3)
  return undefined
}

const SYNTHETIC_USERS = new Set(['', 'in-cluster'])

/**
 * Our best guess at "who am I" when the server offers no SelfSubjectReview (`kubectl auth whoami`), for --mine:
 * the impersonated user if any (that is who the server acts as), else the basic-auth user name, else the CN of
 * the client certificate, else the name of the kubeconfig user entry. Undefined when there is nothing to go by.
 */
export function kubeconfigUserName(conn: ResolvedConnection, readFile: ReadFile = readFileSync): string | undefined {
  const user = conn.user
  if (user.impersonate !== undefined) return user.impersonate
  if (user.username !== undefined) return user.username
  let cert: Buffer | string | undefined = user.certData
  if (cert === undefined && user.certFile !== undefined) {
    try {
      cert = readFile(user.certFile)
    } catch {
      cert = undefined
    }
  }
  const commonName = cert === undefined ? undefined : certificateCommonName(cert)
  if (commonName !== undefined) return commonName
  return SYNTHETIC_USERS.has(user.name) ? undefined : user.name
}
