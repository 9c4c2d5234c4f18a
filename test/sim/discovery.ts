import { apiVersionOf, RESOURCE_TYPES, servedGroups } from './resources.ts'

/**
 * Legacy (non-aggregated) discovery documents. kubectl 1.32 asks for aggregated discovery first and falls back
 * to these when the answer's content type is plain JSON, as it does against older servers.
 */
export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-01T00:00:00Z',
  goVersion: 'go1.23.8',
  compiler: 'gc',
  platform: 'linux/amd64',
}

export function apiVersions(): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
  }
}

export function apiGroupList(options: { metrics: boolean }): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: servedGroups(options).map(({ group, version }) => ({
      name: group,
      versions: [{ groupVersion: `${group}/${version}`, version }],
      preferredVersion: { groupVersion: `${group}/${version}`, version },
    })),
  }
}

export function apiGroup(group: string, options: { metrics: boolean }): object | undefined {
  const served = servedGroups(options).find((g) => g.group === group)
  if (served === undefined) return undefined
  const gv = { groupVersion: `${group}/${served.version}`, version: served.version }
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: [gv], preferredVersion: gv }
}

export function apiResourceList(group: string, version: string, options: { metrics: boolean }): object | undefined {
  if (group === 'metrics.k8s.io' && !options.metrics) return undefined
  const types = RESOURCE_TYPES.filter((r) => r.group === group && r.version === version)
  if (types.length === 0) return undefined
  const resources: object[] = []
  for (const r of types) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
      ...(r.categories === undefined ? {} : { categories: r.categories }),
    })
    for (const sub of r.subresources) {
      resources.push({
        name: `${r.plural}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: sub === 'log' || sub === 'exec' || sub === 'proxy' ? 'Status' : r.kind,
        verbs:
          sub === 'exec' ? ['create', 'get'] : sub === 'log' || sub === 'proxy' ? ['get'] : ['get', 'patch', 'update'],
      })
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(types[0] as (typeof types)[0]),
    resources,
  }
}

/**
 * OpenAPI v3, only as much as kubectl reads: the root index of group-versions, and per group-version the PATCH
 * operations that declare the `fieldValidation` query parameter, which tells kubectl to validate on the server
 * (kubectl 1.27+ QueryParamVerifierV3) instead of downloading full schemas.
 */
export function openApiV3Root(options: { metrics: boolean }): object {
  const paths: Record<string, { serverRelativeURL: string }> = {}
  for (const r of RESOURCE_TYPES) {
    if (r.group === 'metrics.k8s.io' && !options.metrics) continue
    const gv = r.group === '' ? `api/${r.version}` : `apis/${r.group}/${r.version}`
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=sim` }
  }
  return { paths }
}

export function openApiV3GroupVersion(path: string): object | undefined {
  const parts = path.split('/').filter((p) => p !== '')
  const group = parts[0] === 'api' ? '' : (parts[1] ?? '')
  const version = parts[0] === 'api' ? (parts[1] ?? '') : (parts[2] ?? '')
  const types = RESOURCE_TYPES.filter((r) => r.group === group && r.version === version)
  if (types.length === 0) return undefined
  const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`
  const paths: Record<string, object> = {}
  const parameter = { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }
  for (const r of types) {
    const gvk = { group, version, kind: r.kind }
    const op = { parameters: [parameter], 'x-kubernetes-group-version-kind': gvk, responses: {} }
    const item = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}/{name}` : `${base}/${r.plural}/{name}`
    const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`
    paths[item] = { patch: op, put: op }
    paths[collection] = { post: op }
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.4-sim' }, paths, components: { schemas: {} } }
}
