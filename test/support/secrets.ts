import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

/** Real secret payloads for tests: openssl certificates, signed JWTs and Helm release blobs. */
/** A self-signed certificate made by the real openssl, with the SANs and validity a test asks for. */
export function opensslCertificate(cn: string, sans: string[], days: number): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'secretview-cert-'))
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      String(days),
      '-subj',
      `/CN=${cn}`,
      '-addext',
      `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`,
    ],
    { stdio: 'ignore' },
  )
  return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') }
}

/** A real RS256 JWT signed with a fresh key. */
export function signedJwt(claims: Record<string, unknown>): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  const body = `${part({ alg: 'RS256', typ: 'JWT', kid: 'test' })}.${part(claims)}`
  return `${body}.${sign('sha256', Buffer.from(body), privateKey).toString('base64url')}`
}

/** What Helm 3 stores in the `release` key: base64 of gzip of the release JSON. */
export function helmPayload(release: unknown): Buffer {
  return Buffer.from(gzipSync(Buffer.from(JSON.stringify(release))).toString('base64'))
}
