import type { V1Node, V1Pod } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { FIXED_NOW } from '../../shared/cli/memory-io.ts'
import { renderView } from '../../shared/output/index.ts'
import { type ContainerSpec, node, type PodSpec, pod } from '../../test/sim/scenario/builders.ts'
import {
  compareText,
  emptyCounts,
  filterVerdict,
  foldPodIntoSummaries,
  nodeSummary,
  type PodUsage,
  parseSortKey,
  type RowFilter,
  resolveWorkload,
  sortRows,
  type WorkloadRow,
  workloadRow,
} from './model.ts'
import { DEFAULT_CONFIG } from './platform.ts'
import { renderInfoText, renderList, renderNodes, writeList } from './render.ts'

const created = new Date('2026-11-01T00:00:00Z')
const now = FIXED_NOW
const MI = 1024n * 1024n

function platformPod(spec: Partial<PodSpec> & { name: string; containers: ContainerSpec[] }): V1Pod {
  return pod({ namespace: 'ae', node: 'worker-1', created, ...spec }) as unknown as V1Pod
}

function usage(containers: [string, string, string][]): PodUsage {
  return {
    containers: containers.map(([name, cpu, memory]) => ({
      name,
      cpu: BigInt(cpu.replace('n', '')),
      memory: BigInt(memory) * MI,
    })),
    window: '10.5s',
    timestamp: '2026-11-22T11:59:50Z',
  }
}

function row(p: V1Pod, u?: PodUsage): WorkloadRow {
  const r = workloadRow(p, u, DEFAULT_CONFIG)
  if (r === undefined) throw new Error('not a platform pod')
  return r
}

const session = platformPod({
  name: 'anaconda-session-aaaa1111-5d8f7c9b6-x1x1x',
  labels: { 'anaconda-session-id': 'aaaa1111', 'anaconda-owner': 'alice' },
  containers: [
    { name: 'editor', requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } },
    { name: 'tool-proxy-ab12', requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
    {
      name: 'tool-anaconda-platform-sync-ab12',
      requests: { cpu: '50m', memory: '128Mi' },
      limits: { cpu: '100m', memory: '256Mi' },
    },
  ],
})

describe('workloadRow', () => {
  it('sums usage over every container and takes % of limits when every container has one', () => {
    const r = row(
      session,
      usage([
        ['editor', '433500000n', '887'],
        ['tool-proxy-ab12', '20000000n', '25'],
        ['tool-anaconda-platform-sync-ab12', '15000001n', '31'],
      ]),
    )
    expect(r.usage).toEqual({ cpu: 468500001n, memory: 943n * MI })
    expect(r.limits).toEqual({ cpu: 2_200_000_000n, memory: 4480n * MI })
    // 468.500001m of 2200m = 21.29…% → 21 (kubectl truncates)
    expect(r.cpuPercent).toEqual({ value: 21, of: 'limits' })
    expect(r.memoryPercent).toEqual({ value: 21, of: 'limits' })
    expect(r.containers.map((c) => c.alias)).toEqual(['editor', 'sync-proxy', 'sync'])
  })

  it('falls back to % of requests when one container has no limit, and to nothing without requests', () => {
    const p = platformPod({
      name: 'anaconda-app-bbbb-1-x',
      labels: { 'app-id': 'bbbb' },
      containers: [
        { name: 'app', requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1' } },
        { name: 'app-proxy' },
      ],
    })
    const r = row(
      p,
      usage([
        ['app', '250000000n', '512'],
        ['app-proxy', '0n', '0'],
      ]),
    )
    expect(r.limits).toEqual({})
    expect(r.cpuPercent).toEqual({ value: 50, of: 'requests' })
    expect(r.memoryPercent).toEqual({ value: 50, of: 'requests' })
    const bare = row(
      platformPod({ name: 'anaconda-app-cccc-1-x', containers: [{ name: 'app' }] }),
      usage([['app', '1n', '1']]),
    )
    expect(bare.cpuPercent).toBeUndefined()
  })

  it('counts GPUs from requests, or from limits when only a limit is given, and restartable sidecars', () => {
    const p = platformPod({
      name: 'anaconda-session-dddd-1-x',
      initContainers: [
        { name: 'sidecar', restartPolicy: 'Always', requests: { cpu: '100m' } },
        { name: 'init', requests: { cpu: '3' } },
      ],
      containers: [{ name: 'editor', limits: { 'nvidia.com/gpu': '2', cpu: '1' } }],
    })
    const r = row(p)
    expect(r.gpu).toBe(2n)
    // the sidecar counts, the finished init container does not; a limit without request counts as the request
    expect(r.requests.cpu).toBe(1_100_000_000n)
    expect(r.usage).toBeUndefined()
    expect(r.cpuPercent).toBeUndefined()
  })

  it('says why a pod is pending: the scheduler message for unschedulable pods', () => {
    const r = row(
      platformPod({
        name: 'anaconda-session-eeee-1-x',
        node: undefined,
        phase: 'Pending',
        unschedulableMessage: '0/5 nodes are available: 3 Insufficient memory.',
        containers: [{ name: 'editor', requests: { cpu: '4' } }],
      }),
    )
    expect(r).toMatchObject({ phase: 'Pending', reason: 'Unschedulable', node: undefined })
    expect(r.message).toContain('Insufficient memory')
  })
})

/** What the pod list keeps, page by page: the rows the filter admits and how many had no owner. */
function filterRows(rows: readonly WorkloadRow[], filter: RowFilter): { rows: WorkloadRow[]; unknownOwner: number } {
  const verdicts = rows.map((r) => filterVerdict(filter, r.kind, r.owner))
  return {
    rows: rows.filter((_, i) => verdicts[i] === 'keep'),
    unknownOwner: verdicts.filter((v) => v === 'unknown-owner').length,
  }
}

describe('filterVerdict', () => {
  const rows = [
    row(session),
    row(
      platformPod({
        name: 'anaconda-app-ffff-1-x',
        labels: { 'anaconda-owner': 'bob' },
        containers: [{ name: 'app' }],
      }),
    ),
    row(platformPod({ name: 'anaconda-job-9999-x', containers: [{ name: 'app' }] })),
  ]
  it('keeps one owner and counts the rows whose owner is unknown', () => {
    const result = filterRows(rows, { owner: 'alice' })
    expect(result.rows.map((r) => r.id)).toEqual(['a1-aaaa1111'])
    expect(result.unknownOwner).toBe(1)
  })
  it('keeps kinds', () => {
    expect(filterRows(rows, { kinds: ['deployment', 'run'] }).rows.map((r) => r.kind)).toEqual(['deployment', 'run'])
    expect(filterRows(rows, {}).unknownOwner).toBe(0)
  })
})

describe('resolveWorkload', () => {
  const rows = [
    row(platformPod({ name: 'anaconda-session-abc123-1-x', containers: [{ name: 'editor' }] })),
    row(platformPod({ name: 'anaconda-session-abd456-1-x', containers: [{ name: 'editor' }] })),
    row(platformPod({ name: 'anaconda-app-abc999-1-x', containers: [{ name: 'app' }] })),
    row(platformPod({ name: 'anaconda-app-abc999-1-y', containers: [{ name: 'app' }] })),
  ]
  it.each([
    ['a full id', 'a1-abc123', ['anaconda-session-abc123-1-x']],
    ['a unique id prefix', 'a1-abd', ['anaconda-session-abd456-1-x']],
    ['a bare slug', 'abd456', ['anaconda-session-abd456-1-x']],
    ['a pod name', 'anaconda-app-abc999-1-y', ['anaconda-app-abc999-1-y']],
    ['every replica of a deployment', 'a2-abc9', ['anaconda-app-abc999-1-x', 'anaconda-app-abc999-1-y']],
  ])('finds %s', (_case, query, pods) => {
    const result = resolveWorkload(rows, query)
    expect(result.kind).toBe('found')
    if (result.kind === 'found') expect(result.rows.map((r) => r.pod)).toEqual(pods)
  })
  it('reports an ambiguous prefix with the ids it matches', () => {
    expect(resolveWorkload(rows, 'a1-ab')).toEqual({ kind: 'ambiguous', ids: ['a1-abc123', 'a1-abd456'] })
  })
  it('reports nothing found', () => {
    expect(resolveWorkload(rows, 'a1-zzz')).toEqual({ kind: 'none' })
  })
})

describe('compareText', () => {
  it('orders Kubernetes names as localeCompare does, and other text through localeCompare itself', () => {
    // Seeded, so a failure names the same pair every run.
    let seed = 7
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const name = (alphabet: string): string =>
      Array.from({ length: 1 + next(7) }, () => alphabet[next(alphabet.length)]).join('')
    for (const alphabet of ['abcdefghijklmnopqrstuvwxyz0123456789.-', 'aAbB_@-.0zZ']) {
      for (let i = 0; i < 20_000; i++) {
        const [a, b] = [name(alphabet), name(alphabet)]
        expect([a, b, Math.sign(compareText(a, b))]).toEqual([a, b, Math.sign(a.localeCompare(b))])
      }
    }
  })
})

describe('sortRows', () => {
  const rows = [
    row(session, usage([['editor', '100000000n', '10']])),
    row(
      platformPod({ name: 'anaconda-app-b-1-x', labels: { 'anaconda-owner': 'bob' }, containers: [{ name: 'app' }] }),
      usage([['app', '300000000n', '5']]),
    ),
    row(platformPod({ name: 'anaconda-app-c-1-x', containers: [{ name: 'app' }] })),
  ]
  it.each([
    ['cpu', ['anaconda-app-b-1-x', 'anaconda-session-aaaa1111-5d8f7c9b6-x1x1x', 'anaconda-app-c-1-x']],
    ['mem', ['anaconda-session-aaaa1111-5d8f7c9b6-x1x1x', 'anaconda-app-b-1-x', 'anaconda-app-c-1-x']],
    ['owner', ['anaconda-session-aaaa1111-5d8f7c9b6-x1x1x', 'anaconda-app-b-1-x', 'anaconda-app-c-1-x']],
  ])('by %s, unknown values last', (key, pods) => {
    const sortKey = parseSortKey(key)
    expect(sortKey).toBeDefined()
    if (sortKey !== undefined) expect(sortRows(rows, sortKey).map((r) => r.pod)).toEqual(pods)
  })
  it('rejects unknown columns', () => {
    expect(parseSortKey('bogus')).toBeUndefined()
  })
})

describe('node summaries', () => {
  it('count platform kinds per node, pending pods, and unscheduled platform pods apart', () => {
    const nodes = [
      node({ name: 'worker-1', cpu: '8', memory: '32Gi', created, ip: '10.0.0.1' }),
      node({ name: 'gpu-1', cpu: '32', memory: '256Gi', gpus: 4, created, ip: '10.0.0.2' }),
    ] as unknown as V1Node[]
    const summaries = new Map(nodes.map((n) => [n.metadata?.name ?? '', nodeSummary(n, undefined)]))
    const unscheduled = emptyCounts()
    const pods = [
      session,
      platformPod({
        name: 'anaconda-job-j1-x',
        node: 'gpu-1',
        containers: [{ name: 'app', requests: { 'nvidia.com/gpu': '1' } }],
      }),
      platformPod({ name: 'anaconda-job-j2-x', node: 'gpu-1', phase: 'Succeeded', containers: [{ name: 'app' }] }),
      platformPod({
        name: 'anaconda-session-s2-x',
        node: undefined,
        phase: 'Pending',
        containers: [{ name: 'editor' }],
      }),
      platformPod({ name: 'kube-proxy-x', node: 'worker-1', containers: [{ name: 'p', requests: { cpu: '100m' } }] }),
    ]
    for (const p of pods) foldPodIntoSummaries(summaries, unscheduled, p, DEFAULT_CONFIG)
    const worker = summaries.get('worker-1')
    const gpu = summaries.get('gpu-1')
    expect(worker).toMatchObject({ pods: 2, counts: { session: 1, deployment: 0, run: 0 } })
    expect(worker?.requests.cpu).toBe(1_200_000_000n)
    expect(gpu).toMatchObject({ pods: 1, gpuRequested: 1n, counts: { session: 0, deployment: 0, run: 1 } })
    expect(gpu?.allocatable.gpu).toBe(4n)
    expect(unscheduled).toEqual({ session: 1, deployment: 0, run: 0 })
  })
})

describe('renderers', () => {
  const rows = [
    row(
      session,
      usage([
        ['editor', '433500000n', '887'],
        ['tool-proxy-ab12', '20000000n', '25'],
        ['tool-anaconda-platform-sync-ab12', '15000001n', '31'],
      ]),
    ),
    row(
      platformPod({
        name: 'anaconda-session-eeee-1-x',
        node: undefined,
        phase: 'Pending',
        labels: { 'session-id': 'eeee', 'anaconda-owner': 'bob' },
        unschedulableMessage: '0/5 nodes are available: 3 Insufficient memory.',
        containers: [{ name: 'editor', requests: { cpu: '4', memory: '60Gi', 'nvidia.com/gpu': '1' } }],
      }),
    ),
    row(
      platformPod({
        name: 'anaconda-app-ffff-1-x',
        labels: { 'anaconda-app-id': 'ffff' },
        containers: [{ name: 'app' }],
      }),
    ),
  ]
  it.each(['table', 'wide', 'json'] as const)('list renders %s like the golden file', async (format) => {
    const text = renderView(renderList(rows, { now, showNamespace: false }), format, { color: false })
    await expect(text).toMatchFileSnapshot(`./testdata/golden/list.${format}.txt`)
  })
  it.each(['table', 'wide', 'json', 'yaml', 'name', 'csv'] as const)(
    'the list command writes %s as renderView prints it, a batch at a time',
    (format) => {
      // Over a thousand rows: more than one batch of table lines (512) and of JSON items (256).
      const many = Array.from({ length: 200 }, () => rows).flat()
      const options = { now, showNamespace: true }
      const writes: string[] = []
      writeList(many, format, { ...options, color: false, maxWidth: 80 }, (text) => writes.push(text))
      expect(writes.join('')).toBe(renderView(renderList(many, options), format, { color: false, maxWidth: 80 }))
      if (format !== 'name' && format !== 'csv') expect(writes.length).toBeGreaterThan(1)
    },
  )
  it('info renders like the golden file and never shows env or volumes', async () => {
    const text = renderInfoText(rows.slice(0, 1), { now })
    expect(text).not.toMatch(/env|volume|secret/i)
    await expect(text).toMatchFileSnapshot('./testdata/golden/info.txt')
  })
  it('nodes renders like the golden file', async () => {
    const n = node({ name: 'worker-1', cpu: '8', memory: '32Gi', created, ip: '10.0.0.1' }) as unknown as V1Node
    const summary = nodeSummary(n, { cpu: 2_456_000_000n, memory: 9n * 1024n * MI })
    summary.pods = 11
    summary.counts = { session: 2, deployment: 2, run: 1 }
    const view = renderNodes([summary], { session: 1, deployment: 0, run: 0 }, { metricsAvailable: true })
    await expect(renderView(view, 'wide', { color: false })).toMatchFileSnapshot('./testdata/golden/nodes.wide.txt')
  })
})
