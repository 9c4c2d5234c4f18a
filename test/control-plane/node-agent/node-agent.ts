import { lstatSync, mkdirSync, readdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { availableParallelism, totalmem } from 'node:os'
import { join } from 'node:path'
import { WebSocketServer } from 'ws'
import { parseQuantity } from '../../../shared/quantity.ts'
import { negotiateExecProtocol, serveExecStreams } from '../../sim/exec/protocol.ts'
import { ApiError, type Client, type KubeObject } from '../client.ts'
import type { ContainerState, PodRunner, ResolvedMount } from './pod-runner.ts'

/**
 * A kubelet stand-in for one Node: registers the Node (as `system:node:<name>`, so Node authorization and
 * NodeRestriction apply to it as to a real kubelet), renews its Lease, runs the pods the real scheduler binds to it
 * through a PodRunner, writes their status, finishes graceful deletion, and serves the kubelet HTTP API the API
 * server and metrics-server call: /exec, /containerLogs, /stats/summary, /metrics/resource.
 *
 * Exec arrives as the client's own WebSocket (v4/v5.channel.k8s.io): the API server runs with
 * TranslateStreamCloseWebsocketRequests=false, so it proxies the upgrade unchanged instead of translating it to
 * SPDY, which we do not speak. Init containers, probes, port-forward and attach are not implemented.
 */
export interface AgentNode {
  name: string
  cpu: string
  memory: string
  pods?: number
  labels?: Record<string, string>
  taints?: { key: string; value?: string; effect: string }[]
}

export interface NodeAgentOptions {
  node: AgentNode
  /** Authenticated as system:node:<name> (O=system:nodes). */
  client: Client
  /** For the few things a kubelet may not do to its own Node, such as node-role labels (NodeRestriction). */
  adminClient: Client
  /** Where the kubelet API listens and what the Node reports as its InternalIP. */
  address: string
  port: number
  serving: { cert: Buffer; key: Buffer }
  clientCa: Buffer
  runner: PodRunner
  dataDir: string
  /** Distinct per node: pods get 10.244.<index>.<n> (not routable: each pod has its own empty network namespace). */
  index: number
  kubeletVersion: string
}

export interface NodeAgent {
  name: string
  stop(): Promise<void>
}

interface PodEntry {
  uid: string
  pod: KubeObject
  startTime: string
  podIP: string
  terminating: boolean
  lastTerminated: Map<string, ContainerState>
  restartTimers: Set<NodeJS.Timeout>
  syncing: Promise<void>
  syncAgain: boolean
  /** Container events already reported, so each run is reported once however often status is synced. */
  reported: Set<string>
  /** The pod's claims and their host folders, for volume stats. */
  claims: { volume: string; claim: string; path: string; sizeBytes: number }[]
}

// Labels a kubelet may set on its own Node under NodeRestriction; anything else in the kubernetes.io namespaces
// (node-role.kubernetes.io/…) is applied afterwards with admin rights, as a cluster operator would.
function kubeletMaySet(label: string): boolean {
  const prefix = label.includes('/') ? label.split('/')[0] : ''
  if (prefix === undefined || !(prefix.endsWith('kubernetes.io') || prefix.endsWith('k8s.io'))) return true
  if (['kubelet.kubernetes.io', 'node.kubernetes.io'].some((p) => prefix === p || prefix.endsWith(`.${p}`))) return true
  return [
    'kubernetes.io/hostname',
    'kubernetes.io/arch',
    'kubernetes.io/os',
    'beta.kubernetes.io/arch',
    'beta.kubernetes.io/os',
    'beta.kubernetes.io/instance-type',
    'node.kubernetes.io/instance-type',
    'failure-domain.beta.kubernetes.io/region',
    'failure-domain.beta.kubernetes.io/zone',
    'topology.kubernetes.io/region',
    'topology.kubernetes.io/zone',
  ].includes(label)
}

function microTime(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

function seconds(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`
}

function hostCpuSeconds(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields
  // USER_HZ is 100 on Linux.
  return (user + nice + system + irq + softirq + steal) / 100
}

/**
 * What the kubelet reports for a volume: bytes used by its files, and capacity and free space. The folder lives on
 * the host's filesystem, so capacity is the volume's size (as a provisioned disk of that size would report) unless
 * the host has less.
 */
function volumeStats(path: string, sizeBytes: number): Record<string, number> {
  let usedBytes = 0
  let inodesUsed = 0
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name)
      inodesUsed++
      try {
        const stat = lstatSync(full)
        usedBytes += stat.blocks * 512
        if (entry.isDirectory()) walk(full)
      } catch {
        // Removed while we walked.
      }
    }
  }
  try {
    walk(path)
    const fs = statfsSync(path)
    const hostCapacity = fs.blocks * fs.bsize
    const capacityBytes = sizeBytes > 0 ? Math.min(sizeBytes, hostCapacity) : hostCapacity
    return {
      usedBytes,
      capacityBytes,
      availableBytes: Math.max(0, Math.min(fs.bavail * fs.bsize, capacityBytes - usedBytes)),
      inodesUsed,
      inodes: fs.files,
      inodesFree: fs.ffree,
    }
  } catch {
    return {}
  }
}

function hostMemoryWorkingSet(): number {
  const meminfo = readFileSync('/proc/meminfo', 'utf8')
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0)
  return (kib('MemTotal') - kib('MemAvailable')) * 1024
}

export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const { node, client, runner } = options
  const name = node.name
  const pods = new Map<string, PodEntry>()
  const controller = new AbortController()
  let podCounter = 0
  let stopped = false

  const server = await serveKubeletApi(options, pods)

  // Register the Node.
  const allLabels = {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    ...node.labels,
  }
  const ownLabels = Object.fromEntries(Object.entries(allLabels).filter(([k]) => kubeletMaySet(k)))
  const operatorLabels = Object.fromEntries(Object.entries(allLabels).filter(([k]) => !kubeletMaySet(k)))
  await client.ensure('/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: ownLabels },
    spec: node.taints === undefined ? {} : { taints: node.taints },
  })
  if (Object.keys(operatorLabels).length > 0) {
    await options.adminClient.mergePatch(`/api/v1/nodes/${name}`, { metadata: { labels: operatorLabels } })
  }
  const capacity = {
    cpu: node.cpu,
    memory: node.memory,
    pods: String(node.pods ?? 110),
    'ephemeral-storage': '100Gi',
    'hugepages-2Mi': '0',
  }
  // The conditions never change while the agent runs, so they keep the agent's start as their transition time.
  const registered = seconds()
  const postNodeStatus = async (): Promise<void> => {
    const now = seconds()
    const condition = (type: string, status: string, reason: string, message: string) => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: registered,
    })
    await client.strategicPatch(`/api/v1/nodes/${name}/status`, {
      status: {
        capacity,
        allocatable: capacity,
        conditions: [
          condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
          condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
          condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
          condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
        ],
        addresses: [
          { type: 'InternalIP', address: options.address },
          { type: 'Hostname', address: name },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: options.port } },
        nodeInfo: {
          machineID: '',
          systemUUID: '',
          bootID: '',
          kernelVersion: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
          osImage: 'kubectl-suite node agent (bubblewrap)',
          containerRuntimeVersion: 'bwrap://0.8',
          kubeletVersion: options.kubeletVersion,
          kubeProxyVersion: '',
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
      },
    })
  }
  await postNodeStatus()

  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`
  const renewLease = async (): Promise<void> => {
    const updated = await client
      .mergePatch(leasePath, { spec: { renewTime: microTime(), holderIdentity: name } })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return undefined
        throw error
      })
    if (updated !== undefined) return
    const owner = await client.get(`/api/v1/nodes/${name}`)
    await client.ensure('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: 'kube-node-lease',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: owner.metadata.uid }],
      },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() },
    })
  }
  await renewLease()
  const timers = [
    setInterval(() => void renewLease().catch(() => {}), 10_000),
    setInterval(() => void postNodeStatus().catch(() => {}), 60_000),
  ]

  const containerStatus = (entry: PodEntry, spec: { name: string; image: string }) => {
    const state = runner.states(entry.uid).get(spec.name)
    const last = entry.lastTerminated.get(spec.name)
    const render = (s: ContainerState | undefined) => {
      if (s === undefined) return { waiting: { reason: 'ContainerCreating' } }
      if (s.state === 'waiting') return { waiting: { reason: s.reason, ...(s.message ? { message: s.message } : {}) } }
      if (s.state === 'running') return { running: { startedAt: seconds(s.startedAt) } }
      return {
        terminated: {
          exitCode: s.exitCode,
          reason: s.reason,
          startedAt: seconds(s.startedAt),
          finishedAt: seconds(s.finishedAt),
          containerID: s.id,
        },
      }
    }
    const running = state?.state === 'running'
    // An exited container waiting for its restart is shown as the kubelet shows it: waiting in CrashLoopBackOff,
    // with the run that ended as lastState.
    const backingOff =
      !entry.terminating && state?.state === 'terminated' && last?.state === 'terminated' && last.id === state.id
    const shown = backingOff
      ? {
          state: {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off restarting failed container ${spec.name} in pod ${entry.pod.metadata.name}_${entry.pod.metadata.namespace}(${entry.uid})`,
            },
          },
          lastState: render(state),
        }
      : { state: render(state), lastState: last === undefined ? {} : render(last) }
    return {
      name: spec.name,
      image: spec.image,
      imageID: '',
      ...(state !== undefined && state.state !== 'waiting' ? { containerID: state.id } : {}),
      ready: running,
      started: running,
      restartCount: state?.restartCount ?? 0,
      ...shown,
    }
  }

  const podPhase = (entry: PodEntry): string => {
    const states = [...runner.states(entry.uid).values()]
    const policy = entry.pod.spec?.restartPolicy ?? 'Always'
    if (states.length === 0 || states.some((s) => s.state === 'waiting')) {
      return states.some((s) => s.state === 'running') ? 'Running' : 'Pending'
    }
    if (states.some((s) => s.state === 'running')) return 'Running'
    const allSucceeded = states.every((s) => s.state === 'terminated' && s.exitCode === 0)
    if (policy === 'Always') return entry.terminating ? (allSucceeded ? 'Succeeded' : 'Failed') : 'Running'
    if (policy === 'OnFailure' && !allSucceeded && !entry.terminating) return 'Running'
    return allSucceeded ? 'Succeeded' : 'Failed'
  }

  const writeStatus = async (entry: PodEntry): Promise<void> => {
    const pod = entry.pod
    const specs = (pod.spec?.containers ?? []) as { name: string; image: string }[]
    const statuses = specs.map((c) => containerStatus(entry, c))
    const allReady = statuses.every((s) => s.ready)
    const now = seconds()
    const condition = (type: string, ok: boolean, reason?: string) => ({
      type,
      status: ok ? 'True' : 'False',
      lastProbeTime: null,
      lastTransitionTime: now,
      ...(ok || reason === undefined ? {} : { reason }),
    })
    const previous = new Map<string, { status: string; lastTransitionTime: string }>(
      ((pod.status?.conditions ?? []) as { type: string; status: string; lastTransitionTime: string }[]).map((c) => [
        c.type,
        c,
      ]),
    )
    const phase = podPhase(entry)
    // A finished pod is not ready because it completed, which the kubelet says with its own reason.
    const notReady = phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : 'ContainersNotReady'
    const conditions = [
      condition('PodReadyToStartContainers', phase !== 'Succeeded' && phase !== 'Failed'),
      condition('Initialized', true),
      condition('Ready', allReady, notReady),
      condition('ContainersReady', allReady, notReady),
      condition('PodScheduled', true),
    ].map((c) => {
      const before = previous.get(c.type)
      // Keep the transition time when the status did not change, as the kubelet does.
      return before?.status === c.status ? { ...c, lastTransitionTime: before.lastTransitionTime } : c
    })
    await client.mergePatch(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`, {
      metadata: { uid: entry.uid },
      status: {
        phase,
        conditions,
        hostIP: options.address,
        hostIPs: [{ ip: options.address }],
        podIP: entry.podIP,
        podIPs: [{ ip: entry.podIP }],
        startTime: entry.startTime,
        containerStatuses: statuses,
      },
    })
  }

  const scheduleRestarts = (entry: PodEntry): void => {
    const policy = entry.pod.spec?.restartPolicy ?? 'Always'
    if (entry.terminating || policy === 'Never') return
    for (const [container, state] of runner.states(entry.uid)) {
      if (state.state !== 'terminated' || (policy === 'OnFailure' && state.exitCode === 0)) continue
      // Each run has its own id: schedule one restart per run, however many status syncs happen meanwhile.
      const last = entry.lastTerminated.get(container)
      if (last?.state === 'terminated' && last.id === state.id) continue
      entry.lastTerminated.set(container, state)
      // Back off like the kubelet does (10 s doubling), shortened so tests do not wait long.
      const delay = Math.min(1000 * 2 ** state.restartCount, 20_000)
      const timer = setTimeout(() => {
        entry.restartTimers.delete(timer)
        void runner.restart(entry.uid, container)
      }, delay)
      entry.restartTimers.add(timer)
    }
  }

  // Status writes for one pod never overlap; a change during a write causes one more write afterwards.
  const sync = (entry: PodEntry): void => {
    if (stopped) return
    entry.syncAgain = true
    entry.syncing = entry.syncing.then(async () => {
      if (!entry.syncAgain || stopped) return
      entry.syncAgain = false
      scheduleRestarts(entry)
      reportContainerEvents(entry)
      await writeStatus(entry).catch(() => {})
    })
  }

  // The events the kubelet records for a container's life, which kubectl describe pod lists.
  const reportContainerEvents = (entry: PodEntry): void => {
    const once = (key: string, type: string, reason: string, message: string, container: string): void => {
      if (entry.reported.has(key)) return
      entry.reported.add(key)
      void emitEvent(entry.pod, type, reason, message, `spec.containers{${container}}`)
    }
    for (const [container, state] of runner.states(entry.uid)) {
      if (state.state === 'running') {
        once(`created/${state.id}`, 'Normal', 'Created', `Created container: ${container}`, container)
        once(`started/${state.id}`, 'Normal', 'Started', `Started container ${container}`, container)
      } else if (state.state === 'waiting' && state.reason !== 'ContainerCreating') {
        once(`failed/${state.restartCount}`, 'Warning', 'Failed', `Error: ${state.message ?? state.reason}`, container)
      } else if (state.state === 'terminated' && entry.lastTerminated.get(container) !== undefined) {
        const last = entry.lastTerminated.get(container)
        if (last?.state === 'terminated' && last.id === state.id && !entry.terminating) {
          const pod = entry.pod.metadata
          once(
            `backoff/${state.id}`,
            'Warning',
            'BackOff',
            `Back-off restarting failed container ${container} in pod ${pod.name}_${pod.namespace}(${entry.uid})`,
            container,
          )
        }
      }
    }
  }

  const resolveVolumes = async (entry: PodEntry, pod: KubeObject, podDir: string): Promise<Map<string, string>> => {
    const namespace = pod.metadata.namespace as string
    const volumes = new Map<string, string>()
    for (const volume of (pod.spec?.volumes ?? []) as Record<string, unknown>[]) {
      const volumeName = (volume as { name: string }).name
      const dir = join(podDir, 'volumes', volumeName)
      const v = volume as {
        persistentVolumeClaim?: { claimName: string }
        emptyDir?: object
        hostPath?: { path: string }
        configMap?: { name: string }
        secret?: { secretName: string }
        projected?: { sources: Record<string, never>[] }
      }
      if (v.persistentVolumeClaim !== undefined) {
        const claim = await client.get(
          `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${v.persistentVolumeClaim.claimName}`,
        )
        if (claim.status?.phase !== 'Bound') throw new Error(`persistentvolumeclaim "${claim.metadata.name}" not bound`)
        const pv = await client.get(`/api/v1/persistentvolumes/${claim.spec.volumeName}`)
        const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path
        if (typeof path !== 'string') throw new Error(`volume ${pv.metadata.name} has no host folder`)
        mkdirSync(path, { recursive: true })
        volumes.set(volumeName, path)
        const sizeBytes = Number(parseQuantity(pv.spec?.capacity?.storage ?? '0').nanos / 1_000_000_000n)
        entry.claims.push({ volume: volumeName, claim: claim.metadata.name, path, sizeBytes })
      } else if (v.hostPath !== undefined) {
        volumes.set(volumeName, v.hostPath.path)
      } else if (v.emptyDir !== undefined) {
        mkdirSync(dir, { recursive: true })
        volumes.set(volumeName, dir)
      } else if (v.configMap !== undefined || v.secret !== undefined || v.projected !== undefined) {
        mkdirSync(dir, { recursive: true })
        const sources = v.projected?.sources ?? [v]
        for (const source of sources as {
          configMap?: { name: string }
          secret?: { secretName?: string; name?: string }
          serviceAccountToken?: { path: string; expirationSeconds?: number; audience?: string }
          downwardAPI?: object
        }[]) {
          if (source.configMap !== undefined) {
            const cm = await client.get(`/api/v1/namespaces/${namespace}/configmaps/${source.configMap.name}`)
            for (const [k, value] of Object.entries((cm.data ?? {}) as Record<string, string>))
              writeFileSync(join(dir, k), value)
          } else if (source.secret !== undefined) {
            const secretName = source.secret.secretName ?? source.secret.name
            const secret = await client.get(`/api/v1/namespaces/${namespace}/secrets/${secretName}`)
            for (const [k, value] of Object.entries((secret.data ?? {}) as Record<string, string>))
              writeFileSync(join(dir, k), Buffer.from(value, 'base64'))
          } else if (source.serviceAccountToken !== undefined) {
            // The API server issues the token bound to this pod; Node authorization allows it for our pods only.
            const sa = pod.spec?.serviceAccountName ?? 'default'
            const token = await client.create<{ status: { token: string } }>(
              `/api/v1/namespaces/${namespace}/serviceaccounts/${sa}/token`,
              {
                apiVersion: 'authentication.k8s.io/v1',
                kind: 'TokenRequest',
                spec: {
                  ...(source.serviceAccountToken.audience ? { audiences: [source.serviceAccountToken.audience] } : {}),
                  expirationSeconds: source.serviceAccountToken.expirationSeconds ?? 3607,
                  boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
                },
              },
            )
            writeFileSync(join(dir, source.serviceAccountToken.path), token.status.token)
          } else if (source.downwardAPI !== undefined) {
            writeFileSync(join(dir, 'namespace'), namespace)
          }
        }
        // Mounted like the others (the files were written but the folder never reached the container).
        volumes.set(volumeName, dir)
      } else {
        throw new Error(
          `volume "${volumeName}": this node agent supports persistentVolumeClaim, emptyDir, hostPath, configMap, secret and projected volumes`,
        )
      }
    }
    return volumes
  }

  const startPod = (pod: KubeObject): void => {
    const uid = pod.metadata.uid as string
    const entry: PodEntry = {
      uid,
      pod,
      startTime: seconds(),
      podIP: `10.244.${options.index}.${(++podCounter % 250) + 2}`,
      terminating: false,
      lastTerminated: new Map(),
      restartTimers: new Set(),
      syncing: Promise.resolve(),
      syncAgain: false,
      reported: new Set(),
      claims: [],
    }
    pods.set(uid, entry)
    void launchPod(entry).catch((error: unknown) => emitEvent(pod, 'Warning', 'Failed', (error as Error).message))
  }

  const launchPod = async (entry: PodEntry): Promise<void> => {
    const { pod, uid } = entry
    const podDir = join(options.dataDir, 'pods', uid)
    let volumes: Map<string, string>
    try {
      entry.claims = []
      volumes = await resolveVolumes(entry, pod, podDir)
    } catch (error) {
      await emitEvent(pod, 'Warning', 'FailedMount', (error as Error).message)
      // Try again later, as the kubelet's volume manager would.
      const timer = setTimeout(() => {
        entry.restartTimers.delete(timer)
        if (!stopped && !entry.terminating) void launchPod(entry)
      }, 2000)
      entry.restartTimers.add(timer)
      return
    }
    const containers = ((pod.spec?.containers ?? []) as Record<string, unknown>[]).map((raw) => {
      const c = raw as unknown as {
        name: string
        image: string
        command?: string[]
        args?: string[]
        workingDir?: string
        env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]
        volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[]
      }
      const env: Record<string, string> = { HOSTNAME: pod.metadata.name }
      for (const e of c.env ?? []) {
        if (e.value !== undefined) env[e.name] = e.value
        const fieldPath = e.valueFrom?.fieldRef?.fieldPath
        if (fieldPath === 'metadata.name') env[e.name] = pod.metadata.name
        else if (fieldPath === 'metadata.namespace') env[e.name] = pod.metadata.namespace as string
        else if (fieldPath === 'status.podIP') env[e.name] = entry.podIP
        else if (fieldPath === 'spec.nodeName') env[e.name] = name
        else if (fieldPath !== undefined) {
          // metadata.annotations['key'] and metadata.labels['key'], as an Indexed Job's completion index is read.
          const keyed = /^metadata\.(annotations|labels)\['(.+)'\]$/.exec(fieldPath)
          const map = keyed === null ? undefined : pod.metadata[keyed[1] as 'annotations' | 'labels']
          if (keyed !== null) env[e.name] = map?.[keyed[2] as string] ?? ''
        }
      }
      const mounts: ResolvedMount[] = (c.volumeMounts ?? []).flatMap((m) => {
        const hostPath = volumes.get(m.name)
        if (hostPath === undefined) return []
        const source = m.subPath ? join(hostPath, m.subPath) : hostPath
        if (m.subPath) mkdirSync(source, { recursive: true })
        return [{ hostPath: source, mountPath: m.mountPath, readOnly: m.readOnly === true }]
      })
      // With no image to read, an empty command means "args are the command" (true of busybox-like images,
      // whose image has no ENTRYPOINT); an empty command and args cannot be run and is reported as such.
      const argv = c.command !== undefined && c.command.length > 0 ? [...c.command, ...(c.args ?? [])] : (c.args ?? [])
      return {
        name: c.name,
        image: c.image,
        argv,
        env,
        ...(c.workingDir === undefined ? {} : { workingDir: c.workingDir }),
        mounts,
      }
    })
    // The pod may have been deleted while its volumes were being resolved: then there is nothing to start.
    if (stopped || entry.terminating || pods.get(uid) !== entry) return
    await runner.start({ uid, namespace: pod.metadata.namespace as string, name: pod.metadata.name, containers }, () =>
      sync(entry),
    )
    sync(entry)
  }

  const terminatePod = async (entry: PodEntry, pod: KubeObject): Promise<void> => {
    entry.terminating = true
    for (const timer of entry.restartTimers) clearTimeout(timer)
    const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30
    for (const [container, state] of runner.states(entry.uid)) {
      if (state.state === 'running') {
        void emitEvent(pod, 'Normal', 'Killing', `Stopping container ${container}`, `spec.containers{${container}}`)
      }
    }
    await runner.stop(entry.uid, grace)
    sync(entry)
    await entry.syncing
    await client
      .delete(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: entry.uid },
      })
      .catch(() => {})
  }

  const emitEvent = async (
    pod: KubeObject,
    type: string,
    reason: string,
    message: string,
    fieldPath?: string,
  ): Promise<void> => {
    const now = seconds()
    await client
      .create(`/api/v1/namespaces/${pod.metadata.namespace}/events`, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${pod.metadata.name}.`, namespace: pod.metadata.namespace },
        involvedObject: {
          apiVersion: 'v1',
          kind: 'Pod',
          name: pod.metadata.name,
          namespace: pod.metadata.namespace,
          uid: pod.metadata.uid,
          ...(fieldPath === undefined ? {} : { fieldPath }),
        },
        type,
        reason,
        message,
        source: { component: 'kubelet', host: name },
        reportingComponent: 'kubelet',
        reportingInstance: name,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      })
      .catch(() => {})
  }

  client.watch(
    `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${name}`)}`,
    (event) => {
      const pod = event.object
      if (event.type === 'DELETED') {
        const entry = [...pods.values()].find(
          (e) => e.pod.metadata.name === pod.metadata.name && e.pod.metadata.namespace === pod.metadata.namespace,
        )
        if (entry !== undefined && (pod.metadata.uid === undefined || pod.metadata.uid === entry.uid)) {
          pods.delete(entry.uid)
          void runner.remove(entry.uid)
        }
        return
      }
      const uid = pod.metadata.uid as string
      const entry = pods.get(uid)
      if (entry !== undefined) {
        entry.pod = pod
        if (pod.metadata.deletionTimestamp !== undefined && !entry.terminating) void terminatePod(entry, pod)
        return
      }
      const phase = pod.status?.phase
      if (pod.metadata.deletionTimestamp !== undefined) {
        // Never started here (or started by an earlier agent run): nothing to stop.
        void client
          .delete(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, {
            gracePeriodSeconds: 0,
            preconditions: { uid },
          })
          .catch(() => {})
        return
      }
      if (phase === 'Succeeded' || phase === 'Failed') return
      startPod(pod)
    },
    controller.signal,
  )

  return {
    name,
    async stop(): Promise<void> {
      stopped = true
      controller.abort()
      for (const timer of timers) clearInterval(timer)
      for (const entry of pods.values()) for (const timer of entry.restartTimers) clearTimeout(timer)
      await Promise.all([...pods.keys()].map((uid) => runner.remove(uid)))
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

function serveKubeletApi(options: NodeAgentOptions, pods: Map<string, PodEntry>): Promise<Server> {
  const { runner } = options
  const findPod = (namespace: string, name: string): PodEntry | undefined =>
    [...pods.values()].find((e) => e.pod.metadata.namespace === namespace && e.pod.metadata.name === name)
  // Every node is played on the same host. Each reports the host's real usage scaled by its share of the host
  // (its capacity over the host's), so node usage moves with real activity yet stays within the node's capacity.
  const cpuShare = Math.min(1, Number(parseQuantity(options.node.cpu).nanos) / 1e9 / availableParallelism())
  const memoryShare = Math.min(1, Number(parseQuantity(options.node.memory).nanos / 1_000_000_000n) / totalmem())
  const nodeCpuSeconds = (): number => hostCpuSeconds() * cpuShare
  const nodeMemoryBytes = (): number => Math.round(hostMemoryWorkingSet() * memoryShare)
  const previousCpu = new Map<string, { seconds: number; at: number }>()
  const nanoCores = (key: string, cpuSeconds: number): number => {
    const now = Date.now()
    const before = previousCpu.get(key)
    previousCpu.set(key, { seconds: cpuSeconds, at: now })
    if (before === undefined || now === before.at) return 0
    return Math.max(0, Math.round(((cpuSeconds - before.seconds) / ((now - before.at) / 1000)) * 1e9))
  }

  const containerSamples = () =>
    [...pods.values()].flatMap((entry) =>
      ((entry.pod.spec?.containers ?? []) as { name: string }[]).flatMap((c) => {
        const stats = runner.stats(entry.uid, c.name)
        return stats === undefined ? [] : [{ entry, container: c.name, stats }]
      }),
    )

  const server = createServer(
    {
      cert: options.serving.cert,
      key: options.serving.key,
      ca: options.clientCa,
      // Only holders of a certificate from the cluster CA (the API server, metrics-server) may call us; a real
      // kubelet would also ask the API server to authorize each call (webhook authorization), which we skip.
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://kubelet')
      const parts = url.pathname
        .split('/')
        .filter((p) => p !== '')
        .map(decodeURIComponent)
      const fail = (status: number, message: string): void => {
        res.writeHead(status, { 'content-type': 'text/plain' })
        res.end(message)
      }
      if (parts[0] === 'healthz') {
        res.end('ok')
      } else if (parts[0] === 'containerLogs' && parts.length === 4) {
        const [, namespace, podName, container] = parts as [string, string, string, string]
        const entry = findPod(namespace, podName)
        if (entry === undefined) return fail(404, `pod "${podName}" not found`)
        const q = url.searchParams
        // Checked before answering 200, as the kubelet does: a container that has not run yet has no log.
        const state = runner.states(entry.uid).get(container)
        if (state === undefined || (state.state === 'waiting' && state.restartCount === 0)) {
          const reason = state?.state === 'waiting' ? state.reason : 'ContainerCreating'
          return fail(400, `container "${container}" in pod "${podName}" is waiting to start: ${reason}`)
        }
        if (q.get('previous') === 'true' && state.restartCount === 0) {
          return fail(400, `previous terminated container "${container}" in pod "${podName}" not found`)
        }
        const number = (key: string): number | undefined => (q.has(key) ? Number(q.get(key)) : undefined)
        const sinceSeconds = number('sinceSeconds')
        const sinceTime = q.get('sinceTime')
        const since =
          sinceTime !== null
            ? new Date(sinceTime)
            : sinceSeconds !== undefined
              ? new Date(Date.now() - sinceSeconds * 1000)
              : undefined
        const abort = new AbortController()
        res.on('close', () => abort.abort())
        res.writeHead(200, { 'content-type': 'text/plain' })
        const tailLines = number('tailLines')
        const limitBytes = number('limitBytes')
        runner
          .logs(entry.uid, container, {
            follow: q.get('follow') === 'true',
            timestamps: q.get('timestamps') === 'true',
            previous: q.get('previous') === 'true',
            ...(tailLines === undefined ? {} : { tailLines }),
            ...(limitBytes === undefined ? {} : { limitBytes }),
            ...(since === undefined ? {} : { since }),
            out: res,
            signal: abort.signal,
          })
          .then(
            () => res.end(),
            (error: unknown) => res.end(`${(error as Error).message}\n`),
          )
      } else if (parts[0] === 'metrics' && parts[1] === 'resource') {
        const now = Date.now()
        const lines = [
          '# HELP node_cpu_usage_seconds_total Cumulative cpu time consumed by the node in core-seconds',
          '# TYPE node_cpu_usage_seconds_total counter',
          `node_cpu_usage_seconds_total ${nodeCpuSeconds()} ${now}`,
          '# HELP node_memory_working_set_bytes Current working set of the node in bytes',
          '# TYPE node_memory_working_set_bytes gauge',
          `node_memory_working_set_bytes ${nodeMemoryBytes()} ${now}`,
        ]
        const samples = containerSamples()
        const label = (s: (typeof samples)[number]) =>
          `container="${s.container}",namespace="${s.entry.pod.metadata.namespace}",pod="${s.entry.pod.metadata.name}"`
        lines.push(
          '# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed by the container in core-seconds',
          '# TYPE container_cpu_usage_seconds_total counter',
          ...samples.map((s) => `container_cpu_usage_seconds_total{${label(s)}} ${s.stats.cpuSeconds} ${now}`),
          '# HELP container_memory_working_set_bytes Current working set of the container in bytes',
          '# TYPE container_memory_working_set_bytes gauge',
          ...samples.map((s) => `container_memory_working_set_bytes{${label(s)}} ${s.stats.memoryBytes} ${now}`),
          '# HELP container_start_time_seconds Start time of the container since unix epoch in seconds',
          '# TYPE container_start_time_seconds gauge',
          ...samples.map(
            (s) => `container_start_time_seconds{${label(s)}} ${s.stats.startedAt.getTime() / 1000} ${now}`,
          ),
          '# HELP resource_scrape_error 1 if there was an error while getting container metrics, 0 otherwise',
          '# TYPE resource_scrape_error gauge',
          'resource_scrape_error 0',
          '',
        )
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        res.end(lines.join('\n'))
      } else if (parts[0] === 'stats' && parts[1] === 'summary') {
        const time = new Date().toISOString()
        const nodeCpu = nodeCpuSeconds()
        const byPod = new Map<string, ReturnType<typeof containerSamples>>()
        for (const s of containerSamples()) byPod.set(s.entry.uid, [...(byPod.get(s.entry.uid) ?? []), s])
        const summary = {
          node: {
            nodeName: options.node.name,
            startTime: time,
            cpu: {
              time,
              usageCoreNanoSeconds: Math.round(nodeCpu * 1e9),
              usageNanoCores: nanoCores('node', nodeCpu),
            },
            memory: { time, workingSetBytes: nodeMemoryBytes() },
          },
          pods: [...pods.values()].map((entry) => {
            const containers = (byPod.get(entry.uid) ?? []).map((s) => ({
              name: s.container,
              startTime: s.stats.startedAt.toISOString(),
              cpu: {
                time,
                usageCoreNanoSeconds: Math.round(s.stats.cpuSeconds * 1e9),
                usageNanoCores: nanoCores(`${entry.uid}/${s.container}`, s.stats.cpuSeconds),
              },
              memory: { time, workingSetBytes: s.stats.memoryBytes, rssBytes: s.stats.memoryBytes },
            }))
            return {
              podRef: { name: entry.pod.metadata.name, namespace: entry.pod.metadata.namespace, uid: entry.uid },
              startTime: entry.startTime,
              containers,
              volume: entry.claims.map((c) => ({
                name: c.volume,
                time,
                ...volumeStats(c.path, c.sizeBytes),
                pvcRef: { name: c.claim, namespace: entry.pod.metadata.namespace },
              })),
              cpu: {
                time,
                usageCoreNanoSeconds: containers.reduce((a, c) => a + c.cpu.usageCoreNanoSeconds, 0),
                usageNanoCores: containers.reduce((a, c) => a + c.cpu.usageNanoCores, 0),
              },
              memory: { time, workingSetBytes: containers.reduce((a, c) => a + c.memory.workingSetBytes, 0) },
            }
          }),
        }
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(summary))
      } else {
        fail(404, '404 page not found')
      }
    },
  )

  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => negotiateExecProtocol([...offered]) ?? false,
  })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://kubelet')
    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent)
    // /exec/{namespace}/{pod}/{container}, or with the pod UID before the container.
    const [kind, namespace, podName] = parts
    const container = parts.at(-1)
    const entry = namespace === undefined || podName === undefined ? undefined : findPod(namespace, podName)
    const refuse = (status: number, message: string): void => {
      socket.end(
        `HTTP/1.1 ${status} Error\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
      )
    }
    if (kind !== 'exec' || parts.length < 4) return refuse(404, 'only exec is served over WebSocket here')
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
      return refuse(
        400,
        'SPDY is not supported by this node agent; run the API server with TranslateStreamCloseWebsocketRequests=false',
      )
    }
    if (entry === undefined || container === undefined) return refuse(404, `pod "${podName}" not found`)
    const argv = url.searchParams.getAll('command')
    const tty = url.searchParams.get('tty') === 'true' || url.searchParams.get('tty') === '1'
    wss.handleUpgrade(req, socket, head, (ws) => {
      void serveExecStreams(ws, ws.protocol, argv, (io) =>
        runner.exec(entry.uid, container, {
          argv,
          stdin: io.stdin,
          stdout: io.stdout,
          stderr: io.stderr,
          tty,
          signal: io.signal,
        }),
      )
    })
  })

  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.address, () => resolve(server))
  })
}
