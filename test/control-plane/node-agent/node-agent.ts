import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { ContainerStatus, PodRuntimeStatus, Runtime } from '../../kubelet/runtime.ts'
import { ApiError, type Client, type KubeObject } from '../client.ts'
import { type AgentPod, serveKubeletApi } from './kubelet-api.ts'
import { resolvePod, StartProblem } from './pod-spec.ts'

/**
 * A kubelet stand-in for one Node: registers the Node (as `system:node:<name>`, so Node authorization and
 * NodeRestriction apply to it as to a real kubelet), renews its Lease, runs the pods the real scheduler binds to it
 * with the shared container runtime (test/kubelet: images, root file systems, volumes, restarts with back-off, logs,
 * exec, stats — the same one the simulator's kubelet uses), writes their status and events, finishes graceful
 * deletion, and serves the kubelet HTTP API (kubelet-api.ts) the API server and metrics-server call.
 *
 * Exec arrives as the client's own WebSocket (v4/v5.channel.k8s.io): the API server runs with
 * TranslateStreamCloseWebsocketRequests=false, so it proxies the upgrade unchanged instead of translating it to
 * SPDY, which we do not speak. Probes, port-forward, attach and sidecar containers are not implemented.
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
  /** The container runtime; one may serve every node (pods are keyed by uid). */
  runtime: Runtime
  dataDir: string
  /** Distinct per node: pods get 10.244.<index>.<n> (not routable: each pod has its own empty network namespace). */
  index: number
  kubeletVersion: string
}

export interface NodeAgent {
  name: string
  stop(): Promise<void>
}

interface PodEntry extends AgentPod {
  podIP: string
  terminating: boolean
  retry?: NodeJS.Timeout
  syncing: Promise<void>
  syncAgain: boolean
  /** Events already recorded, so each is recorded once however often status is synced. */
  reported: Set<string>
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

export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const { node, client, runtime } = options
  const name = node.name
  const pods = new Map<string, PodEntry>()
  const controller = new AbortController()
  let podCounter = 0
  let stopped = false

  const server = await serveKubeletApi(
    {
      nodeName: name,
      cpu: node.cpu,
      memory: node.memory,
      address: options.address,
      port: options.port,
      serving: options.serving,
      clientCa: options.clientCa,
    },
    pods,
  )

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

  /** The events the kubelet records for a container's life, which kubectl describe pod lists. */
  const recordEvents = (entry: PodEntry): void => {
    const once = (key: string, type: string, reason: string, message: string, fieldPath: string): void => {
      if (entry.reported.has(key)) return
      entry.reported.add(key)
      void emitEvent(entry.pod, type, reason, message, fieldPath)
    }
    const { pod, uid } = entry
    const all = [
      ...entry.status.initContainerStatuses.map((s) => ({ s, path: `spec.initContainers{${s.name}}` })),
      ...entry.status.containerStatuses.map((s) => ({ s, path: `spec.containers{${s.name}}` })),
    ]
    for (const { s, path } of all) {
      const run = `${s.name}/${s.restartCount}`
      if ('running' in s.state) {
        once(`created/${run}`, 'Normal', 'Created', `Created container: ${s.name}`, path)
        once(`started/${run}`, 'Normal', 'Started', `Started container ${s.name}`, path)
      } else if ('terminated' in s.state && s.state.terminated.reason === 'StartError') {
        once(`failed/${run}`, 'Warning', 'Failed', `Error: ${s.state.terminated.message ?? 'StartError'}`, path)
      } else if ('waiting' in s.state) {
        const { reason, message } = s.state.waiting
        if (reason === 'CrashLoopBackOff')
          once(
            `backoff/${run}`,
            'Warning',
            'BackOff',
            `Back-off restarting failed container ${s.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${uid})`,
            path,
          )
        else if (reason === 'ErrImagePull') {
          once(`pull/${s.name}`, 'Warning', 'Failed', `Failed to pull image "${s.image}": ${message ?? ''}`, path)
          once(`err-pull/${s.name}`, 'Warning', 'Failed', 'Error: ErrImagePull', path)
        } else if (reason === 'ImagePullBackOff') {
          once(`pull-backoff/${s.name}`, 'Normal', 'BackOff', `Back-off pulling image "${s.image}"`, path)
          once(`err-pull-backoff/${s.name}`, 'Warning', 'Failed', 'Error: ImagePullBackOff', path)
        } else if (reason === 'CreateContainerConfigError')
          once(`config/${s.name}/${message}`, 'Warning', 'Failed', `Error: ${message ?? reason}`, path)
      }
    }
  }

  const writeStatus = async (entry: PodEntry): Promise<void> => {
    const { pod, status } = entry
    const now = seconds()
    const done = status.phase === 'Succeeded' || status.phase === 'Failed'
    const unready = status.containerStatuses.filter((c) => !c.ready).map((c) => c.name)
    const ready = status.phase === 'Running' && unready.length === 0
    const initialized =
      done || status.initContainerStatuses.every((c) => 'terminated' in c.state && c.state.terminated.exitCode === 0)
    const previous = new Map<string, { status: string; lastTransitionTime: string }>(
      ((pod.status?.conditions ?? []) as { type: string; status: string; lastTransitionTime: string }[]).map((c) => [
        c.type,
        c,
      ]),
    )
    // A finished pod is not ready because it completed, which the kubelet says with its own reason.
    const notReady = done ? 'PodCompleted' : 'ContainersNotReady'
    const notReadyMessage = done ? undefined : `containers with unready status: [${unready.join(' ')}]`
    const condition = (type: string, ok: boolean, reason?: string, message?: string) => {
      const value = ok ? 'True' : 'False'
      const before = previous.get(type)
      return {
        type,
        status: value,
        lastProbeTime: null,
        // Kept when the status did not change, as the kubelet does.
        lastTransitionTime: before?.status === value ? before.lastTransitionTime : now,
        ...(ok || reason === undefined ? {} : { reason }),
        ...(ok || message === undefined ? {} : { message }),
      }
    }
    await client.mergePatch(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`, {
      metadata: { uid: entry.uid },
      status: {
        phase: status.phase,
        conditions: [
          condition('PodReadyToStartContainers', entry.sandbox !== undefined && !done),
          condition('Initialized', initialized, 'ContainersNotInitialized'),
          condition('Ready', ready, notReady, notReadyMessage),
          condition('ContainersReady', ready, notReady, notReadyMessage),
          condition('PodScheduled', true),
        ],
        hostIP: options.address,
        hostIPs: [{ ip: options.address }],
        podIP: entry.podIP,
        podIPs: [{ ip: entry.podIP }],
        startTime: entry.startTime,
        containerStatuses: status.containerStatuses,
        ...(status.initContainerStatuses.length === 0 ? {} : { initContainerStatuses: status.initContainerStatuses }),
      },
    })
  }

  // Status writes for one pod never overlap; a change during a write causes one more write afterwards.
  const sync = (entry: PodEntry): void => {
    if (stopped) return
    entry.syncAgain = true
    entry.syncing = entry.syncing.then(async () => {
      if (!entry.syncAgain || stopped) return
      entry.syncAgain = false
      recordEvents(entry)
      await writeStatus(entry).catch(() => {})
    })
  }

  /** Every container waiting for the same reason, as the kubelet shows a pod it cannot start yet. */
  const waitingStatus = (
    pod: KubeObject,
    reason: (container: string) => string,
    message?: string,
  ): PodRuntimeStatus => {
    const waiting = (c: { name: string; image?: string }, init: boolean): ContainerStatus => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      state: {
        waiting: {
          reason: init ? 'PodInitializing' : reason(c.name),
          ...(message === undefined || reason(c.name) === 'ContainerCreating' ? {} : { message }),
        },
      },
      lastState: {},
      ready: false,
      started: false,
      restartCount: 0,
    })
    return {
      phase: 'Pending',
      initContainerStatuses: ((pod.spec?.initContainers ?? []) as { name: string; image?: string }[]).map((c) =>
        waiting(c, true),
      ),
      containerStatuses: ((pod.spec?.containers ?? []) as { name: string; image?: string }[]).map((c) =>
        waiting(c, false),
      ),
    }
  }

  const startPod = (pod: KubeObject): void => {
    const uid = pod.metadata.uid as string
    const entry: PodEntry = {
      uid,
      pod,
      startTime: seconds(),
      podIP: `10.244.${options.index}.${(++podCounter % 250) + 2}`,
      terminating: false,
      status: waitingStatus(pod, () => 'ContainerCreating'),
      claims: [],
      syncing: Promise.resolve(),
      syncAgain: false,
      reported: new Set(),
    }
    pods.set(uid, entry)
    sync(entry)
    void launchPod(entry)
  }

  const podDir = (uid: string): string => join(options.dataDir, 'pods', uid)

  /** Volumes and env first (retried while something they need is missing), then the runtime runs the pod. */
  const launchPod = async (entry: PodEntry): Promise<void> => {
    const { pod, uid } = entry
    let resolved: Awaited<ReturnType<typeof resolvePod>>
    try {
      resolved = await resolvePod(pod, {
        client,
        nodeName: name,
        podIP: entry.podIP,
        hostIP: options.address,
        podDir: podDir(uid),
      })
    } catch (error) {
      if (stopped || entry.terminating || pods.get(uid) !== entry) return
      const message = (error as Error).message
      if (error instanceof StartProblem && error.kind === 'config') {
        entry.status = waitingStatus(
          pod,
          (c) => (c === error.container ? 'CreateContainerConfigError' : 'ContainerCreating'),
          message,
        )
        sync(entry)
      } else if (!entry.reported.has(`mount/${message}`)) {
        entry.reported.add(`mount/${message}`)
        void emitEvent(pod, 'Warning', 'FailedMount', message)
      }
      // Try again later, as the kubelet's pod workers do.
      entry.retry = setTimeout(() => void launchPod(entry), 2000)
      return
    }
    // The pod may have been deleted while its volumes were being resolved: then there is nothing to start.
    if (stopped || entry.terminating || pods.get(uid) !== entry) return
    entry.claims = resolved.claims
    entry.sandbox = runtime.runPod(resolved.spec, (status) => {
      entry.status = status
      sync(entry)
    })
    entry.status = entry.sandbox.status()
    sync(entry)
  }

  /**
   * Graceful deletion: the runtime kills the pod's processes, the final status says how its containers ended, and
   * the pod object is deleted for good (grace period 0), as the kubelet finishes a deletion it was asked for.
   */
  const terminatePod = async (entry: PodEntry): Promise<void> => {
    entry.terminating = true
    clearTimeout(entry.retry)
    const { pod } = entry
    for (const s of entry.status.containerStatuses)
      if ('running' in s.state)
        void emitEvent(pod, 'Normal', 'Killing', `Stopping container ${s.name}`, `spec.containers{${s.name}}`)
    if (entry.sandbox !== undefined) {
      await entry.sandbox.stop()
      const finishedAt = seconds()
      const ended = (s: ContainerStatus): ContainerStatus =>
        'running' in s.state
          ? {
              ...s,
              ready: false,
              started: false,
              // Killed with SIGKILL by the runtime.
              state: {
                terminated: {
                  exitCode: 137,
                  reason: 'Error',
                  startedAt: s.state.running.startedAt,
                  finishedAt,
                  ...(s.containerID === undefined ? {} : { containerID: s.containerID }),
                },
              },
            }
          : { ...s, ready: false }
      const status = entry.sandbox.status()
      const containerStatuses = status.containerStatuses.map(ended)
      const succeeded = containerStatuses.every((s) => 'terminated' in s.state && s.state.terminated.exitCode === 0)
      entry.status = {
        phase:
          status.phase === 'Succeeded' || status.phase === 'Failed' ? status.phase : succeeded ? 'Succeeded' : 'Failed',
        initContainerStatuses: status.initContainerStatuses.map(ended),
        containerStatuses,
      }
      sync(entry)
      await entry.syncing
    }
    await client
      .delete(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: entry.uid },
      })
      .catch(() => {})
  }

  const forget = async (entry: PodEntry): Promise<void> => {
    pods.delete(entry.uid)
    clearTimeout(entry.retry)
    await runtime.removePod(entry.uid)
    rmSync(podDir(entry.uid), { recursive: true, force: true })
  }

  client.watch(
    `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${name}`)}`,
    (event) => {
      const pod = event.object
      if (event.type === 'DELETED') {
        const entry = [...pods.values()].find(
          (e) => e.pod.metadata.name === pod.metadata.name && e.pod.metadata.namespace === pod.metadata.namespace,
        )
        if (entry !== undefined && (pod.metadata.uid === undefined || pod.metadata.uid === entry.uid))
          void forget(entry)
        return
      }
      const uid = pod.metadata.uid as string
      const entry = pods.get(uid)
      if (entry !== undefined) {
        entry.pod = pod
        if (pod.metadata.deletionTimestamp !== undefined && !entry.terminating) void terminatePod(entry)
        return
      }
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
      const phase = pod.status?.phase
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
      await Promise.all([...pods.values()].map((entry) => forget(entry)))
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
