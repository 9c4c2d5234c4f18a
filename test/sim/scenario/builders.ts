import { createHash } from 'node:crypto'
import type { KubeObject } from '../object.ts'
import { timestamp } from '../object.ts'

/**
 * Fluent-ish builders with valid defaults (krew's testutil habit): every object they make is what the apiserver
 * would store after defaulting, so the simulator can load them without admission.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 4294967296
  }
}

export function uidFor(kind: string, namespace: string, name: string): string {
  const h = createHash('sha1').update(`${kind}/${namespace}/${name}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

export interface NodeSpec {
  name: string
  cpu: string
  memory: string
  pods?: number
  gpus?: number
  ready?: 'True' | 'False' | 'Unknown'
  unschedulable?: boolean
  taints?: { key: string; value?: string; effect: string }[]
  labels?: Record<string, string>
  created: Date
  ip: string
}

export function node(spec: NodeSpec): KubeObject {
  const capacity: Record<string, string> = {
    cpu: spec.cpu,
    memory: spec.memory,
    'ephemeral-storage': '102350Mi',
    'hugepages-2Mi': '0',
    pods: String(spec.pods ?? 110),
  }
  if (spec.gpus !== undefined) capacity['nvidia.com/gpu'] = String(spec.gpus)
  const allocatable = { ...capacity, 'ephemeral-storage': '94321Mi' }
  const ready = spec.ready ?? 'True'
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      uid: uidFor('Node', '', spec.name),
      creationTimestamp: timestamp(spec.created),
      labels: {
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/zone': 'zone-a',
        ...spec.labels,
      },
    },
    spec: {
      ...(spec.taints === undefined ? {} : { taints: spec.taints }),
      ...(spec.unschedulable === true ? { unschedulable: true } : {}),
    },
    status: {
      capacity,
      allocatable,
      conditions: [
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          lastHeartbeatTime: timestamp(spec.created),
          lastTransitionTime: timestamp(spec.created),
        },
        {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          lastHeartbeatTime: timestamp(spec.created),
          lastTransitionTime: timestamp(spec.created),
        },
        {
          type: 'PIDPressure',
          status: 'False',
          reason: 'KubeletHasSufficientPID',
          lastHeartbeatTime: timestamp(spec.created),
          lastTransitionTime: timestamp(spec.created),
        },
        {
          type: 'Ready',
          status: ready,
          reason: ready === 'True' ? 'KubeletReady' : 'NodeStatusUnknown',
          message: ready === 'True' ? 'kubelet is posting ready status' : 'Kubelet stopped posting node status.',
          lastHeartbeatTime: timestamp(spec.created),
          lastTransitionTime: timestamp(spec.created),
        },
      ],
      addresses: [
        { type: 'InternalIP', address: spec.ip },
        { type: 'Hostname', address: spec.name },
      ],
      nodeInfo: {
        machineID: uidFor('machine', '', spec.name).replaceAll('-', ''),
        systemUUID: uidFor('system', '', spec.name),
        bootID: uidFor('boot', '', spec.name),
        kernelVersion: '6.1.0-27-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: 'v1.32.4',
        kubeProxyVersion: 'v1.32.4',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  }
}

export interface ContainerSpec {
  name: string
  image?: string
  requests?: Record<string, string>
  limits?: Record<string, string>
  command?: string[]
  restartPolicy?: 'Always'
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[]
  env?: { name: string; value?: string; valueFrom?: unknown }[]
}

export interface PodSpec {
  namespace: string
  name: string
  node?: string
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed'
  containers: ContainerSpec[]
  initContainers?: ContainerSpec[]
  labels?: Record<string, string>
  annotations?: Record<string, string>
  owner?: { kind: string; name: string; apiVersion?: string }
  overhead?: Record<string, string>
  runtimeClassName?: string
  restartPolicy?: 'Always' | 'Never' | 'OnFailure'
  created: Date
  volumes?: unknown[]
  tolerations?: unknown[]
  nodeSelector?: Record<string, string>
  /** Terminated state of the app containers for finished pods. */
  exit?: { code: number; reason: string }
  restarts?: number
  waiting?: { reason: string; message?: string }
  unschedulableMessage?: string
  podIP?: string
  hostIP?: string
}

function container(spec: ContainerSpec): Record<string, unknown> {
  const requests = { ...spec.limits, ...spec.requests }
  return {
    name: spec.name,
    image: spec.image ?? 'registry.example.com/app:1.0',
    ...(spec.command === undefined ? {} : { command: spec.command }),
    ...(spec.env === undefined ? {} : { env: spec.env }),
    resources: {
      ...(Object.keys(requests).length > 0 ? { requests } : {}),
      ...(spec.limits === undefined ? {} : { limits: spec.limits }),
    },
    ...(spec.volumeMounts === undefined ? {} : { volumeMounts: spec.volumeMounts }),
    ...(spec.restartPolicy === undefined ? {} : { restartPolicy: spec.restartPolicy }),
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
  }
}

function qosClass(spec: PodSpec): string {
  const all = [...spec.containers, ...(spec.initContainers ?? [])]
  const hasAny = all.some((c) => Object.keys({ ...c.requests, ...c.limits }).length > 0)
  if (!hasAny) return 'BestEffort'
  const guaranteed = all.every((c) => {
    const lim = c.limits ?? {}
    const req = { ...lim, ...c.requests }
    return lim.cpu !== undefined && lim.memory !== undefined && req.cpu === lim.cpu && req.memory === lim.memory
  })
  return guaranteed ? 'Guaranteed' : 'Burstable'
}

export function pod(spec: PodSpec): KubeObject {
  const phase = spec.phase ?? (spec.node === undefined ? 'Pending' : 'Running')
  const created = timestamp(spec.created)
  const started = timestamp(new Date(spec.created.getTime() + 5000))
  const running = phase === 'Running'
  const finished = phase === 'Succeeded' || phase === 'Failed'
  const scheduled = spec.node !== undefined
  const containerStatus = (c: ContainerSpec, index: number): Record<string, unknown> => {
    let state: Record<string, unknown>
    if (finished) {
      const code = spec.exit?.code ?? (phase === 'Succeeded' ? 0 : 1)
      state = {
        terminated: {
          exitCode: code,
          reason: spec.exit?.reason ?? (code === 0 ? 'Completed' : 'Error'),
          startedAt: started,
          finishedAt: started,
        },
      }
    } else if (running && spec.waiting === undefined) state = { running: { startedAt: started } }
    else if (spec.waiting !== undefined) state = { waiting: spec.waiting }
    else state = { waiting: { reason: 'ContainerCreating' } }
    return {
      name: c.name,
      image: c.image ?? 'registry.example.com/app:1.0',
      imageID: `registry.example.com/app@sha256:${uidFor('img', '', c.image ?? 'app')
        .replaceAll('-', '')
        .padEnd(64, '0')}`,
      containerID: `containerd://${uidFor('ctr', spec.name, c.name).replaceAll('-', '').padEnd(64, '0')}`,
      ready: running && spec.waiting === undefined,
      started: running,
      restartCount: index === 0 ? (spec.restarts ?? 0) : 0,
      state,
    }
  }
  const conditions = scheduled
    ? [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: created },
        { type: 'Initialized', status: running || finished ? 'True' : 'False', lastTransitionTime: started },
        {
          type: 'ContainersReady',
          status: running && spec.waiting === undefined ? 'True' : 'False',
          lastTransitionTime: started,
        },
        {
          type: 'Ready',
          status: running && spec.waiting === undefined ? 'True' : 'False',
          lastTransitionTime: started,
        },
      ]
    : [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: spec.unschedulableMessage ?? '0/1 nodes are available: 1 Insufficient cpu.',
          lastTransitionTime: created,
        },
      ]
  const ownerReferences =
    spec.owner === undefined
      ? undefined
      : [
          {
            apiVersion: spec.owner.apiVersion ?? (spec.owner.kind === 'Job' ? 'batch/v1' : 'apps/v1'),
            kind: spec.owner.kind,
            name: spec.owner.name,
            uid: uidFor(spec.owner.kind, spec.namespace, spec.owner.name),
            controller: true,
            blockOwnerDeletion: true,
          },
        ]
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      uid: uidFor('Pod', spec.namespace, spec.name),
      creationTimestamp: created,
      ...(spec.labels === undefined ? {} : { labels: spec.labels }),
      ...(spec.annotations === undefined ? {} : { annotations: spec.annotations }),
      ...(ownerReferences === undefined ? {} : { ownerReferences }),
    },
    spec: {
      ...(spec.node === undefined ? {} : { nodeName: spec.node }),
      containers: spec.containers.map(container),
      ...(spec.initContainers === undefined ? {} : { initContainers: spec.initContainers.map(container) }),
      restartPolicy: spec.restartPolicy ?? 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      ...(spec.overhead === undefined
        ? {}
        : { overhead: spec.overhead, runtimeClassName: spec.runtimeClassName ?? 'kata' }),
      ...(spec.volumes === undefined ? {} : { volumes: spec.volumes }),
      ...(spec.tolerations === undefined ? {} : { tolerations: spec.tolerations }),
      ...(spec.nodeSelector === undefined ? {} : { nodeSelector: spec.nodeSelector }),
    },
    status: {
      phase,
      conditions,
      qosClass: qosClass(spec),
      ...(scheduled ? { hostIP: spec.hostIP ?? '10.0.0.1', startTime: created } : {}),
      ...(running ? { podIP: spec.podIP ?? '10.244.0.10' } : {}),
      ...(scheduled
        ? {
            containerStatuses: spec.containers.map(containerStatus),
            ...(spec.initContainers === undefined
              ? {}
              : {
                  initContainerStatuses: spec.initContainers.map((c) => ({
                    name: c.name,
                    image: c.image ?? 'registry.example.com/app:1.0',
                    imageID: '',
                    ready: c.restartPolicy === 'Always' && running,
                    restartCount: 0,
                    started: c.restartPolicy === 'Always' && running,
                    state:
                      c.restartPolicy === 'Always' && running
                        ? { running: { startedAt: started } }
                        : { terminated: { exitCode: 0, reason: 'Completed', startedAt: created, finishedAt: started } },
                  })),
                }),
          }
        : {}),
    },
  }
}

export function namespace(name: string, created: Date, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: uidFor('Namespace', '', name),
      creationTimestamp: timestamp(created),
      labels: { 'kubernetes.io/metadata.name': name, ...labels },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  }
}

export function serviceAccount(ns: string, created: Date): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: 'default',
      namespace: ns,
      uid: uidFor('SA', ns, 'default'),
      creationTimestamp: timestamp(created),
    },
  }
}

/** Deterministic metrics-server style usage: a share of the container's request (or a small default). */
export function usageFor(
  random: () => number,
  requests: Record<string, string> | undefined,
): { cpu: string; memory: string } {
  const cpuMilli = parseCpuMilli(requests?.cpu) || 50
  const memMi = parseMemMi(requests?.memory) || 64
  const cpuNanos = Math.max(1_000_000, Math.floor(cpuMilli * 1_000_000 * (0.05 + random() * 0.9)))
  const memKi = Math.max(4096, Math.floor(memMi * 1024 * (0.2 + random() * 0.7)))
  return { cpu: `${cpuNanos}n`, memory: `${memKi}Ki` }
}

function parseCpuMilli(text: string | undefined): number {
  if (text === undefined) return 0
  return text.endsWith('m') ? Number(text.slice(0, -1)) : Number(text) * 1000
}

function parseMemMi(text: string | undefined): number {
  if (text === undefined) return 0
  if (text.endsWith('Gi')) return Number(text.slice(0, -2)) * 1024
  if (text.endsWith('Mi')) return Number(text.slice(0, -2))
  return 0
}
