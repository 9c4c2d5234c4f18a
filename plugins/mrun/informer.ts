import { SuiteError } from '../../shared/errors.ts'
import type { Kube } from '../../shared/kube/connect.ts'
import { listAll } from '../../shared/kube/list.ts'
import { resourcePath } from '../../shared/kube/paths.ts'

/**
 * A list-then-watch of some objects, kept as a map by name, as client-go's informers do: one list, then a watch
 * from its resourceVersion that the server pushes changes on (no polling), re-listed after a 410 (history expired)
 * or a cut connection. Waiters are woken on every change. Used to follow runs.
 */
export interface Watched {
  metadata?: { name?: string; resourceVersion?: string }
}

export interface Informer<T extends Watched> {
  items(): T[]
  /** The error that stopped the informer (403 on watch, say), if any. */
  failure(): Error | undefined
  /** Whether the first list has arrived. */
  synced(): boolean
}

interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  object: T & { code?: number; message?: string }
}

/**
 * Wakes one waiter when any of several informers changed: `next()` resolves at the next change, or at once if one
 * came since the last call.
 */
export class Pulse {
  private fresh = false
  private wake: (() => void) | undefined

  notify(): void {
    this.fresh = true
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  /** Resolves at the next change or after `ms`, whichever is first. */
  next(ms: number): Promise<void> {
    if (this.fresh) {
      this.fresh = false
      return Promise.resolve()
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined
        resolve()
      }, ms)
      this.wake = () => {
        clearTimeout(timer)
        this.fresh = false
        resolve()
      }
    })
  }
}

/** Seconds a watch request stays open before the server ends it and we start the next one from where we were. */
const WATCH_SECONDS = 240

export function inform<T extends Watched>(
  kube: Kube,
  options: {
    path: string
    resource: string
    namespace: string
    labelSelector?: string
    fieldSelector?: string
    signal: AbortSignal
  },
  pulse: Pulse,
): Informer<T> {
  const objects = new Map<string, T>()
  let stopped: Error | undefined
  let listed = false
  const notify = (): void => pulse.notify()
  const context = { verb: 'watch', resource: options.resource, namespace: options.namespace }
  const fatal = (error: unknown): boolean =>
    error instanceof SuiteError && error.status !== undefined && [401, 403, 404].includes(error.status)

  const run = async (): Promise<void> => {
    let resourceVersion = ''
    while (!options.signal.aborted) {
      try {
        if (resourceVersion === '') {
          const list = await listAll<T>(kube.transport, {
            path: options.path,
            labelSelector: options.labelSelector,
            fieldSelector: options.fieldSelector,
            context: { ...context, verb: 'list' },
            signal: options.signal,
          })
          objects.clear()
          for (const item of list.items) objects.set(item.metadata?.name ?? '', item)
          resourceVersion = list.resourceVersion
          listed = true
          notify()
        }
        const stream = await kube.transport.stream({
          path: options.path,
          query: {
            watch: 'true',
            resourceVersion,
            allowWatchBookmarks: 'true',
            timeoutSeconds: WATCH_SECONDS,
            labelSelector: options.labelSelector,
            fieldSelector: options.fieldSelector,
          },
          accept: 'application/json',
          timeoutMs: 0,
          context,
          signal: options.signal,
        })
        let pending = ''
        for await (const chunk of stream) {
          pending += String(chunk)
          const lines = pending.split('\n')
          pending = lines.pop() ?? ''
          for (const line of lines) {
            if (line.trim() === '') continue
            const event = JSON.parse(line) as WatchEvent<T>
            const rv = event.object.metadata?.resourceVersion
            if (event.type === 'ERROR') {
              // 410 Gone: our resourceVersion is older than the server keeps; start again with a list.
              resourceVersion = ''
              break
            }
            if (rv !== undefined) resourceVersion = rv
            if (event.type === 'BOOKMARK') continue
            const name = event.object.metadata?.name ?? ''
            if (event.type === 'DELETED') objects.delete(name)
            else objects.set(name, event.object)
            notify()
          }
          if (resourceVersion === '') break
        }
        stream.destroy()
      } catch (error) {
        if (options.signal.aborted) break
        if (fatal(error)) {
          stopped = error as Error
          notify()
          return
        }
        // A cut stream or a server hiccup: list again after a pause, so nothing that changed meanwhile is missed.
        resourceVersion = ''
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    }
    notify()
  }
  void run()
  options.signal.addEventListener('abort', notify, { once: true })

  return {
    items: () => [...objects.values()],
    failure: () => stopped,
    synced: () => listed,
  }
}

/** The events about one object (a Job, a claim), watched: what the API server and controllers say went wrong. */
export function informEvents<T extends Watched>(
  kube: Kube,
  about: { namespace: string; kind: string; name: string; signal: AbortSignal },
  pulse: Pulse,
): Informer<T> {
  return inform<T>(
    kube,
    {
      path: resourcePath({ plural: 'events', namespace: about.namespace }),
      resource: 'events',
      namespace: about.namespace,
      fieldSelector: `involvedObject.kind=${about.kind},involvedObject.name=${about.name}`,
      signal: about.signal,
    },
    pulse,
  )
}
