import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { FIXED_NOW } from '../../shared/cli/memory-io.ts'
import { opensslDate } from '../sim/pki.ts'

/** Real secret payloads for tests: openssl certificates, signed JWTs and Helm release blobs. */
/**
 * A self-signed certificate made by the real openssl, with the SANs a test asks for, valid from `now` (the tests'
 * FIXED_NOW unless given) for `days` days. `openssl ca -selfsign` is used because only it takes explicit start and
 * end dates (OpenSSL 3.0's `req -x509` starts at the real date), so days-left figures hold on any day.
 */
export function opensslCertificate(
  cn: string,
  sans: string[],
  days: number,
  now: Date = FIXED_NOW,
): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'secretview-cert-'))
  try {
    const run = (args: string[]): void => {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
    }
    writeFileSync(join(dir, 'index.txt'), '')
    writeFileSync(join(dir, 'serial'), '1000\n')
    writeFileSync(
      join(dir, 'ca.cnf'),
      [
        '[ ca ]',
        'default_ca = self',
        '[ self ]',
        `database = ${join(dir, 'index.txt')}`,
        `new_certs_dir = ${dir}`,
        `serial = ${join(dir, 'serial')}`,
        'default_md = sha256',
        'policy = anything',
        'unique_subject = no',
        'copy_extensions = copy',
        '[ anything ]',
        'commonName = supplied',
        '',
      ].join('\n'),
    )
    run(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'key.pem'])
    run([
      'req',
      '-new',
      '-key',
      'key.pem',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`,
      '-out',
      'req.pem',
    ])
    run([
      'ca',
      '-batch',
      '-selfsign',
      '-config',
      'ca.cnf',
      '-keyfile',
      'key.pem',
      '-in',
      'req.pem',
      '-out',
      'cert.pem',
      '-notext',
      '-startdate',
      opensslDate(now),
      '-enddate',
      opensslDate(new Date(now.getTime() + days * 86_400_000)),
    ])
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
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
