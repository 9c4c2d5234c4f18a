import { createHmac, randomBytes } from 'node:crypto'
import type { V1Secret } from '@kubernetes/client-node'
import { parseTimestamp } from '../../shared/timestamps.ts'
import {
  type CertificateFacts,
  certificateFacts,
  decodeBase64,
  dockerConfigFacts,
  type HelmFacts,
  HelmTooLargeError,
  helmReleaseFacts,
  isPrintableText,
  type JwtFacts,
  jwtFacts,
  type KeyFacts,
  keyMatchesCertificate,
  looksLikePem,
  pemBlocks,
  privateKeyFacts,
  type RegistryFacts,
} from './decode.ts'

/**
 * The pure model of `kubectl secretview`: a Secret in, what each key holds out. Values stay in `bytes` and only
 * leave through the renderers that are asked to reveal them (`--reveal`, KEY, -o json|yaml|env|dotenv).
 */
export type ValueKind =
  | 'empty'
  | 'text'
  | 'binary'
  | 'certificate'
  | 'private-key'
  | 'pem'
  | 'jwt'
  | 'docker-config'
  | 'helm-release'

export interface KeyView {
  key: string
  bytes: Buffer
  size: number
  kind: ValueKind
  /** One line for the table, never containing the value. */
  summary: string
  /** Why the value does not read as its type says it should (malformed PEM, corrupt Helm payload …). */
  problem: string | undefined
  certificates: CertificateFacts[]
  privateKey: KeyFacts | undefined
  /** For private keys: the key of this secret whose certificate it matches, or false when none matches. */
  matchesCertificateIn: string | false | undefined
  jwt: JwtFacts | undefined
  /** Whole days until a JWT's exp, negative once expired; undefined without exp. */
  jwtDaysLeft: number | undefined
  registries: RegistryFacts[]
  helm: HelmFacts | undefined
}

export interface SecretView {
  name: string
  namespace: string
  type: string
  created: Date | undefined
  labels: Record<string, string>
  keys: KeyView[]
  /** Keys whose stored base64 could not be decoded (only possible in files, never from the API). */
  undecodable: string[]
}

/** Decodes `.data` (and a manifest's `stringData`, which wins as the apiserver merges it). */
export function secretValues(secret: Pick<V1Secret, 'data' | 'stringData'>): {
  values: Map<string, Buffer>
  undecodable: string[]
} {
  const values = new Map<string, Buffer>()
  const undecodable: string[] = []
  for (const [key, encoded] of Object.entries(secret.data ?? {})) {
    const bytes = decodeBase64(String(encoded))
    if (bytes === undefined) undecodable.push(key)
    else values.set(key, bytes)
  }
  for (const [key, text] of Object.entries(secret.stringData ?? {})) values.set(key, Buffer.from(String(text), 'utf8'))
  return { values: new Map([...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), undecodable }
}

export function inDays(days: number): string {
  if (days < 0) return `expired ${-days}d ago`
  if (days === 0) return 'expires today'
  return `expires in ${days}d`
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error)
}

function claimText(claims: Record<string, unknown>, key: string): string | undefined {
  const value = claims[key]
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return value.map(String).join(',')
  return undefined
}

function blankKey(key: string, bytes: Buffer): KeyView {
  return {
    key,
    bytes,
    size: bytes.length,
    kind: 'text',
    summary: '',
    problem: undefined,
    certificates: [],
    privateKey: undefined,
    matchesCertificateIn: undefined,
    jwt: undefined,
    jwtDaysLeft: undefined,
    registries: [],
    helm: undefined,
  }
}

/** What one value is, by the secret's type first and by its content second. */
export function analyzeValue(key: string, bytes: Buffer, secretType: string, now: Date): KeyView {
  const view = blankKey(key, bytes)
  if (bytes.length === 0) return { ...view, kind: 'empty', summary: 'empty' }
  const printable = isPrintableText(bytes)
  const text = printable ? bytes.toString('utf8') : ''
  const isHelm = secretType === 'helm.sh/release.v1' && key === 'release'
  const isDocker =
    (secretType === 'kubernetes.io/dockerconfigjson' && key === '.dockerconfigjson') ||
    (secretType === 'kubernetes.io/dockercfg' && key === '.dockercfg')
  const typedPem = (secretType === 'kubernetes.io/tls' && /^(tls\.crt|tls\.key|ca\.crt)$/.test(key)) || key === 'ca.crt'
  if (isHelm) {
    try {
      const helm = helmReleaseFacts(bytes)
      const chart = helm.chart === undefined ? 'unknown chart' : `${helm.chart}-${helm.chartVersion ?? '?'}`
      return {
        ...view,
        kind: 'helm-release',
        helm,
        summary: `Helm release ${helm.name} v${helm.revision ?? '?'}: ${chart}, ${helm.status ?? 'unknown status'}`,
      }
    } catch (error) {
      return {
        ...view,
        kind: 'binary',
        summary: error instanceof HelmTooLargeError ? 'Helm release (too large to read)' : 'Helm release (unreadable)',
        problem:
          error instanceof HelmTooLargeError
            ? `Helm payload over the cap: ${errorText(error)}`
            : `corrupt Helm payload: ${errorText(error)}`,
      }
    }
  }
  if (isDocker) {
    try {
      const registries = dockerConfigFacts(text)
      const malformed = registries.filter((r) => r.authMalformed).map((r) => r.registry)
      return {
        ...view,
        kind: 'docker-config',
        registries,
        summary: `${registries.length} registr${registries.length === 1 ? 'y' : 'ies'}: ${registries.map((r) => `${r.registry} (${r.username ?? 'no user'})`).join(', ')}`,
        problem:
          malformed.length === 0
            ? undefined
            : `the auth field of ${malformed.join(', ')} is not base64 of user:password`,
      }
    } catch (error) {
      return {
        ...view,
        kind: 'text',
        summary: 'registry config (unreadable)',
        problem: `malformed docker config JSON: ${errorText(error)}`,
      }
    }
  }
  if (printable && (typedPem || looksLikePem(text))) return analyzePem(view, text, now)
  if (printable) {
    const jwt = jwtFacts(text)
    if (jwt !== undefined) {
      const subject = claimText(jwt.claims, 'sub')
      const daysLeft =
        jwt.expiresAt === undefined ? undefined : Math.floor((jwt.expiresAt.getTime() - now.getTime()) / 86_400_000)
      const expiry = daysLeft === undefined ? 'no expiry' : inDays(daysLeft)
      return {
        ...view,
        kind: 'jwt',
        jwt,
        jwtDaysLeft: daysLeft,
        summary: `JWT ${String(jwt.header.alg)}${subject === undefined ? '' : `, sub ${subject}`}, ${expiry}`,
      }
    }
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
    return { ...view, kind: 'text', summary: lines > 1 ? `text, ${lines} lines` : 'text' }
  }
  return { ...view, kind: 'binary', summary: 'binary' }
}

function analyzePem(view: KeyView, text: string, now: Date): KeyView {
  const blocks = pemBlocks(text)
  if (blocks.length === 0)
    return { ...view, kind: 'pem', summary: 'PEM (unreadable)', problem: 'malformed PEM: no complete BEGIN/END block' }
  const certificates: CertificateFacts[] = []
  let privateKey: KeyFacts | undefined
  try {
    for (const block of blocks) {
      if (block.label === 'CERTIFICATE') certificates.push(certificateFacts(block.text, now))
      else if (block.label.endsWith('PRIVATE KEY')) privateKey = privateKeyFacts(block.text).facts
    }
  } catch (error) {
    return { ...view, kind: 'pem', summary: 'PEM (unreadable)', problem: `malformed PEM: ${errorText(error)}` }
  }
  const leaf = certificates[0]
  if (leaf !== undefined) {
    const chain = certificates.length > 1 ? ` (+${certificates.length - 1} in chain)` : ''
    const sans = leaf.sans.length === 0 ? '' : `, ${leaf.sans.join(' ')}`
    return {
      ...view,
      kind: 'certificate',
      certificates,
      summary: `certificate ${leaf.subject}${sans}, ${inDays(leaf.daysLeft)}${chain}`,
    }
  }
  if (privateKey !== undefined) {
    const size = privateKey.bits === undefined ? (privateKey.curve ?? '') : `${privateKey.bits} bits`
    return {
      ...view,
      kind: 'private-key',
      privateKey,
      summary: `${privateKey.algorithm} private key${size === '' ? '' : ` ${size}`}`,
    }
  }
  return { ...view, kind: 'pem', summary: `PEM ${blocks.map((b) => b.label).join(', ')}` }
}

/** Every key of a secret analysed, private keys matched against the certificates beside them. */
export function analyzeSecret(secret: V1Secret, now: Date): SecretView {
  const { values, undecodable } = secretValues(secret)
  const type = secret.type ?? 'Opaque'
  const keys = [...values].map(([key, bytes]) => analyzeValue(key, bytes, type, now))
  for (const keyView of keys) {
    if (keyView.kind !== 'private-key' || keyView.privateKey?.algorithm === 'openssh') continue
    const keyPem = pemBlocks(keyView.bytes.toString('utf8')).find((b) => b.label.endsWith('PRIVATE KEY'))
    if (keyPem === undefined) continue
    const { key } = privateKeyFacts(keyPem.text)
    if (key === undefined) continue
    const match = keys.find((other) => {
      if (other.kind !== 'certificate') return false
      const leaf = pemBlocks(other.bytes.toString('utf8')).find((b) => b.label === 'CERTIFICATE')
      return leaf !== undefined && keyMatchesCertificate(leaf.text, key)
    })
    keyView.matchesCertificateIn = match?.key ?? false
    keyView.summary += match === undefined ? ', matches no certificate here' : `, matches ${match.key}`
  }
  return {
    name: secret.metadata?.name ?? '',
    namespace: secret.metadata?.namespace ?? '',
    type,
    created: parseTimestamp(secret.metadata?.creationTimestamp),
    labels: secret.metadata?.labels ?? {},
    keys,
    undecodable,
  }
}

/** Problems that make a typed secret unreadable as its type: shown, and an error exit for scripts. */
export function secretProblems(view: SecretView): string[] {
  const problems = view.keys.flatMap((k) => (k.problem === undefined ? [] : [`key "${k.key}": ${k.problem}`]))
  for (const key of view.undecodable) problems.push(`key "${key}": malformed base64`)
  if (view.type === 'kubernetes.io/tls') {
    const tlsKey = view.keys.find((k) => k.key === 'tls.key')
    if (tlsKey?.matchesCertificateIn === false) problems.push('key "tls.key" does not match the certificate in tls.crt')
  }
  return problems
}

/** Keys in a one-line list, for "not found" messages. */
export function keyList(view: Pick<SecretView, 'keys'>): string {
  return view.keys.length === 0 ? '(the secret has no keys)' : view.keys.map((k) => k.key).join(', ')
}

export interface KeyChange {
  key: string
  change: 'added' | 'removed' | 'changed' | 'unchanged'
  before: Buffer | undefined
  after: Buffer | undefined
}

/** Which keys differ between two sets of values; values compared byte for byte. */
export function diffValues(before: Map<string, Buffer>, after: Map<string, Buffer>): KeyChange[] {
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort()
  return keys.map((key) => {
    const a = before.get(key)
    const b = after.get(key)
    const change = a === undefined ? 'added' : b === undefined ? 'removed' : a.equals(b) ? 'unchanged' : 'changed'
    return { key, change, before: a, after: b }
  })
}

/**
 * A short fingerprint to compare values by within one run without revealing them: HMAC-SHA256 under a key made
 * fresh for each run (see {@link newHashKey}). A plain sha256 would not do: sha256("1") is well known, and a
 * dictionary of likely passwords recovers weak values from it. Equal values share a fingerprint only within a run.
 */
export function keyedHash(bytes: Buffer | undefined, key: Buffer): string {
  return bytes === undefined ? '-' : `hmac:${createHmac('sha256', key).update(bytes).digest('hex').slice(0, 12)}`
}

/** A random HMAC key for one run's fingerprints, never stored nor printed. */
export function newHashKey(): Buffer {
  return randomBytes(32)
}
