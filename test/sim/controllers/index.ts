import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { milliValue, nanoValue, parseQuantity, tryParseQuantity, value } from '../../../shared/quantity.ts'
import {
  type ContainerSpec,
  type ExecResult,
  type PodRuntimeSpec,
  type PodRuntimeStatus,
  type PodSandbox,
  Runtime,
  type RuntimeVolume,
} from '../../kubelet/runtime.ts'
import { type KeyToPath, projectionFiles, writeProjected } from '../../kubelet/volumes.ts'
import { field, type KubeObject, timestamp } from '../object.ts'
import { claimInUse } from '../pvc-protection.ts'
import type { ContainerUsage } from '../scenario/types.ts'
import type { ChangeEvent, Store } from '../store.ts'

/**
 * The simulated control plane: a scheduler, a kubelet that runs containers as real processes (test/kubelet), a Job
 * controller, a PV binder, metrics-server and the kubelet stats API. Controllers react to store changes on a
 * queue (never inside the store's listener) so tests can `await idle()` for a settled cluster.
 */
export interface ControllerOptions {
  dataDir: string
  runContainers: boolean
  /** The cluster CA, for the service-account volume's ca.crt. */
  caCert?: Buffer
  /** First container restart back-off (the kubelet's 10 s by default). */
  restartBackoffMs?: number
  podUsage?: Map<string, ContainerUsage[]>
  nodeSystemUsage?: Map<string, { cpu: string; memory: string }>
}

export interface LogOptions {
  previous?: boolean
  timestamps?: boolean
  /** Entries from this time on (sinceTime/sinceSeconds), nanoseconds since the epoch. */
  sinceNanos?: bigint
}

export interface Controllers {
  /** Stops the controllers and kills every pod's processes. */
  stop(): Promise<void>
  idle(): Promise<void>
  /** Runs argv in a container of a running pod (a sibling sandbox sharing its root, volumes and env). */
  exec(namespace: string, pod: string, container: string, argv: readonly string[]): ExecResult
  /** A container's log; undefined when there is none (`previous` of a container that never restarted). */
  containerLogs(namespace: string, pod: string, container: string, options: LogOptions): string | undefined
  /** PodMetrics of running pods; `select` picks pods before their metrics are made, as metrics-server selects. */
  podMetrics(namespace?: string, select?: (pod: KubeObject) => boolean): KubeObject[]
  nodeMetrics(): KubeObject[]
  statsSummary(node: string): object
}

interface Container {
  name: string
  image?: string
  command?: string[]
  args?: string[]
  workingDir?: string
  env?: {
    name: string
    value?: string
    valueFrom?: {
      fieldRef?: { fieldPath?: string }
      secretKeyRef?: { name: string; key: string; optional?: boolean }
      configMapKeyRef?: { name: string; key: string; optional?: boolean }
    }
  }[]
  envFrom?: {
    prefix?: string
    secretRef?: { name: string; optional?: boolean }
    configMapRef?: { name: string; optional?: boolean }
  }[]
  restartPolicy?: string
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[]
  securityContext?: {
    runAsUser?: number
    runAsGroup?: number
    capabilities?: { add?: string[]; drop?: string[] }
  }
}

interface Projection {
  items?: KeyToPath[]
  defaultMode?: number
}

interface PodSpec {
  nodeName?: string
  containers: Container[]
  initContainers?: Container[]
  overhead?: Record<string, string>
  restartPolicy?: string
  hostname?: string
  serviceAccountName?: string
  automountServiceAccountToken?: boolean
  securityContext?: {
    runAsUser?: number
    runAsGroup?: number
    fsGroup?: number
    supplementalGroups?: number[]
    fsGroupChangePolicy?: 'Always' | 'OnRootMismatch'
  }
  tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[]
  nodeSelector?: Record<string, string>
  volumes?: {
    name: string
    persistentVolumeClaim?: { claimName: string; readOnly?: boolean }
    emptyDir?: unknown
    secret?: { secretName: string; optional?: boolean } & Projection
    configMap?: { name: string; optional?: boolean } & Projection
    projected?: {
      defaultMode?: number
      sources?: {
        secret?: { name: string; items?: KeyToPath[] }
        configMap?: { name: string; items?: KeyToPath[] }
        serviceAccountToken?: { path: string }
      }[]
    }
  }[]
}

const specOf = (pod: KubeObject): PodSpec => (pod.spec ?? { containers: [] }) as PodSpec
const phaseOf = (pod: KubeObject): string | undefined => field(pod, ['status', 'phase']) as string | undefined
const keyOf = (obj: KubeObject): string => `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`

function amounts(list: Record<string, string> | undefined): Map<string, bigint> {
  const result = new Map<string, bigint>()
  for (const [name, text] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(text)
    if (q !== undefined) result.set(name, q.nanos)
  }
  return result
}

/** The scheduler's view of a pod's requests: app + sidecars, the init peak, plus overhead (as kubectl computes). */
export function podRequests(pod: KubeObject): Map<string, bigint> {
  const spec = specOf(pod)
  const app = new Map<string, bigint>()
  const add = (target: Map<string, bigint>, source: Map<string, bigint>): void => {
    for (const [k, v] of source) target.set(k, (target.get(k) ?? 0n) + v)
  }
  const max = (target: Map<string, bigint>, source: Map<string, bigint>): void => {
    for (const [k, v] of source) if ((target.get(k) ?? -1n) < v) target.set(k, v)
  }
  for (const c of spec.containers ?? []) add(app, amounts(c.resources?.requests))
  const sidecars = new Map<string, bigint>()
  const peak = new Map<string, bigint>()
  for (const c of spec.initContainers ?? []) {
    const own = amounts(c.resources?.requests)
    if (c.restartPolicy === 'Always') {
      add(app, own)
      add(sidecars, own)
      max(peak, sidecars)
    } else {
      const need = new Map(own)
      add(need, sidecars)
      max(peak, need)
    }
  }
  max(app, peak)
  add(app, amounts(spec.overhead))
  return app
}

function hashFraction(text: string): number {
  return createHash('sha1').update(text).digest().readUInt32BE(0) / 4294967296
}

function suffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('')
}

export function startControllers(store: Store, options: ControllerOptions): Controllers {
  const queue: (() => void | Promise<void>)[] = []
  const running = new Set<Promise<unknown>>()
  const timers = new Set<NodeJS.Timeout>()
  let scheduled = false
  let stopped = false
  let idleWaiters: (() => void)[] = []

  const now = (): string => timestamp(store.clock())

  const enqueue = (work: () => void | Promise<void>): void => {
    queue.push(work)
    if (!scheduled) {
      scheduled = true
      setImmediate(drain)
    }
  }

  function settle(): void {
    if (queue.length === 0 && running.size === 0 && !scheduled) {
      const waiters = idleWaiters
      idleWaiters = []
      for (const w of waiters) w()
    }
  }

  async function drain(): Promise<void> {
    scheduled = false
    while (queue.length > 0 && !stopped) {
      const work = queue.shift() as () => void | Promise<void>
      try {
        await work()
      } catch {
        // A controller error must not stop the loop; the next event retries.
      }
    }
    settle()
  }

  const track = <T>(promise: Promise<T>): void => {
    running.add(promise)
    promise.finally(() => {
      running.delete(promise)
      settle()
    })
  }

  function event(obj: KubeObject, reason: string, message: string, type = 'Normal', component = 'kubelet'): void {
    const ns = obj.metadata.namespace ?? 'default'
    if (store.get('namespaces', undefined, ns) === undefined) return
    try {
      store.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${obj.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: ns },
        involvedObject: {
          kind: obj.kind,
          namespace: obj.metadata.namespace ?? '',
          name: obj.metadata.name,
          uid: obj.metadata.uid,
          apiVersion: obj.apiVersion,
        },
        reason,
        message,
        type,
        count: 1,
        source: { component },
        firstTimestamp: now(),
        lastTimestamp: now(),
      })
    } catch {
      // events are best effort, as on a real cluster
    }
  }

  // --- scheduler -------------------------------------------------------------------------------------------
  function nodeFree(node: KubeObject): Map<string, bigint> {
    const free = amounts(field(node, ['status', 'allocatable']) as Record<string, string>)
    let pods = 0
    for (const pod of store.all('pods')) {
      if (specOf(pod).nodeName !== node.metadata.name) continue
      const phase = phaseOf(pod)
      if (phase === 'Succeeded' || phase === 'Failed') continue
      pods++
      for (const [k, v] of podRequests(pod)) free.set(k, (free.get(k) ?? 0n) - v)
    }
    free.set('pods', (free.get('pods') ?? 0n) - BigInt(pods) * 1_000_000_000n)
    return free
  }

  function schedule(pod: KubeObject): void {
    const spec = specOf(pod)
    const requests = podRequests(pod)
    const reasons = new Map<string, number>()
    const note = (r: string): void => {
      reasons.set(r, (reasons.get(r) ?? 0) + 1)
    }
    const candidates: { node: KubeObject; score: number }[] = []
    const nodes = [...store.all('nodes')]
    for (const node of nodes) {
      const ready =
        (field(node, ['status', 'conditions']) as { type: string; status: string }[] | undefined)?.find(
          (c) => c.type === 'Ready',
        )?.status === 'True'
      if (field(node, ['spec', 'unschedulable']) === true) {
        note('node(s) were unschedulable')
        continue
      }
      if (!ready) {
        note('node(s) were not ready')
        continue
      }
      const taints =
        (field(node, ['spec', 'taints']) as { key: string; value?: string; effect: string }[] | undefined) ?? []
      const untolerated = taints.find(
        (t) =>
          (t.effect === 'NoSchedule' || t.effect === 'NoExecute') &&
          !(spec.tolerations ?? []).some((tol) =>
            tol.operator === 'Exists'
              ? tol.key === undefined || tol.key === t.key
              : tol.key === t.key && (tol.value ?? '') === (t.value ?? ''),
          ),
      )
      if (untolerated !== undefined) {
        note(`node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`)
        continue
      }
      const labels = node.metadata.labels ?? {}
      if (Object.entries(spec.nodeSelector ?? {}).some(([k, v]) => labels[k] !== v)) {
        note("node(s) didn't match Pod's node affinity/selector")
        continue
      }
      const free = nodeFree(node)
      const short = [...requests].find(([k, v]) => v > 0n && (free.get(k) ?? 0n) < v)
      if (short !== undefined) {
        note(`Insufficient ${short[0]}`)
        continue
      }
      candidates.push({ node, score: Number((free.get('cpu') ?? 0n) / 1_000_000n) })
    }
    if (candidates.length === 0) {
      const detail = [...reasons]
        .map(([r, n]) => `${n} ${r}`)
        .sort()
        .join(', ')
      const message = `0/${nodes.length} nodes are available: ${detail}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`
      store.mutate('pods', pod.metadata.namespace, pod.metadata.name, (p) => {
        p.status = {
          ...(p.status as object),
          phase: 'Pending',
          conditions: [
            { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastTransitionTime: now() },
          ],
        }
      })
      event(pod, 'FailedScheduling', message, 'Warning', 'default-scheduler')
      return
    }
    candidates.sort((a, b) => b.score - a.score)
    const chosen = (candidates[0] as { node: KubeObject }).node
    const updated = store.mutate('pods', pod.metadata.namespace, pod.metadata.name, (p) => {
      ;(p.spec as PodSpec).nodeName = chosen.metadata.name
      p.status = {
        ...(p.status as object),
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: now() }],
      }
    })
    event(
      updated,
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${chosen.metadata.name}`,
      'Normal',
      'default-scheduler',
    )
  }

  // --- volumes ---------------------------------------------------------------------------------------------
  function volumeHost(pv: string): string {
    const dir = join(options.dataDir, 'volumes', pv)
    mkdirSync(dir, { recursive: true })
    return dir
  }

  /**
   * A dynamically provisioned volume's folder, as its driver would hand it over: by default a fresh block device's
   * file system (root's, 0755: only root may write at its top, as on EBS, GCE PD or Azure Disk), or with the class
   * parameter `folderMode` (e.g. "0777") a folder of that mode, as local-path or NFS subdir provisioners make them.
   */
  function provisionedFolder(pv: string, sc: KubeObject): void {
    const dir = join(options.dataDir, 'volumes', pv)
    if (existsSync(dir)) return
    mkdirSync(dir, { recursive: true })
    const asked = (sc.parameters as Record<string, string> | undefined)?.folderMode
    const mode = asked !== undefined && /^0?[0-7]{3,4}$/.test(asked) ? Number.parseInt(asked, 8) : 0o755
    chmodSync(dir, mode)
  }

  function podDir(pod: KubeObject): string {
    return join(options.dataDir, 'pods', pod.metadata.uid ?? pod.metadata.name)
  }

  // --- kubelet ---------------------------------------------------------------------------------------------
  const runtime = new Runtime({
    dir: join(options.dataDir, 'kubelet'),
    registryDir: join(options.dataDir, 'registry'),
    clock: () => store.clock(),
    ...(options.restartBackoffMs === undefined ? {} : { backoffMs: options.restartBackoffMs }),
  })
  /** Logs of pods a scenario declares Running: no process of theirs ran here, so their log says only that. */
  const declaredLogs = new Map<string, string>()
  const removals = new Set<Promise<void>>()

  const decoded = (data: Record<string, string> | undefined): Record<string, Buffer> =>
    Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]))
  const secretData = (namespace: string | undefined, name: string): Record<string, Buffer> | undefined => {
    const secret = store.get('secrets', namespace, name)
    return secret === undefined ? undefined : decoded(secret.data as Record<string, string> | undefined)
  }
  const configMapData = (namespace: string | undefined, name: string): Record<string, Buffer> | undefined => {
    const cm = store.get('configmaps', namespace, name)
    if (cm === undefined) return undefined
    return {
      ...Object.fromEntries(
        Object.entries((cm.data as Record<string, string> | undefined) ?? {}).map(([k, v]) => [k, Buffer.from(v)]),
      ),
      ...decoded(cm.binaryData as Record<string, string> | undefined),
    }
  }

  /** The service account's token: its token Secret's, else one made for this pod (nothing here checks it). */
  function serviceAccountFiles(pod: KubeObject): { token: Buffer; 'ca.crt': Buffer; namespace: Buffer } {
    const account = specOf(pod).serviceAccountName ?? 'default'
    const tokenSecret = [...store.all('secrets', pod.metadata.namespace)].find(
      (s) =>
        (s as { type?: string }).type === 'kubernetes.io/service-account-token' &&
        s.metadata.annotations?.['kubernetes.io/service-account.name'] === account,
    )
    const stored = (tokenSecret?.data as Record<string, string> | undefined)?.token
    const token =
      stored !== undefined
        ? Buffer.from(stored, 'base64')
        : Buffer.from(`sim-token-${pod.metadata.namespace}-${account}-${pod.metadata.uid ?? ''}`)
    return { token, 'ca.crt': options.caCert ?? Buffer.alloc(0), namespace: Buffer.from(pod.metadata.namespace ?? '') }
  }

  /**
   * Each volume as a host folder: a claim's PV data folder, a per-pod emptyDir folder, projected files (secret,
   * configMap, projected with the service-account token) written with their modes. A required secret or configMap
   * that is missing never gets here (startProblem waits for it); an optional one leaves its volume empty.
   */
  function podVolumes(pod: KubeObject): Record<string, RuntimeVolume> {
    const spec = specOf(pod)
    const ns = pod.metadata.namespace
    const result: Record<string, RuntimeVolume> = {}
    for (const volume of spec.volumes ?? []) {
      const dir = join(podDir(pod), 'volumes', volume.name)
      if (volume.persistentVolumeClaim !== undefined) {
        const claim = store.get('persistentvolumeclaims', ns, volume.persistentVolumeClaim.claimName)
        const pv = field(claim, ['spec', 'volumeName']) as string | undefined
        if (pv === undefined || pv === '') continue
        result[volume.name] = {
          hostPath: volumeHost(pv),
          readOnly: volume.persistentVolumeClaim.readOnly === true,
          kind: 'persistentVolumeClaim',
        }
      } else if (volume.secret !== undefined) {
        const data = secretData(ns, volume.secret.secretName) ?? {}
        writeProjected(dir, projectionFiles(data, volume.secret), store.clock())
        result[volume.name] = { hostPath: dir, readOnly: true, kind: 'projected' }
      } else if (volume.configMap !== undefined) {
        const data = configMapData(ns, volume.configMap.name) ?? {}
        writeProjected(dir, projectionFiles(data, volume.configMap), store.clock())
        result[volume.name] = { hostPath: dir, readOnly: true, kind: 'projected' }
      } else if (volume.projected !== undefined) {
        const mode = volume.projected.defaultMode
        const files = (volume.projected.sources ?? []).flatMap((source) => {
          if (source.secret !== undefined)
            return projectionFiles(secretData(ns, source.secret.name) ?? {}, {
              items: source.secret.items,
              defaultMode: mode,
            })
          if (source.configMap !== undefined)
            return projectionFiles(configMapData(ns, source.configMap.name) ?? {}, {
              items: source.configMap.items,
              defaultMode: mode,
            })
          if (source.serviceAccountToken !== undefined)
            return [
              { path: source.serviceAccountToken.path, data: serviceAccountFiles(pod).token, mode: mode ?? 0o644 },
            ]
          return []
        })
        writeProjected(dir, files, store.clock())
        result[volume.name] = { hostPath: dir, readOnly: true, kind: 'projected' }
      } else {
        mkdirSync(dir, { recursive: true })
        result[volume.name] = { hostPath: dir, kind: 'emptyDir' }
      }
    }
    return result
  }

  function envOf(pod: KubeObject, container: Container): Record<string, string> {
    const env: Record<string, string> = {}
    const ns = pod.metadata.namespace
    for (const from of container.envFrom ?? []) {
      const data =
        from.secretRef !== undefined
          ? secretData(ns, from.secretRef.name)
          : from.configMapRef !== undefined
            ? configMapData(ns, from.configMapRef.name)
            : undefined
      for (const [k, v] of Object.entries(data ?? {})) env[`${from.prefix ?? ''}${k}`] = v.toString('utf8')
    }
    for (const e of container.env ?? []) {
      const path = e.valueFrom?.fieldRef?.fieldPath
      const secretRef = e.valueFrom?.secretKeyRef
      const configMapRef = e.valueFrom?.configMapKeyRef
      if (e.value !== undefined) env[e.name] = e.value
      else if (secretRef !== undefined) {
        const v = secretData(ns, secretRef.name)?.[secretRef.key]
        if (v !== undefined) env[e.name] = v.toString('utf8')
      } else if (configMapRef !== undefined) {
        const v = configMapData(ns, configMapRef.name)?.[configMapRef.key]
        if (v !== undefined) env[e.name] = v.toString('utf8')
      } else if (path === 'metadata.name') env[e.name] = pod.metadata.name
      else if (path === 'metadata.namespace') env[e.name] = pod.metadata.namespace ?? ''
      else if (path === 'spec.nodeName') env[e.name] = specOf(pod).nodeName ?? ''
      else if (path === 'status.podIP') env[e.name] = String(field(pod, ['status', 'podIP']) ?? '')
      else if (path?.startsWith('metadata.labels[')) env[e.name] = pod.metadata.labels?.[path.slice(17, -2)] ?? ''
      else if (path?.startsWith('metadata.annotations['))
        env[e.name] = pod.metadata.annotations?.[path.slice(22, -2)] ?? ''
    }
    const index = pod.metadata.annotations?.['batch.kubernetes.io/job-completion-index']
    if (index !== undefined) env.JOB_COMPLETION_INDEX = index
    return env
  }

  const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

  function runtimeSpec(pod: KubeObject): PodRuntimeSpec {
    const spec = specOf(pod)
    const volumes = podVolumes(pod)
    const account = store.get('serviceaccounts', pod.metadata.namespace, spec.serviceAccountName ?? 'default')
    const automount =
      spec.automountServiceAccountToken ??
      (account as { automountServiceAccountToken?: boolean } | undefined)?.automountServiceAccountToken ??
      true
    const hasOwn = (c: Container): boolean =>
      (c.volumeMounts ?? []).some((m) => m.mountPath.replace(/\/+$/, '') === SERVICE_ACCOUNT_DIR)
    if (automount) {
      const dir = join(podDir(pod), 'volumes', 'kube-api-access')
      writeProjected(
        dir,
        Object.entries(serviceAccountFiles(pod)).map(([path, data]) => ({ path, data, mode: 0o644 })),
        store.clock(),
      )
      volumes['kube-api-access (sim)'] = { hostPath: dir, readOnly: true, kind: 'projected' }
    }
    const container = (c: Container): ContainerSpec => ({
      name: c.name,
      image: c.image ?? '',
      ...(c.command === undefined ? {} : { command: c.command }),
      ...(c.args === undefined ? {} : { args: c.args }),
      ...(c.workingDir === undefined ? {} : { workingDir: c.workingDir }),
      env: envOf(pod, c),
      mounts: [
        ...(c.volumeMounts ?? []).map((m) => ({
          volume: m.name,
          mountPath: m.mountPath,
          ...(m.readOnly === undefined ? {} : { readOnly: m.readOnly }),
          ...(m.subPath === undefined ? {} : { subPath: m.subPath }),
        })),
        ...(automount && !hasOwn(c)
          ? [{ volume: 'kube-api-access (sim)', mountPath: SERVICE_ACCOUNT_DIR, readOnly: true }]
          : []),
      ],
      ...((c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser) === undefined
        ? {}
        : { runAsUser: (c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser) as number }),
      ...((c.securityContext?.runAsGroup ?? spec.securityContext?.runAsGroup) === undefined
        ? {}
        : { runAsGroup: (c.securityContext?.runAsGroup ?? spec.securityContext?.runAsGroup) as number }),
      ...(c.securityContext?.capabilities === undefined ? {} : { capabilities: c.securityContext.capabilities }),
    })
    const policy = spec.restartPolicy
    return {
      uid: pod.metadata.uid ?? keyOf(pod),
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name,
      hostname: spec.hostname ?? pod.metadata.name,
      restartPolicy: policy === 'Never' || policy === 'OnFailure' ? policy : 'Always',
      // Sidecars (init containers with restartPolicy Always) are not run.
      initContainers: (spec.initContainers ?? []).filter((c) => c.restartPolicy !== 'Always').map(container),
      containers: spec.containers.map(container),
      volumes,
      ...(spec.securityContext?.supplementalGroups === undefined
        ? {}
        : { supplementalGroups: spec.securityContext.supplementalGroups }),
      ...(spec.securityContext?.fsGroup === undefined ? {} : { fsGroup: spec.securityContext.fsGroup }),
      ...(spec.securityContext?.fsGroupChangePolicy === undefined
        ? {}
        : { fsGroupChangePolicy: spec.securityContext.fsGroupChangePolicy }),
    }
  }

  /** The pod's sandbox: the one its start made, or, for a pod a scenario declares Running, one that runs nothing. */
  function sandboxOf(pod: KubeObject): PodSandbox {
    return runtime.get(pod.metadata.uid ?? keyOf(pod)) ?? runtime.runPod(runtimeSpec(pod), undefined, { start: false })
  }

  function claimsBound(pod: KubeObject): boolean {
    return (specOf(pod).volumes ?? []).every((v) => {
      if (v.persistentVolumeClaim === undefined) return true
      return (
        field(store.get('persistentvolumeclaims', pod.metadata.namespace, v.persistentVolumeClaim.claimName), [
          'status',
          'phase',
        ]) === 'Bound'
      )
    })
  }

  /** Writes what the runtime reports into the pod's status, as the kubelet's status manager does. */
  function applyStatus(pod: KubeObject, status: PodRuntimeStatus): void {
    if (stopped || store.get('pods', pod.metadata.namespace, pod.metadata.name) === undefined) return
    const stamp = now()
    store.mutate('pods', pod.metadata.namespace, pod.metadata.name, (p) => {
      const current = p.status as Record<string, unknown>
      const done = status.phase === 'Succeeded' || status.phase === 'Failed'
      const unready = status.containerStatuses.filter((c) => !c.ready).map((c) => c.name)
      const ready = status.phase === 'Running' && unready.length === 0
      const previous = (current.conditions as { type: string; status: string; lastTransitionTime?: string }[]) ?? []
      const condition = (type: string, ok: boolean, reason?: string, message?: string) => {
        const was = previous.find((c) => c.type === type)
        const value = ok ? 'True' : 'False'
        return {
          type,
          status: value,
          ...(reason === undefined ? {} : { reason }),
          ...(message === undefined ? {} : { message }),
          lastTransitionTime: was?.status === value ? (was.lastTransitionTime ?? stamp) : stamp,
        }
      }
      const notReady = done ? 'PodCompleted' : 'ContainersNotReady'
      const notReadyMessage = done ? undefined : `containers with unready status: [${unready.join(' ')}]`
      const initDone = status.initContainerStatuses.every(
        (c) => 'terminated' in c.state && c.state.terminated.exitCode === 0,
      )
      current.phase = status.phase
      current.conditions = [
        condition('PodScheduled', true),
        condition('Initialized', initDone || done, initDone || done ? undefined : 'ContainersNotInitialized'),
        condition('ContainersReady', ready, ready ? undefined : notReady, ready ? undefined : notReadyMessage),
        condition('Ready', ready, ready ? undefined : notReady, ready ? undefined : notReadyMessage),
      ]
      current.containerStatuses = status.containerStatuses
      if (status.initContainerStatuses.length > 0) current.initContainerStatuses = status.initContainerStatuses
    })
  }

  function startPod(pod: KubeObject): void {
    if (!claimsBound(pod)) return
    const spec = specOf(pod)
    const started = now()
    const node = store.get('nodes', undefined, spec.nodeName ?? '')
    const hostIP =
      (field(node, ['status', 'addresses']) as { type: string; address: string }[] | undefined)?.find(
        (a) => a.type === 'InternalIP',
      )?.address ?? '10.0.0.1'
    const hash = hashFraction(keyOf(pod))
    const updated = store.mutate('pods', pod.metadata.namespace, pod.metadata.name, (p) => {
      p.status = {
        ...(p.status as object),
        phase: 'Pending',
        hostIP,
        podIP: `10.244.${Math.floor(hash * 250)}.${Math.floor(hashFraction(`${keyOf(pod)}ip`) * 250) + 2}`,
        startTime: started,
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: started },
          { type: 'Initialized', status: 'True', lastTransitionTime: started },
          { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: started },
          { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: started },
        ],
      }
    })
    if (!options.runContainers) {
      // Containers are not run: the pod is declared Running, as a scenario's pods are.
      store.mutate('pods', pod.metadata.namespace, pod.metadata.name, (p) => {
        const status = p.status as Record<string, unknown>
        status.phase = 'Running'
        status.conditions = (status.conditions as { type: string }[]).map((c) => ({
          type: c.type,
          status: 'True',
          lastTransitionTime: started,
        }))
        status.containerStatuses = spec.containers.map((c) => ({
          name: c.name,
          image: c.image ?? '',
          imageID: '',
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: started } },
        }))
      })
      for (const c of spec.containers)
        declaredLogs.set(`${keyOf(pod)}/${c.name}`, `${started} starting ${c.name} (${c.image ?? 'image'})\n`)
      return
    }
    runContainersOf(updated)
  }

  /**
   * Why the kubelet cannot start the pod's containers yet: a volume's secret or configMap is missing (the pod stays
   * ContainerCreating, FailedMount), or an env reference is (CreateContainerConfigError). Optional ones do not count.
   */
  function startProblem(pod: KubeObject): { reason: string; message: string; event: string } | undefined {
    const spec = specOf(pod)
    const ns = pod.metadata.namespace
    for (const v of spec.volumes ?? []) {
      const missing =
        v.secret !== undefined &&
        v.secret.optional !== true &&
        store.get('secrets', ns, v.secret.secretName) === undefined
          ? `secret "${v.secret.secretName}" not found`
          : v.configMap !== undefined &&
              v.configMap.optional !== true &&
              store.get('configmaps', ns, v.configMap.name) === undefined
            ? `configmap "${v.configMap.name}" not found`
            : undefined
      if (missing !== undefined)
        return {
          reason: 'ContainerCreating',
          message: '',
          event: `MountVolume.SetUp failed for volume "${v.name}" : ${missing}`,
        }
    }
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef
        if (ref === undefined || ref.optional === true) continue
        const isSecret = e.valueFrom?.secretKeyRef !== undefined
        const data = isSecret ? secretData(ns, ref.name) : configMapData(ns, ref.name)
        const message =
          data === undefined
            ? `${isSecret ? 'secret' : 'configmap'} "${ref.name}" not found`
            : data[ref.key] === undefined
              ? `couldn't find key ${ref.key} in ${isSecret ? 'Secret' : 'ConfigMap'} ${ns}/${ref.name}`
              : undefined
        if (message !== undefined) return { reason: 'CreateContainerConfigError', message, event: `Error: ${message}` }
      }
      for (const from of c.envFrom ?? []) {
        const ref = from.secretRef ?? from.configMapRef
        if (ref === undefined || ref.optional === true) continue
        const isSecret = from.secretRef !== undefined
        if ((isSecret ? secretData(ns, ref.name) : configMapData(ns, ref.name)) === undefined) {
          const message = `${isSecret ? 'secret' : 'configmap'} "${ref.name}" not found`
          return { reason: 'CreateContainerConfigError', message, event: `Error: ${message}` }
        }
      }
    }
    return undefined
  }

  /** Starts the pod's containers in the runtime, or waits (retrying each second) while something they need is missing. */
  function runContainersOf(pod: KubeObject): void {
    const current = store.get('pods', pod.metadata.namespace, pod.metadata.name)
    if (stopped || current === undefined || current.metadata.uid !== pod.metadata.uid) return
    const problem = startProblem(current)
    if (problem !== undefined) {
      const spec = specOf(current)
      const waitingBefore = (
        field(current, ['status', 'containerStatuses']) as { state?: { waiting?: { reason?: string } } }[] | undefined
      )?.[0]?.state?.waiting?.reason
      store.mutate('pods', current.metadata.namespace, current.metadata.name, (p) => {
        ;(p.status as Record<string, unknown>).containerStatuses = spec.containers.map((c) => ({
          name: c.name,
          image: c.image ?? '',
          imageID: '',
          ready: false,
          started: false,
          restartCount: 0,
          state: {
            waiting: { reason: problem.reason, ...(problem.message === '' ? {} : { message: problem.message }) },
          },
          lastState: {},
        }))
      })
      if (waitingBefore !== problem.reason)
        event(current, problem.reason === 'ContainerCreating' ? 'FailedMount' : 'Failed', problem.event, 'Warning')
      const timer = setTimeout(() => {
        timers.delete(timer)
        enqueue(() => runContainersOf(current))
      }, 1000)
      timers.add(timer)
      return
    }
    const updated = current
    const spec = specOf(updated)
    let announced = new Set<string>()
    const sandbox = runtime.runPod(runtimeSpec(updated), (status) => {
      enqueue(() => {
        applyStatus(updated, status)
        const fresh = store.get('pods', updated.metadata.namespace, updated.metadata.name)
        if (fresh === undefined) return
        const all = [...status.initContainerStatuses, ...status.containerStatuses]
        const seen = new Set<string>()
        for (const c of all) {
          const key = `${c.name}/${c.restartCount}/${Object.keys(c.state)[0]}/${'waiting' in c.state ? c.state.waiting.reason : ''}`
          seen.add(key)
          if (announced.has(key)) continue
          if ('running' in c.state) event(fresh, 'Started', `Started container ${c.name}`)
          else if ('waiting' in c.state && c.state.waiting.reason === 'ErrImagePull')
            event(fresh, 'Failed', `Failed to pull image "${c.image}": ${c.state.waiting.message ?? ''}`, 'Warning')
          else if ('waiting' in c.state && c.state.waiting.reason === 'ImagePullBackOff')
            event(fresh, 'BackOff', `Back-off pulling image "${c.image}"`, 'Normal')
          else if ('waiting' in c.state && c.state.waiting.reason === 'CrashLoopBackOff')
            event(
              fresh,
              'BackOff',
              `Back-off restarting failed container ${c.name} in pod ${fresh.metadata.name}_${fresh.metadata.namespace}(${fresh.metadata.uid})`,
              'Warning',
            )
        }
        announced = new Set([...announced, ...seen])
      })
    })
    // Pods that end (restartPolicy Never or OnFailure) are work in flight until they do; Always (the default) never ends.
    if (spec.restartPolicy === 'Never' || spec.restartPolicy === 'OnFailure') track(sandbox.done)
  }

  // --- jobs ------------------------------------------------------------------------------------------------
  function jobPods(job: KubeObject): KubeObject[] {
    return [...store.all('pods', job.metadata.namespace)].filter((p) =>
      p.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid),
    )
  }

  function finishedCondition(job: KubeObject): string | undefined {
    const conditions = (field(job, ['status', 'conditions']) as { type: string; status: string }[] | undefined) ?? []
    return conditions.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type
  }

  function ranges(indexes: number[]): string {
    const sorted = [...new Set(indexes)].sort((a, b) => a - b)
    const parts: string[] = []
    for (let i = 0; i < sorted.length; ) {
      let j = i
      while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++
      parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`)
      i = j + 1
    }
    return parts.join(',')
  }

  function syncJob(current: KubeObject): void {
    const job = store.get('jobs', current.metadata.namespace, current.metadata.name)
    if (job === undefined || finishedCondition(job) !== undefined) return
    const spec = job.spec as {
      parallelism?: number
      completions?: number
      backoffLimit?: number
      backoffLimitPerIndex?: number
      maxFailedIndexes?: number
      completionMode?: string
      suspend?: boolean
      template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec }
      ttlSecondsAfterFinished?: number
      podFailurePolicy?: {
        rules?: {
          action: string
          onPodConditions?: { type: string }[]
          onExitCodes?: { operator: string; values: number[] }
        }[]
      }
    }
    const pods = jobPods(job)
    const indexed = spec.completionMode === 'Indexed'
    const indexOf = (p: KubeObject): number =>
      Number(p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] ?? -1)
    const succeededPods = pods.filter((p) => phaseOf(p) === 'Succeeded')
    const failedPods = pods.filter((p) => phaseOf(p) === 'Failed')
    const active = pods.filter((p) => phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed')
    const completions = spec.completions ?? 1
    const succeededIndexes = succeededPods.map(indexOf)
    const succeeded = indexed ? new Set(succeededIndexes).size : succeededPods.length
    const exitFailJob = failedPods.some((p) =>
      (spec.podFailurePolicy?.rules ?? []).some((r) => {
        if (r.action !== 'FailJob' || r.onExitCodes === undefined) return false
        const code =
          (
            field(p, ['status', 'containerStatuses']) as
              | { state?: { terminated?: { exitCode?: number } } }[]
              | undefined
          )?.[0]?.state?.terminated?.exitCode ?? 0
        return r.onExitCodes.operator === 'In'
          ? r.onExitCodes.values.includes(code)
          : !r.onExitCodes.values.includes(code)
      }),
    )
    const failed = failedPods.length
    // Per-index backoff (batch/v1, GA in 1.33): an index fails once it has more failed pods than
    // backoffLimitPerIndex; its pods are not replaced, the other indexes go on.
    const perIndex = indexed && spec.backoffLimitPerIndex !== undefined
    const failuresOf = new Map<number, number>()
    for (const p of failedPods) failuresOf.set(indexOf(p), (failuresOf.get(indexOf(p)) ?? 0) + 1)
    const failedIndexes = perIndex
      ? [...failuresOf].filter(([, n]) => n > (spec.backoffLimitPerIndex as number)).map(([i]) => i)
      : []
    const started = (field(job, ['status', 'startTime']) as string | undefined) ?? now()
    const base = {
      startTime: started,
      active: active.length,
      ready: active.filter((p) => phaseOf(p) === 'Running').length,
      succeeded,
      failed,
      terminating: 0,
      uncountedTerminatedPods: {} as object,
      ...(indexed ? { completedIndexes: ranges(succeededIndexes.filter((i) => i >= 0)) } : {}),
      ...(perIndex ? { failedIndexes: ranges(failedIndexes) } : {}),
    }
    const done = (type: 'Complete' | 'Failed', reason: string, message: string): void => {
      const stamp = now()
      const conditions =
        type === 'Complete'
          ? [
              {
                type: 'SuccessCriteriaMet',
                status: 'True',
                reason: 'CompletionsReached',
                message: 'Reached expected number of succeeded pods',
                lastProbeTime: stamp,
                lastTransitionTime: stamp,
              },
              {
                type: 'Complete',
                status: 'True',
                reason: 'CompletionsReached',
                message: 'Reached expected number of succeeded pods',
                lastProbeTime: stamp,
                lastTransitionTime: stamp,
              },
            ]
          : [
              {
                type: 'FailureTarget',
                status: 'True',
                reason,
                message,
                lastProbeTime: stamp,
                lastTransitionTime: stamp,
              },
              { type: 'Failed', status: 'True', reason, message, lastProbeTime: stamp, lastTransitionTime: stamp },
            ]
      for (const p of active) store.delete('pods', p.metadata.namespace, p.metadata.name)
      const updated = store.mutate('jobs', job.metadata.namespace, job.metadata.name, (j) => {
        j.status = {
          ...base,
          active: 0,
          ready: 0,
          conditions,
          ...(type === 'Complete' ? { completionTime: stamp } : {}),
        }
      })
      event(
        updated,
        type === 'Complete' ? 'Completed' : reason,
        type === 'Complete' ? 'Job completed' : message,
        type === 'Complete' ? 'Normal' : 'Warning',
        'job-controller',
      )
      if (spec.ttlSecondsAfterFinished !== undefined) {
        const timer = setTimeout(() => {
          timers.delete(timer)
          enqueue(() => {
            const j = store.get('jobs', job.metadata.namespace, job.metadata.name)
            if (j === undefined) return
            store.delete('jobs', job.metadata.namespace, job.metadata.name)
            for (const p of jobPods(j)) store.delete('pods', p.metadata.namespace, p.metadata.name)
          })
        }, spec.ttlSecondsAfterFinished * 1000)
        timers.add(timer)
      }
    }
    if (succeeded >= completions) return done('Complete', 'CompletionsReached', '')
    if (exitFailJob)
      return done(
        'Failed',
        'PodFailurePolicy',
        'Container main for pod failed with an exit code matching a FailJob rule',
      )
    if (perIndex && failedIndexes.length > (spec.maxFailedIndexes ?? completions))
      return done(
        'Failed',
        'MaxFailedIndexesExceeded',
        'Job has exceeded the specified maximal number of failed indexes',
      )
    if (perIndex && failedIndexes.length > 0 && succeeded + failedIndexes.length >= completions)
      return done('Failed', 'FailedIndexes', 'Job has failed indexes')
    // With per-index backoff, backoffLimit counts only when set, and defaults to no limit.
    if (failed > (spec.backoffLimit ?? (perIndex ? Number.MAX_SAFE_INTEGER : 6)))
      return done('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')
    if (spec.suspend === true) return
    const want = Math.min(spec.parallelism ?? 1, completions - succeeded - failedIndexes.length) - active.length
    const busy = new Set([...active.map(indexOf), ...succeededIndexes, ...failedIndexes])
    for (let n = 0; n < want; n++) {
      let index = -1
      if (indexed) {
        for (let i = 0; i < completions; i++) {
          if (!busy.has(i)) {
            index = i
            break
          }
        }
        if (index < 0) break
        busy.add(index)
      }
      const template = spec.template
      const name = `${job.metadata.name}-${indexed ? `${index}-` : ''}${suffix()}`
      const podSpec = structuredClone(template.spec)
      store.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: job.metadata.namespace as string,
          labels: {
            ...template.metadata?.labels,
            ...(indexed ? { 'batch.kubernetes.io/job-completion-index': String(index) } : {}),
          },
          annotations: {
            ...template.metadata?.annotations,
            ...(indexed ? { 'batch.kubernetes.io/job-completion-index': String(index) } : {}),
          },
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'Job',
              name: job.metadata.name,
              uid: job.metadata.uid as string,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: { ...podSpec, ...(indexed ? { hostname: `${job.metadata.name}-${index}` } : {}) },
        status: { phase: 'Pending' },
      })
      event(job, 'SuccessfulCreate', `Created pod: ${name}`, 'Normal', 'job-controller')
    }
    const fresh = jobPods(job)
    const status = {
      ...base,
      active: fresh.filter((p) => phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed').length,
    }
    // Like the real Job controller, write only a changed status: every write is a change event that syncs the Job
    // again, so an unconditional write spins the queue (starving timers) for as long as a pod runs.
    if (JSON.stringify(job.status ?? {}) === JSON.stringify(status)) return
    store.mutate('jobs', job.metadata.namespace, job.metadata.name, (j) => {
      j.status = status
    })
  }

  // --- volumes binder ----------------------------------------------------------------------------------------
  function bindClaim(claim: KubeObject): void {
    const current = store.get('persistentvolumeclaims', claim.metadata.namespace, claim.metadata.name)
    if (current === undefined || field(current, ['status', 'phase']) === 'Bound') return
    const spec = current.spec as {
      volumeName?: string
      storageClassName?: string
      accessModes?: string[]
      resources?: { requests?: { storage?: string } }
    }
    const size = spec.resources?.requests?.storage ?? '1Gi'
    let pvName = spec.volumeName
    if (pvName !== undefined && pvName !== '') {
      const pv = store.get('persistentvolumes', undefined, pvName)
      if (pv === undefined) return
      const ref = field(pv, ['spec', 'claimRef']) as { name?: string; namespace?: string } | undefined
      if (ref !== undefined && (ref.name !== current.metadata.name || ref.namespace !== current.metadata.namespace))
        return
      const capacity = field(pv, ['spec', 'capacity', 'storage']) as string
      if (parseQuantity(capacity).nanos < parseQuantity(size).nanos) return
      store.mutate('persistentvolumes', undefined, pvName, (p) => {
        ;(p.spec as Record<string, unknown>).claimRef = {
          kind: 'PersistentVolumeClaim',
          apiVersion: 'v1',
          namespace: current.metadata.namespace,
          name: current.metadata.name,
          uid: current.metadata.uid,
        }
        p.status = { phase: 'Bound' }
      })
    } else {
      const className = spec.storageClassName
      if (className === undefined || className === '') {
        // As the PV controller says of a claim no static volume matches and no class can provision for.
        event(
          current,
          'FailedBinding',
          'no persistent volumes available for this claim and no storage class is set',
          'Normal',
          'persistentvolume-controller',
        )
        return
      }
      const sc = store.get('storageclasses', undefined, className)
      if (sc === undefined) {
        event(
          current,
          'ProvisioningFailed',
          `storageclass.storage.k8s.io "${className}" not found`,
          'Warning',
          'persistentvolume-controller',
        )
        return
      }
      // The class's driver refuses access modes it cannot serve (a block-storage class has no ReadWriteMany): the
      // claim stays Pending with the driver's ProvisioningFailed warning, as from test/control-plane/provisioner.ts.
      const offered = (sc.parameters as Record<string, string> | undefined)?.accessModes?.split(',')
      const unsupported = (spec.accessModes ?? []).filter((m) => offered !== undefined && !offered.includes(m))
      if (offered !== undefined && unsupported.length > 0) {
        event(
          current,
          'ProvisioningFailed',
          `failed to provision volume with StorageClass "${className}": rpc error: code = InvalidArgument desc = access mode ${unsupported.join(', ')} is not supported by this class (supported: ${offered.join(', ')})`,
          'Warning',
          String(sc.provisioner ?? ''),
        )
        return
      }
      if (sc.volumeBindingMode === 'WaitForFirstConsumer') {
        const consumer = [...store.all('pods', current.metadata.namespace)].find(
          (p) =>
            specOf(p).nodeName !== undefined &&
            (specOf(p).volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === current.metadata.name),
        )
        if (consumer === undefined) {
          event(
            current,
            'WaitForFirstConsumer',
            'waiting for first consumer to be created before binding',
            'Normal',
            'persistentvolume-controller',
          )
          return
        }
      }
      pvName = `pvc-${current.metadata.uid}`
      store.create({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: pvName, annotations: { 'pv.kubernetes.io/provisioned-by': String(sc.provisioner ?? '') } },
        spec: {
          capacity: { storage: size },
          accessModes: spec.accessModes ?? ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: String(sc.reclaimPolicy ?? 'Delete'),
          storageClassName: className,
          volumeMode: 'Filesystem',
          csi: { driver: String(sc.provisioner ?? ''), volumeHandle: pvName },
          claimRef: {
            kind: 'PersistentVolumeClaim',
            apiVersion: 'v1',
            namespace: current.metadata.namespace,
            name: current.metadata.name,
            uid: current.metadata.uid,
          },
        },
        status: { phase: 'Bound' },
      })
      provisionedFolder(pvName, sc)
    }
    const pv = store.get('persistentvolumes', undefined, pvName) as KubeObject
    store.mutate('persistentvolumeclaims', current.metadata.namespace, current.metadata.name, (c) => {
      ;(c.spec as Record<string, unknown>).volumeName = pvName
      c.metadata.annotations = {
        ...c.metadata.annotations,
        'pv.kubernetes.io/bind-completed': 'yes',
        ...(spec.volumeName === undefined ? { 'pv.kubernetes.io/bound-by-controller': 'yes' } : {}),
      }
      c.status = {
        phase: 'Bound',
        accessModes: field(pv, ['spec', 'accessModes']),
        capacity: { storage: field(pv, ['spec', 'capacity', 'storage']) },
      }
    })
    volumeHost(pvName as string)
    for (const p of store.all('pods', current.metadata.namespace))
      if (phaseOf(p) === 'Pending' && specOf(p).nodeName !== undefined) enqueue(() => startPod(p))
  }

  function resizeClaim(claim: KubeObject): void {
    const request = field(claim, ['spec', 'resources', 'requests', 'storage']) as string | undefined
    const capacity = field(claim, ['status', 'capacity', 'storage']) as string | undefined
    const pvName = field(claim, ['spec', 'volumeName']) as string | undefined
    if (
      request === undefined ||
      capacity === undefined ||
      pvName === undefined ||
      field(claim, ['status', 'phase']) !== 'Bound'
    )
      return
    if (parseQuantity(request).nanos <= parseQuantity(capacity).nanos) return
    store.mutate('persistentvolumes', undefined, pvName, (p) => {
      ;(p.spec as { capacity: Record<string, string> }).capacity.storage = request
    })
    store.mutate('persistentvolumeclaims', claim.metadata.namespace, claim.metadata.name, (c) => {
      ;(c.status as { capacity: Record<string, string> }).capacity.storage = request
    })
  }

  function releaseClaim(claim: KubeObject): void {
    const pvName = field(claim, ['spec', 'volumeName']) as string | undefined
    if (pvName === undefined) return
    const pv = store.get('persistentvolumes', undefined, pvName)
    if (pv === undefined) return
    if (field(pv, ['spec', 'persistentVolumeReclaimPolicy']) === 'Delete') {
      store.delete('persistentvolumes', undefined, pvName)
      rmSync(join(options.dataDir, 'volumes', pvName), { recursive: true, force: true })
    } else {
      store.mutate('persistentvolumes', undefined, pvName, (p) => {
        p.status = { phase: 'Released' }
      })
    }
  }

  // --- reactions -------------------------------------------------------------------------------------------
  const onChange = (e: ChangeEvent): void => {
    const obj = e.object
    if (e.plural === 'pods') {
      if (e.type === 'ADDED' && specOf(obj).nodeName === undefined)
        enqueue(() => {
          const p = store.get('pods', obj.metadata.namespace, obj.metadata.name)
          if (p !== undefined && specOf(p).nodeName === undefined) schedule(p)
        })
      else if (
        e.type !== 'DELETED' &&
        phaseOf(obj) === 'Pending' &&
        specOf(obj).nodeName !== undefined &&
        field(obj, ['status', 'startTime']) === undefined
      ) {
        enqueue(() => {
          const p = store.get('pods', obj.metadata.namespace, obj.metadata.name)
          if (p !== undefined && phaseOf(p) === 'Pending' && field(p, ['status', 'startTime']) === undefined) {
            startPod(p)
            for (const v of specOf(p).volumes ?? []) {
              const claim =
                v.persistentVolumeClaim === undefined
                  ? undefined
                  : store.get('persistentvolumeclaims', p.metadata.namespace, v.persistentVolumeClaim.claimName)
              if (claim !== undefined) bindClaim(claim)
            }
          }
        })
      }
      if (e.type === 'DELETED') {
        // Kill the pod's processes first, then remove its folders (never the claims' data).
        const removal = runtime.removePod(obj.metadata.uid ?? keyOf(obj)).then(() => {
          rmSync(podDir(obj), { recursive: true, force: true })
          declaredLogs.delete(keyOf(obj))
        })
        removals.add(removal)
        void removal.finally(() => removals.delete(removal))
      }
      const owner = obj.metadata.ownerReferences?.find((r) => r.kind === 'Job')
      if (owner !== undefined && e.type !== 'ADDED') {
        const job = store.get('jobs', obj.metadata.namespace, owner.name)
        if (job !== undefined) enqueue(() => syncJob(job))
      }
      if (e.type === 'DELETED' || phaseOf(obj) === 'Succeeded' || phaseOf(obj) === 'Failed') {
        // pvc-protection: a claim deleted while this pod mounted it goes once no running pod mounts it.
        enqueue(() => {
          for (const c of [...store.all('persistentvolumeclaims', obj.metadata.namespace)])
            if (c.metadata.deletionTimestamp !== undefined && !claimInUse(store, c))
              store.delete('persistentvolumeclaims', c.metadata.namespace, c.metadata.name)
        })
        // Freed capacity may let pending pods schedule now.
        enqueue(() => {
          for (const p of store.all('pods'))
            if (specOf(p).nodeName === undefined && phaseOf(p) === 'Pending') schedule(p)
        })
      }
    } else if (e.plural === 'jobs' && e.type !== 'DELETED') enqueue(() => syncJob(obj))
    else if (e.plural === 'persistentvolumeclaims') {
      if (e.type === 'ADDED') enqueue(() => bindClaim(obj))
      else if (e.type === 'MODIFIED') enqueue(() => resizeClaim(obj))
      else enqueue(() => releaseClaim(obj))
    } else if (e.plural === 'persistentvolumes' && e.type === 'ADDED') {
      const ref = field(obj, ['spec', 'claimRef']) as { name?: string; namespace?: string } | undefined
      if (ref?.name !== undefined) {
        enqueue(() => {
          const claim = store.get('persistentvolumeclaims', ref.namespace, ref.name as string)
          if (claim !== undefined) bindClaim(claim)
        })
      }
    }
  }
  const unsubscribe = store.onChange(onChange)
  // Seeded pods that are scheduled but not started, and unbound seeded claims, are picked up once.
  enqueue(() => {
    for (const p of store.all('pods')) {
      if (
        phaseOf(p) === 'Pending' &&
        specOf(p).nodeName !== undefined &&
        field(p, ['status', 'startTime']) === undefined
      )
        startPod(p)
      if (phaseOf(p) === 'Running') {
        for (const c of specOf(p).containers ?? []) {
          const key = `${keyOf(p)}/${c.name}`
          if (!declaredLogs.has(key))
            declaredLogs.set(key, `${field(p, ['status', 'startTime']) ?? now()} starting ${c.name}\n`)
        }
      }
    }
  })

  // --- metrics ---------------------------------------------------------------------------------------------
  function containerUsage(pod: KubeObject): { name: string; usage: { cpu: string; memory: string } }[] {
    const seeded = options.podUsage?.get(keyOf(pod))
    if (seeded !== undefined) return seeded.map((u) => ({ name: u.container, usage: { cpu: u.cpu, memory: u.memory } }))
    const spec = specOf(pod)
    const containers = [
      ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
      ...(spec.containers ?? []),
    ]
    return containers.map((c) => {
      const f = hashFraction(`${keyOf(pod)}/${c.name}`)
      const requests = { ...c.resources?.limits, ...c.resources?.requests }
      const cpuMilli = requests.cpu === undefined ? 20n : milliValue(parseQuantity(requests.cpu))
      const memBytes = requests.memory === undefined ? 32n * 1048576n : value(parseQuantity(requests.memory))
      const cpuNanos = (cpuMilli * 1_000_000n * BigInt(Math.floor(5 + f * 80))) / 100n + 1_000_000n
      const memKi = (memBytes * BigInt(Math.floor(20 + f * 60))) / 100n / 1024n + 4096n
      return { name: c.name, usage: { cpu: `${cpuNanos}n`, memory: `${memKi}Ki` } }
    })
  }

  function podMetricsOf(pod: KubeObject): KubeObject {
    return {
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {
        name: pod.metadata.name,
        namespace: pod.metadata.namespace,
        creationTimestamp: now(),
        labels: pod.metadata.labels ?? {},
      },
      timestamp: now(),
      window: '10.5s',
      containers: containerUsage(pod),
    }
  }

  const isRunning = (pod: KubeObject): boolean => phaseOf(pod) === 'Running' && specOf(pod).nodeName !== undefined

  function du(path: string): { bytes: number; inodes: number } {
    let bytes = 0
    let inodes = 0
    const visit = (p: string): void => {
      let stat: ReturnType<typeof lstatSync>
      try {
        stat = lstatSync(p)
      } catch {
        return
      }
      inodes++
      bytes += stat.isDirectory() ? 4096 : stat.size
      if (stat.isDirectory()) for (const entry of readdirSync(p)) visit(join(p, entry))
    }
    visit(path)
    return { bytes, inodes }
  }

  return {
    stop: async () => {
      stopped = true
      unsubscribe()
      for (const t of timers) clearTimeout(t)
      await Promise.all(removals)
      await runtime.close()
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve)
        setImmediate(settle)
      }),
    exec: (namespace, name, container, argv) => sandboxOf(store.mustGet('pods', namespace, name)).exec(container, argv),
    containerLogs: (namespace, pod, container, logOptions) => {
      const object = store.get('pods', namespace, pod)
      const sandbox = object === undefined ? undefined : runtime.get(object.metadata.uid ?? keyOf(object))
      if (sandbox !== undefined) return sandbox.logs(container, logOptions)
      if (logOptions.previous === true) return undefined
      return declaredLogs.get(`${namespace}/${pod}/${container}`) ?? ''
    },
    podMetrics: (namespace, select) =>
      [...store.all('pods', namespace)].filter((pod) => isRunning(pod) && (select?.(pod) ?? true)).map(podMetricsOf),
    nodeMetrics: () => {
      const sums = new Map<string, { cpu: bigint; memory: bigint }>()
      for (const pod of store.all('pods')) {
        if (!isRunning(pod)) continue
        const node = specOf(pod).nodeName as string
        const sum = sums.get(node) ?? { cpu: 0n, memory: 0n }
        for (const c of containerUsage(pod)) {
          sum.cpu += nanoValue(parseQuantity(c.usage.cpu))
          sum.memory += nanoValue(parseQuantity(c.usage.memory))
        }
        sums.set(node, sum)
      }
      const result: KubeObject[] = []
      for (const node of store.all('nodes')) {
        const ready =
          (field(node, ['status', 'conditions']) as { type: string; status: string }[] | undefined)?.find(
            (c) => c.type === 'Ready',
          )?.status === 'True'
        if (!ready) continue
        const system = options.nodeSystemUsage?.get(node.metadata.name) ?? {
          cpu: `${100_000_000 + Math.floor(hashFraction(node.metadata.name) * 100_000_000)}n`,
          memory: '900000Ki',
        }
        const sum = sums.get(node.metadata.name) ?? { cpu: 0n, memory: 0n }
        const cpu = (sum.cpu + nanoValue(parseQuantity(system.cpu))) / 1n
        const memKi = (sum.memory + nanoValue(parseQuantity(system.memory))) / 1_000_000_000n / 1024n
        result.push({
          kind: 'NodeMetrics',
          apiVersion: 'metrics.k8s.io/v1beta1',
          metadata: { name: node.metadata.name, creationTimestamp: now(), labels: node.metadata.labels ?? {} },
          timestamp: now(),
          window: '10.5s',
          usage: { cpu: `${cpu}n`, memory: `${memKi}Ki` },
        })
      }
      return result
    },
    statsSummary: (nodeName) => {
      const pods = [...store.all('pods')].filter((p) => specOf(p).nodeName === nodeName && isRunning(p))
      return {
        node: {
          nodeName,
          startTime: now(),
          cpu: { time: now() },
          memory: { time: now() },
          fs: { time: now(), capacityBytes: 107374182400, availableBytes: 80000000000, usedBytes: 27374182400 },
        },
        pods: pods.map((p) => ({
          podRef: { name: p.metadata.name, namespace: p.metadata.namespace, uid: p.metadata.uid },
          startTime: field(p, ['status', 'startTime']),
          containers: (() => {
            // Pods this kubelet runs report their processes' real CPU time and resident memory.
            const real = runtime.get(p.metadata.uid ?? keyOf(p))?.stats() ?? []
            return (specOf(p).containers ?? []).map((c) => {
              const usage = real.find((u) => u.name === c.name)
              return {
                name: c.name,
                startTime: field(p, ['status', 'startTime']),
                ...(usage === undefined
                  ? {}
                  : {
                      cpu: { time: now(), usageCoreNanoSeconds: Number(usage.cpuNanos) },
                      memory: { time: now(), workingSetBytes: usage.memoryBytes, rssBytes: usage.memoryBytes },
                    }),
              }
            })
          })(),
          volume: (specOf(p).volumes ?? []).flatMap((v) => {
            if (v.persistentVolumeClaim === undefined) return []
            const claim = store.get('persistentvolumeclaims', p.metadata.namespace, v.persistentVolumeClaim.claimName)
            const pvName = field(claim, ['spec', 'volumeName']) as string | undefined
            const pv = pvName === undefined ? undefined : store.get('persistentvolumes', undefined, pvName)
            if (pv === undefined || pvName === undefined) return []
            const capacity = Number(value(parseQuantity(field(pv, ['spec', 'capacity', 'storage']) as string)))
            const used = du(volumeHost(pvName))
            const inodes = 1_000_000
            return [
              {
                time: now(),
                availableBytes: Math.max(0, capacity - used.bytes),
                capacityBytes: capacity,
                usedBytes: used.bytes,
                inodesFree: inodes - used.inodes,
                inodes,
                inodesUsed: used.inodes,
                name: v.name,
                pvcRef: { name: v.persistentVolumeClaim.claimName, namespace: p.metadata.namespace },
              },
            ]
          }),
        })),
      }
    },
  }
}
