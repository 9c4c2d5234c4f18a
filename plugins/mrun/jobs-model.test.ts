import { describe, expect, it } from 'vitest'
import { clusterBuildObjects } from './builders.ts'
import {
  DEFAULT_CPU,
  DEFAULT_MEM,
  indexRows,
  keepsPerIndexBackoff,
  limitsProblem,
  parseIndexRanges,
  podRefusal,
  podStall,
  withDefaultResources,
  withLimits,
  withoutPerIndexBackoff,
  withPerIndexBackoff,
} from './jobs-model.ts'
import { buildGrid, jobObject, type KubeObject, type PodLike, type RunSpec } from './model.ts'

const spec = (points: number): RunSpec => ({
  runId: 'bcdfgh',
  project: 'p',
  experiment: 'sweep',
  namespace: 'ns',
  image: 'busybox',
  command: ['sh', '-c', 'exit 0'],
  args: [],
  grid: buildGrid({}, points > 1 ? [['x', Array.from({ length: points }, (_, i) => i)]] : []),
  tags: [],
  resources: withDefaultResources({}),
  retries: 2,
  parallelism: undefined,
  ttlSeconds: 60,
  storageDir: '/storage',
  nodeSelector: {},
  tolerations: [],
  tpu: {},
  pullSecret: undefined,
  neptuneProject: undefined,
  neptuneToken: false,
})

type JobSpec = Record<string, unknown> & {
  template: { spec: { containers: { resources?: unknown }[] } }
}
const specOf = (job: KubeObject): JobSpec => job.spec as JobSpec

describe('resources of mrun Jobs', () => {
  it('are always set: defaults for CPU and memory when neither flags nor context give them', () => {
    expect(withDefaultResources({})).toEqual({ cpu: DEFAULT_CPU, mem: DEFAULT_MEM })
    expect(withDefaultResources({ cpu: '4', gpu: '1' })).toEqual({ cpu: '4', mem: DEFAULT_MEM, gpu: '1' })
    const container = specOf(jobObject(spec(1))).template.spec.containers[0]
    expect(container?.resources).toEqual({
      requests: { cpu: DEFAULT_CPU, memory: DEFAULT_MEM },
      limits: { cpu: DEFAULT_CPU, memory: DEFAULT_MEM },
    })
  })
})

describe("a profile's limits", () => {
  it('replace the limits they name, keep the requests, and may not be below them', () => {
    const job = withLimits(jobObject(spec(1)), { mem: '4Gi' })
    expect(specOf(job).template.spec.containers[0]?.resources).toEqual({
      requests: { cpu: DEFAULT_CPU, memory: DEFAULT_MEM },
      limits: { cpu: DEFAULT_CPU, memory: '4Gi' },
    })
    expect(limitsProblem({ cpu: '2', mem: '8Gi' }, { cpu: '4', mem: '8Gi' })).toBeUndefined()
    expect(limitsProblem({ cpu: '2', mem: '8Gi' }, { mem: '4Gi' })).toBe(
      "the profile's limits.mem 4Gi is less than the mem request 8Gi; a limit must be at least the request",
    )
  })
})

describe('per-index backoff', () => {
  it('a sweep gets backoffLimitPerIndex = retries and maxFailedIndexes = every point, and no backoffLimit', () => {
    const job = withPerIndexBackoff(jobObject(spec(4)), 2)
    expect(specOf(job)).toMatchObject({ completionMode: 'Indexed', backoffLimitPerIndex: 2, maxFailedIndexes: 4 })
    expect(specOf(job).backoffLimit).toBeUndefined()
  })

  it('a single run keeps backoffLimit', () => {
    const job = withPerIndexBackoff(jobObject(spec(1)), 2)
    expect(specOf(job).backoffLimit).toBe(2)
    expect(specOf(job).backoffLimitPerIndex).toBeUndefined()
  })

  it('falls back to one backoffLimit when the server dropped the field', () => {
    const job = withPerIndexBackoff(jobObject(spec(3)), 1)
    expect(keepsPerIndexBackoff(job, { spec: { backoffLimitPerIndex: 1 } })).toBe(true)
    expect(keepsPerIndexBackoff(job, { spec: {} })).toBe(false)
    const old = withoutPerIndexBackoff(job, 1)
    expect(specOf(old)).toMatchObject({ backoffLimit: 1, completionMode: 'Indexed' })
    expect(specOf(old).backoffLimitPerIndex).toBeUndefined()
    expect(specOf(old).maxFailedIndexes).toBeUndefined()
  })
})

const pod = (index: number, name: string, created: string, status: PodLike['status']): PodLike => ({
  metadata: {
    name,
    creationTimestamp: created,
    annotations: { 'batch.kubernetes.io/job-completion-index': String(index) },
  },
  spec: { nodeName: 'node-a' },
  status,
})
const exited = (code: number): PodLike['status'] => ({
  phase: code === 0 ? 'Succeeded' : 'Failed',
  containerStatuses: [
    { name: 'main', state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' } } },
  ],
})

describe('status rows of a sweep', () => {
  it('one per index, from its newest pod, with retries counted; indexes without pods from the Job status', () => {
    const job = {
      spec: { completions: 5, completionMode: 'Indexed' },
      status: { completedIndexes: '0', failedIndexes: '2', conditions: [] },
    }
    const rows = indexRows(job, [
      pod(1, 's-1-aaaaa', '2026-01-01T10:00:00Z', exited(3)),
      pod(1, 's-1-bbbbb', '2026-01-01T10:00:09Z', exited(0)),
      pod(3, 's-3-ccccc', '2026-01-01T10:00:01Z', { phase: 'Running' }),
    ])
    expect(rows.map((r) => [r.index, r.pod, r.phase, r.exitCode, r.retries])).toEqual([
      [0, '', 'Succeeded', undefined, 0],
      [1, 's-1-bbbbb', 'Succeeded', 0, 1],
      [2, '', 'Failed', undefined, 0],
      [3, 's-3-ccccc', 'Running', undefined, 0],
      [4, '', 'Pending', undefined, 0],
    ])
    expect(rows[4]?.reason).toBe('not started: waiting for a free slot')
  })

  it('reads the index ranges of the Job status', () => {
    expect([...parseIndexRanges('0,2-4,7')]).toEqual([0, 2, 3, 4, 7])
    expect([...parseIndexRanges('')]).toEqual([])
    expect([...parseIndexRanges(undefined)]).toEqual([])
  })
})

describe('policy refusals', () => {
  it('PodSecurity names the level and namespace, and cannot be waited out', () => {
    const refusal = podRefusal(
      'Error creating: pods "x-0-abcde" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "main" must set securityContext.allowPrivilegeEscalation=false)',
      'restricted',
    )
    expect(refusal).toMatchObject({
      policy: 'PodSecurity "restricted:latest" of namespace "restricted"',
      permanent: true,
    })
    expect(refusal?.detail).toMatch(/^violates PodSecurity/)
    expect(refusal?.hint).toMatch(/pod-security\.kubernetes\.io\/enforce/)
  })

  it('a full quota can free up; a quota that requires limits cannot; a LimitRange is named', () => {
    expect(
      podRefusal(
        'pods "x" is forbidden: exceeded quota: compute, requested: limits.memory=8Gi, used: limits.memory=0, limited: limits.memory=4Gi',
        'ns',
      ),
    ).toMatchObject({ policy: 'ResourceQuota "compute" of namespace "ns"', permanent: false })
    expect(
      podRefusal('pods "x" is forbidden: failed quota: compute: must specify limits.cpu for: main', 'ns'),
    ).toMatchObject({ policy: 'ResourceQuota "compute" of namespace "ns"', permanent: true })
    expect(
      podRefusal('pods "x" is forbidden: maximum memory usage per Container is 1Gi, but limit is 8Gi', 'ns'),
    ).toMatchObject({ policy: 'LimitRange of namespace "ns"', permanent: true })
    expect(podRefusal('Job.batch "x" is invalid: spec.template: Required value', 'ns')).toBeUndefined()
  })
})

describe('pods that never finish by themselves', () => {
  it('unschedulable (quoting the scheduler), image pull errors and missing config; not a running pod', () => {
    expect(
      podStall({
        metadata: { name: 'p' },
        status: {
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/2 nodes are available: 2 Insufficient cpu.',
            },
          ],
        },
      }),
    ).toBe('pod p cannot be scheduled: 0/2 nodes are available: 2 Insufficient cpu.')
    for (const reason of ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName'])
      expect(
        podStall({
          metadata: { name: 'p' },
          status: {
            phase: 'Pending',
            containerStatuses: [{ name: 'main', state: { waiting: { reason, message: 'no such image' } } }],
          },
        }),
      ).toBe(`pod p cannot pull its image (${reason}: no such image)`)
    expect(
      podStall({
        metadata: { name: 'p' },
        status: {
          phase: 'Pending',
          containerStatuses: [{ name: 'main', state: { waiting: { reason: 'ContainerCreating' } } }],
        },
      }),
    ).toBeUndefined()
    expect(podStall({ metadata: { name: 'p' }, status: { phase: 'Running' } })).toBeUndefined()
  })
})

describe('the kaniko build Job', () => {
  it("runs the image's entrypoint, sets DOCKER_CONFIG where the registry Secret is, and has requests and limits", () => {
    const { job } = clusterBuildObjects({
      namespace: 'ns',
      hash: 'a'.repeat(64),
      image: 'reg/x:1',
      kanikoImage: 'cgr.dev/chainguard/kaniko',
      tarball: Buffer.from('x'),
      registrySecret: true,
    })
    const container = (
      job.spec as {
        template: {
          spec: {
            containers: {
              command?: string[]
              env?: { name: string; value: string }[]
              resources?: object
              volumeMounts: { mountPath: string }[]
            }[]
          }
        }
      }
    ).template.spec.containers[0]
    expect(container?.command).toBeUndefined()
    expect(container?.env).toEqual([{ name: 'DOCKER_CONFIG', value: '/kaniko/.docker' }])
    expect(container?.volumeMounts.map((m) => m.mountPath)).toContain('/kaniko/.docker')
    expect(container?.resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi' },
      limits: { cpu: '2', memory: '2Gi' },
    })
  })
})
