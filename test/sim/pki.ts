import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The simulated cluster's own certificate authority, made with the machine's openssl (Node can verify X.509 but
 * not issue it). EC P-256 keys keep generation to a few milliseconds per certificate. `openssl ca` is used rather
 * than `x509 -req` because only it can back-date a certificate, which the expired-certificate tests need.
 */
export interface Pki {
  dir: string
  caCertPath: string
  caCert: Buffer
  serverCertPath: string
  serverKeyPath: string
}

export interface IssuedCert {
  certPath: string
  keyPath: string
  cert: Buffer
  key: Buffer
}

const YEAR_MS = 365 * 86_400_000
/**
 * Certificates are valid from two years before they are issued and for as long after: the suite is run with the
 * date moved a year either way (faketime), which moves our clock and openssl's but not that of kubectl, a Go
 * binary that reads the kernel's clock directly, and kubectl must still accept the simulator's certificates.
 */
const CLOCK_SKEW_MS = 2 * YEAR_MS

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
}

/** A date as `openssl ca -startdate/-enddate` take it (YYYYMMDDHHMMSSZ). */
export function opensslDate(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`
}

/** Creates a CA and a serving certificate for localhost, 127.0.0.1, ::1 and the extra names given. */
export function createPki(dir: string, options: { serverNames?: string[] } = {}): Pki {
  mkdirSync(join(dir, 'newcerts'), { recursive: true })
  writeFileSync(join(dir, 'index.txt'), '')
  writeFileSync(join(dir, 'serial'), '1000\n')
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ ca ]',
      'default_ca = sim',
      '[ sim ]',
      `dir = ${dir}`,
      `database = ${join(dir, 'index.txt')}`,
      `new_certs_dir = ${join(dir, 'newcerts')}`,
      `serial = ${join(dir, 'serial')}`,
      'default_md = sha256',
      'policy = anything',
      'unique_subject = no',
      'email_in_dn = no',
      'preserve = yes',
      '[ anything ]',
      'commonName = supplied',
      'organizationName = optional',
      '',
    ].join('\n'),
  )
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir)
  openssl(['req', '-new', '-key', 'ca.key', '-subj', '/CN=kubectl-suite-sim-ca', '-out', 'ca.csr'], dir)
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n')
  const now = Date.now()
  openssl(
    [
      'ca',
      '-batch',
      '-selfsign',
      '-config',
      'ca.cnf',
      '-keyfile',
      'ca.key',
      '-in',
      'ca.csr',
      '-out',
      'ca.crt',
      '-notext',
      '-extfile',
      'ca.ext',
      '-startdate',
      opensslDate(new Date(now - CLOCK_SKEW_MS)),
      '-enddate',
      opensslDate(new Date(now + 10 * YEAR_MS)),
    ],
    dir,
  )
  const names = ['localhost', 'kubernetes', 'kubernetes.default', ...(options.serverNames ?? [])]
  const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1', 'IP:::1'].join(',')
  const server = issue(dir, 'server', '/CN=kube-apiserver', {
    extensions: [`subjectAltName=${san}`, 'extendedKeyUsage=serverAuth'],
  })
  return {
    dir,
    caCertPath: join(dir, 'ca.crt'),
    caCert: readFileSync(join(dir, 'ca.crt')),
    serverCertPath: server.certPath,
    serverKeyPath: server.keyPath,
  }
}

function issue(
  dir: string,
  name: string,
  subject: string,
  options: { extensions: string[]; notBefore?: Date; notAfter?: Date },
): IssuedCert {
  const keyPath = join(dir, `${name}.key`)
  const csrPath = join(dir, `${name}.csr`)
  const certPath = join(dir, `${name}.crt`)
  const extPath = join(dir, `${name}.ext`)
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyPath], dir)
  openssl(['req', '-new', '-key', keyPath, '-subj', subject, '-multivalue-rdn', '-out', csrPath], dir)
  writeFileSync(
    extPath,
    `${['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', ...options.extensions].join('\n')}\n`,
  )
  const now = Date.now()
  const notBefore = options.notBefore ?? new Date(now - CLOCK_SKEW_MS)
  const notAfter = options.notAfter ?? new Date(now + CLOCK_SKEW_MS + YEAR_MS)
  openssl(
    [
      'ca',
      '-batch',
      '-config',
      join(dir, 'ca.cnf'),
      '-cert',
      join(dir, 'ca.crt'),
      '-keyfile',
      join(dir, 'ca.key'),
      '-in',
      csrPath,
      '-out',
      certPath,
      '-notext',
      '-extfile',
      extPath,
      '-startdate',
      opensslDate(notBefore),
      '-enddate',
      opensslDate(notAfter),
    ],
    dir,
  )
  return { certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) }
}

/** A client certificate the way kube-apiserver reads one: CN = user name, each O = a group. */
export function issueClientCert(
  pki: Pki,
  user: string,
  groups: string[] = [],
  options: { notBefore?: Date; notAfter?: Date; fileName?: string } = {},
): IssuedCert {
  const subject = `/CN=${user}${groups.map((g) => `/O=${g}`).join('')}`
  return issue(pki.dir, options.fileName ?? `client-${user}`, subject, {
    extensions: ['extendedKeyUsage=clientAuth'],
    ...options,
  })
}

/** A serving certificate for names other than the apiserver's, as cert-manager would put in a TLS secret. */
export function issueServingCert(
  pki: Pki,
  name: string,
  dnsNames: string[],
  options: { notBefore?: Date; notAfter?: Date } = {},
): IssuedCert {
  return issue(pki.dir, `serving-${name}`, `/CN=${dnsNames[0] ?? name}`, {
    extensions: [`subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')}`, 'extendedKeyUsage=serverAuth'],
    ...options,
  })
}

/** A second, unrelated CA: certificates from it must be rejected by the simulator and by our client. */
export function createForeignPki(dir: string): Pki {
  return createPki(dir)
}
