import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Readable } from 'node:stream'
import type { V1Node, V1Pod } from '@kubernetes/client-node'
import { pushAll } from '../../shared/arrays.ts'
import { SuiteError } from '../../shared/errors.ts'
import type { Kube } from '../../shared/kube/connect.ts'
import { foldList, listAll, METADATA_LIST_ACCEPT } from '../../shared/kube/list.ts'
import {
  METRICS_TIMEOUT_MS,
  type MetricsResult,
  optionalMetrics,
  streamMetrics,
  type UsageNanos,
  usageOfEntry,
} from '../../shared/kube/metrics.ts'
import { resourcePath } from '../../shared/kube/paths.ts'
import {
  baseRow,
  bytesOf,
  type CpuMemory,
  emptyCounts,
  filterVerdict,
  foldPodIntoSummaries,
  type NodeSummary,
  nodeSummary,
  type PodUsage,
  type RowFilter,
  type WorkloadRow,
} from './model.ts'
import {
  identifyWorkload,
  ownerOf,
  ownerQueries,
  ownerScan,
  type PlatformConfig,
  type WorkloadKind,
} from './platform.ts'

/**
 * The API reads of `kubectl ae-sessions`: one paginated pod list (platform pods kept page by page, everything else
 * dropped at once so 20,000-pod namespaces stay small in memory) and one pod-metrics list, run concurrently.
 */
export interface WorkloadQuery {
  /** undefined = every namespace. */
  namespace: string | undefined
  labelSelector?: string | undefined
  fieldSelector?: string | undefined
  metrics: boolean
  chunkSize?: number | undefined
  config: PlatformConfig
  /** Namespaces to read one by one when listing every namespace is forbidden. */
  fallbackNamespaces: string[]
  /**
   * Applied page by page, so rows that are not wanted are never kept. The owner may still be on its way (`--mine`
   * asks the server who that is): what does not depend on it starts at once.
   */
  filter?: { kinds?: RowFilter['kinds']; owner?: string | Promise<string> | undefined } | undefined
  signal?: AbortSignal | undefined
  /** Where to say, at -v 1, how the pods were read. */
  log?: ((message: string) => void) | undefined
}

export interface WorkloadSnapshot {
  /** Platform pods as rows without usage (see withUsage), already filtered. */
  rows: WorkloadRow[]
  /** Rows an owner filter dropped because their owner is unknown. */
  unknownOwner: number
  /** `namespace/name` → usage; undefined when metrics were not read or not available. */
  usage: Map<string, PodUsage> | undefined
  warnings: string[]
  /** The namespaces actually read, when a forbidden all-namespaces list fell back to some. */
  readNamespaces: string[] | undefined
}

interface PodMetricsItem {
  metadata: { name: string; namespace?: string }
  timestamp?: string
  window?: string
  containers?: { name: string; usage?: { cpu?: string; memory?: string } }[]
}

const isForbidden = (error: unknown): error is SuiteError => error instanceof SuiteError && error.status === 403

interface Kept {
  rows: WorkloadRow[]
  unknownOwner: number
}

/** A user's selector and ours, both applied: requirements joined by a comma are ANDed. */
function bothSelectors(user: string | undefined, ours: string): string | undefined {
  const parts = [user, ours].filter((s) => s !== undefined && s !== '')
  return parts.length === 0 ? undefined : parts.join(',')
}

/** One paginated pod list under a label selector, platform pods kept page by page. */
async function foldPlatformPods(
  kube: Kube,
  query: WorkloadQuery,
  namespace: string | undefined,
  labelSelector: string | undefined,
  filter: RowFilter,
): Promise<Kept> {
  const result = await foldList<V1Pod, Kept>(
    kube.transport,
    {
      path: resourcePath({ plural: 'pods', namespace }),
      labelSelector,
      fieldSelector: query.fieldSelector,
      chunkSize: query.chunkSize,
      context: { verb: 'list', resource: 'pods', namespace },
      ...(query.signal === undefined ? {} : { signal: query.signal }),
    },
    () => ({ rows: [], unknownOwner: 0 }),
    (kept, items) => {
      for (const pod of items) {
        const identity = identifyWorkload(pod, query.config)
        if (identity === undefined) continue
        const verdict = filterVerdict(filter, identity.kind, ownerOf(pod, query.config))
        if (verdict === 'unknown-owner') kept.unknownOwner++
        if (verdict !== 'keep') continue
        const row = baseRow(pod, query.config)
        if (row !== undefined) kept.rows.push(row)
      }
      return kept
    },
  )
  return result.value
}

/** Pods found owned through an annotation are read one by one up to this many; more, and the scan lists them whole. */
const MAX_OWNER_GETS = 50
const GETS_AT_ONCE = 8
/**
 * Objects per page of a metadata-only list when --chunk-size is not given: an item is a fifth of a whole pod or
 * less, so pages of 2,000 are no larger than kubectl's 500 pods, in a quarter of the round trips.
 */
const METADATA_CHUNK_SIZE = 2000

/**
 * The pods an owner filter must check one by one (no label says their owner, so an annotation may): their metadata
 * only (PartialObjectMetadataList) is listed, which says whether each is a platform pod and who owns it, and just
 * the pods of this owner are then read in full by name. On a 20,000-pod platform whose pods all carry the owner
 * label this reads the other pods' names, labels and annotations instead of their whole specs and statuses. The
 * list does not need the owner, so it runs while `--mine` is still asking who that is; the platform pods it finds
 * are kept as (kind, owner, name) until then.
 */
async function scanForOwner(
  kube: Kube,
  query: WorkloadQuery,
  namespace: string | undefined,
  labelSelector: string | undefined,
  because: string,
  owner: Promise<string>,
): Promise<Kept> {
  const kinds = query.filter?.kinds
  interface Candidate {
    kind: WorkloadKind
    owner: string | undefined
    at: { namespace: string; name: string }
    /** The row, when the server sent whole pods (no metadata lists). */
    row: WorkloadRow | undefined
  }
  const scanned = await foldList<V1Pod, Candidate[]>(
    kube.transport,
    {
      path: resourcePath({ plural: 'pods', namespace }),
      labelSelector,
      fieldSelector: query.fieldSelector,
      chunkSize: query.chunkSize ?? METADATA_CHUNK_SIZE,
      accept: METADATA_LIST_ACCEPT,
      context: { verb: 'list', resource: 'pods', namespace },
      ...(query.signal === undefined ? {} : { signal: query.signal }),
    },
    () => [],
    (candidates, items) => {
      for (const pod of items) {
        const identity = identifyWorkload(pod, query.config)
        if (identity === undefined || filterVerdict({ kinds }, identity.kind, undefined) === 'drop') continue
        candidates.push({
          kind: identity.kind,
          owner: ownerOf(pod, query.config),
          at: { namespace: pod.metadata?.namespace ?? namespace ?? '', name: pod.metadata?.name ?? '' },
          row: pod.spec === undefined ? undefined : baseRow(pod, query.config),
        })
      }
      return candidates
    },
  )
  const filter: RowFilter = { kinds, owner: await owner }
  const rows: WorkloadRow[] = []
  const hits: { namespace: string; name: string }[] = []
  let unknownOwner = 0
  for (const candidate of scanned.value) {
    const verdict = filterVerdict(filter, candidate.kind, candidate.owner)
    if (verdict === 'unknown-owner') unknownOwner++
    if (verdict !== 'keep') continue
    if (candidate.row !== undefined) rows.push(candidate.row)
    else hits.push(candidate.at)
  }
  if (hits.length === 0) return { rows, unknownOwner }
  if (hits.length > MAX_OWNER_GETS) {
    query.log?.(
      `${hits.length} pods of ${filter.owner} are owned through annotation ${because}: reading the pods without a label owner in full`,
    )
    return foldPlatformPods(kube, query, namespace, labelSelector, filter)
  }
  query.log?.(
    `${hits.length} pod${hits.length === 1 ? '' : 's'} of ${filter.owner} owned through annotation ${because}`,
  )
  for (let i = 0; i < hits.length; i += GETS_AT_ONCE) {
    const pods = await Promise.all(hits.slice(i, i + GETS_AT_ONCE).map((hit) => getPod(kube, hit, query.signal)))
    for (const pod of pods) {
      // Checked again: the pod may have changed (or gone) between the list and this read.
      const identity = pod === undefined ? undefined : identifyWorkload(pod, query.config)
      if (pod === undefined || identity === undefined) continue
      if (filterVerdict(filter, identity.kind, ownerOf(pod, query.config)) !== 'keep') continue
      const row = baseRow(pod, query.config)
      if (row !== undefined) rows.push(row)
    }
  }
  return { rows, unknownOwner }
}

/** One pod by name, or undefined when it was deleted since it was listed. */
async function getPod(
  kube: Kube,
  at: { namespace: string; name: string },
  signal: AbortSignal | undefined,
): Promise<V1Pod | undefined> {
  try {
    return await kube.transport.json<V1Pod>({
      path: resourcePath({ plural: 'pods', namespace: at.namespace, name: at.name }),
      context: { verb: 'get', resource: 'pods', namespace: at.namespace, name: at.name },
      ...(signal === undefined ? {} : { signal }),
    })
  } catch (error) {
    if (error instanceof SuiteError && error.status === 404) return undefined
    throw error
  }
}

/**
 * The platform pods of one namespace (or all), with their usage. With an owner filter the server selects that
 * owner's pods by label (see ownerQueries), and metrics are listed under the same selectors, so `--mine` on a
 * 20,000-pod platform reads a user's pods and not everyone's; only owner keys that are annotations need a scan.
 */
async function platformPodsIn(
  kube: Kube,
  query: WorkloadQuery,
  namespace: string | undefined,
): Promise<Kept & { usage: Map<string, PodUsage> | undefined; warnings: string[] }> {
  const kinds = query.filter?.kinds
  const ownerGiven = query.filter?.owner
  const listMetrics = (
    selector: string | undefined,
    read: 'whole' | 'streamed',
  ): Promise<MetricsResult<Map<string, PodMetricsItem>>> =>
    query.metrics
      ? optionalMetrics(() => listPodMetrics(kube, query, namespace, selector, read))
      : Promise.resolve({ value: undefined, warning: undefined })
  type Part = { kept: Kept; metrics: MetricsResult<Map<string, PodMetricsItem>> }
  const parts: Promise<Part[]>[] = []
  if (ownerGiven === undefined) {
    const labelSelector = bothSelectors(query.labelSelector, '')
    parts.push(
      Promise.all([
        foldPlatformPods(kube, query, namespace, labelSelector, { kinds }),
        listMetrics(labelSelector, 'streamed'),
      ]).then(([kept, metrics]) => [{ kept, metrics }]),
    )
  } else {
    const owner = Promise.resolve(ownerGiven)
    // The owner's pods by label, once the owner is known.
    parts.push(
      owner.then((who) =>
        Promise.all(
          ownerQueries(query.config, who).selected.map(async (selector) => {
            const labelSelector = bothSelectors(query.labelSelector, selector)
            const [kept, metrics] = await Promise.all([
              foldPlatformPods(kube, query, namespace, labelSelector, { kinds, owner: who }),
              // One owner's pods: a document small enough to parse at once, several times cheaper than splitting.
              listMetrics(labelSelector, 'whole'),
            ])
            return { kept, metrics }
          }),
        ),
      ),
    )
    const { scan, scanBecause } = ownerScan(query.config)
    if (scan !== undefined) {
      query.log?.(
        `owner key ${scanBecause} is an annotation, which the server cannot select on: reading the metadata of every pod${scan === '' ? '' : ` without ${scan.replaceAll('!', '').replaceAll(',', ', ')}`} to check it`,
      )
      const labelSelector = bothSelectors(query.labelSelector, scan)
      // A scan for one owner usually keeps few rows: their metrics are read only when there are some.
      parts.push(
        scanForOwner(kube, query, namespace, labelSelector, scanBecause ?? '', owner).then(async (kept) => [
          {
            kept,
            metrics:
              kept.rows.length === 0
                ? { value: new Map<string, PodMetricsItem>(), warning: undefined }
                : await listMetrics(labelSelector, 'streamed'),
          },
        ]),
      )
    }
  }
  // Every list settles before an error is thrown, so no request is left running behind a failed one.
  const settled = await Promise.allSettled(parts)
  const failed = settled.find((r) => r.status === 'rejected')
  if (failed !== undefined) throw failed.reason
  const done = settled.flatMap((r) => (r.status === 'fulfilled' ? r.value : []))
  const rows: WorkloadRow[] = []
  let unknownOwner = 0
  const usage: Map<string, PodUsage> | undefined = query.metrics ? new Map() : undefined
  const warnings: string[] = []
  let unavailable = false
  for (const { kept, metrics } of done) {
    pushAll(rows, kept.rows)
    unknownOwner += kept.unknownOwner
    if (metrics.value !== undefined && usage !== undefined)
      usageOfRows(kept.rows, metrics.value, usage, (line) => warnings.push(line))
    if (metrics.warning !== undefined) {
      if (!unavailable) warnings.push(metrics.warning)
      unavailable = true
    }
  }
  return { rows, unknownOwner, usage: unavailable ? undefined : usage, warnings }
}

/**
 * Pod metrics under a selector, each item kept with only what the rows use: its containers' usage, window and
 * timestamp, not its metadata. `streamed` splits the document item by item as it arrives (metrics-server answers
 * a whole namespace or cluster in one document, whatever limit says); `whole` parses it at once, for one owner's
 * pods, where the document is small and splitting it byte by byte in JavaScript cost ~5 times the CPU.
 */
async function listPodMetrics(
  kube: Kube,
  query: WorkloadQuery,
  namespace: string | undefined,
  labelSelector: string | undefined,
  read: 'whole' | 'streamed',
): Promise<Map<string, PodMetricsItem>> {
  const byPod = new Map<string, PodMetricsItem>()
  const keep = (item: PodMetricsItem): void => {
    const name = item.metadata?.name
    if (name === undefined) return
    byPod.set(`${item.metadata.namespace ?? namespace ?? ''}/${name}`, {
      metadata: { name },
      ...(item.timestamp === undefined ? {} : { timestamp: item.timestamp }),
      ...(item.window === undefined ? {} : { window: item.window }),
      ...(item.containers === undefined ? {} : { containers: item.containers }),
    })
  }
  await streamMetrics<PodMetricsItem>(
    kube.transport,
    { plural: 'pods', namespace, labelSelector, signal: query.signal, whole: read === 'whole' },
    keep,
  )
  return byPod
}

/**
 * Parses metrics only for the rows kept: --mine on 20,000 pods parses a handful of quantities, not 60,000. A pod
 * whose metrics hold a malformed quantity gets no usage ("-") and one warning, by the shared rule (usageOfEntry).
 */
function usageOfRows(
  rows: readonly WorkloadRow[],
  raw: Map<string, PodMetricsItem>,
  into: Map<string, PodUsage>,
  warn: (line: string) => void,
): void {
  for (const row of rows) {
    const key = `${row.namespace}/${row.pod}`
    const item = raw.get(key)
    if (item === undefined) continue
    const containers = item.containers ?? []
    const usage = usageOfEntry(`pod ${key}`, containers, warn)
    if (usage === undefined) continue
    into.set(key, {
      containers: containers.map((c, i) => ({ name: c.name, ...cpuMemory(usage[i]) })),
      window: item.window,
      timestamp: item.timestamp,
    })
  }
}

function cpuMemory(usage: UsageNanos | undefined): CpuMemory {
  return { cpu: usage?.cpu ?? 0n, memory: bytesOf(usage?.memory ?? 0n) }
}

export async function collectWorkloads(kube: Kube, query: WorkloadQuery): Promise<WorkloadSnapshot> {
  try {
    const found = await platformPodsIn(kube, query, query.namespace)
    return {
      rows: found.rows,
      unknownOwner: found.unknownOwner,
      usage: found.usage,
      warnings: found.warnings,
      readNamespaces: undefined,
    }
  } catch (error) {
    if (query.namespace !== undefined || !isForbidden(error)) throw error
    return collectFromNamespaces(kube, query, error)
  }
}

/**
 * Every namespace is forbidden to this user: read the namespaces they are likely allowed (their context's and the
 * platform's) one by one, show what those hold, and say plainly what could not be read.
 */
async function collectFromNamespaces(kube: Kube, query: WorkloadQuery, denied: SuiteError): Promise<WorkloadSnapshot> {
  const { namespaces, guessed } = await namespacesToTry(kube, query.fallbackNamespaces, query.signal)
  const rows: WorkloadRow[] = []
  let unknownOwner = 0
  const usage = new Map<string, PodUsage>()
  const read: string[] = []
  const forbidden: string[] = []
  const metricWarnings = new Set<string>()
  for (const namespace of namespaces) {
    try {
      const found = await platformPodsIn(kube, query, namespace)
      pushAll(rows, found.rows)
      unknownOwner += found.unknownOwner
      if (found.usage !== undefined) for (const [key, value] of found.usage) usage.set(key, value)
      for (const warning of found.warnings) metricWarnings.add(warning)
      read.push(namespace)
    } catch (error) {
      if (!isForbidden(error)) throw error
      // A namespace we only guessed (AE5's default) is not worth a word when it is forbidden too.
      if (!guessed.has(namespace)) forbidden.push(namespace)
    }
  }
  if (read.length === 0)
    throw new SuiteError(
      'forbidden',
      `you may not list pods in all namespaces${forbidden.length > 0 ? ` nor in ${forbidden.join(', ')}` : ''}: ${denied.message}`,
      {
        status: 403,
        hint: 'pick a namespace you may read with -n NAMESPACE, or name the platform namespaces with --platform-namespaces',
      },
    )
  const warnings = [
    `listing pods in all namespaces is forbidden for you: showing namespace${read.length > 1 ? 's' : ''} ${read.join(', ')} only${forbidden.length > 0 ? ` (also forbidden: ${forbidden.join(', ')})` : ''}`,
    ...metricWarnings,
  ]
  // Usage from the namespaces whose metrics answered; none at all means the usage columns show "-".
  const anyUsage = query.metrics && (metricWarnings.size === 0 || usage.size > 0)
  return {
    rows,
    unknownOwner,
    usage: anyUsage ? usage : undefined,
    warnings,
    readNamespaces: read,
  }
}

/** Where AE5 installs by default: tried when no platform namespaces are configured. */
export const AE5_DEFAULT_NAMESPACE = 'anaconda-enterprise'
/** SelfSubjectAccessReviews asked at once when looking for the namespaces a user may list pods in. */
const REVIEWS_AT_ONCE = 16

/**
 * The namespaces to read when listing pods in all of them is forbidden, without asking the user for flags: the
 * context's and the configured platform namespaces, AE5's default (silently skipped when forbidden), and, when the user may
 * list namespaces, every namespace where a SelfSubjectAccessReview says they may list pods. A SelfSubjectAccessReview
 * answers exactly "may I list pods here" (a SelfSubjectRulesReview would return rules for us to evaluate, and may be
 * incomplete); a user who may list no namespaces gets the given ones only.
 */
export async function namespacesToTry(
  kube: Kube,
  given: readonly string[],
  signal?: AbortSignal,
): Promise<{ namespaces: string[]; guessed: Set<string> }> {
  const explicit = [...new Set(given.filter((n) => n !== ''))]
  const guessed = new Set<string>()
  if (!explicit.includes(AE5_DEFAULT_NAMESPACE)) guessed.add(AE5_DEFAULT_NAMESPACE)
  let all: string[] = []
  try {
    const { items } = await listAll<{ metadata?: { name?: string } }>(kube.transport, {
      path: resourcePath({ plural: 'namespaces' }),
      context: { verb: 'list', resource: 'namespaces' },
      ...(signal === undefined ? {} : { signal }),
    })
    all = items.map((n) => n.metadata?.name ?? '').filter((n) => n !== '' && !explicit.includes(n))
  } catch (error) {
    if (!isForbidden(error)) throw error
  }
  if (all.length > 0) {
    // The namespace list is the truth: the guess is replaced by what the reviews allow.
    guessed.clear()
    const allowed = new Set<string>()
    for (let i = 0; i < all.length; i += REVIEWS_AT_ONCE) {
      const batch = all.slice(i, i + REVIEWS_AT_ONCE)
      const answers = await Promise.all(batch.map((namespace) => mayListPods(kube, namespace, signal)))
      batch.forEach((namespace, j) => {
        if (answers[j] === true) allowed.add(namespace)
      })
    }
    for (const namespace of allowed) guessed.add(namespace)
  }
  return { namespaces: [...explicit, ...guessed], guessed }
}

async function mayListPods(kube: Kube, namespace: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const review = await kube.transport.json<{ status?: { allowed?: boolean } }>({
      method: 'POST',
      path: resourcePath({ group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectaccessreviews' }),
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { namespace, verb: 'list', group: '', resource: 'pods' } },
      },
      context: { verb: 'create', resource: 'selfsubjectaccessreviews.authorization.k8s.io' },
      ...(signal === undefined ? {} : { signal }),
    })
    return review.status?.allowed === true
  } catch (error) {
    // No review API, or not allowed to ask: this namespace is simply not offered.
    if (error instanceof SuiteError && (error.status === 403 || error.status === 404)) return false
    throw error
  }
}

/**
 * Who "mine" is. The API's answer first (SelfSubjectReview, as `kubectl auth whoami`), since only the server knows
 * a token's user; where that API is missing (before 1.28) or forbidden, what the kubeconfig says.
 */
export interface WhoAmI {
  username: string
  source:
    | 'SelfSubjectReview'
    | 'impersonation'
    | 'client certificate CN'
    | 'basic-auth username'
    | 'kubeconfig user name'
}

export async function whoAmI(kube: Kube, signal?: AbortSignal): Promise<WhoAmI & { fallbackReason?: string }> {
  let fallbackReason: string
  try {
    const review = await kube.transport.json<{ status?: { userInfo?: { username?: string } } }>({
      method: 'POST',
      path: resourcePath({ group: 'authentication.k8s.io', version: 'v1', plural: 'selfsubjectreviews' }),
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      context: { verb: 'create', resource: 'selfsubjectreviews.authentication.k8s.io' },
      ...(signal === undefined ? {} : { signal }),
    })
    const username = review.status?.userInfo?.username
    if (username !== undefined && username !== '') return { username, source: 'SelfSubjectReview' }
    fallbackReason = 'the SelfSubjectReview answer named no user'
  } catch (error) {
    if (!(error instanceof SuiteError) || (error.status !== 404 && error.status !== 403)) throw error
    fallbackReason =
      error.status === 404
        ? 'the SelfSubjectReview API is not available on this server'
        : 'SelfSubjectReview is forbidden for this user'
  }
  return { ...identityFromConfig(kube), fallbackReason }
}

/** The identity the kubeconfig implies: an impersonated user, the client certificate's CN, the basic-auth name. */
export function identityFromConfig(kube: Pick<Kube, 'connection'>): WhoAmI {
  const user = kube.connection.user
  if (user.impersonate !== undefined && user.impersonate !== '')
    return { username: user.impersonate, source: 'impersonation' }
  const pem = user.certData ?? (user.certFile === undefined ? undefined : readCert(user.certFile))
  if (pem !== undefined) {
    const cn = commonName(pem)
    if (cn !== undefined) return { username: cn, source: 'client certificate CN' }
  }
  if (user.username !== undefined && user.username !== '')
    return { username: user.username, source: 'basic-auth username' }
  return { username: user.name, source: 'kubeconfig user name' }
}

function readCert(path: string): Buffer | undefined {
  try {
    return readFileSync(path)
  } catch {
    return undefined
  }
}

function commonName(pem: Buffer): string | undefined {
  try {
    const subject = new X509Certificate(pem).subject
    return subject
      .split('\n')
      .find((line) => line.startsWith('CN='))
      ?.slice(3)
  } catch {
    return undefined
  }
}

export interface LogQuery {
  namespace: string
  pod: string
  container: string
  follow: boolean
  tailLines?: number | undefined
  sinceSeconds?: number | undefined
  timestamps?: boolean | undefined
  previous?: boolean | undefined
  signal?: AbortSignal | undefined
}

/** The pod's log as a stream (followed with -f until the container stops or the user interrupts). */
export async function openLogStream(kube: Kube, query: LogQuery): Promise<Readable> {
  return kube.transport.stream({
    path: resourcePath({ plural: 'pods', namespace: query.namespace, name: query.pod, subresource: 'log' }),
    query: {
      container: query.container,
      ...(query.follow ? { follow: 'true' } : {}),
      ...(query.tailLines === undefined ? {} : { tailLines: String(query.tailLines) }),
      ...(query.sinceSeconds === undefined ? {} : { sinceSeconds: String(query.sinceSeconds) }),
      ...(query.timestamps === true ? { timestamps: 'true' } : {}),
      ...(query.previous === true ? { previous: 'true' } : {}),
    },
    context: { verb: 'get', resource: 'pods/log', namespace: query.namespace, name: query.pod },
    ...(query.signal === undefined ? {} : { signal: query.signal }),
  })
}

export interface NodesSnapshot {
  summaries: NodeSummary[]
  unscheduled: Record<WorkloadKind, number>
  warnings: string[]
}

/** `nodes`: node list, one cluster-wide pod list folded into counts, node metrics; nothing per pod is kept. */
export async function collectNodeSummaries(
  kube: Kube,
  options: {
    config: PlatformConfig
    metrics: boolean
    chunkSize?: number | undefined
    signal?: AbortSignal | undefined
    fallbackNamespaces: string[]
  },
): Promise<NodesSnapshot> {
  const signalOption = options.signal === undefined ? {} : { signal: options.signal }
  const invalidNodeMetrics: string[] = []
  const [nodes, nodeMetrics] = await Promise.all([
    listAll<V1Node>(kube.transport, {
      path: resourcePath({ plural: 'nodes' }),
      context: { verb: 'list', resource: 'nodes' },
      ...signalOption,
    }),
    options.metrics
      ? nodeUsage(kube, options.signal, invalidNodeMetrics)
      : Promise.resolve({ value: undefined, warning: undefined }),
  ])
  const summaries = new Map(
    nodes.items.map((n) => [n.metadata?.name ?? '', nodeSummary(n, nodeMetrics.value?.get(n.metadata?.name ?? ''))]),
  )
  const unscheduled = emptyCounts()
  const warnings = [...(nodeMetrics.warning === undefined ? [] : [nodeMetrics.warning]), ...invalidNodeMetrics]
  const fold = (namespace: string | undefined): Promise<unknown> =>
    foldList<V1Pod, null>(
      kube.transport,
      {
        path: resourcePath({ plural: 'pods', namespace }),
        fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
        chunkSize: options.chunkSize,
        context: { verb: 'list', resource: 'pods', namespace },
        ...signalOption,
      },
      () => null,
      (acc, items) => {
        for (const pod of items) foldPodIntoSummaries(summaries, unscheduled, pod, options.config)
        return acc
      },
    )
  try {
    await fold(undefined)
  } catch (error) {
    if (!isForbidden(error)) throw error
    const read: string[] = []
    const { namespaces } = await namespacesToTry(kube, options.fallbackNamespaces, options.signal)
    for (const namespace of namespaces) {
      try {
        await fold(namespace)
        read.push(namespace)
      } catch (inner) {
        if (!isForbidden(inner)) throw inner
      }
    }
    warnings.push(
      read.length === 0
        ? 'pod counts are empty: you may not list pods in any namespace'
        : `pod counts cover namespace${read.length > 1 ? 's' : ''} ${read.join(', ')} only: listing pods in all namespaces is forbidden for you`,
    )
  }
  return { summaries: [...summaries.values()], unscheduled, warnings }
}

function nodeUsage(
  kube: Kube,
  signal: AbortSignal | undefined,
  warnings: string[],
): Promise<MetricsResult<Map<string, CpuMemory>>> {
  return optionalMetrics(async () => {
    const { items } = await listAll<{ metadata: { name: string }; usage?: { cpu?: string; memory?: string } }>(
      kube.transport,
      {
        path: resourcePath({ group: 'metrics.k8s.io', version: 'v1beta1', plural: 'nodes' }),
        context: { verb: 'list', resource: 'nodes.metrics.k8s.io' },
        timeoutMs: METRICS_TIMEOUT_MS,
        ...(signal === undefined ? {} : { signal }),
      },
    )
    const usage = new Map<string, CpuMemory>()
    for (const m of items) {
      const read = usageOfEntry(`node ${m.metadata.name}`, [{ name: '', usage: m.usage }], (line) =>
        warnings.push(line),
      )
      if (read !== undefined) usage.set(m.metadata.name, cpuMemory(read[0]))
    }
    return usage
  })
}
