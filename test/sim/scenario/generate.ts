import { FIXED_NOW } from '../../../shared/cli/memory-io.ts'
import type { KubeObject } from '../object.ts'
import {
  type ContainerSpec,
  namespace,
  node,
  type PodSpec,
  pod,
  seededRandom,
  serviceAccount,
  usageFor,
} from './builders.ts'
import type { ContainerUsage, Scenario } from './types.ts'

/**
 * Generated clusters of any size, for tests and benchmarks: 5,000 nodes × 30 pods in a couple of seconds.
 * Deterministic per seed, and with every case the usage numbers depend on: init containers, restartable
 * sidecars, overhead, limits-only containers, GPUs, finished and pending pods.
 */
export interface GenerateOptions {
  nodes: number
  podsPerNode: number
  seed?: number
  namespaces?: number
  now?: Date
  gpuEvery?: number
  ae5Pods?: number
  /** Secrets spread over the namespaces: opaque, registry, token and Helm-release shaped, for secretview's bench. */
  secrets?: number
}

const SHAPES: ((i: number) => Pick<PodSpec, 'containers' | 'initContainers' | 'overhead'>)[] = [
  () => ({
    containers: [{ name: 'app', requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } }],
  }),
  () => ({
    containers: [
      { name: 'app', requests: { cpu: '250m', memory: '512Mi' } },
      { name: 'proxy', requests: { cpu: '50m', memory: '64Mi' } },
    ],
  }),
  () => ({
    initContainers: [{ name: 'sidecar', restartPolicy: 'Always', requests: { cpu: '25m', memory: '32Mi' } }],
    containers: [{ name: 'app', requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '512Mi' } }],
  }),
  () => ({
    initContainers: [{ name: 'init', requests: { cpu: '1', memory: '64Mi' } }],
    containers: [{ name: 'app', requests: { cpu: '150m', memory: '200Mi' } }],
  }),
  () => ({ containers: [{ name: 'app', limits: { cpu: '300m', memory: '300Mi' } }] }),
  () => ({
    overhead: { cpu: '100m', memory: '64Mi' },
    containers: [{ name: 'app', requests: { cpu: '100m', memory: '100Mi' } }],
  }),
  () => ({ containers: [{ name: 'app' }] }),
]

export function generateCluster(options: GenerateOptions): Scenario {
  const now = options.now ?? FIXED_NOW
  const random = seededRandom(options.seed ?? 7)
  const created = new Date(now.getTime() - 30 * 86_400_000)
  const objects: KubeObject[] = []
  const podUsage = new Map<string, ContainerUsage[]>()
  const nodeSystemUsage = new Map<string, { cpu: string; memory: string }>()
  const namespaceCount = options.namespaces ?? Math.max(3, Math.min(200, Math.ceil(options.nodes / 25)))
  const namespaces = Array.from({ length: namespaceCount }, (_, i) => `team-${String(i).padStart(3, '0')}`)
  for (const ns of ['default', 'kube-system', ...namespaces]) {
    objects.push(namespace(ns, created), serviceAccount(ns, created))
  }
  const gpuEvery = options.gpuEvery ?? 10
  const width = Math.max(5, String(options.nodes).length)
  let podIndex = 0
  for (let n = 0; n < options.nodes; n++) {
    const name = `node-${String(n + 1).padStart(width, '0')}`
    const gpu = gpuEvery > 0 && n % gpuEvery === gpuEvery - 1
    objects.push(
      node({
        name,
        cpu: gpu ? '64' : '16',
        memory: gpu ? '527952860Ki' : '65851340Ki',
        ...(gpu ? { gpus: 8, taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }] } : {}),
        created,
        ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
        ...(n % 97 === 96 ? { ready: 'False' as const, unschedulable: true } : {}),
      }),
    )
    nodeSystemUsage.set(name, {
      cpu: `${100_000_000 + Math.floor(random() * 200_000_000)}n`,
      memory: `${800_000 + Math.floor(random() * 400_000)}Ki`,
    })
    for (let p = 0; p < options.podsPerNode; p++) {
      const i = podIndex++
      const ns = namespaces[i % namespaces.length] as string
      const shape = (
        SHAPES[i % SHAPES.length] as (i: number) => Pick<PodSpec, 'containers' | 'initContainers' | 'overhead'>
      )(i)
      const roll = random()
      const phase: PodSpec['phase'] = roll < 0.03 ? 'Succeeded' : roll < 0.04 ? 'Failed' : 'Running'
      const app = `svc-${i % 500}`
      const containers: ContainerSpec[] =
        gpu && p === 0
          ? [
              {
                name: 'trainer',
                requests: { cpu: '4', memory: '32Gi' },
                limits: { 'nvidia.com/gpu': '2', cpu: '4', memory: '32Gi' },
              },
            ]
          : shape.containers
      const spec: PodSpec = {
        namespace: ns,
        name: `${app}-${i.toString(36).padStart(6, '0')}`,
        node: name,
        phase,
        created,
        labels: { app, tier: i % 3 === 0 ? 'web' : 'batch' },
        owner:
          phase === 'Running' ? { kind: 'ReplicaSet', name: `${app}-5d8f7c9b6` } : { kind: 'Job', name: `${app}-job` },
        containers,
        ...(shape.initContainers === undefined ? {} : { initContainers: shape.initContainers }),
        ...(shape.overhead === undefined ? {} : { overhead: shape.overhead, runtimeClassName: 'kata' }),
        ...(gpu ? { tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }] } : {}),
        restartPolicy: phase === 'Running' ? 'Always' : 'Never',
      }
      objects.push(pod(spec))
      if (phase === 'Running') {
        const running = [...(shape.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'), ...containers]
        podUsage.set(
          `${ns}/${spec.name}`,
          running.map((c) => ({ container: c.name, ...usageFor(random, { ...c.limits, ...c.requests }) })),
        )
      }
    }
  }
  // A few pending pods: unscheduled ones and one bound but not started.
  for (let i = 0; i < Math.max(1, Math.floor(options.nodes / 100)); i++) {
    objects.push(
      pod({
        namespace: namespaces[0] as string,
        name: `pending-${i}`,
        created: now,
        containers: [{ name: 'app', requests: { cpu: '2', memory: '4Gi' } }],
      }),
    )
  }
  for (let i = 0; i < (options.ae5Pods ?? 0); i++) {
    const slug = (i.toString(16).padStart(8, '0') + 'a'.repeat(24)).slice(0, 32)
    const kind = i % 3
    const label = kind === 0 ? 'anaconda-session-id' : kind === 1 ? 'anaconda-app-id' : 'job-name'
    const value = kind === 2 ? `anaconda-job-${slug}` : slug
    const prefix = kind === 0 ? 'anaconda-session' : kind === 1 ? 'anaconda-app' : 'anaconda-job'
    objects.push(
      pod({
        namespace: 'anaconda-enterprise',
        name: `${prefix}-${slug}-${i.toString(36)}`,
        node: `node-${String((i % options.nodes) + 1).padStart(width, '0')}`,
        created,
        labels: { [label]: value, 'anaconda-owner': `user-${i % 50}` },
        containers: [
          {
            name: kind === 0 ? 'editor' : 'app',
            requests: { cpu: '500m', memory: '1Gi' },
            limits: { cpu: '1', memory: '2Gi' },
          },
        ],
      }),
    )
  }
  if ((options.ae5Pods ?? 0) > 0)
    objects.push(namespace('anaconda-enterprise', created), serviceAccount('anaconda-enterprise', created))
  for (let i = 0; i < (options.secrets ?? 0); i++)
    objects.push(generatedSecret(i, namespaces[i % namespaces.length] as string, created))
  return {
    name: `generated-${options.nodes}x${options.podsPerNode}`,
    now,
    objects,
    podUsage,
    nodeSystemUsage,
    volumeFiles: [],
  }
}

function generatedSecret(i: number, ns: string, created: Date): KubeObject {
  const b64 = (text: string): string => Buffer.from(text).toString('base64')
  const shapes: [string, Record<string, string>][] = [
    [
      'Opaque',
      {
        username: `user-${i}`,
        password: `pw-${i}-${'x'.repeat(24)}`,
        'config.json': JSON.stringify({ id: i, retries: 3 }),
      },
    ],
    [
      'kubernetes.io/dockerconfigjson',
      {
        '.dockerconfigjson': JSON.stringify({
          auths: {
            [`registry-${i % 7}.example.com`]: {
              username: `bot-${i}`,
              password: `t-${i}`,
              auth: b64(`bot-${i}:t-${i}`),
            },
          },
        }),
      },
    ],
    ['kubernetes.io/basic-auth', { username: `svc-${i}`, password: `basic-${i}` }],
  ]
  const [type, data] = shapes[i % shapes.length] as [string, Record<string, string>]
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: `secret-${i}`,
      namespace: ns,
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      creationTimestamp: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
    type,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  }
}
