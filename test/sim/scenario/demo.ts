import { createHmac } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { FIXED_NOW } from '../../../shared/cli/memory-io.ts'
import type { KubeObject } from '../object.ts'
import { timestamp } from '../object.ts'
import {
  type ContainerSpec,
  namespace,
  node,
  type PodSpec,
  pod,
  seededRandom,
  serviceAccount,
  uidFor,
  usageFor,
} from './builders.ts'
import type { ContainerUsage, Scenario } from './types.ts'

/**
 * The demo cluster: small and realistic, with every case the plugins must get right — control-plane taints, a GPU
 * node, a cordoned NotReady node, init containers, a restartable sidecar, overhead, limits-only containers,
 * finished and pending pods, an AE5 platform namespace in both label styles, secrets, claims and events.
 *
 * AE5 owners are read by ae-sessions from the label `anaconda-owner` or the annotation `anaconda.com/owner`.
 */
const AE5 = 'anaconda-enterprise'
const ML = 'ml-team'

function hex(random: () => number, length = 32): string {
  let out = ''
  for (let i = 0; i < length; i++) out += Math.floor(random() * 16).toString(16)
  return out
}

function suffix(random: () => number, length = 5): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  let out = ''
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)]
  return out
}

function b64(text: string | Uint8Array): string {
  return Buffer.from(text).toString('base64')
}

function jwt(claims: Record<string, unknown>): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  const body = `${part({ alg: 'HS256', kid: 'sim' })}.${part(claims)}`
  return `${body}.${createHmac('sha256', 'simulated-signing-key').update(body).digest('base64url')}`
}

function secret(
  ns: string,
  name: string,
  type: string,
  data: Record<string, string | Uint8Array>,
  created: Date,
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns, uid: uidFor('Secret', ns, name), creationTimestamp: timestamp(created), ...extra },
    type,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  }
}

/**
 * The demo cluster as of the current minute, for anything that runs the plugins as real processes (the demo, the
 * end-to-end and dist tests): they read the real clock, so ages and days left must be relative to it. Tests that
 * run a plugin in process with a memory Io use demoScenario() at FIXED_NOW instead.
 */
export function liveDemoScenario(): Scenario {
  return demoScenario(new Date(Math.floor(Date.now() / 60_000) * 60_000))
}

export function demoScenario(now: Date = FIXED_NOW): Scenario {
  const random = seededRandom(42)
  const days = (d: number): Date => new Date(now.getTime() - d * 86_400_000)
  const minutes = (m: number): Date => new Date(now.getTime() - m * 60_000)
  const objects: KubeObject[] = []
  const podUsage = new Map<string, ContainerUsage[]>()

  const nodes = [
    node({
      name: 'cp-1',
      cpu: '4',
      memory: '8148072Ki',
      created: days(120),
      ip: '10.0.0.10',
      labels: { 'node-role.kubernetes.io/control-plane': '' },
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
    }),
    node({
      name: 'worker-1',
      cpu: '8',
      memory: '32844884Ki',
      created: days(90),
      ip: '10.0.0.11',
      labels: { 'node-role.kubernetes.io/worker': '' },
    }),
    node({
      name: 'worker-2',
      cpu: '8',
      memory: '32844884Ki',
      created: days(90),
      ip: '10.0.0.12',
      labels: { 'node-role.kubernetes.io/worker': '' },
    }),
    node({
      name: 'gpu-1',
      cpu: '32',
      memory: '263975168Ki',
      gpus: 4,
      created: days(30),
      ip: '10.0.0.20',
      labels: { 'node-role.kubernetes.io/worker': '', 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-40GB' },
      taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
    }),
    node({
      name: 'worker-3',
      cpu: '8',
      memory: '32844884Ki',
      created: days(60),
      ip: '10.0.0.13',
      ready: 'Unknown',
      unschedulable: true,
      labels: { 'node-role.kubernetes.io/worker': '' },
      taints: [
        { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
      ],
    }),
  ]
  objects.push(...nodes)
  for (const ns of ['default', 'kube-system', ML, AE5, 'data']) {
    objects.push(
      namespace(
        ns,
        days(120),
        ns === AE5 ? { 'app.kubernetes.io/part-of': 'anaconda-enterprise' } : ns === ML ? { team: 'ml' } : {},
      ),
    )
    objects.push(serviceAccount(ns, days(120)))
  }

  let ip = 10
  const add = (spec: PodSpec, usage = true): void => {
    const built = pod({ ...spec, podIP: `10.244.1.${ip++}` })
    objects.push(built)
    if (
      usage &&
      (spec.phase ?? (spec.node === undefined ? 'Pending' : 'Running')) === 'Running' &&
      spec.waiting === undefined
    ) {
      const containers: ContainerSpec[] = [
        ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
        ...spec.containers,
      ]
      podUsage.set(
        `${spec.namespace}/${spec.name}`,
        containers.map((c) => ({ container: c.name, ...usageFor(random, { ...c.limits, ...c.requests }) })),
      )
    }
  }

  // kube-system: a DaemonSet pod per Ready node, DNS and metrics-server.
  for (const n of ['cp-1', 'worker-1', 'worker-2', 'gpu-1']) {
    add({
      namespace: 'kube-system',
      name: `kube-proxy-${suffix(random)}`,
      node: n,
      created: days(30),
      owner: { kind: 'DaemonSet', name: 'kube-proxy' },
      labels: { 'k8s-app': 'kube-proxy' },
      containers: [
        { name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.32.4', requests: { cpu: '100m', memory: '64Mi' } },
      ],
      tolerations: [{ operator: 'Exists' }],
    })
  }
  for (const [name, n] of [
    ['coredns-6f6b679f8f-x2k9p', 'cp-1'],
    ['coredns-6f6b679f8f-q8z4m', 'worker-1'],
  ] as const) {
    add({
      namespace: 'kube-system',
      name,
      node: n,
      created: days(30),
      owner: { kind: 'ReplicaSet', name: 'coredns-6f6b679f8f' },
      labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '6f6b679f8f' },
      containers: [
        {
          name: 'coredns',
          image: 'registry.k8s.io/coredns/coredns:v1.11.3',
          requests: { cpu: '100m', memory: '70Mi' },
          limits: { memory: '170Mi' },
        },
      ],
    })
  }
  add({
    namespace: 'kube-system',
    name: 'metrics-server-5985cbc9d7-7lwhm',
    node: 'worker-2',
    created: days(30),
    owner: { kind: 'ReplicaSet', name: 'metrics-server-5985cbc9d7' },
    labels: { 'k8s-app': 'metrics-server', 'pod-template-hash': '5985cbc9d7' },
    containers: [
      {
        name: 'metrics-server',
        image: 'registry.k8s.io/metrics-server/metrics-server:v0.7.2',
        requests: { cpu: '100m', memory: '200Mi' },
      },
    ],
  })

  // ml-team: the cases kubectl's Allocated resources formula must get right.
  for (const [i, n] of [
    [0, 'worker-1'],
    [1, 'worker-2'],
  ] as const) {
    add({
      namespace: ML,
      name: `trainer-api-7c9d5b8f4-${['k2x8w', 'p9m4t'][i]}`,
      node: n,
      created: days(3),
      owner: { kind: 'ReplicaSet', name: 'trainer-api-7c9d5b8f4' },
      labels: { app: 'trainer-api', 'pod-template-hash': '7c9d5b8f4' },
      initContainers: [
        {
          name: 'log-shipper',
          restartPolicy: 'Always',
          requests: { cpu: '50m', memory: '64Mi' },
          limits: { cpu: '100m', memory: '128Mi' },
        },
      ],
      volumes: [{ name: 'tls', secret: { secretName: 'trainer-api-tls' } }],
      containers: [
        {
          name: 'api',
          requests: { cpu: '500m', memory: '1Gi' },
          limits: { cpu: '1', memory: '2Gi' },
          env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } }],
          volumeMounts: [{ name: 'tls', mountPath: '/etc/tls', readOnly: true }],
        },
      ],
    })
  }
  add({
    namespace: ML,
    name: 'feature-store-0',
    node: 'worker-1',
    created: days(10),
    owner: { kind: 'StatefulSet', name: 'feature-store' },
    labels: { app: 'feature-store' },
    initContainers: [{ name: 'migrate', requests: { cpu: '2', memory: '512Mi' } }],
    containers: [{ name: 'store', requests: { cpu: '750m', memory: '3Gi' }, limits: { memory: '4Gi' } }],
  })
  add({
    namespace: ML,
    name: 'notebook-limits-only',
    node: 'worker-2',
    created: days(1),
    labels: { app: 'notebook' },
    containers: [{ name: 'jupyter', limits: { cpu: '1', memory: '4Gi' } }],
  })
  add({
    namespace: ML,
    name: 'sandboxed-inference',
    node: 'worker-2',
    created: days(2),
    labels: { app: 'inference' },
    overhead: { cpu: '250m', memory: '160Mi' },
    runtimeClassName: 'kata',
    containers: [{ name: 'model', requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '2Gi' } }],
  })
  add({
    namespace: ML,
    name: 'gpu-finetune-5f8d9',
    node: 'gpu-1',
    created: minutes(95),
    owner: { kind: 'Job', name: 'gpu-finetune' },
    labels: { 'job-name': 'gpu-finetune', 'batch.kubernetes.io/job-name': 'gpu-finetune' },
    restartPolicy: 'Never',
    tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    containers: [
      {
        name: 'train',
        requests: { cpu: '8', memory: '64Gi' },
        limits: { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': '2' },
      },
    ],
  })
  add({
    namespace: ML,
    name: 'results-browser',
    node: 'worker-1',
    created: days(5),
    labels: { app: 'results-browser' },
    volumes: [{ name: 'results', persistentVolumeClaim: { claimName: 'results' } }],
    containers: [
      {
        name: 'browser',
        image: 'busybox:1.36',
        command: ['sleep', 'infinity'],
        requests: { cpu: '10m', memory: '16Mi' },
        // The secret was deleted after the pod started: secretview check reports it missing.
        env: [{ name: 'S3_KEY', valueFrom: { secretKeyRef: { name: 's3-credentials', key: 'key' } } }],
        volumeMounts: [{ name: 'results', mountPath: '/data' }],
      },
    ],
  })
  add({
    namespace: ML,
    name: 'big-batch-unschedulable',
    created: minutes(20),
    labels: { app: 'big-batch' },
    unschedulableMessage:
      '0/5 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 2 Insufficient memory. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.',
    containers: [{ name: 'batch', requests: { cpu: '4', memory: '48Gi' } }],
  })
  add({
    namespace: ML,
    name: 'etl-nightly-28871520-9kx2m',
    node: 'worker-1',
    phase: 'Succeeded',
    created: minutes(300),
    owner: { kind: 'Job', name: 'etl-nightly-28871520' },
    labels: { 'job-name': 'etl-nightly-28871520' },
    restartPolicy: 'Never',
    containers: [{ name: 'etl', requests: { cpu: '1', memory: '2Gi' } }],
  })
  add({
    namespace: ML,
    name: 'eval-large-7m2qp',
    node: 'worker-2',
    phase: 'Failed',
    exit: { code: 137, reason: 'OOMKilled' },
    created: minutes(180),
    owner: { kind: 'Job', name: 'eval-large' },
    labels: { 'job-name': 'eval-large' },
    restartPolicy: 'Never',
    containers: [{ name: 'eval', requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } }],
  })
  add({
    namespace: ML,
    name: 'flaky-worker-84d7c9f5b-m2n6r',
    node: 'worker-2',
    created: days(1),
    owner: { kind: 'ReplicaSet', name: 'flaky-worker-84d7c9f5b' },
    labels: { app: 'flaky-worker', 'pod-template-hash': '84d7c9f5b' },
    restarts: 14,
    waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' },
    containers: [{ name: 'worker', requests: { cpu: '100m', memory: '128Mi' } }],
  })

  // The AE5 platform: system pods, sessions, deployments and job runs in both label styles.
  add({
    namespace: AE5,
    name: 'anaconda-enterprise-ap-ui-6d7f9c8b5-r4t2x',
    node: 'worker-1',
    created: days(40),
    owner: { kind: 'ReplicaSet', name: 'anaconda-enterprise-ap-ui-6d7f9c8b5' },
    labels: { app: 'ap-ui', 'pod-template-hash': '6d7f9c8b5' },
    containers: [{ name: 'ui', requests: { cpu: '200m', memory: '512Mi' } }],
  })
  add({
    namespace: AE5,
    name: 'anaconda-enterprise-postgres-0',
    node: 'worker-2',
    created: days(40),
    owner: { kind: 'StatefulSet', name: 'anaconda-enterprise-postgres' },
    labels: { app: 'postgres' },
    containers: [{ name: 'postgres', requests: { cpu: '500m', memory: '1Gi' } }],
  })
  const sessionContainers = (sync: string): ContainerSpec[] => [
    { name: 'editor', requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } },
    { name: `tool-proxy-${sync}`, requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
    {
      name: `tool-anaconda-platform-sync-${sync}`,
      requests: { cpu: '50m', memory: '128Mi' },
      limits: { cpu: '100m', memory: '256Mi' },
    },
  ]
  const owners: [string, 'label' | 'annotation' | 'none'][] = [
    ['alice', 'label'],
    ['bob', 'annotation'],
    ['alice', 'annotation'],
    ['carol', 'label'],
  ]
  const ownerMeta = (owner: string, where: 'label' | 'annotation' | 'none'): Pick<PodSpec, 'labels' | 'annotations'> =>
    where === 'label'
      ? { labels: { 'anaconda-owner': owner } }
      : where === 'annotation'
        ? { annotations: { 'anaconda.com/owner': owner } }
        : {}
  owners.forEach(([owner, where], i) => {
    const slug = hex(random)
    const hash = suffix(random, 9)
    const meta = ownerMeta(owner, where)
    const newStyle = i === 3
    add({
      namespace: AE5,
      name: `anaconda-session-${slug}-${hash}-${suffix(random)}`,
      node: i % 2 === 0 ? 'worker-1' : 'worker-2',
      created: days(i + 1),
      owner: { kind: 'ReplicaSet', name: `anaconda-session-${slug}-${hash}` },
      labels: { ...meta.labels, [newStyle ? 'session-id' : 'anaconda-session-id']: slug, 'pod-template-hash': hash },
      ...(meta.annotations === undefined ? {} : { annotations: meta.annotations }),
      containers: sessionContainers(suffix(random, 4)),
    })
  })
  const pendingSlug = hex(random)
  add({
    namespace: AE5,
    name: `anaconda-session-${pendingSlug}-5d8f7c9b6-${suffix(random)}`,
    created: minutes(12),
    labels: { 'anaconda-session-id': pendingSlug, 'anaconda-owner': 'bob', 'pod-template-hash': '5d8f7c9b6' },
    owner: { kind: 'ReplicaSet', name: `anaconda-session-${pendingSlug}-5d8f7c9b6` },
    unschedulableMessage:
      '0/5 nodes are available: 3 Insufficient memory, 2 node(s) had untolerated taint. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.',
    containers: [{ name: 'editor', requests: { cpu: '4', memory: '60Gi' }, limits: { cpu: '4', memory: '60Gi' } }],
  })
  const startingSlug = hex(random)
  add({
    namespace: AE5,
    name: `anaconda-session-${startingSlug}-7f9c6d5b8-${suffix(random)}`,
    node: 'worker-2',
    phase: 'Pending',
    created: minutes(1),
    labels: { 'anaconda-session-id': startingSlug, 'anaconda-owner': 'alice', 'pod-template-hash': '7f9c6d5b8' },
    owner: { kind: 'ReplicaSet', name: `anaconda-session-${startingSlug}-7f9c6d5b8` },
    waiting: { reason: 'ContainerCreating' },
    containers: sessionContainers('b7k2'),
  })
  // A GPU session in the newer label style, with the owner label in AE5's credential form (user-creds-<name>).
  const gpuSlug = hex(random)
  add({
    namespace: AE5,
    name: `anaconda-session-${gpuSlug}-6b7c8d9f5-${suffix(random)}`,
    node: 'gpu-1',
    created: minutes(300),
    labels: { 'session-id': gpuSlug, 'anaconda-owner': 'user-creds-alice', 'pod-template-hash': '6b7c8d9f5' },
    owner: { kind: 'ReplicaSet', name: `anaconda-session-${gpuSlug}-6b7c8d9f5` },
    tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    containers: [
      {
        name: 'editor',
        requests: { cpu: '2', memory: '8Gi', 'nvidia.com/gpu': '1' },
        limits: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' },
      },
      ...sessionContainers('q7m3').slice(1),
    ],
  })
  const deployments: [string, 'label' | 'annotation' | 'none', boolean][] = [
    ['alice', 'label', false],
    ['bob', 'label', true],
    ['nobody-knows', 'none', false],
  ]
  for (const [owner, where, newStyle] of deployments) {
    const slug = hex(random)
    const hash = suffix(random, 9)
    const meta = ownerMeta(owner, where)
    add({
      namespace: AE5,
      name: `anaconda-app-${slug}-${hash}-${suffix(random)}`,
      node: newStyle ? 'worker-2' : 'worker-1',
      created: days(7),
      owner: { kind: 'ReplicaSet', name: `anaconda-app-${slug}-${hash}` },
      labels: { ...meta.labels, [newStyle ? 'app-id' : 'anaconda-app-id']: slug, 'pod-template-hash': hash },
      ...(meta.annotations === undefined ? {} : { annotations: meta.annotations }),
      containers: [
        { name: 'app', requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
        { name: 'app-proxy', requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
      ],
    })
  }
  for (const [owner, newStyle, phase] of [
    ['alice', false, 'Running'],
    ['bob', true, 'Succeeded'],
  ] as const) {
    const slug = hex(random)
    add({
      namespace: AE5,
      name: `anaconda-job-${slug}-${suffix(random)}`,
      node: 'worker-1',
      phase,
      created: minutes(45),
      owner: { kind: 'Job', name: `anaconda-job-${slug}`, apiVersion: 'batch/v1' },
      labels: { 'anaconda-owner': owner, ...(newStyle ? { 'job-id': slug } : { 'job-name': `anaconda-job-${slug}` }) },
      restartPolicy: 'Never',
      containers: [{ name: 'app', requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '1', memory: '2Gi' } }],
    })
  }

  // Storage: classes, a bound claim with files, a pending claim and a pre-bound NFS pair.
  objects.push(
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: 'standard',
        uid: uidFor('SC', '', 'standard'),
        creationTimestamp: timestamp(days(120)),
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: 'csi.sim.kubectl-suite.dev',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
      allowVolumeExpansion: true,
    },
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'fast', uid: uidFor('SC', '', 'fast'), creationTimestamp: timestamp(days(120)) },
      provisioner: 'csi.sim.kubectl-suite.dev',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: false,
    },
  )
  const pv = (
    name: string,
    claim: [string, string],
    size: string,
    extra: Record<string, unknown>,
    className: string,
    policy: string,
  ): KubeObject => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      uid: uidFor('PV', '', name),
      creationTimestamp: timestamp(days(5)),
      annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes' },
    },
    spec: {
      capacity: { storage: size },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: policy,
      storageClassName: className,
      volumeMode: 'Filesystem',
      claimRef: {
        kind: 'PersistentVolumeClaim',
        namespace: claim[0],
        name: claim[1],
        uid: uidFor('PVC', claim[0], claim[1]),
        apiVersion: 'v1',
      },
      ...extra,
    },
    status: { phase: 'Bound' },
  })
  const pvc = (
    ns: string,
    name: string,
    size: string,
    className: string,
    volumeName: string | undefined,
  ): KubeObject => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns, uid: uidFor('PVC', ns, name), creationTimestamp: timestamp(days(5)) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: size } },
      storageClassName: className,
      volumeMode: 'Filesystem',
      ...(volumeName === undefined ? {} : { volumeName }),
    },
    status:
      volumeName === undefined
        ? { phase: 'Pending' }
        : { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: size } },
  })
  objects.push(
    pv(
      'pvc-results',
      [ML, 'results'],
      '10Gi',
      { csi: { driver: 'csi.sim.kubectl-suite.dev', volumeHandle: 'vol-results' } },
      'standard',
      'Delete',
    ),
    pvc(ML, 'results', '10Gi', 'standard', 'pvc-results'),
    pvc(ML, 'scratch', '50Gi', 'fast', undefined),
    pv(
      'datasets-nfs',
      ['data', 'datasets'],
      '10Ti',
      { nfs: { server: '10.0.0.50', path: '/exports/datasets' } },
      '',
      'Retain',
    ),
    pvc('data', 'datasets', '10Ti', '', 'datasets-nfs'),
  )

  // Secrets of every type secretview understands; config maps; events.
  const releaseJson = JSON.stringify({
    name: 'trainer',
    namespace: ML,
    version: 3,
    info: {
      status: 'deployed',
      first_deployed: timestamp(days(10)),
      last_deployed: timestamp(days(3)),
      description: 'Upgrade complete',
    },
    chart: {
      metadata: { name: 'trainer-api', version: '1.4.2', appVersion: '2.1.0' },
      values: { replicas: 2, image: { tag: '2.1.0' } },
    },
    config: { replicas: 2, resources: { limits: { cpu: '1' } } },
    manifest: '---\n# Source: trainer-api/templates/deployment.yaml\n',
  })
  objects.push(
    secret(
      ML,
      'db-credentials',
      'Opaque',
      {
        username: 'svc_trainer_rw',
        password: 'S3cr3t-p@ss',
        'greeting.txt': 'grüße, 世界\n',
        'blob.bin': new Uint8Array([0, 159, 146, 150, 255, 1, 2]),
        empty: '',
      },
      days(20),
    ),
    secret(
      ML,
      'registry-pull',
      'kubernetes.io/dockerconfigjson',
      {
        '.dockerconfigjson': JSON.stringify({
          auths: {
            'registry.example.com': { username: 'robot', password: 'rob0t-token', auth: b64('robot:rob0t-token') },
          },
        }),
      },
      days(20),
    ),
    secret(ML, 'basic-login', 'kubernetes.io/basic-auth', { username: 'admin', password: 'hunter2' }, days(15)),
    secret(
      ML,
      'ci-token',
      'kubernetes.io/service-account-token',
      {
        token: jwt({
          iss: 'kubernetes/serviceaccount',
          sub: `system:serviceaccount:${ML}:ci`,
          exp: Math.floor(now.getTime() / 1000) + 86400 * 30,
        }),
        namespace: ML,
        'ca.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      },
      days(15),
      { annotations: { 'kubernetes.io/service-account.name': 'ci' } },
    ),
    secret(
      ML,
      'sh.helm.release.v1.trainer.v3',
      'helm.sh/release.v1',
      { release: b64(gzipSync(releaseJson)) },
      days(3),
      { labels: { owner: 'helm', name: 'trainer', status: 'deployed', version: '3' } },
    ),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'trainer-config',
        namespace: ML,
        uid: uidFor('CM', ML, 'trainer-config'),
        creationTimestamp: timestamp(days(3)),
      },
      data: { 'config.yaml': 'epochs: 3\nbatch_size: 64\n' },
    },
  )
  const event = (
    ns: string,
    name: string,
    kind: string,
    objName: string,
    reason: string,
    message: string,
    type = 'Normal',
    count = 1,
  ): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${objName}.${hex(random, 16)}`,
      namespace: ns,
      uid: uidFor('Event', ns, `${name}${reason}`),
      creationTimestamp: timestamp(minutes(10)),
    },
    involvedObject: {
      kind,
      namespace: kind === 'Node' ? '' : ns,
      name: objName,
      uid: uidFor(kind, kind === 'Node' ? '' : ns, objName),
      apiVersion: 'v1',
    },
    reason,
    message,
    type,
    count,
    source: { component: kind === 'Node' ? 'node-controller' : 'default-scheduler' },
    firstTimestamp: timestamp(minutes(20)),
    lastTimestamp: timestamp(minutes(2)),
  })
  objects.push(
    event(
      ML,
      'big-batch',
      'Pod',
      'big-batch-unschedulable',
      'FailedScheduling',
      '0/5 nodes are available: 2 Insufficient memory.',
      'Warning',
      7,
    ),
    event(
      ML,
      'eval',
      'Pod',
      'eval-large-7m2qp',
      'OOMKilling',
      'Memory cgroup out of memory: Killed process 4242 (python)',
      'Warning',
    ),
    event(
      'default',
      'worker-3',
      'Node',
      'worker-3',
      'NodeNotReady',
      'Node worker-3 status is now: NodeNotReady',
      'Warning',
    ),
  )

  const nodeSystemUsage = new Map<string, { cpu: string; memory: string }>()
  for (const n of ['cp-1', 'worker-1', 'worker-2', 'gpu-1'])
    nodeSystemUsage.set(n, {
      cpu: `${150_000_000 + Math.floor(random() * 100_000_000)}n`,
      memory: `${900_000 + Math.floor(random() * 300_000)}Ki`,
    })

  return {
    name: 'demo',
    now,
    objects,
    // Issued by the simulator's CA at start: one certificate inside check's 30-day window, one well outside it.
    tlsSecrets: [
      {
        namespace: ML,
        name: 'trainer-api-tls',
        dnsNames: ['trainer-api.ml-team.svc', 'trainer.example.com'],
        daysValid: 12,
        created: days(78),
      },
      { namespace: AE5, name: 'ae5-ingress-tls', dnsNames: ['ae5.example.com'], daysValid: 300, created: days(65) },
    ],
    podUsage,
    nodeSystemUsage,
    volumeFiles: [
      { namespace: ML, claim: 'results', path: 'README.txt', content: 'experiment results\n' },
      { namespace: ML, claim: 'results', path: 'run-001/metrics.json', content: '{"accuracy": 0.91, "loss": 0.23}\n' },
      {
        namespace: ML,
        claim: 'results',
        path: 'run-001/model.bin',
        content: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 255]),
      },
    ],
  }
}
