import type { V1Node, V1Pod } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { FIXED_NOW } from '../../shared/cli/memory-io.ts'
import { renderView } from '../../shared/output/index.ts'
import { node, pod } from '../../test/sim/scenario/builders.ts'
import { buildNodesReport, emptyTotals, foldPodIntoNodeTotals, type NodesSnapshot, type PodTotals } from './model.ts'
import { podRow } from './pods-model.ts'
import { barsLegend, renderNodes } from './render-nodes.ts'
import { renderPods } from './render-pods.ts'

const created = new Date('2026-11-01T00:00:00Z')
const now = FIXED_NOW

function fixture(): NodesSnapshot {
  const nodes = [
    node({ name: 'worker-1', cpu: '4', memory: '16Gi', created, ip: '10.0.0.1' }),
    node({
      name: 'gpu-1',
      cpu: '16',
      memory: '64Gi',
      gpus: 2,
      created,
      ip: '10.0.0.2',
      taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }],
    }),
    node({ name: 'worker-2', cpu: '4', memory: '16Gi', created, ip: '10.0.0.3', ready: 'False', unschedulable: true }),
  ] as unknown as V1Node[]
  const pods = [
    pod({
      namespace: 'a',
      name: 'web',
      node: 'worker-1',
      created,
      containers: [{ name: 'c', requests: { cpu: '1500m', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } }],
    }),
    pod({
      namespace: 'a',
      name: 'side',
      node: 'worker-1',
      created,
      initContainers: [{ name: 's', restartPolicy: 'Always', requests: { cpu: '250m', memory: '256Mi' } }],
      containers: [{ name: 'c', requests: { cpu: '1', memory: '1Gi' } }],
    }),
    pod({
      namespace: 'b',
      name: 'train',
      node: 'gpu-1',
      created,
      containers: [
        {
          name: 't',
          requests: { cpu: '8', memory: '32Gi' },
          limits: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '1' },
        },
      ],
    }),
    pod({
      namespace: 'b',
      name: 'pending',
      created,
      containers: [{ name: 'p', requests: { cpu: '2', memory: '1Gi' } }],
    }),
    pod({
      namespace: 'b',
      name: 'done',
      node: 'worker-1',
      phase: 'Succeeded',
      created,
      containers: [{ name: 'd', requests: { cpu: '3' } }],
    }),
  ] as unknown as V1Pod[]
  const totals = new Map<string, PodTotals>()
  const unscheduled = emptyTotals()
  for (const p of pods) foldPodIntoNodeTotals(totals, unscheduled, p)
  const metrics = new Map([
    ['worker-1', { cpu: 1_234_567_890n, memory: 5n * 1024n ** 3n * 1_000_000_000n }],
    ['gpu-1', { cpu: 7_900_000_000n, memory: 30n * 1024n ** 3n * 1_000_000_000n }],
  ])
  return { nodes, totals, unscheduled, metrics }
}

const options = { now, bars: false, asciiBars: true, showLabels: false, available: false }

describe('usage nodes views', () => {
  it.each(['table', 'wide', 'json', 'csv'] as const)('renders %s like the golden file', async (format) => {
    const text = renderView(renderNodes(buildNodesReport(fixture()), options), format, { color: false })
    await expect(text).toMatchFileSnapshot(`./testdata/golden/nodes.${format}.txt`)
  })

  it('has a legend line for the bars, in the glyphs they were drawn with', () => {
    expect(barsLegend(true)).toBe(
      'bars (whole bar = allocatable): # used within requests, = requested but unused, . used beyond requests',
    )
    expect(barsLegend(false)).toContain('█ used within requests, ▒ requested but unused, ░ used beyond requests')
  })

  it('renders bars in ASCII when asked (pipes and non-UTF-8 terminals)', async () => {
    const text = renderView(renderNodes(buildNodesReport(fixture()), { ...options, bars: true }), 'table', {
      color: false,
    })
    await expect(text).toMatchFileSnapshot('./testdata/golden/nodes.bars.txt')
  })

  it('counts the sidecar, skips finished pods and keeps the pending pod apart', () => {
    const report = buildNodesReport(fixture())
    const worker = report.nodes.find((n) => n.name === 'worker-1')
    expect(worker?.resources.cpu?.requests).toBe(2750)
    expect(worker?.pods.count).toBe(2)
    expect(report.pending).toEqual({ pods: 1, requests: expect.objectContaining({ cpu: 2000 }) })
  })
})

describe('usage pods views', () => {
  it('renders the table like the golden file', async () => {
    const pods = [
      pod({
        namespace: 'a',
        name: 'web',
        node: 'worker-1',
        created,
        containers: [{ name: 'c', requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } }],
      }),
    ] as unknown as V1Pod[]
    const rows = pods.map((p) =>
      podRow(p, [{ name: 'c', cpu: 250_000_000n, memory: 512n * 1024n * 1024n * 1_000_000_000n }]),
    )
    const view = renderPods(rows, {
      now,
      allNamespaces: true,
      containers: false,
      resources: ['cpu', 'memory'],
      showLabels: false,
      metricsAvailable: true,
    })
    await expect(renderView(view, 'wide', { color: false })).toMatchFileSnapshot('./testdata/golden/pods.wide.txt')
  })

  it('prints the same default table without the wide-only cells, and -o wide and csv with them', () => {
    const owned = pod({
      namespace: 'a',
      name: 'web-1',
      node: 'worker-1',
      created,
      containers: [{ name: 'c' }],
      labels: { 'pod-template-hash': '5d8f' },
      owner: { kind: 'ReplicaSet', name: 'web-5d8f' },
    })
    const rows = [owned, { ...owned, metadata: { ...owned.metadata, name: 'web-2' } }].map((p) =>
      podRow(p as unknown as V1Pod, [{ name: 'c', cpu: 1_000_000n, memory: 3n * 1024n * 1024n * 1_000_000_000n }]),
    )
    const base = { now, allNamespaces: false, containers: false, resources: ['cpu', 'memory'], showLabels: true }
    const full = renderPods(rows, { ...base, metricsAvailable: true })
    const lean = renderPods(rows, { ...base, metricsAvailable: true, wideCells: false })
    expect(renderView(lean, 'table', { color: false })).toBe(renderView(full, 'table', { color: false }))
    const wide = renderView(full, 'wide', { color: false })
    expect(wide.split('\n')[2]).toMatch(
      /^web-2 .* 1m .* 3Mi .* Running .* Deployment\/web {3}21d {3}pod-template-hash=5d8f$/,
    )
    expect(renderView(full, 'csv', { color: false })).toContain(',Deployment/web,21d')
  })
})
