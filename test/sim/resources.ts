/**
 * The resource types the simulated API server serves, with the discovery facts kubectl needs
 * (plural, kind, scope, short names, verbs). One table, so discovery and routing cannot disagree.
 */
export interface ResourceType {
  group: string
  version: string
  kind: string
  plural: string
  singular: string
  namespaced: boolean
  shortNames: string[]
  verbs: string[]
  categories?: string[]
  /** Subresources served, e.g. ['log', 'exec', 'status']. */
  subresources: string[]
  /** Served only by the aggregated metrics API, computed on read, never stored. */
  virtual?: boolean
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']
const READ = ['get', 'list']

function type(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: [],
    verbs: CRUD,
    subresources: [],
    ...extra,
  }
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  type('', 'v1', 'Namespace', 'namespaces', false, { shortNames: ['ns'], subresources: ['status'] }),
  type('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: ['status', 'proxy'] }),
  type('', 'v1', 'Pod', 'pods', true, {
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'log', 'exec', 'binding', 'eviction'],
  }),
  type('', 'v1', 'Secret', 'secrets', true),
  type('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  type('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  type('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'], subresources: ['token'] }),
  type('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, {
    shortNames: ['pvc'],
    subresources: ['status'],
  }),
  type('', 'v1', 'PersistentVolume', 'persistentvolumes', false, { shortNames: ['pv'], subresources: ['status'] }),
  type('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, { shortNames: ['sc'] }),
  type('batch', 'v1', 'Job', 'jobs', true, { categories: ['all'], subresources: ['status'] }),
  type('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  type('metrics.k8s.io', 'v1beta1', 'NodeMetrics', 'nodes', false, { verbs: READ, virtual: true }),
  type('metrics.k8s.io', 'v1beta1', 'PodMetrics', 'pods', true, { verbs: READ, virtual: true }),
  type('authentication.k8s.io', 'v1', 'SelfSubjectReview', 'selfsubjectreviews', false, {
    verbs: ['create'],
    virtual: true,
  }),
  type('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, {
    verbs: ['create'],
    virtual: true,
  }),
]

export function apiVersionOf(resource: ResourceType): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`
}

/** Stored (non-virtual) types by plural; plurals are unique among stored types. */
export const STORED_TYPES: ReadonlyMap<string, ResourceType> = new Map(
  RESOURCE_TYPES.filter((r) => r.virtual !== true).map((r) => [r.plural, r]),
)

export function findResource(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((r) => r.group === group && r.version === version && r.plural === plural)
}

export function storedType(plural: string): ResourceType {
  const found = STORED_TYPES.get(plural)
  if (found === undefined) throw new Error(`unknown stored resource ${plural}`)
  return found
}

/** The versions served per group, for /api and /apis discovery. */
export function servedGroups(options: { metrics: boolean }): { group: string; version: string }[] {
  const seen = new Map<string, string>()
  for (const r of RESOURCE_TYPES) {
    if (r.group === '') continue
    if (r.group === 'metrics.k8s.io' && !options.metrics) continue
    seen.set(r.group, r.version)
  }
  return [...seen].map(([group, version]) => ({ group, version }))
}
