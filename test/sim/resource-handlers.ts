import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WebSocket } from 'ws'
import { authorize, type PolicyRule, type UserInfo } from './auth.ts'
import type { Faults } from './faults.ts'
import { field, isRecord, type KubeObject } from './object.ts'
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.ts'
import { claimInUse, PVC_PROTECTION } from './pvc-protection.ts'
import type { RequestInfo } from './request-info.ts'
import { apiVersionOf, findResource, type ResourceType } from './resources.ts'
import { compileFieldSelector, compileLabelSelector } from './selectors.ts'
import { badRequest, methodNotAllowed, notFound, notFoundPath, StatusError } from './status.ts'
import { objectKey, type Store } from './store.ts'

/** What the resource handlers need from the rest of the simulator; wired in sim.ts. */
export interface ResourceContext {
  store: Store
  faults: Faults
  policy: readonly PolicyRule[]
  user: UserInfo
  now(): Date
  admit(plural: string, obj: KubeObject, old: KubeObject | undefined, operation: 'create' | 'update'): KubeObject
  toTable(resource: string, items: KubeObject[], options: TableOptions): object
  containerLogs(
    namespace: string,
    pod: string,
    container: string,
    options: { previous: boolean; timestamps: boolean; sinceNanos?: bigint },
  ): string | undefined
  podMetrics(namespace: string | undefined, select?: (pod: KubeObject) => boolean): KubeObject[]
  nodeMetrics(): KubeObject[]
  statsSummary(node: string): object
  negotiateExec(protocols: string[]): string | undefined
  prepareExec(info: RequestInfo, url: URL): (ws: WebSocket) => void
  /** Continue requests served so far (for the expiry fault). */
  counters: { continuedPages: number }
}

export interface TableOptions {
  now: Date
  includeObject: 'None' | 'Metadata' | 'Object'
  listMeta: { resourceVersion?: string; continue?: string; remainingItemCount?: number }
}

function send(res: ServerResponse, status: number, text: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

const sendObject = (res: ServerResponse, status: number, body: unknown): void => send(res, status, JSON.stringify(body))

function wantsTable(req: IncomingMessage): boolean {
  return /as=Table/.test(req.headers.accept ?? '')
}

/** `as=PartialObjectMetadataList` (client-go's metadata client): each item's metadata only, no spec or status. */
function wantsMetadataList(req: IncomingMessage): boolean {
  return /as=PartialObjectMetadataList/.test(req.headers.accept ?? '')
}

function includeObject(url: URL): TableOptions['includeObject'] {
  const value = url.searchParams.get('includeObject')
  return value === 'None' || value === 'Object' ? value : 'Metadata'
}

function resolveType(info: RequestInfo): ResourceType {
  const type = findResource(info.group, info.version, info.resource)
  if (type === undefined) throw notFoundPath()
  return type
}

function compileFilter(type: ResourceType, url: URL): ((obj: KubeObject) => boolean) | undefined {
  const labels = compileLabelSelector(url.searchParams.get('labelSelector') ?? undefined)
  const fields = compileFieldSelector(type.plural, url.searchParams.get('fieldSelector') ?? undefined)
  if (labels === undefined && fields === undefined) return undefined
  return (obj) => (labels === undefined || labels(obj.metadata.labels ?? {})) && (fields === undefined || fields(obj))
}

export async function handleResource(
  ctx: ResourceContext,
  info: RequestInfo,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
): Promise<void> {
  const type = resolveType(info)
  if (type.group === 'metrics.k8s.io') return metricsHandler(ctx, type, info, url, res)
  if (type.plural === 'selfsubjectreviews') return selfSubjectReview(ctx, res)
  if (type.plural === 'selfsubjectaccessreviews') return selfSubjectAccessReview(ctx, body, res)
  const namespace = type.namespaced ? info.namespace : undefined
  if (type.namespaced && info.namespace === undefined && info.name !== undefined) throw notFoundPath()
  if (type.plural === 'namespaces' && info.name === undefined && info.namespace !== undefined)
    info.name = info.namespace

  if (info.subresource !== undefined) return subresource(ctx, type, info, url, req, res, body)

  switch (info.verb) {
    case 'list':
      return list(ctx, type, namespace, url, req, res)
    case 'watch':
      return watch(ctx, type, namespace, url, req, res)
    case 'get': {
      const obj = ctx.store.mustGet(type.plural, namespace, info.name as string)
      if (wantsTable(req)) {
        return sendObject(
          res,
          200,
          ctx.toTable(type.plural, [obj], { now: ctx.now(), includeObject: includeObject(url), listMeta: {} }),
        )
      }
      return sendObject(res, 200, obj)
    }
    case 'create':
      return create(ctx, type, namespace, url, res, body)
    case 'update':
      return update(ctx, type, namespace, info.name as string, url, res, body)
    case 'patch':
      return patch(ctx, type, namespace, info.name as string, url, req, res, body)
    case 'delete':
      return remove(ctx, type, namespace, info.name as string, url, res, body)
    case 'deletecollection': {
      const filter = compileFilter(type, url)
      const removed: KubeObject[] = []
      for (const obj of [...ctx.store.all(type.plural, namespace)]) {
        if (filter === undefined || filter(obj))
          removed.push(ctx.store.delete(type.plural, obj.metadata.namespace, obj.metadata.name))
      }
      return sendObject(res, 200, {
        kind: `${type.kind}List`,
        apiVersion: apiVersionOf(type),
        metadata: {},
        items: removed,
      })
    }
    default:
      throw methodNotAllowed()
  }
}

function list(
  ctx: ResourceContext,
  type: ResourceType,
  namespace: string | undefined,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const limitText = url.searchParams.get('limit')
  const limit = limitText === null ? undefined : Number.parseInt(limitText, 10)
  const continueToken = url.searchParams.get('continue') ?? undefined
  if (continueToken !== undefined && continueToken !== '') {
    ctx.counters.continuedPages++
    const after = ctx.faults.expireContinueAfterPages
    if (after !== undefined && ctx.counters.continuedPages > after) {
      ctx.store.compact()
      ctx.faults.expireContinueAfterPages = undefined
    }
  }
  const filter = compileFilter(type, url)
  const page = ctx.store.list(type.plural, {
    ...(namespace === undefined ? {} : { namespace }),
    ...(limit === undefined || Number.isNaN(limit) ? {} : { limit }),
    ...(continueToken === undefined ? {} : { continueToken }),
    ...(filter === undefined ? {} : { filter }),
  })
  const listMeta: TableOptions['listMeta'] = { resourceVersion: String(page.resourceVersion) }
  if (page.continueToken !== '') listMeta.continue = page.continueToken
  if (page.remainingItemCount !== undefined) listMeta.remainingItemCount = page.remainingItemCount
  if (wantsTable(req)) {
    const table = ctx.toTable(
      type.plural,
      page.items.map((e) => e.obj),
      { now: ctx.now(), includeObject: includeObject(url), listMeta },
    )
    return sendObject(res, 200, table)
  }
  if (ctx.faults.metadataLists && wantsMetadataList(req)) {
    const items = page.items.map((e) => ({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: e.obj.metadata,
    }))
    return sendObject(res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata: listMeta,
      items,
    })
  }
  // Items are already serialised; assembling the page as text keeps big lists cheap.
  const head = JSON.stringify({ kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata: listMeta })
  const items = page.items.map((e) => ctx.store.json(e)).join(',')
  send(res, 200, `${head.slice(0, -1)},"items":[${items}]}`)
}

function watch(
  ctx: ResourceContext,
  type: ResourceType,
  namespace: string | undefined,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const filter = compileFilter(type, url)
  const rvText = url.searchParams.get('resourceVersion')
  const timeoutSeconds = Number.parseInt(url.searchParams.get('timeoutSeconds') ?? '1800', 10)
  const table = wantsTable(req)
  const matches = (obj: KubeObject): boolean =>
    (namespace === undefined || obj.metadata.namespace === namespace) && (filter === undefined || filter(obj))
  const encode = (kind: string, obj: KubeObject): string =>
    `${JSON.stringify({
      type: kind,
      object: table
        ? ctx.toTable(type.plural, [obj], { now: ctx.now(), includeObject: includeObject(url), listMeta: {} })
        : obj,
    })}\n`
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
  // A watch with nothing to say yet must still answer: clients wait for the headers before they read events.
  res.flushHeaders()
  let initial: string[] = []
  if (rvText === null || rvText === '' || rvText === '0') {
    initial = [...ctx.store.all(type.plural, namespace)].filter(matches).map((obj) => encode('ADDED', obj))
  } else {
    const events = ctx.store.eventsSince(type.plural, Number.parseInt(rvText, 10))
    if (events === undefined) {
      const gone = new StatusError(410, 'Expired', `too old resource version: ${rvText} (${ctx.store.resourceVersion})`)
      res.end(`${JSON.stringify({ type: 'ERROR', object: gone.body })}\n`)
      return
    }
    initial = events.filter((e) => matches(e.object)).map((e) => encode(e.type, e.object))
  }
  for (const line of initial) res.write(line)
  const unsubscribe = ctx.store.onChange((event) => {
    if (event.plural !== type.plural || !matches(event.object)) return
    res.write(encode(event.type, event.object))
  })
  const timer = setTimeout(() => res.end(), Math.max(1, timeoutSeconds) * 1000)
  const stop = (): void => {
    clearTimeout(timer)
    unsubscribe()
  }
  res.on('close', stop)
  req.on('close', stop)
}

function checkNamespace(ctx: ResourceContext, type: ResourceType, namespace: string | undefined): void {
  if (type.namespaced && namespace !== undefined && ctx.store.get('namespaces', undefined, namespace) === undefined) {
    throw new StatusError(404, 'NotFound', `namespaces "${namespace}" not found`, {
      name: namespace,
      kind: 'namespaces',
    })
  }
}

function bodyObject(body: unknown, type: ResourceType): KubeObject {
  if (!isRecord(body) || !isRecord(body.metadata)) {
    throw badRequest(`the object provided is unrecognized (must be of type ${type.kind}): missing metadata`)
  }
  return body as KubeObject
}

function dryRun(url: URL): boolean {
  return url.searchParams.getAll('dryRun').includes('All')
}

function create(
  ctx: ResourceContext,
  type: ResourceType,
  namespace: string | undefined,
  url: URL,
  res: ServerResponse,
  body: unknown,
): void {
  const obj = bodyObject(body, type)
  if (obj.kind !== undefined && obj.kind !== type.kind) {
    throw badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(type)})`,
    )
  }
  if (type.namespaced) {
    if (obj.metadata.namespace !== undefined && namespace !== undefined && obj.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
    }
    obj.metadata.namespace = namespace
    checkNamespace(ctx, type, namespace)
  }
  const admitted = ctx.admit(
    type.plural,
    { ...obj, apiVersion: apiVersionOf(type), kind: type.kind },
    undefined,
    'create',
  )
  if (dryRun(url)) return sendObject(res, 201, admitted)
  sendObject(res, 201, ctx.store.create(admitted))
}

function update(
  ctx: ResourceContext,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  url: URL,
  res: ServerResponse,
  body: unknown,
): void {
  const obj = bodyObject(body, type)
  if (obj.metadata.name !== name)
    throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`)
  const current = ctx.store.mustGet(type.plural, namespace, name)
  if (type.namespaced) obj.metadata.namespace = namespace
  const admitted = ctx.admit(
    type.plural,
    { ...obj, apiVersion: apiVersionOf(type), kind: type.kind },
    current,
    'update',
  )
  if (dryRun(url)) return sendObject(res, 200, admitted)
  sendObject(res, 200, ctx.store.update(admitted))
}

function patch(
  ctx: ResourceContext,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
): void {
  const contentType = req.headers['content-type'] ?? ''
  const current = ctx.store.get(type.plural, namespace, name)
  if (contentType.includes('apply-patch')) {
    // Server-side apply, simplified: create when absent, otherwise merge the applied fields in.
    const applied = bodyObject(body, type)
    if (current === undefined) {
      if (type.namespaced) applied.metadata.namespace = namespace
      checkNamespace(ctx, type, namespace)
      const admitted = ctx.admit(
        type.plural,
        { ...applied, apiVersion: apiVersionOf(type), kind: type.kind },
        undefined,
        'create',
      )
      return sendObject(res, 201, dryRun(url) ? admitted : ctx.store.create(admitted))
    }
    const merged = strategicMergePatch(current, applied) as KubeObject
    const admitted = ctx.admit(type.plural, merged, current, 'update')
    return sendObject(
      res,
      200,
      dryRun(url)
        ? admitted
        : ctx.store.update({
            ...admitted,
            metadata: { ...admitted.metadata, resourceVersion: current.metadata.resourceVersion },
          }),
    )
  }
  if (current === undefined) throw notFound(type.plural, type.group, name)
  let patched: unknown
  if (contentType.includes('json-patch')) patched = jsonPatch(current, body)
  else if (contentType.includes('strategic-merge-patch')) patched = strategicMergePatch(current, body)
  else if (contentType.includes('merge-patch')) patched = mergePatch(current, body)
  else
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
    )
  const next = patched as KubeObject
  if (!isRecord(next) || !isRecord(next.metadata)) throw badRequest('patch removed the object metadata')
  next.metadata.name = name
  if (type.namespaced) next.metadata.namespace = namespace
  // A patch carries the resourceVersion only when the client wants optimistic locking.
  const sentVersion = isRecord(body) && isRecord(body.metadata) ? body.metadata.resourceVersion : undefined
  if (sentVersion === undefined) next.metadata.resourceVersion = current.metadata.resourceVersion
  const admitted = ctx.admit(type.plural, next, current, 'update')
  if (dryRun(url)) return sendObject(res, 200, admitted)
  sendObject(res, 200, ctx.store.update(admitted))
}

function remove(
  ctx: ResourceContext,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  url: URL,
  res: ServerResponse,
  body: unknown,
): void {
  const current = ctx.store.mustGet(type.plural, namespace, name)
  const propagation =
    (isRecord(body) && typeof body.propagationPolicy === 'string' ? body.propagationPolicy : undefined) ??
    url.searchParams.get('propagationPolicy') ??
    // Jobs default to orphaning their pods for old clients; kubectl and we send Background explicitly.
    (type.plural === 'jobs' ? 'Orphan' : 'Background')
  if (dryRun(url)) return sendObject(res, 200, current)
  if (type.plural === 'persistentvolumeclaims' && claimInUse(ctx.store, current)) {
    // The real control plane's pvc-protection: a claim a pod still mounts waits (Terminating) for the pod to go.
    const terminating = ctx.store.mutate(type.plural, namespace, name, (c) => {
      c.metadata.deletionTimestamp ??= `${ctx.now().toISOString().slice(0, 19)}Z`
      c.metadata.deletionGracePeriodSeconds = 0
      c.metadata.finalizers = [...new Set([...(c.metadata.finalizers ?? []), PVC_PROTECTION])]
    })
    return sendObject(res, 200, terminating)
  }
  const removed = ctx.store.delete(type.plural, namespace, name)
  if (propagation !== 'Orphan') deleteDependents(ctx.store, removed)
  if (type.plural === 'namespaces') deleteNamespaceContents(ctx.store, name)
  sendObject(res, 200, removed)
}

/** Background/foreground propagation: dependents owned by the removed object go too (garbage collector). */
function deleteDependents(store: Store, owner: KubeObject): void {
  const uid = owner.metadata.uid
  for (const plural of ['pods', 'jobs', 'events']) {
    for (const obj of [...store.all(plural, owner.metadata.namespace)]) {
      if (obj.metadata.ownerReferences?.some((ref) => ref.uid === uid)) {
        const removed = store.delete(plural, obj.metadata.namespace, obj.metadata.name)
        deleteDependents(store, removed)
      }
    }
  }
}

function deleteNamespaceContents(store: Store, namespace: string): void {
  for (const plural of [
    'pods',
    'jobs',
    'secrets',
    'configmaps',
    'events',
    'serviceaccounts',
    'persistentvolumeclaims',
    'leases',
  ]) {
    for (const obj of [...store.all(plural, namespace)]) store.delete(plural, namespace, obj.metadata.name)
  }
}

async function subresource(
  ctx: ResourceContext,
  type: ResourceType,
  info: RequestInfo,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
): Promise<void> {
  const name = info.name as string
  const namespace = type.namespaced ? info.namespace : undefined
  if (type.plural === 'pods' && info.subresource === 'log') return podLog(ctx, namespace as string, name, url, req, res)
  if (type.plural === 'nodes' && info.subresource === 'proxy') {
    ctx.store.mustGet('nodes', undefined, name)
    if (info.subpath === 'stats/summary') return sendObject(res, 200, ctx.statsSummary(name))
    if (info.subpath === 'healthz') return send(res, 200, 'ok', 'text/plain')
    throw notFoundPath()
  }
  if (info.subresource === 'status') {
    if (info.verb === 'get') return sendObject(res, 200, ctx.store.mustGet(type.plural, namespace, name))
    const current = ctx.store.mustGet(type.plural, namespace, name)
    let next: unknown
    if (info.verb === 'update') next = body
    else if ((req.headers['content-type'] ?? '').includes('json-patch')) next = jsonPatch(current, body)
    else next = mergePatch(current, body)
    if (!isRecord(next)) throw badRequest('invalid status body')
    const updated = { ...current, status: (next as Record<string, unknown>).status }
    return sendObject(res, 200, ctx.store.update(updated as KubeObject, { checkVersion: false }))
  }
  if (type.plural === 'pods' && info.subresource === 'exec') {
    throw new StatusError(400, 'BadRequest', 'Upgrade request required')
  }
  throw notFoundPath()
}

function podContainer(pod: KubeObject, requested: string | null): string {
  const containers = (field(pod, ['spec', 'containers']) as { name: string }[] | undefined) ?? []
  const inits = (field(pod, ['spec', 'initContainers']) as { name: string }[] | undefined) ?? []
  const names = [...containers, ...inits].map((c) => c.name)
  if (requested !== null && requested !== '') {
    if (!names.includes(requested)) {
      throw badRequest(`container ${requested} is not valid for pod ${pod.metadata.name}`)
    }
    return requested
  }
  if (containers.length === 1) return containers[0]?.name as string
  const defaulted = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container']
  if (defaulted !== undefined) return defaulted
  throw badRequest(
    `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${containers.map((c) => c.name).join(' ')}]`,
  )
}

function selectLines(text: string, url: URL): string {
  const tail = url.searchParams.get('tailLines')
  let lines = text === '' ? [] : text.replace(/\n$/, '').split('\n')
  if (tail !== null) lines = lines.slice(Math.max(0, lines.length - Number.parseInt(tail, 10)))
  const limitBytes = url.searchParams.get('limitBytes')
  let out = lines.length === 0 ? '' : `${lines.join('\n')}\n`
  if (limitBytes !== null) out = out.slice(0, Number.parseInt(limitBytes, 10))
  return out
}

function podIsDone(pod: KubeObject | undefined): boolean {
  const phase = field(pod, ['status', 'phase'])
  return pod === undefined || phase === 'Succeeded' || phase === 'Failed'
}

function podLog(
  ctx: ResourceContext,
  namespace: string,
  name: string,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const pod = ctx.store.mustGet('pods', namespace, name)
  const container = podContainer(pod, url.searchParams.get('container'))
  const previous = url.searchParams.get('previous') === 'true'
  const phase = field(pod, ['status', 'phase'])
  const statuses = [
    ...((field(pod, ['status', 'initContainerStatuses']) as unknown[] | undefined) ?? []),
    ...((field(pod, ['status', 'containerStatuses']) as unknown[] | undefined) ?? []),
  ] as { name: string; restartCount?: number; state?: { waiting?: { reason?: string } } }[]
  const own = statuses.find((s) => s.name === container)
  const waiting = own?.state?.waiting?.reason
  // The kubelet's answer for a container that has not run yet (pkg/kubelet/kubelet_pods.go validateContainerLogStatus).
  if (phase === 'Pending' || (waiting !== undefined && (own?.restartCount ?? 0) === 0)) {
    const why =
      waiting === 'ErrImagePull' || waiting === 'ImagePullBackOff'
        ? 'trying and failing to pull image'
        : (waiting ?? 'ContainerCreating')
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${why}`)
  }
  const sinceTime = url.searchParams.get('sinceTime')
  const sinceSeconds = url.searchParams.get('sinceSeconds')
  const sinceMs =
    sinceTime !== null
      ? Date.parse(sinceTime)
      : sinceSeconds !== null
        ? ctx.now().getTime() - Number.parseInt(sinceSeconds, 10) * 1000
        : undefined
  const logOptions = {
    previous,
    timestamps: url.searchParams.get('timestamps') === 'true',
    ...(sinceMs === undefined || Number.isNaN(sinceMs) ? {} : { sinceNanos: BigInt(sinceMs) * 1_000_000n }),
  }
  const read = (): string | undefined => ctx.containerLogs(namespace, name, container, logOptions)
  const text = read()
  if (text === undefined) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`)
  if (url.searchParams.get('follow') !== 'true' || podIsDone(pod))
    return send(res, 200, selectLines(text, url), 'text/plain')
  res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' })
  let sent = selectLines(text, url)
  res.write(sent)
  sent = text
  const timer = setInterval(() => {
    const current = ctx.store.get('pods', namespace, name)
    const latest = current === undefined ? sent : (read() ?? sent)
    if (latest.length > sent.length && latest.startsWith(sent)) res.write(latest.slice(sent.length))
    sent = latest
    if (podIsDone(current)) {
      clearInterval(timer)
      res.end()
    }
  }, 50)
  req.on('close', () => clearInterval(timer))
}

function metricsHandler(
  ctx: ResourceContext,
  type: ResourceType,
  info: RequestInfo,
  url: URL,
  res: ServerResponse,
): void {
  const filter = compileLabelSelector(url.searchParams.get('labelSelector') ?? undefined)
  const fields = compileFieldSelector(type.plural, url.searchParams.get('fieldSelector') ?? undefined)
  // Pods are selected by label before their metrics are made, as metrics-server looks up only the selected pods:
  // making all 20,000 and then filtering took the simulator up to a second for a selector that matched a handful.
  const items =
    type.kind === 'NodeMetrics'
      ? ctx.nodeMetrics()
      : ctx.podMetrics(
          type.namespaced ? info.namespace : undefined,
          filter === undefined ? undefined : (pod) => filter(pod.metadata.labels ?? {}),
        )
  const selected = items.filter(
    (m) => (filter === undefined || filter(m.metadata.labels ?? {})) && (fields === undefined || fields(m)),
  )
  if (info.name !== undefined) {
    const found = selected.find((m) => m.metadata.name === info.name)
    if (found === undefined) throw notFound(type.plural, type.group, info.name)
    return sendObject(res, 200, found)
  }
  sendObject(res, 200, {
    kind: `${type.kind}List`,
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: {},
    items: selected,
  })
}

function selfSubjectReview(ctx: ResourceContext, res: ServerResponse): void {
  sendObject(res, 201, {
    kind: 'SelfSubjectReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: null },
    status: {
      userInfo: {
        username: ctx.user.username,
        groups: ctx.user.groups,
        ...(ctx.user.uid === undefined ? {} : { uid: ctx.user.uid }),
        ...(ctx.user.extra === undefined ? {} : { extra: ctx.user.extra }),
      },
    },
  })
}

function selfSubjectAccessReview(ctx: ResourceContext, body: unknown, res: ServerResponse): void {
  const attributes = field(body, ['spec', 'resourceAttributes'])
  if (!isRecord(attributes)) throw badRequest('spec.resourceAttributes is required')
  const text = (key: string): string | undefined =>
    typeof attributes[key] === 'string' && attributes[key] !== '' ? (attributes[key] as string) : undefined
  const request = {
    verb: text('verb') ?? '',
    group: text('group') ?? '',
    resource: text('resource') ?? '',
    ...(text('subresource') === undefined ? {} : { subresource: text('subresource') as string }),
    ...(text('namespace') === undefined ? {} : { namespace: text('namespace') as string }),
    ...(text('name') === undefined ? {} : { name: text('name') as string }),
  }
  const allowed = authorize(ctx.user, request, ctx.policy)
  sendObject(res, 201, {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { resourceAttributes: attributes },
    status: { allowed, ...(allowed ? { reason: 'allowed by the simulator policy' } : {}) },
  })
}

export { objectKey }
