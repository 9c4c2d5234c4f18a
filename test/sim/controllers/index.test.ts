import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { admit } from '../admission/index.ts'
import { field, type KubeObject } from '../object.ts'
import { namespace, node } from '../scenario/builders.ts'
import { Store } from '../store.ts'
import { type Controllers, startControllers } from './index.ts'

/** The simulated control plane against a real store: scheduling, jobs, claims, metrics and volume stats. */
let controllers: Controllers | undefined
let dataDirs: string[] = []

function cluster(): { store: Store; controllers: Controllers; dataDir: string } {
  const store = new Store()
  const created = new Date('2026-11-01T00:00:00Z')
  store.bulkLoad([
    namespace('ns', created),
    node({ name: 'small', cpu: '2', memory: '4Gi', created, ip: '10.0.0.1' }),
    node({
      name: 'tainted',
      cpu: '64',
      memory: '256Gi',
      created,
      ip: '10.0.0.2',
      taints: [{ key: 'gpu', effect: 'NoSchedule' }],
    }),
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'sim',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
      allowVolumeExpansion: true,
    },
  ])
  const dataDir = mkdtempSync(join(tmpdir(), 'controllers-'))
  dataDirs.push(dataDir)
  controllers = startControllers(store, { dataDir, runContainers: true })
  return { store, controllers, dataDir }
}

function create(store: Store, plural: string, obj: KubeObject): KubeObject {
  return store.create(admit(store, plural, obj, undefined, 'create'))
}

async function settle(c: Controllers, until: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !until(); i++) {
    await c.idle()
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

// Stopping kills the pods' processes; then their folders can go.
afterEach(async () => {
  await controllers?.stop()
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
  dataDirs = []
})

const job = (name: string, spec: Record<string, unknown>, command: string): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace: 'ns' },
  spec: {
    ...spec,
    template: {
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', command] }],
      },
    },
  },
})

describe('controllers', () => {
  it('schedules onto a node that fits and reports why nothing fits', async () => {
    const { store, controllers: c } = cluster()
    const fits = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'fits', namespace: 'ns' },
      spec: { containers: [{ name: 'c', image: 'busybox:1.36', resources: { requests: { cpu: '1' } } }] },
    }
    const huge = {
      ...fits,
      metadata: { name: 'huge', namespace: 'ns' },
      spec: { containers: [{ name: 'c', image: 'busybox:1.36', resources: { requests: { cpu: '8' } } }] },
    }
    create(store, 'pods', fits)
    create(store, 'pods', huge)
    await settle(c, () => field(store.get('pods', 'ns', 'fits'), ['status', 'phase']) === 'Running')
    expect(field(store.get('pods', 'ns', 'fits'), ['spec', 'nodeName'])).toBe('small')
    const condition = (
      field(store.get('pods', 'ns', 'huge'), ['status', 'conditions']) as { reason: string; message: string }[]
    )[0]
    expect(condition?.reason).toBe('Unschedulable')
    expect(condition?.message).toMatch(/0\/2 nodes are available: .*1 Insufficient cpu.*untolerated taint \{gpu: \}/)
  })

  it('runs an Indexed Job to completion with one pod per index and its logs', async () => {
    const { store, controllers: c } = cluster()
    create(
      store,
      'jobs',
      job('sweep', { completions: 3, parallelism: 2, completionMode: 'Indexed' }, 'echo index $JOB_COMPLETION_INDEX'),
    )
    await settle(c, () => field(store.get('jobs', 'ns', 'sweep'), ['status', 'succeeded']) === 3)
    const status = store.get('jobs', 'ns', 'sweep')?.status as {
      succeeded: number
      completedIndexes: string
      conditions: { type: string }[]
    }
    expect(status.completedIndexes).toBe('0-2')
    expect(status.conditions.map((x) => x.type)).toContain('Complete')
    const pods = [...store.all('pods', 'ns')].filter((p) => p.metadata.name.startsWith('sweep-'))
    const logs = pods.map((p) => c.containerLogs('ns', p.metadata.name, 'main', {})).sort()
    expect(logs).toEqual(['index 0\n', 'index 1\n', 'index 2\n'])
  })

  it('lets timers run while a Job pod runs, and writes the Job status only when it changes', async () => {
    const { store, controllers: c } = cluster()
    let writes = 0
    store.onChange((e) => {
      if (e.plural === 'jobs') writes++
    })
    create(store, 'jobs', job('slow', {}, 'echo start; sleep 0.3; echo done'))
    const ticked = await new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 50))
    expect(ticked).toBe(true)
    await settle(c, () => field(store.get('jobs', 'ns', 'slow'), ['status', 'succeeded']) === 1)
    const pod = [...store.all('pods', 'ns')].find((p) => p.metadata.name.startsWith('slow-'))
    expect(c.containerLogs('ns', pod?.metadata.name ?? '', 'main', {})).toBe('start\ndone\n')
    expect(writes).toBeLessThan(10)
  })

  it('fails a Job after its backoff limit with BackoffLimitExceeded', async () => {
    const { store, controllers: c } = cluster()
    create(store, 'jobs', job('broken', { backoffLimit: 1 }, 'echo boom; exit 3'))
    await settle(
      c,
      () =>
        ((field(store.get('jobs', 'ns', 'broken'), ['status', 'conditions']) as unknown[] | undefined) ?? []).length >
        0,
    )
    const status = store.get('jobs', 'ns', 'broken')?.status as {
      failed: number
      conditions: { type: string; reason: string }[]
    }
    expect(status.failed).toBe(2)
    expect(status.conditions.find((x) => x.type === 'Failed')?.reason).toBe('BackoffLimitExceeded')
  })

  it('provisions and binds a claim, resizes it, and reports volume usage in stats/summary', async () => {
    const { store, controllers: c, dataDir } = cluster()
    create(store, 'persistentvolumeclaims', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'ns' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    })
    await settle(c, () => field(store.get('persistentvolumeclaims', 'ns', 'data'), ['status', 'phase']) === 'Bound')
    const pvName = field(store.get('persistentvolumeclaims', 'ns', 'data'), ['spec', 'volumeName']) as string
    expect(field(store.get('persistentvolumes', undefined, pvName), ['status', 'phase'])).toBe('Bound')
    create(store, 'pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'user', namespace: 'ns' },
      spec: {
        volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }],
        containers: [{ name: 'c', image: 'busybox:1.36', volumeMounts: [{ name: 'd', mountPath: '/data' }] }],
      },
    })
    await settle(c, () => field(store.get('pods', 'ns', 'user'), ['status', 'phase']) === 'Running')
    writeFileSync(join(dataDir, 'volumes', pvName, 'payload'), Buffer.alloc(50_000))
    const summary = c.statsSummary('small') as {
      pods: { volume: { pvcRef?: { name: string }; usedBytes: number; capacityBytes: number }[] }[]
    }
    const volume = summary.pods.flatMap((p) => p.volume).find((v) => v.pvcRef?.name === 'data')
    expect(volume?.capacityBytes).toBe(1024 ** 3)
    expect(volume?.usedBytes).toBeGreaterThanOrEqual(50_000)
    const current = store.get('persistentvolumeclaims', 'ns', 'data') as KubeObject
    const grown = structuredClone(current)
    ;(grown.spec as { resources: { requests: { storage: string } } }).resources.requests.storage = '2Gi'
    store.update(admit(store, 'persistentvolumeclaims', grown, current, 'update'))
    await settle(
      c,
      () => field(store.get('persistentvolumeclaims', 'ns', 'data'), ['status', 'capacity', 'storage']) === '2Gi',
    )
    expect(field(store.get('persistentvolumes', undefined, pvName), ['spec', 'capacity', 'storage'])).toBe('2Gi')
  })

  it('leaves a claim Pending with the driver’s ProvisioningFailed warning when its class lacks the access mode', async () => {
    // As the real control plane's provisioner (test/control-plane/provisioner.ts) answers for its RWO-only class.
    const { store, controllers: c } = cluster()
    store.create({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'block' },
      provisioner: 'sim',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
      parameters: { accessModes: 'ReadWriteOnce' },
    })
    for (const [name, mode] of [
      ['rwx', 'ReadWriteMany'],
      ['rwo', 'ReadWriteOnce'],
    ] as const)
      create(store, 'persistentvolumeclaims', {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name, namespace: 'ns' },
        spec: { storageClassName: 'block', accessModes: [mode], resources: { requests: { storage: '1Gi' } } },
      })
    await settle(c, () => field(store.get('persistentvolumeclaims', 'ns', 'rwo'), ['status', 'phase']) === 'Bound')
    await c.idle()
    expect(field(store.get('persistentvolumeclaims', 'ns', 'rwx'), ['spec', 'volumeName'])).toBeUndefined()
    const warnings = [...store.all('events', 'ns')].filter(
      (e) => (e.involvedObject as { name: string }).name === 'rwx' && e.reason === 'ProvisioningFailed',
    )
    expect(warnings.length).toBeGreaterThanOrEqual(1)
    expect(warnings[0]?.type).toBe('Warning')
    expect(warnings[0]?.message).toBe(
      'failed to provision volume with StorageClass "block": rpc error: code = InvalidArgument desc = access mode ReadWriteMany is not supported by this class (supported: ReadWriteOnce)',
    )
  })

  it('reports metrics only for running pods, and node usage as their sum plus the system', async () => {
    const { store, controllers: c } = cluster()
    create(store, 'pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'svc', namespace: 'ns' },
      spec: {
        containers: [{ name: 'c', image: 'busybox:1.36', resources: { requests: { cpu: '500m', memory: '256Mi' } } }],
      },
    })
    await settle(c, () => field(store.get('pods', 'ns', 'svc'), ['status', 'phase']) === 'Running')
    expect(c.podMetrics('ns').map((m) => m.metadata.name)).toEqual(['svc'])
    const small = c.nodeMetrics().find((m) => m.metadata.name === 'small')
    expect((small?.usage as { cpu?: string } | undefined)?.cpu).toMatch(/^\d+n$/)
    // The kubelet stats of a pod it runs come from the sandbox's real processes.
    const summary = c.statsSummary('small') as {
      pods: { podRef: { name: string }; containers: { memory?: { workingSetBytes: number } }[] }[]
    }
    const svc = summary.pods.find((p) => p.podRef.name === 'svc')
    expect(svc?.containers[0]?.memory?.workingSetBytes).toBeGreaterThan(0)
  })
})
