import { randomUUID } from 'node:crypto'
import { isRecord, type KubeObject, timestamp } from './object.ts'
import { apiVersionOf, type ResourceType, STORED_TYPES, storedType } from './resources.ts'
import { alreadyExists, badRequest, conflict, expired, notFound } from './status.ts'

/**
 * The simulated cluster's storage: an in-memory etcd. Objects are kept per resource in key order
 * (namespace/name, as etcd keys sort) so paginated lists can resume after a key, and each object caches its
 * serialised JSON so a 150,000-pod list is string joins, not 150,000 JSON.stringify calls per page.
 */
interface Entry {
  obj: KubeObject
  json: string | undefined
}

class Collection {
  readonly type: ResourceType
  readonly entries = new Map<string, Entry>()
  private sorted: string[] | undefined

  constructor(type: ResourceType) {
    this.type = type
  }

  keys(): string[] {
    if (this.sorted === undefined) this.sorted = [...this.entries.keys()].sort(compareKeys)
    return this.sorted
  }

  /** Drops the sorted key cache after bulk changes made straight to `entries`. */
  invalidate(): void {
    this.sorted = undefined
  }

  set(key: string, entry: Entry): void {
    if (!this.entries.has(key)) this.sorted = undefined
    this.entries.set(key, entry)
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.sorted = undefined
  }
}

/** Byte order, as etcd compares keys; locale-aware comparison would reorder names with '-' and digits. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface ChangeEvent {
  type: WatchEventType
  plural: string
  resourceVersion: number
  object: KubeObject
  previous?: KubeObject
}

export interface ListPage {
  items: Entry[]
  /** Continue token for the next page, or '' at the end. */
  continueToken: string
  remainingItemCount: number | undefined
  resourceVersion: number
}

export interface ListQuery {
  namespace?: string
  limit?: number
  continueToken?: string
  /** Keeps or drops an object; selectors are compiled by the caller. */
  filter?: (obj: KubeObject) => boolean
}

interface ContinueState {
  rv: number
  start: string
}

const WATCH_HISTORY = 10_000

export class Store {
  private readonly collections = new Map<string, Collection>()
  private revision = 1
  /** Lists whose continue token was issued at or before this revision answer 410, as after an etcd compaction. */
  compactedRevision = 0
  private readonly history: ChangeEvent[] = []
  private readonly listeners = new Set<(event: ChangeEvent) => void>()
  readonly clock: () => Date

  constructor(clock: () => Date = () => new Date()) {
    this.clock = clock
    for (const type of STORED_TYPES.values()) this.collections.set(type.plural, new Collection(type))
  }

  /** Forgets history up to now, as etcd compaction does: older continue tokens and watch versions answer 410. */
  compact(): void {
    this.compactedRevision = this.revision
    this.revision++
  }

  get resourceVersion(): number {
    return this.revision
  }

  private collection(plural: string): Collection {
    const found = this.collections.get(plural)
    if (found === undefined) throw new Error(`unknown resource ${plural}`)
    return found
  }

  get(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.collection(plural).entries.get(objectKey(namespace, name))?.obj
  }

  mustGet(plural: string, namespace: string | undefined, name: string): KubeObject {
    const found = this.get(plural, namespace, name)
    if (found === undefined) throw notFound(plural, storedType(plural).group, name)
    return found
  }

  /** Serialised JSON of a stored object, cached until it changes. */
  json(entry: Entry): string {
    if (entry.json === undefined) entry.json = JSON.stringify(entry.obj)
    return entry.json
  }

  /** Every object of a resource, in key order, optionally in one namespace. Do not mutate the results. */
  *all(plural: string, namespace?: string): Generator<KubeObject> {
    const collection = this.collection(plural)
    for (const key of this.rangeKeys(collection, namespace)) {
      const entry = collection.entries.get(key)
      if (entry !== undefined) yield entry.obj
    }
  }

  count(plural: string): number {
    return this.collection(plural).entries.size
  }

  private *rangeKeys(collection: Collection, namespace: string | undefined, after?: string): Generator<string> {
    const keys = collection.keys()
    const prefix = namespace === undefined || !collection.type.namespaced ? '' : `${namespace}/`
    let index = lowerBound(keys, after !== undefined && after > prefix ? after : prefix)
    if (after !== undefined && keys[index] === after) index++
    for (; index < keys.length; index++) {
      const key = keys[index] as string
      if (!key.startsWith(prefix)) return
      yield key
    }
  }

  list(plural: string, query: ListQuery): ListPage {
    const collection = this.collection(plural)
    let start: string | undefined
    if (query.continueToken !== undefined && query.continueToken !== '') {
      const state = decodeContinue(query.continueToken)
      if (state.rv <= this.compactedRevision) {
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        )
      }
      start = state.start
    }
    const limit = query.limit !== undefined && query.limit > 0 ? query.limit : Number.POSITIVE_INFINITY
    const items: Entry[] = []
    let lastKey: string | undefined
    let more = false
    let remaining = 0
    for (const key of this.rangeKeys(collection, query.namespace, start)) {
      const entry = collection.entries.get(key)
      if (entry === undefined) continue
      if (query.filter !== undefined && !query.filter(entry.obj)) continue
      if (items.length >= limit) {
        more = true
        // Like the apiserver, remainingItemCount is only known when no selector filters the rest.
        if (query.filter !== undefined) break
        remaining++
        continue
      }
      items.push(entry)
      lastKey = key
    }
    return {
      items,
      continueToken: more && lastKey !== undefined ? encodeContinue({ rv: this.revision, start: lastKey }) : '',
      remainingItemCount: more && query.filter === undefined ? remaining : undefined,
      resourceVersion: this.revision,
    }
  }

  /** What the apiserver adds to a new object: canonical apiVersion/kind, uid, creationTimestamp, resourceVersion. */
  private stamp(obj: KubeObject, type: ResourceType): KubeObject {
    const stored: KubeObject = {
      ...obj,
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      metadata: {
        ...obj.metadata,
        uid: obj.metadata.uid ?? randomUUID(),
        creationTimestamp: obj.metadata.creationTimestamp ?? timestamp(this.clock()),
        resourceVersion: String(++this.revision),
      },
    }
    if (!type.namespaced) delete stored.metadata.namespace
    return stored
  }

  /** Adds a new object, assigning uid, resourceVersion and creationTimestamp as the apiserver does. */
  create(obj: KubeObject): KubeObject {
    const type = storedType(pluralOf(obj))
    const collection = this.collection(type.plural)
    const key = objectKey(type.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name)
    if (collection.entries.has(key)) throw alreadyExists(type.plural, type.group, obj.metadata.name)
    const stored = this.stamp(obj, type)
    collection.set(key, { obj: stored, json: undefined })
    this.emit({ type: 'ADDED', plural: type.plural, resourceVersion: this.revision, object: stored })
    return stored
  }

  /**
   * Replaces an object. A non-empty metadata.resourceVersion that differs from the stored one is a 409 Conflict,
   * which is what makes read-modify-write safe for clients.
   */
  update(obj: KubeObject, options: { checkVersion?: boolean } = {}): KubeObject {
    const type = storedType(pluralOf(obj))
    const collection = this.collection(type.plural)
    const key = objectKey(type.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name)
    const current = collection.entries.get(key)
    if (current === undefined) throw notFound(type.plural, type.group, obj.metadata.name)
    const sent = obj.metadata.resourceVersion
    if (
      options.checkVersion !== false &&
      sent !== undefined &&
      sent !== '' &&
      sent !== current.obj.metadata.resourceVersion
    ) {
      throw conflict(type.plural, type.group, obj.metadata.name)
    }
    const stored: KubeObject = {
      ...obj,
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      metadata: {
        ...obj.metadata,
        uid: current.obj.metadata.uid,
        creationTimestamp: current.obj.metadata.creationTimestamp,
        resourceVersion: String(++this.revision),
      },
    }
    collection.set(key, { obj: stored, json: undefined })
    this.emit({
      type: 'MODIFIED',
      plural: type.plural,
      resourceVersion: this.revision,
      object: stored,
      previous: current.obj,
    })
    return stored
  }

  /** Applies a change to the current object and stores it (for controllers: no version conflicts). */
  mutate(plural: string, namespace: string | undefined, name: string, change: (copy: KubeObject) => void): KubeObject {
    const current = this.mustGet(plural, namespace, name)
    const copy = structuredClone(current)
    change(copy)
    delete copy.metadata.resourceVersion
    return this.update(copy, { checkVersion: false })
  }

  delete(plural: string, namespace: string | undefined, name: string): KubeObject {
    const collection = this.collection(plural)
    const key = objectKey(collection.type.namespaced ? namespace : undefined, name)
    const current = collection.entries.get(key)
    if (current === undefined) throw notFound(plural, collection.type.group, name)
    collection.delete(key)
    const removed: KubeObject = {
      ...current.obj,
      metadata: { ...current.obj.metadata, resourceVersion: String(++this.revision) },
    }
    this.emit({ type: 'DELETED', plural, resourceVersion: this.revision, object: removed })
    return removed
  }

  /** Loads many objects at once without events or per-object sorting (scenario seeding, 150k pods). */
  bulkLoad(objects: Iterable<KubeObject>): void {
    for (const obj of objects) {
      const type = storedType(pluralOf(obj))
      const key = objectKey(type.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name)
      this.collection(type.plural).entries.set(key, { obj: this.stamp(obj, type), json: undefined })
    }
    for (const collection of this.collections.values()) collection.invalidate()
  }

  onChange(listener: (event: ChangeEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Events after a resourceVersion, for watch; undefined when history no longer reaches back that far (410). */
  eventsSince(plural: string, resourceVersion: number): ChangeEvent[] | undefined {
    const oldest = this.history[0]
    if (oldest !== undefined && resourceVersion < oldest.resourceVersion - 1 && resourceVersion < this.revision) {
      return undefined
    }
    if (resourceVersion <= this.compactedRevision) return undefined
    return this.history.filter((e) => e.plural === plural && e.resourceVersion > resourceVersion)
  }

  private emit(event: ChangeEvent): void {
    this.history.push(event)
    if (this.history.length > WATCH_HISTORY) this.history.splice(0, this.history.length - WATCH_HISTORY)
    for (const listener of this.listeners) listener(event)
  }
}

function lowerBound(keys: string[], target: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((keys[mid] as string) < target) lo = mid + 1
    else hi = mid
  }
  return lo
}

function encodeContinue(state: ContinueState): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: state.rv, start: state.start })).toString('base64url')
}

function decodeContinue(token: string): ContinueState {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
    if (isRecord(parsed) && typeof parsed.rv === 'number' && typeof parsed.start === 'string') {
      return { rv: parsed.rv, start: parsed.start }
    }
  } catch {
    // fall through to the apiserver's answer for garbage tokens
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)')
}

const PLURAL_BY_KIND = new Map([...STORED_TYPES.values()].map((t) => [t.kind, t.plural]))

export function pluralOf(obj: KubeObject): string {
  const plural = PLURAL_BY_KIND.get(obj.kind)
  if (plural === undefined) throw new Error(`unknown kind ${obj.kind}`)
  return plural
}
