import type { Cell, Column, View } from '../../shared/output/index.ts'
import {
  formatAge,
  formatBytes,
  plainTable,
  renderFields,
  renderTable,
  timestampJson,
} from '../../shared/output/index.ts'
import type { Finding } from './check-model.ts'
import { isPrintableText } from './decode.ts'
import { type KeyChange, type KeyView, keyedHash, type SecretView } from './model.ts'

/** Printers for `kubectl secretview`. Values appear only where `reveal` says so, or in the decoded formats. */
export const MASK = '********'

/** A value on one line: text escaped as in JSON, binary as base64 (only ever called when revealing). */
export function revealedCell(bytes: Buffer): string {
  if (bytes.length === 0) return '""'
  if (!isPrintableText(bytes)) return `base64:${bytes.toString('base64')}`
  return JSON.stringify(bytes.toString('utf8')).slice(1, -1)
}

function keyDetails(key: KeyView): string[] {
  const lines: string[] = []
  for (const [index, cert] of key.certificates.entries()) {
    const label = key.certificates.length > 1 ? `certificate ${index + 1}` : 'certificate'
    lines.push(`${label}: subject ${cert.subject}`)
    lines.push(`  issuer ${cert.issuer}${cert.isCA ? ' (CA)' : ''}`)
    if (cert.sans.length > 0) lines.push(`  SANs ${cert.sans.join(', ')}`)
    lines.push(
      `  valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()} (${cert.daysLeft < 0 ? `expired ${-cert.daysLeft} days ago` : `${cert.daysLeft} days left`})`,
    )
    lines.push(`  serial ${cert.serialNumber}, sha256 fingerprint ${cert.fingerprint256}`)
  }
  if (key.privateKey !== undefined && key.matchesCertificateIn !== undefined)
    lines.push(
      key.matchesCertificateIn === false
        ? 'matches no certificate in this secret'
        : `matches the certificate in ${key.matchesCertificateIn}`,
    )
  if (key.jwt !== undefined) {
    lines.push(`header ${JSON.stringify(key.jwt.header)}`)
    const claims = Object.entries(key.jwt.claims).map(
      ([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
    )
    lines.push(`claims ${claims.join(' ')}`)
    if (key.jwt.issuedAt !== undefined) lines.push(`issued ${key.jwt.issuedAt.toISOString()}`)
    lines.push(key.jwt.expiresAt === undefined ? 'no expiry (exp)' : `expires ${key.jwt.expiresAt.toISOString()}`)
    lines.push('signature not shown')
  }
  for (const registry of key.registries) {
    const password =
      registry.passwordBytes === undefined ? 'no password' : `password ${MASK} (${registry.passwordBytes} bytes)`
    const auth =
      registry.authUser === undefined
        ? registry.authMalformed
          ? ', auth malformed'
          : ''
        : `, auth = ${registry.authUser}:${MASK}`
    lines.push(
      `registry ${registry.registry}: user ${registry.username ?? '-'}, ${password}${auth}${registry.email === undefined ? '' : `, email ${registry.email}`}`,
    )
  }
  if (key.helm !== undefined) {
    const h = key.helm
    lines.push(
      `release ${h.name}${h.namespace === undefined ? '' : ` in ${h.namespace}`}, revision ${h.revision ?? '?'}, status ${h.status ?? '?'}`,
    )
    lines.push(
      `chart ${h.chart ?? '?'} ${h.chartVersion ?? '?'}${h.appVersion === undefined ? '' : ` (app ${h.appVersion})`}, ${h.templates} templates`,
    )
    if (h.lastDeployed !== undefined)
      lines.push(`last deployed ${h.lastDeployed}${h.description === undefined ? '' : `: ${h.description}`}`)
    lines.push(`values keys ${h.valuesKeys.length === 0 ? '(none)' : h.valuesKeys.join(', ')}`)
  }
  if (key.problem !== undefined) lines.push(`problem: ${key.problem}`)
  return lines
}

/** `kubectl secretview NAME`: a describe-style block, a key table, then what each typed value holds. */
export function renderSecretText(view: SecretView, options: { now: Date; reveal: boolean }): string {
  const kinds = new Map<string, number>()
  for (const key of view.keys) kinds.set(key.kind, (kinds.get(key.kind) ?? 0) + 1)
  const head = renderFields([
    ['Name', view.name],
    ['Namespace', view.namespace],
    ['Type', view.type],
    ['Age', view.created === undefined ? '<unknown>' : formatAge(view.created, options.now)],
    [
      'Keys',
      view.keys.length === 0 ? '0' : `${view.keys.length} (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})`,
    ],
  ])
  if (view.keys.length === 0) return head
  const rows = view.keys.map((key) => [
    key.key,
    formatBytes(key.size),
    key.kind,
    key.problem === undefined ? key.summary : `${key.summary} [${key.problem}]`,
    options.reveal ? revealedCell(key.bytes) : key.size === 0 ? '' : MASK,
  ])
  const details = view.keys
    .map((key) => ({ key: key.key, lines: keyDetails(key) }))
    .filter((d) => d.lines.length > 0)
    .map((d) => `${d.key}:\n${d.lines.map((line) => `  ${line}\n`).join('')}`)
    .join('')
  return `${head}\n${renderTable(plainTable(['KEY', 'SIZE', 'KIND', 'SUMMARY', 'VALUE'], rows), { wide: false, color: false })}${details === '' ? '' : `\n${details}`}`
}

/**
 * The decoded Secret for scripts (`-o json|yaml`): text values in `stringData`, binary ones left in `data` as
 * base64, so the document can be applied again unchanged.
 */
export function decodedSecretDocument(view: SecretView): Record<string, unknown> {
  const stringData: Record<string, string> = {}
  const data: Record<string, string> = {}
  for (const key of view.keys) {
    if (isPrintableText(key.bytes)) stringData[key.key] = key.bytes.toString('utf8')
    else data[key.key] = key.bytes.toString('base64')
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: view.name,
      namespace: view.namespace,
      ...(Object.keys(view.labels).length === 0 ? {} : { labels: view.labels }),
    },
    type: view.type,
    ...(Object.keys(data).length === 0 ? {} : { data }),
    ...(Object.keys(stringData).length === 0 ? {} : { stringData }),
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** POSIX shell single quotes: everything literal, a ' written as '\'' . Safe to eval. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`
}

/** dotenv double quotes: backslash, quote and line breaks escaped, as dotenv parsers read them back. */
export function dotenvQuote(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n').replaceAll('\r', '\\r')}"`
}

/**
 * `-o env` (`export K='v'`, eval-safe) and `-o dotenv` (`K="v"`). Keys that are not variable names and binary
 * values cannot be environment variables: they are left out and named, as envFrom does.
 */
export function renderEnv(views: readonly SecretView[], style: 'env' | 'dotenv'): { text: string; skipped: string[] } {
  const lines: string[] = []
  const skipped: string[] = []
  for (const view of views) {
    for (const key of view.keys) {
      const where = views.length > 1 ? `${view.name}/${key.key}` : key.key
      if (!ENV_NAME.test(key.key)) {
        skipped.push(`${where} (not a variable name)`)
        continue
      }
      if (!isPrintableText(key.bytes) || key.bytes.includes(0)) {
        skipped.push(`${where} (binary)`)
        continue
      }
      const value = key.bytes.toString('utf8')
      lines.push(style === 'env' ? `export ${key.key}=${shellQuote(value)}` : `${key.key}=${dotenvQuote(value)}`)
    }
  }
  return { text: lines.map((l) => `${l}\n`).join(''), skipped }
}

function notes(view: SecretView): string {
  const certs = view.keys.flatMap((k) => k.certificates)
  const firstExpiry = certs.length === 0 ? undefined : Math.min(...certs.map((c) => c.daysLeft))
  const parts: string[] = []
  if (firstExpiry !== undefined)
    parts.push(firstExpiry < 0 ? `cert expired ${-firstExpiry}d ago` : `cert expires in ${firstExpiry}d`)
  const helm = view.keys.find((k) => k.helm !== undefined)?.helm
  if (helm !== undefined) parts.push(`helm ${helm.name} v${helm.revision ?? '?'} ${helm.status ?? ''}`.trim())
  const registries = view.keys.flatMap((k) => k.registries)
  if (registries.length > 0) parts.push(registries.map((r) => r.registry).join(','))
  const jwt = view.keys.find((k) => k.jwtDaysLeft !== undefined)
  if (jwt?.jwtDaysLeft !== undefined)
    parts.push(`token ${jwt.jwtDaysLeft < 0 ? 'expired' : `expires in ${jwt.jwtDaysLeft}d`}`)
  const empty = view.keys.filter((k) => k.kind === 'empty').length
  if (empty > 0) parts.push(`${empty} empty`)
  const problems = view.keys.filter((k) => k.problem !== undefined).length + view.undecodable.length
  if (problems > 0) parts.push(`${problems} unreadable`)
  return parts.join('; ')
}

/** `--all` / `-A`: one row per secret, never a value. */
export function renderSecretList(views: readonly SecretView[], options: { now: Date; showNamespace: boolean }): View {
  const columns: Column[] = [
    ...(options.showNamespace ? [{ header: 'NAMESPACE' }] : []),
    { header: 'NAME' },
    { header: 'TYPE' },
    { header: 'KEYS', align: 'right' },
    { header: 'AGE' },
    { header: 'NOTES' },
    { header: 'KEY-NAMES', wideOnly: true },
  ]
  const rows = views.map((view): (string | Cell)[] => [
    ...(options.showNamespace ? [view.namespace] : []),
    view.name,
    view.type,
    String(view.keys.length),
    view.created === undefined ? '<unknown>' : formatAge(view.created, options.now),
    notes(view),
    view.keys.map((k) => k.key).join(','),
  ])
  return {
    // On a narrow terminal: the type (the notes say what matters of it), then the key count, then the age.
    table: { columns, rows, hideToFit: ['TYPE', 'KEYS', 'AGE'] },
    document: {
      apiVersion: 'secretview.kubectl-suite/v1',
      kind: 'SecretSummaryList',
      items: views.map((view) => ({
        name: view.name,
        namespace: view.namespace,
        type: view.type,
        createdAt: timestampJson(view.created),
        keys: view.keys.map((k) => ({
          key: k.key,
          size: k.size,
          kind: k.kind,
          summary: k.summary,
          problem: k.problem ?? null,
        })),
      })),
    },
    names: views.map((view) => `secret/${view.name}`),
  }
}

export function renderFindings(findings: readonly Finding[], options: { showNamespace: boolean }): View {
  const columns: Column[] = [
    ...(options.showNamespace ? [{ header: 'NAMESPACE' }] : []),
    { header: 'SECRET' },
    { header: 'KEY' },
    { header: 'FINDING' },
    { header: 'DETAIL' },
  ]
  const role = (kind: Finding['kind']): Cell['role'] =>
    kind === 'expiring' || kind === 'empty' || kind === 'unused' ? 'warn' : 'bad'
  return {
    table: {
      columns,
      rows: findings.map((f) => [
        ...(options.showNamespace ? [f.namespace] : []),
        f.secret,
        f.key ?? '-',
        { text: f.kind, role: role(f.kind) },
        f.detail,
      ]),
    },
    document: {
      apiVersion: 'secretview.kubectl-suite/v1',
      kind: 'FindingList',
      items: findings.map((f) => ({ ...f, key: f.key ?? null })),
    },
    names: [...new Set(findings.map((f) => `secret/${f.secret}`))],
  }
}

/** `diff`: key names and what happened to them; hashes instead of values unless revealing. */
/**
 * Keys added, removed or changed. Values appear only when asked: with `reveal` as they are, with `hashKey` (from
 * --show-hashes) as HMAC fingerprints under that run's random key, so equal values match within the run but no value
 * can be looked up in a dictionary of hashes. Otherwise the table has no BEFORE/AFTER columns at all.
 */
export function renderDiff(
  changes: readonly KeyChange[],
  options: { reveal: boolean; showUnchanged: boolean; hashKey?: Buffer | undefined },
): View {
  const shown = changes.filter((c) => options.showUnchanged || c.change !== 'unchanged')
  const { hashKey } = options
  const withValues = options.reveal || hashKey !== undefined
  const value = (bytes: Buffer | undefined): string =>
    bytes === undefined ? '-' : options.reveal ? revealedCell(bytes) : keyedHash(bytes, hashKey as Buffer)
  const role = (change: KeyChange['change']): Cell['role'] =>
    change === 'added' ? 'ok' : change === 'removed' ? 'bad' : change === 'changed' ? 'warn' : 'dim'
  return {
    table: {
      columns: [
        { header: 'KEY' },
        { header: 'CHANGE' },
        ...(withValues ? [{ header: 'BEFORE' }, { header: 'AFTER' }] : []),
      ],
      rows: shown.map((c) => [
        c.key,
        { text: c.change, role: role(c.change) },
        ...(withValues ? [value(c.before), value(c.after)] : []),
      ]),
    },
    document: {
      apiVersion: 'secretview.kubectl-suite/v1',
      kind: 'SecretDiff',
      items: shown.map((c) => ({
        key: c.key,
        change: c.change,
        ...(withValues
          ? {
              before: c.before === undefined ? null : value(c.before),
              after: c.after === undefined ? null : value(c.after),
            }
          : {}),
      })),
    },
    names: shown.map((c) => c.key),
  }
}
