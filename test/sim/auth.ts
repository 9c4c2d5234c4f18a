import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { StatusError } from './status.ts'

/**
 * Authentication and a small RBAC-like policy for the simulator, so 401 and 403 can be tested the way a real
 * cluster produces them (client certificate CN/O, static bearer tokens, basic auth, impersonation headers).
 */
export interface UserInfo {
  username: string
  groups: string[]
  uid?: string
  /** Impersonate-Extra-<key> values, as the apiserver's user.Info extra (keys unescaped, lower case). */
  extra?: Record<string, string[]>
}

export interface SimUser {
  name: string
  groups: string[]
  tokens?: string[]
  password?: string
}

export interface PolicyRule {
  users?: string[]
  groups?: string[]
  verbs: readonly string[] | '*'
  /** Plural resource names, with subresources as 'pods/log'; '*' for all. */
  resources: readonly string[] | '*'
  apiGroups?: readonly string[] | '*'
  /** Namespaces the rule covers; undefined covers every namespace and the cluster scope. */
  namespaces?: readonly string[]
}

export interface AccessRequest {
  verb: string
  group: string
  resource: string
  subresource?: string
  namespace?: string
  name?: string
}

export const DEFAULT_USERS: readonly SimUser[] = [
  { name: 'admin', groups: ['system:masters'], tokens: ['admin-token'], password: 'admin-password' },
  { name: 'alice', groups: ['data-science'], tokens: ['alice-token'], password: 'alice-password' },
  { name: 'bob', groups: ['data-science'], tokens: ['bob-token'] },
  { name: 'viewer', groups: ['viewers'], tokens: ['viewer-token'] },
  { name: 'nobody', groups: [], tokens: ['nobody-token'] },
]

const READ_VERBS = ['get', 'list', 'watch'] as const

/**
 * The default policy: admins do everything; viewers read everything but secrets; alice and bob work in the
 * `ml-team` namespace and may read pods, logs and metrics of the AE5 platform namespace; every authenticated
 * user may ask who they are and what they may do (system:basic-user).
 */
export const DEFAULT_POLICY: readonly PolicyRule[] = [
  { groups: ['system:masters'], verbs: '*', resources: '*', apiGroups: '*' },
  {
    groups: ['viewers'],
    verbs: READ_VERBS,
    resources: [
      'namespaces',
      'nodes',
      'pods',
      'pods/log',
      'events',
      'configmaps',
      'serviceaccounts',
      'persistentvolumeclaims',
      'persistentvolumes',
      'storageclasses',
      'jobs',
      'leases',
    ],
    apiGroups: '*',
  },
  {
    groups: ['viewers', 'data-science'],
    verbs: READ_VERBS,
    resources: ['nodes', 'pods'],
    apiGroups: ['metrics.k8s.io'],
  },
  { groups: ['data-science'], verbs: '*', resources: '*', apiGroups: '*', namespaces: ['ml-team'] },
  {
    groups: ['data-science'],
    verbs: READ_VERBS,
    resources: ['pods', 'pods/log', 'events'],
    apiGroups: [''],
    namespaces: ['anaconda-enterprise'],
  },
  {
    groups: ['system:authenticated'],
    verbs: ['create'],
    resources: ['selfsubjectreviews', 'selfsubjectaccessreviews'],
    apiGroups: '*',
  },
]

function includesOrStar(list: readonly string[] | '*' | undefined, value: string): boolean {
  return list === '*' || list === undefined || list.includes(value) || list.includes('*')
}

export function authorize(user: UserInfo, request: AccessRequest, policy: readonly PolicyRule[]): boolean {
  const resource = request.subresource === undefined ? request.resource : `${request.resource}/${request.subresource}`
  return policy.some((rule) => {
    const subject =
      (rule.users?.includes(user.username) ?? false) || (rule.groups?.some((g) => user.groups.includes(g)) ?? false)
    if (!subject) return false
    if (!includesOrStar(rule.verbs, request.verb)) return false
    if (rule.resources !== '*' && !rule.resources.includes(resource)) return false
    if (!includesOrStar(rule.apiGroups, request.group)) return false
    if (rule.namespaces !== undefined) {
      if (request.namespace === undefined || !rule.namespaces.includes(request.namespace)) return false
    }
    return true
  })
}

/** The apiserver's 403 wording, which kubectl prints verbatim after "Error from server (Forbidden): ". */
export function forbidden(user: UserInfo, request: AccessRequest): StatusError {
  const resource = request.subresource === undefined ? request.resource : `${request.resource}/${request.subresource}`
  const qualified = request.group === '' ? request.resource : `${request.resource}.${request.group}`
  const object = request.name === undefined ? qualified : `${qualified} "${request.name}"`
  const scope = request.namespace === undefined ? 'at the cluster scope' : `in the namespace "${request.namespace}"`
  const message = `${object} is forbidden: User "${user.username}" cannot ${request.verb} resource "${resource}" in API group "${request.group}" ${scope}`
  return new StatusError(403, 'Forbidden', message, {
    ...(request.name === undefined ? {} : { name: request.name }),
    group: request.group,
    kind: request.resource,
  })
}

export const unauthorized = (): StatusError => new StatusError(401, 'Unauthorized', 'Unauthorized')

/**
 * Works out who is calling: a verified client certificate first, then a bearer token, then basic auth.
 * A presented but unverifiable certificate (expired, foreign CA) is a 401, as the x509 authenticator fails it.
 */
export function authenticate(req: IncomingMessage, users: readonly SimUser[]): UserInfo {
  const socket = req.socket as TLSSocket
  const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined
  const presented = peer !== undefined && peer !== null && Object.keys(peer).length > 0
  if (presented) {
    if (!socket.authorized) throw unauthorized()
    const cn = peer.subject?.CN
    const org = peer.subject?.O
    const groups = org === undefined ? [] : Array.isArray(org) ? org : [org]
    if (typeof cn === 'string') return withAuthenticated({ username: cn, groups: [...groups] })
  }
  const header = req.headers.authorization
  if (header !== undefined) {
    const [scheme, credentials = ''] = header.split(' ', 2)
    if (scheme?.toLowerCase() === 'bearer') {
      const user = users.find((u) => u.tokens?.includes(credentials.trim()))
      if (user !== undefined) return withAuthenticated({ username: user.name, groups: [...user.groups] })
    }
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      const name = decoded.slice(0, colon)
      const password = decoded.slice(colon + 1)
      const user = users.find((u) => u.name === name && u.password !== undefined && u.password === password)
      if (user !== undefined) return withAuthenticated({ username: user.name, groups: [...user.groups] })
    }
  }
  throw unauthorized()
}

function withAuthenticated(user: UserInfo): UserInfo {
  if (!user.groups.includes('system:authenticated')) user.groups.push('system:authenticated')
  return user
}

/** Applies Impersonate-User / Impersonate-Group headers after checking the caller may impersonate. */
export function impersonate(req: IncomingMessage, user: UserInfo, policy: readonly PolicyRule[]): UserInfo {
  const asUser = req.headers['impersonate-user']
  if (asUser === undefined) return user
  const target = Array.isArray(asUser) ? (asUser[0] ?? '') : asUser
  const rawGroups = req.headersDistinct['impersonate-group'] ?? []
  if (!authorize(user, { verb: 'impersonate', group: '', resource: 'users', name: target }, policy)) {
    throw forbidden(user, { verb: 'impersonate', group: '', resource: 'users', name: target })
  }
  for (const group of rawGroups) {
    if (!authorize(user, { verb: 'impersonate', group: '', resource: 'groups', name: group }, policy)) {
      throw forbidden(user, { verb: 'impersonate', group: '', resource: 'groups', name: group })
    }
  }
  // Impersonate-Extra-<key>: the key is percent-encoded in the header name (RFC 3986), as client-go writes it.
  const extra: Record<string, string[]> = {}
  for (const [header, values] of Object.entries(req.headersDistinct)) {
    if (!header.startsWith('impersonate-extra-') || values === undefined) continue
    const key = decodeURIComponent(header.slice('impersonate-extra-'.length))
    for (const value of values) {
      const request = { verb: 'impersonate', group: 'authentication.k8s.io', resource: 'userextras', name: value }
      if (!authorize(user, { ...request, subresource: key }, policy))
        throw forbidden(user, { ...request, subresource: key })
    }
    extra[key] = [...values]
  }
  return withAuthenticated({
    username: target,
    groups: [...rawGroups],
    ...(Object.keys(extra).length === 0 ? {} : { extra }),
  })
}
