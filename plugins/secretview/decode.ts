import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto'
import { gunzipSync } from 'node:zlib'

/**
 * Type-aware reading of secret values, pure: bytes in, facts out. Nothing here returns a value's content except
 * where it is public by nature (certificate subjects, JWT claims, registry names and usernames, Helm chart names).
 */

const BASE64_BODY = /^[A-Za-z0-9+/]*$/

/**
 * Strict base64, as the API server writes it: Buffer.from would silently skip bad characters. Checked without a
 * repeated-group regex: `(?:[…]{4})*` over a 4 MiB value overflowed the regex engine's stack ("Maximum call stack
 * size exceeded").
 */
export function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '')
  if (compact.length % 4 !== 0) return undefined
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0
  if (!BASE64_BODY.test(compact.slice(0, compact.length - padding))) return undefined
  return Buffer.from(compact, 'base64')
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Text a terminal can show as it is: valid UTF-8 without control characters other than tab, CR and LF. */
export function isPrintableText(bytes: Buffer): boolean {
  const text = bytes.toString('utf8')
  // Invalid UTF-8 decodes to U+FFFD, so it does not survive the round trip.
  if (!Buffer.from(text, 'utf8').equals(bytes)) return false
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what makes a value binary
  return !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text)
}

export interface CertificateFacts {
  subject: string
  issuer: string
  sans: string[]
  notBefore: Date
  notAfter: Date
  serialNumber: string
  fingerprint256: string
  isCA: boolean
  /** Whole days from now until notAfter, negative once expired. */
  daysLeft: number
}

export interface PemBlock {
  label: string
  text: string
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g

export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1] ?? '', text: m[0] }))
}

export function looksLikePem(text: string): boolean {
  return text.includes('-----BEGIN ')
}

/** One-line distinguished names: "CN=web, O=Example" instead of Node's newline-separated form. */
function oneLine(dn: string): string {
  return dn
    .split('\n')
    .filter((part) => part !== '')
    .join(', ')
}

const DAY_MS = 86_400_000

export function certificateFacts(pem: string, now: Date): CertificateFacts {
  const cert = new X509Certificate(pem)
  const notAfter = new Date(cert.validTo)
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    sans: (cert.subjectAltName ?? '')
      .split(', ')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    notBefore: new Date(cert.validFrom),
    notAfter,
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    isCA: cert.ca,
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS),
  }
}

export interface KeyFacts {
  /** rsa, ec, ed25519 …, or "openssh" for OpenSSH-format keys Node cannot read. */
  algorithm: string
  bits?: number | undefined
  curve?: string | undefined
}

export function privateKeyFacts(pem: string): { facts: KeyFacts; key: KeyObject | undefined } {
  if (pem.includes('BEGIN OPENSSH PRIVATE KEY')) return { facts: { algorithm: 'openssh' }, key: undefined }
  const key = createPrivateKey(pem)
  const details = key.asymmetricKeyDetails ?? {}
  return {
    facts: { algorithm: key.asymmetricKeyType ?? 'unknown', bits: details.modulusLength, curve: details.namedCurve },
    key,
  }
}

/** Whether a private key belongs to a certificate. */
export function keyMatchesCertificate(certPem: string, key: KeyObject): boolean {
  return new X509Certificate(certPem).checkPrivateKey(key)
}

export interface JwtFacts {
  header: Record<string, unknown>
  claims: Record<string, unknown>
  expiresAt: Date | undefined
  issuedAt: Date | undefined
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/** Header and claims of a JWT; the signature is never decoded or returned. Undefined when not a JWT. */
export function jwtFacts(text: string): JwtFacts | undefined {
  const token = text.trim()
  if (!JWT_SHAPE.test(token)) return undefined
  const [headerPart = '', claimsPart = ''] = token.split('.')
  try {
    const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as unknown
    const claims = JSON.parse(Buffer.from(claimsPart, 'base64url').toString('utf8')) as unknown
    if (!isRecord(header) || !isRecord(claims) || typeof header.alg !== 'string') return undefined
    const seconds = (value: unknown): Date | undefined =>
      typeof value === 'number' && Number.isFinite(value) ? new Date(value * 1000) : undefined
    return { header, claims, expiresAt: seconds(claims.exp), issuedAt: seconds(claims.iat) }
  } catch {
    return undefined
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export interface RegistryFacts {
  registry: string
  username: string | undefined
  /** The password's length only. */
  passwordBytes: number | undefined
  /** The `auth` field decoded to user:password, with the user shown; undefined when absent. */
  authUser: string | undefined
  /** `auth` present but not base64 of user:password. */
  authMalformed: boolean
  email: string | undefined
}

/** `.dockerconfigjson` ({auths: {...}}) or legacy `.dockercfg` (the map itself). */
export function dockerConfigFacts(text: string): RegistryFacts[] {
  const parsed = JSON.parse(text) as unknown
  if (!isRecord(parsed)) throw new Error('not a JSON object')
  const auths = isRecord(parsed.auths) ? parsed.auths : parsed
  return Object.entries(auths).map(([registry, entry]) => {
    const record = isRecord(entry) ? entry : {}
    const username = typeof record.username === 'string' ? record.username : undefined
    const password = typeof record.password === 'string' ? record.password : undefined
    let authUser: string | undefined
    let authMalformed = false
    if (typeof record.auth === 'string') {
      const decoded = decodeBase64(record.auth)?.toString('utf8')
      if (decoded?.includes(':') === true) authUser = decoded.slice(0, decoded.indexOf(':'))
      else authMalformed = true
    }
    return {
      registry,
      username: username ?? authUser,
      passwordBytes: password === undefined ? undefined : Buffer.byteLength(password),
      authUser,
      authMalformed,
      email: typeof record.email === 'string' ? record.email : undefined,
    }
  })
}

export interface HelmFacts {
  name: string
  namespace: string | undefined
  revision: number | undefined
  status: string | undefined
  chart: string | undefined
  chartVersion: string | undefined
  appVersion: string | undefined
  lastDeployed: string | undefined
  description: string | undefined
  /** Top-level keys of the user-supplied values (`helm get values`), never their content. */
  valuesKeys: string[]
  templates: number
}

// A Secret holds at most 1 MiB; a gzip payload that inflates past this is a bomb, not a release.
export const HELM_MAX_INFLATED = 32 * 1024 * 1024

/** A release whose JSON inflates past {@link HELM_MAX_INFLATED}: not corrupt, only more than we read. */
export class HelmTooLargeError extends Error {
  constructor() {
    super(`it inflates past the cap of ${HELM_MAX_INFLATED / 1024 / 1024} MiB, so it is not read`)
    this.name = 'HelmTooLargeError'
  }
}

/** Helm 3's `release` key: its own base64 over gzip(JSON) (plain JSON for very old releases). */
export function helmReleaseFacts(value: Buffer): HelmFacts {
  const inner = decodeBase64(value.toString('utf8'))
  if (inner === undefined) throw new Error('the release is not base64 (Helm stores base64 of gzip JSON)')
  const gzipped = inner.length >= 3 && inner[0] === 0x1f && inner[1] === 0x8b && inner[2] === 0x08
  let json: Buffer
  try {
    json = gzipped ? gunzipSync(inner, { maxOutputLength: HELM_MAX_INFLATED }) : inner
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (
      code === 'ERR_BUFFER_TOO_LARGE' ||
      (error instanceof RangeError && /too large|maxOutputLength/i.test(error.message))
    )
      throw new HelmTooLargeError()
    throw new Error(`the gzip stream is corrupt (${code ?? 'unreadable'})`)
  }
  let release: unknown
  try {
    release = JSON.parse(json.toString('utf8'))
  } catch {
    throw new Error('the release is not JSON after decompression')
  }
  if (!isRecord(release)) throw new Error('the release is not a JSON object')
  const info = isRecord(release.info) ? release.info : {}
  const chart = isRecord(release.chart) ? release.chart : {}
  const metadata = isRecord(chart.metadata) ? chart.metadata : {}
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
  return {
    name: text(release.name) ?? '',
    namespace: text(release.namespace),
    revision: typeof release.version === 'number' ? release.version : undefined,
    status: text(info.status),
    chart: text(metadata.name),
    chartVersion: text(metadata.version),
    appVersion: text(metadata.appVersion),
    lastDeployed: text(info.last_deployed),
    description: text(info.description),
    valuesKeys: isRecord(release.config) ? Object.keys(release.config).sort() : [],
    templates: Array.isArray(chart.templates) ? chart.templates.length : 0,
  }
}
