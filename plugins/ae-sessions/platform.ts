import type { V1Pod } from '@kubernetes/client-node'
import { isLabelValue } from '../../shared/names.ts'

/**
 * How an install labels its workloads. AE5 installs differ (5.x on Gravity vs BYOK8s, and whatever a platform team
 * added for owners), so every key here is configurable; the defaults are what ae5-tools and AE5 itself use.
 */
export type WorkloadKind = 'session' | 'deployment' | 'run'

export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['session', 'deployment', 'run']

/** Where a value is read from: a label, an annotation, or either (label first). */
export interface MetadataKey {
  source: 'label' | 'annotation' | 'any'
  key: string
}

export interface KindRule {
  /** Labels whose value is the workload's slug, first match wins (old style first, then the newer one). */
  idLabels: string[]
  /** Labels whose value is `<valuePrefix><slug>`: the Job controller's `job-name` for runs. */
  prefixedLabels: { key: string; valuePrefix: string }[]
  /** A pod name prefix that marks the kind when no label does; the slug follows it up to the next '-'. */
  namePrefix: string
  /** Platform id prefix: `a1` for sessions, `a2` for deployments and runs (AE5's identifiers). */
  idPrefix: string
}

export interface PlatformConfig {
  kinds: Record<WorkloadKind, KindRule>
  /** Ordered: the first key present on a pod names its owner. */
  ownerKeys: MetadataKey[]
  projectKeys: MetadataKey[]
  /**
   * Namespaces to read one by one when listing every namespace is forbidden: a user who may only see the
   * platform's namespace still gets its rows.
   */
  namespaces: string[]
}

/**
 * The documented defaults. Owner: AE5 attests no owner label on pods, so we read `anaconda-owner` (the key AE5 puts
 * on users' credential secrets) and then an `anaconda.com/owner` annotation, which platform teams add by policy.
 */
export const DEFAULT_CONFIG: PlatformConfig = {
  kinds: {
    session: {
      idLabels: ['anaconda-session-id', 'session-id'],
      prefixedLabels: [],
      namePrefix: 'anaconda-session-',
      idPrefix: 'a1',
    },
    deployment: {
      idLabels: ['anaconda-app-id', 'app-id'],
      prefixedLabels: [],
      namePrefix: 'anaconda-app-',
      idPrefix: 'a2',
    },
    run: {
      idLabels: ['job-id'],
      prefixedLabels: [
        { key: 'job-name', valuePrefix: 'anaconda-job-' },
        { key: 'batch.kubernetes.io/job-name', valuePrefix: 'anaconda-job-' },
      ],
      namePrefix: 'anaconda-job-',
      idPrefix: 'a2',
    },
  },
  ownerKeys: [
    { source: 'label', key: 'anaconda-owner' },
    { source: 'annotation', key: 'anaconda.com/owner' },
  ],
  projectKeys: [
    { source: 'label', key: 'anaconda-project-id' },
    { source: 'annotation', key: 'anaconda.com/project' },
  ],
  namespaces: [],
}

export interface Identity {
  kind: WorkloadKind
  /** The bare slug, as label values hold it. */
  slug: string
  /** `a1-<slug>` or `a2-<slug>`. */
  id: string
  /** What recognised the pod, for `info` and -v: `label anaconda-session-id`, `name prefix anaconda-app-`. */
  detectedBy: string
}

/** Reads `key` from a pod, or undefined. `any` looks at labels first. */
export function readMetadataKey(pod: V1Pod, key: MetadataKey): string | undefined {
  const labels = pod.metadata?.labels ?? {}
  const annotations = pod.metadata?.annotations ?? {}
  const fromLabel = key.source === 'annotation' ? undefined : labels[key.key]
  const value = fromLabel ?? (key.source === 'label' ? undefined : annotations[key.key])
  return value === undefined || value === '' ? undefined : value
}

/** Which platform workload a pod is, or undefined for every other pod (system pods, other apps). */
export function identifyWorkload(pod: V1Pod, config: PlatformConfig): Identity | undefined {
  const labels = pod.metadata?.labels ?? {}
  const name = pod.metadata?.name ?? ''
  // Labels first, in kind order, so a labelled pod is never mistaken by its name.
  for (const kind of WORKLOAD_KINDS) {
    const rule = config.kinds[kind]
    for (const key of rule.idLabels) {
      const slug = labels[key]
      if (slug !== undefined && slug !== '') return identity(kind, rule, slug, `label ${key}`)
    }
    for (const { key, valuePrefix } of rule.prefixedLabels) {
      const value = labels[key]
      if (value?.startsWith(valuePrefix) === true && value.length > valuePrefix.length)
        return identity(kind, rule, value.slice(valuePrefix.length), `label ${key}`)
    }
  }
  for (const kind of WORKLOAD_KINDS) {
    const rule = config.kinds[kind]
    if (rule.namePrefix === '' || !name.startsWith(rule.namePrefix)) continue
    const slug = name.slice(rule.namePrefix.length).split('-')[0] ?? ''
    if (slug !== '') return identity(kind, rule, slug, `name prefix ${rule.namePrefix}`)
  }
  return undefined
}

function identity(kind: WorkloadKind, rule: KindRule, slug: string, detectedBy: string): Identity {
  return { kind, slug, id: `${rule.idPrefix}-${slug}`, detectedBy }
}

// AE5 labels users' credential secrets `anaconda-owner=user-creds-<username>`; the same value on a pod means that user.
const CREDENTIAL_OWNER_PREFIX = 'user-creds-'

export function ownerOf(pod: V1Pod, config: PlatformConfig): string | undefined {
  for (const key of config.ownerKeys) {
    const value = readMetadataKey(pod, key)
    if (value !== undefined)
      return value.startsWith(CREDENTIAL_OWNER_PREFIX) ? value.slice(CREDENTIAL_OWNER_PREFIX.length) : value
  }
  return undefined
}

export function projectOf(pod: V1Pod, config: PlatformConfig): string | undefined {
  for (const key of config.projectKeys) {
    const value = readMetadataKey(pod, key)
    if (value !== undefined) return value
  }
  return undefined
}

/**
 * AE5's short names for a session's containers (ae5-tools' aliases): the editor, its proxy, the project sync
 * sidecar and the sync sidecar's proxy; deployments have `app` and `app-proxy` (shown `proxy`).
 */
export function containerAlias(name: string, allNames: readonly string[]): string {
  if (name === 'app') return 'app'
  if (name === 'app-proxy') return 'proxy'
  const syncPrefix = 'tool-anaconda-platform-sync-'
  if (name.startsWith(syncPrefix)) return 'sync'
  if (name.startsWith('tool-proxy-')) {
    const suffix = name.slice('tool-proxy-'.length)
    return allNames.includes(`${syncPrefix}${suffix}`) ? 'sync-proxy' : 'proxy'
  }
  return 'editor'
}

/** The container `logs` shows by default: the editor of a session, the app of a deployment or run. */
export function defaultLogContainer(kind: WorkloadKind, names: readonly string[]): string | undefined {
  const wanted = kind === 'session' ? 'editor' : 'app'
  return names.find((n) => containerAlias(n, names) === wanted) ?? names[0]
}

/**
 * `--kind`: a comma list, singular or plural, with the words people use (`deploy`, `app`, `job`). Unknown words
 * are returned so the command can name them.
 */
export function parseKinds(text: string): { kinds: WorkloadKind[]; unknown: string[] } {
  const words: Record<string, WorkloadKind> = {
    session: 'session',
    sessions: 'session',
    a1: 'session',
    deployment: 'deployment',
    deployments: 'deployment',
    deploy: 'deployment',
    app: 'deployment',
    apps: 'deployment',
    run: 'run',
    runs: 'run',
    job: 'run',
    jobs: 'run',
  }
  const kinds: WorkloadKind[] = []
  const unknown: string[] = []
  for (const raw of text.split(',')) {
    const word = raw.trim().toLowerCase()
    if (word === '') continue
    const kind = words[word]
    if (kind === undefined) unknown.push(raw.trim())
    else if (!kinds.includes(kind)) kinds.push(kind)
  }
  return { kinds, unknown }
}

/** `label:KEY`, `annotation:KEY` or a bare KEY (label, then annotation). */
export function parseMetadataKeys(text: string): MetadataKey[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const colon = part.indexOf(':')
      const source = colon < 0 ? '' : part.slice(0, colon)
      if (source === 'label' || source === 'annotation') return { source, key: part.slice(colon + 1) }
      return { source: 'any', key: part }
    })
}

/**
 * How to ask the server for one owner's pods instead of reading every pod. Owner keys are tried in order (the
 * first present names the owner), so the pods owned through key i are those without the labels before it and with
 * key i equal to the owner: one label selector per label key. An annotation cannot be selected on, so from the
 * first annotation key on, the pods without any of the earlier labels are read and checked here (`scan`).
 */
export interface OwnerQueries {
  /** Label selectors whose pods all have this owner (an owner value no label can hold gets none). */
  selected: string[]
  /** A label selector for the pods that must be read and checked one by one ('' = every pod), if any. */
  scan: string | undefined
  /** The annotation key that made the scan necessary. */
  scanBecause: string | undefined
}

export function ownerQueries(config: PlatformConfig, owner: string): OwnerQueries {
  // AE5 credential owners carry a prefix that ownerOf strips, so both spellings name the same owner.
  const values = [owner, `${CREDENTIAL_OWNER_PREFIX}${owner}`].filter(isLabelValue)
  const absent: string[] = []
  const selected: string[] = []
  for (const key of config.ownerKeys) {
    if (key.source !== 'annotation') {
      if (values.length > 0)
        selected.push([...absent.map((k) => `!${k}`), `${key.key} in (${values.join(',')})`].join(','))
      absent.push(key.key)
    }
    if (key.source !== 'label') return { selected, scan: absent.map((k) => `!${k}`).join(','), scanBecause: key.key }
  }
  return { selected, scan: undefined, scanBecause: undefined }
}

/**
 * The scan part of ownerQueries, which does not depend on the owner: `--mine` starts it while the server is still
 * saying who "mine" is.
 */
export function ownerScan(config: PlatformConfig): Pick<OwnerQueries, 'scan' | 'scanBecause'> {
  const { scan, scanBecause } = ownerQueries(config, '')
  return { scan, scanBecause }
}
