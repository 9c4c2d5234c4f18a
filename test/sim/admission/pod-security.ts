import type { KubeObject } from '../object.ts'
import { StatusError } from '../status.ts'
import type { Store } from '../store.ts'

/**
 * Pod Security admission as kube-apiserver enforces it from a namespace's `pod-security.kubernetes.io/enforce` label,
 * for the checks a pod of ours meets (a helper pod, a workload with a securityContext): under `baseline`, capabilities
 * beyond the runtime's default set; under `restricted` also root (runAsNonRoot, runAsUser=0), privilege escalation,
 * capabilities not dropped (ALL) or added beyond NET_BIND_SERVICE, and seccomp. The refusal is the apiserver's 403
 * with its wording: `pods "x" is forbidden: violates PodSecurity "restricted:latest": …`. Host namespaces, host paths,
 * privileged containers and the rest of the baseline checks are not modelled (no pod of ours asks for them).
 */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
])

interface Security {
  runAsNonRoot?: boolean
  runAsUser?: number
  allowPrivilegeEscalation?: boolean
  capabilities?: { add?: string[]; drop?: string[] }
  seccompProfile?: { type?: string }
}

interface Container {
  name: string
  securityContext?: Security
}

const quoted = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(', ')
const list = (names: readonly string[]): string =>
  names.length === 1 ? `container ${quoted(names)}` : `containers ${quoted(names)}`

export function admitPodSecurity(store: Store, pod: KubeObject): void {
  const namespace = store.get('namespaces', undefined, pod.metadata.namespace ?? '')
  const labels = namespace?.metadata.labels ?? {}
  const level = labels['pod-security.kubernetes.io/enforce']
  if (level !== 'baseline' && level !== 'restricted') return
  const version = labels['pod-security.kubernetes.io/enforce-version'] ?? 'latest'
  const spec = (pod.spec ?? {}) as {
    securityContext?: Security
    containers?: Container[]
    initContainers?: Container[]
  }
  const podSecurity = spec.securityContext ?? {}
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])]
  const problems: string[] = []
  const name = (c: string): string => c.toUpperCase().replace(/^CAP_/, '')
  const beyond = (allowed: (cap: string) => boolean): [string, string[]][] =>
    containers
      .map((c): [string, string[]] => [
        c.name,
        (c.securityContext?.capabilities?.add ?? []).filter((cap) => !allowed(name(cap))),
      ])
      .filter(([, caps]) => caps.length > 0)
  if (level === 'restricted') {
    const escalating = containers
      .filter((c) => c.securityContext?.allowPrivilegeEscalation !== false)
      .map((c) => c.name)
    if (escalating.length > 0)
      problems.push(
        `allowPrivilegeEscalation != false (${list(escalating)} must set securityContext.allowPrivilegeEscalation=false)`,
      )
    const notDropped = containers
      .filter((c) => !(c.securityContext?.capabilities?.drop ?? []).some((cap) => name(cap) === 'ALL'))
      .map((c) => c.name)
    const added = beyond((cap) => cap === 'NET_BIND_SERVICE')
    if (notDropped.length > 0 || added.length > 0)
      problems.push(
        `unrestricted capabilities (${[
          ...(notDropped.length > 0 ? [`${list(notDropped)} must set securityContext.capabilities.drop=["ALL"]`] : []),
          ...added.map(
            ([c, caps]) => `container "${c}" must not include ${quoted(caps)} in securityContext.capabilities.add`,
          ),
        ].join('; ')})`,
      )
    const nonRoot = (c: Container): boolean => (c.securityContext?.runAsNonRoot ?? podSecurity.runAsNonRoot) === true
    if (containers.some((c) => !nonRoot(c)))
      problems.push(
        podSecurity.runAsNonRoot === true
          ? `runAsNonRoot != true (${list(containers.filter((c) => !nonRoot(c)).map((c) => c.name))} must not set securityContext.runAsNonRoot=false)`
          : `runAsNonRoot != true (pod or ${list(containers.filter((c) => !nonRoot(c)).map((c) => c.name))} must set securityContext.runAsNonRoot=true)`,
      )
    const rootUser = [
      ...(podSecurity.runAsUser === 0 ? ['pod'] : []),
      ...containers.filter((c) => c.securityContext?.runAsUser === 0).map((c) => `container "${c.name}"`),
    ]
    if (rootUser.length > 0) problems.push(`runAsUser=0 (${rootUser.join(' and ')} must not set runAsUser=0)`)
    const seccomp = (s: Security | undefined): boolean =>
      s?.seccompProfile?.type === 'RuntimeDefault' || s?.seccompProfile?.type === 'Localhost'
    const noSeccomp = containers.filter((c) => !seccomp(c.securityContext) && !seccomp(podSecurity)).map((c) => c.name)
    if (noSeccomp.length > 0)
      problems.push(
        `seccompProfile (pod or ${list(noSeccomp)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`,
      )
  } else {
    const added = beyond((cap) => BASELINE_CAPABILITIES.has(cap))
    if (added.length > 0)
      problems.push(
        `non-default capabilities (${added.map(([c, caps]) => `container "${c}" must not include ${quoted(caps)} in securityContext.capabilities.add`).join('; ')})`,
      )
  }
  if (problems.length === 0) return
  throw new StatusError(
    403,
    'Forbidden',
    `pods "${pod.metadata.name}" is forbidden: violates PodSecurity "${level}:${version}": ${problems.join(', ')}`,
    { name: pod.metadata.name, kind: 'pods' },
  )
}
