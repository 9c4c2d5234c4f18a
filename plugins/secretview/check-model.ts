import type { V1Pod, V1PodSpec, V1ServiceAccount } from '@kubernetes/client-node'
import { inDays, type SecretView, secretProblems } from './model.ts'

/**
 * `kubectl secretview check`: what a CI job should fail on. Pure: the secrets (already analysed), the pods and
 * service accounts that may reference them in, findings out.
 */
export type FindingKind = 'expired' | 'expiring' | 'empty' | 'missing' | 'unused' | 'unreadable'

export interface Finding {
  kind: FindingKind
  namespace: string
  secret: string
  key: string | undefined
  detail: string
}

export interface SecretReference {
  namespace: string
  secret: string
  /** Who refers to it: "pod/web (volume certs)", "serviceaccount/ci (imagePullSecrets)". */
  from: string
  optional: boolean
}

/** Every way a pod spec names a secret: volumes, projected sources, CSI, env, envFrom and image pull secrets. */
export function podSecretReferences(pod: V1Pod): SecretReference[] {
  const namespace = pod.metadata?.namespace ?? ''
  const from = `pod/${pod.metadata?.name ?? ''}`
  const spec: V1PodSpec | undefined = pod.spec
  if (spec === undefined) return []
  const refs: SecretReference[] = []
  const add = (secret: string | undefined, how: string, optional: boolean | undefined): void => {
    if (secret !== undefined && secret !== '')
      refs.push({ namespace, secret, from: `${from} (${how})`, optional: optional === true })
  }
  for (const volume of spec.volumes ?? []) {
    add(volume.secret?.secretName, `volume ${volume.name}`, volume.secret?.optional)
    for (const source of volume.projected?.sources ?? [])
      add(source.secret?.name, `projected volume ${volume.name}`, source.secret?.optional)
    add(volume.csi?.nodePublishSecretRef?.name, `CSI volume ${volume.name}`, false)
  }
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]
  for (const container of containers) {
    for (const env of container.env ?? []) {
      const ref = env.valueFrom?.secretKeyRef
      if (ref !== undefined) add(ref.name, `env ${env.name} of ${container.name}`, ref.optional)
    }
    for (const source of container.envFrom ?? [])
      add(source.secretRef?.name, `envFrom of ${container.name}`, source.secretRef?.optional)
  }
  for (const pull of spec.imagePullSecrets ?? []) add(pull.name, 'imagePullSecrets', false)
  return refs
}

export function serviceAccountSecretReferences(account: V1ServiceAccount): SecretReference[] {
  const namespace = account.metadata?.namespace ?? ''
  const from = `serviceaccount/${account.metadata?.name ?? ''}`
  return [
    ...(account.secrets ?? []).map((s) => ({
      namespace,
      secret: s.name ?? '',
      from: `${from} (secrets)`,
      optional: false,
    })),
    ...(account.imagePullSecrets ?? []).map((s) => ({
      namespace,
      secret: s.name ?? '',
      from: `${from} (imagePullSecrets)`,
      optional: false,
    })),
  ].filter((r) => r.secret !== '')
}

// Used without any reference: by the apiserver (tokens), by Helm (its release history) or by kubeadm (bootstrap).
const IMPLICITLY_USED_TYPES = new Set([
  'kubernetes.io/service-account-token',
  'helm.sh/release.v1',
  'bootstrap.kubernetes.io/token',
])

export interface CheckOptions {
  /** Certificates expiring within this many days are findings. */
  withinDays: number
}

export function checkSecrets(
  secrets: readonly SecretView[],
  references: readonly SecretReference[],
  options: CheckOptions,
): Finding[] {
  const findings: Finding[] = []
  const existing = new Set(secrets.map((s) => `${s.namespace}/${s.name}`))
  const referenced = new Set(references.map((r) => `${r.namespace}/${r.secret}`))
  for (const secret of secrets) {
    const base = { namespace: secret.namespace, secret: secret.name }
    for (const key of secret.keys) {
      for (const [index, cert] of key.certificates.entries()) {
        const where = key.certificates.length > 1 ? `certificate ${index + 1} ` : ''
        if (cert.daysLeft < 0)
          findings.push({
            ...base,
            key: key.key,
            kind: 'expired',
            detail: `${where}${cert.subject} ${inDays(cert.daysLeft)} (${cert.notAfter.toISOString()})`,
          })
        else if (cert.daysLeft <= options.withinDays)
          findings.push({
            ...base,
            key: key.key,
            kind: 'expiring',
            detail: `${where}${cert.subject} ${inDays(cert.daysLeft)} (${cert.notAfter.toISOString()})`,
          })
      }
      if (key.jwtDaysLeft !== undefined && key.jwtDaysLeft <= options.withinDays)
        findings.push({
          ...base,
          key: key.key,
          kind: key.jwtDaysLeft < 0 ? 'expired' : 'expiring',
          detail: `token ${inDays(key.jwtDaysLeft)} (${key.jwt?.expiresAt?.toISOString() ?? ''})`,
        })
      if (key.kind === 'empty') findings.push({ ...base, key: key.key, kind: 'empty', detail: 'the value is empty' })
    }
    for (const problem of secretProblems(secret))
      findings.push({ ...base, key: undefined, kind: 'unreadable', detail: problem })
    if (!referenced.has(`${secret.namespace}/${secret.name}`) && !IMPLICITLY_USED_TYPES.has(secret.type))
      findings.push({ ...base, key: undefined, kind: 'unused', detail: 'no pod or service account refers to it' })
  }
  const missing = new Map<string, SecretReference[]>()
  for (const ref of references) {
    if (ref.optional || existing.has(`${ref.namespace}/${ref.secret}`)) continue
    const list = missing.get(`${ref.namespace}/${ref.secret}`) ?? []
    list.push(ref)
    missing.set(`${ref.namespace}/${ref.secret}`, list)
  }
  for (const refs of missing.values()) {
    const first = refs[0] as SecretReference
    const more = refs.length > 1 ? ` and ${refs.length - 1} more` : ''
    findings.push({
      namespace: first.namespace,
      secret: first.secret,
      key: undefined,
      kind: 'missing',
      detail: `referenced by ${first.from}${more}, does not exist`,
    })
  }
  const order: Record<FindingKind, number> = { expired: 0, missing: 1, unreadable: 2, expiring: 3, empty: 4, unused: 5 }
  return findings.sort(
    (a, b) =>
      order[a.kind] - order[b.kind] ||
      a.namespace.localeCompare(b.namespace) ||
      a.secret.localeCompare(b.secret) ||
      (a.key ?? '').localeCompare(b.key ?? ''),
  )
}
