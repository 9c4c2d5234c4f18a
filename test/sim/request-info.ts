/**
 * Splits an API path into what the apiserver's RequestInfoResolver derives: group, version, namespace, resource,
 * name, subresource and verb. Authorization and routing both read this, so they never disagree about a path.
 */
export interface RequestInfo {
  isResource: boolean
  path: string
  verb: string
  group: string
  version: string
  namespace: string | undefined
  resource: string
  name: string | undefined
  subresource: string | undefined
  /** For nodes/x/proxy/<rest>: the rest. */
  subpath: string
}

const WATCH_VALUES = new Set(['1', 'true'])

export function resolveRequestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname
  const parts = path.split('/').filter((p) => p !== '')
  const info: RequestInfo = {
    isResource: false,
    path,
    verb: method.toLowerCase(),
    group: '',
    version: '',
    namespace: undefined,
    resource: '',
    name: undefined,
    subresource: undefined,
    subpath: '',
  }
  let rest: string[]
  if (parts[0] === 'api' && parts.length >= 3) {
    info.version = parts[1] ?? ''
    rest = parts.slice(2)
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    info.group = parts[1] ?? ''
    info.version = parts[2] ?? ''
    rest = parts.slice(3)
  } else {
    return info
  }
  info.isResource = true
  let legacyWatch = false
  if (rest[0] === 'watch') {
    legacyWatch = true
    rest = rest.slice(1)
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    info.namespace = rest[1]
    rest = rest.slice(2)
  } else if (rest[0] === 'namespaces' && rest.length === 2) {
    // /api/v1/namespaces/{name} is the namespace object itself.
    info.namespace = rest[1]
  }
  info.resource = rest[0] ?? ''
  info.name = rest[1]
  info.subresource = rest[2]
  info.subpath = rest.slice(3).join('/')
  const isCollection = info.name === undefined
  const watch = legacyWatch || WATCH_VALUES.has(url.searchParams.get('watch') ?? '')
  switch (method) {
    case 'GET':
    case 'HEAD':
      info.verb = watch ? 'watch' : isCollection ? 'list' : 'get'
      break
    case 'POST':
      info.verb = 'create'
      break
    case 'PUT':
      info.verb = 'update'
      break
    case 'PATCH':
      info.verb = 'patch'
      break
    case 'DELETE':
      info.verb = isCollection ? 'deletecollection' : 'delete'
      break
    default:
      info.verb = method.toLowerCase()
  }
  // Exec over WebSocket arrives as GET; the apiserver authorizes it as create since streaming moved to WebSockets.
  if (info.subresource === 'exec' || info.subresource === 'attach' || info.subresource === 'portforward') {
    info.verb = 'create'
  }
  return info
}
