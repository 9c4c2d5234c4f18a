import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderView } from '../../shared/output/index.ts'
import { buildGrid, type RunSummary } from './model.ts'
import {
  columnNames,
  flattenMetrics,
  lastJsonObject,
  type ResultPod,
  type ResultRow,
  resultRows,
  sortKey,
  sortRows,
} from './results.ts'
import { parseMetricsListing } from './results-collect.ts'
import { renderResults } from './results-render.ts'

describe('lastJsonObject: what a point reported', () => {
  it.each([
    { what: 'one object', text: '{"loss": 0.5}', expected: { loss: 0.5 } },
    {
      what: 'one object over several lines',
      text: '{\n  "loss": 0.5,\n  "acc": 0.9\n}\n',
      expected: { loss: 0.5, acc: 0.9 },
    },
    {
      what: 'JSON lines: the last',
      text: '{"epoch": 1, "loss": 0.9}\n{"epoch": 2, "loss": 0.4}\n',
      expected: { epoch: 2, loss: 0.4 },
    },
    {
      what: 'a log: the last line that is an object',
      text: 'epoch 1\n{"loss": 0.9}\nWarning: slow\n{"loss": 0.3, "acc": 0.8}\ndone\n',
      expected: { loss: 0.3, acc: 0.8 },
    },
    { what: 'arrays and numbers are not objects', text: '[1,2]\n42\n"x"\n', expected: undefined },
    { what: 'a line that only looks like one', text: '{"loss": 0.5}\n{not json}\n', expected: { loss: 0.5 } },
    { what: 'a file cut at its start (read from its end)', text: '.9}\n{"loss": 0.2}', expected: { loss: 0.2 } },
    { what: 'nothing', text: '  \n', expected: undefined },
  ])('$what', ({ text, expected }) => {
    expect(lastJsonObject(text)).toEqual(expected)
  })
})

describe('flattenMetrics', () => {
  it.each([
    { input: { loss: 0.1, ok: true, note: 'x', none: null }, expected: { loss: 0.1, ok: true, note: 'x', none: null } },
    { input: { val: { loss: 0.2, acc: { top1: 0.7 } } }, expected: { 'val.loss': 0.2, 'val.acc.top1': 0.7 } },
    { input: { curve: [1, 2, 3] }, expected: { curve: '[1,2,3]' } },
  ])('$input', ({ input, expected }) => {
    expect(flattenMetrics(input)).toEqual(expected)
  })
})

const pod = (
  index: number,
  phase: string,
  created: string,
  terminated?: { exitCode: number; reason?: string; startedAt: string; finishedAt: string },
): ResultPod => ({
  metadata: {
    name: `exp-abc-${index}-${created.slice(-3, -1)}`,
    creationTimestamp: created,
    annotations: { 'batch.kubernetes.io/job-completion-index': String(index) },
  },
  status: {
    phase,
    containerStatuses: [
      {
        name: 'main',
        state:
          terminated === undefined
            ? phase === 'Running'
              ? { running: { startedAt: '2026-12-02T10:00:00Z' } }
              : { waiting: { reason: 'ContainerCreating' } }
            : { terminated },
      },
    ],
  },
})

const grid = buildGrid({ epochs: 3 }, [
  ['lr', [0.1, 0.01]],
  ['bs', [32, 64]],
])
const now = new Date('2026-12-02T10:01:00Z')

describe('resultRows', () => {
  const pods = [
    pod(0, 'Succeeded', '2026-12-02T10:00:00Z', {
      exitCode: 0,
      reason: 'Completed',
      startedAt: '2026-12-02T10:00:00Z',
      finishedAt: '2026-12-02T10:00:42Z',
    }),
    // Index 1 failed once, then its retry succeeded: the retry speaks for it.
    pod(1, 'Failed', '2026-12-02T10:00:00Z', {
      exitCode: 137,
      reason: 'OOMKilled',
      startedAt: '2026-12-02T10:00:00Z',
      finishedAt: '2026-12-02T10:00:05Z',
    }),
    pod(1, 'Succeeded', '2026-12-02T10:00:10Z', {
      exitCode: 0,
      reason: 'Completed',
      startedAt: '2026-12-02T10:00:10Z',
      finishedAt: '2026-12-02T10:00:20Z',
    }),
    pod(2, 'Running', '2026-12-02T10:00:00Z'),
  ]
  const rows = resultRows({
    points: 4,
    grid,
    params: {},
    pods,
    metricsFiles: new Map([
      [0, '{"loss": 0.5}\n{"loss": 0.25, "acc": 0.9}\n'],
      [1, 'not json at all'],
    ]),
    logs: new Map([
      [1, 'start\n{"loss": 0.75}\nbye\n'],
      [2, 'epoch 1\n{"loss": 0.6, "acc": 0.5}\n'],
    ]),
    now,
  })

  it.each([
    {
      index: 0,
      row: {
        params: { epochs: 3, lr: 0.1, bs: 32 },
        state: 'succeeded',
        exitCode: 0,
        reason: '',
        durationMs: 42_000,
        metrics: { loss: 0.25, acc: 0.9 },
        source: 'metrics.json',
      },
    },
    {
      index: 1,
      row: {
        params: { epochs: 3, lr: 0.1, bs: 64 },
        state: 'succeeded',
        exitCode: 0,
        durationMs: 10_000,
        metrics: { loss: 0.75 },
        source: 'log',
      },
    },
    {
      index: 2,
      row: {
        params: { epochs: 3, lr: 0.01, bs: 32 },
        state: 'running',
        exitCode: undefined,
        durationMs: 60_000,
        metrics: { loss: 0.6, acc: 0.5 },
        source: 'log',
      },
    },
    {
      index: 3,
      row: {
        params: { epochs: 3, lr: 0.01, bs: 64 },
        state: 'not started',
        durationMs: undefined,
        metrics: {},
        source: 'none',
      },
    },
  ])('index $index', ({ index, row }) => {
    expect(rows[index]).toMatchObject({ index, ...row })
  })

  it.each([
    { by: 'loss', desc: false, order: [0, 2, 1, 3] },
    { by: 'loss', desc: true, order: [1, 2, 0, 3] },
    { by: 'acc', desc: true, order: [0, 2, 1, 3] },
    { by: 'lr', desc: false, order: [2, 3, 0, 1] },
    { by: 'duration', desc: true, order: [2, 0, 1, 3] },
    { by: 'state', desc: false, order: [3, 2, 0, 1] },
  ])('--sort-by $by (desc $desc): $order, missing values last', ({ by, desc, order }) => {
    const key = sortKey(by, rows)
    expect(key).toBeDefined()
    expect(sortRows(rows, key as NonNullable<typeof key>, desc).map((r) => r.index)).toEqual(order)
  })

  it.each([
    { metric: 3, shown: false },
    { metric: 4, shown: true },
  ])('a metric named like a parameter is a column only when it differs ($metric vs 3: $shown)', ({ metric, shown }) => {
    const both = resultRows({
      points: 1,
      grid: undefined,
      params: { epochs: 3 },
      pods: [],
      metricsFiles: new Map([[0, JSON.stringify({ loss: 1, epochs: metric })]]),
      logs: new Map(),
      now,
    })
    expect(columnNames(both)).toEqual({ params: ['epochs'], metrics: shown ? ['loss', 'epochs'] : ['loss'] })
  })

  it('a name that is no metric, parameter or column is not a sort key', () => {
    expect(sortKey('accuracy', rows)).toBeUndefined()
  })

  it('a single run has one row with its own parameters', () => {
    const single = resultRows({
      points: 1,
      grid: undefined,
      params: { lr: 0.1 },
      pods: [],
      metricsFiles: new Map([[0, '{"loss":1}']]),
      logs: new Map(),
      now,
    })
    expect(single).toEqual([
      {
        index: 0,
        params: { lr: 0.1 },
        state: 'not started',
        exitCode: undefined,
        reason: '',
        durationMs: undefined,
        metrics: { loss: 1 },
        source: 'metrics.json',
      },
    ])
  })
})

describe('parseMetricsListing', () => {
  it.each([
    {
      sweep: true,
      output: '\x1e0/metrics.json\x1f{"a":1}\x1e12/metrics.json\x1f{"a":2}\n\x1emetrics.json\x1f{"old":1}',
      expected: [
        [0, '{"a":1}'],
        [12, '{"a":2}\n'],
      ],
    },
    { sweep: false, output: '\x1emetrics.json\x1f{"a":1}\n\x1e3/metrics.json\x1f{}', expected: [[0, '{"a":1}\n']] },
    { sweep: true, output: '', expected: [] },
  ])('sweep $sweep', ({ sweep, output, expected }) => {
    expect([...parseMetricsListing(output, sweep)]).toEqual(expected)
  })
})

describe('the results table (golden)', () => {
  const run = {
    name: 'lr-sweep-bcd234',
    namespace: 'ml-team',
    runId: 'bcd234',
    experiment: 'lr-sweep',
    phase: 'running',
  } as RunSummary
  const rows: ResultRow[] = resultRows({
    points: 4,
    grid,
    params: {},
    pods: [
      pod(0, 'Succeeded', '2026-12-02T10:00:00Z', {
        exitCode: 0,
        reason: 'Completed',
        startedAt: '2026-12-02T10:00:00Z',
        finishedAt: '2026-12-02T10:00:42Z',
      }),
      pod(1, 'Failed', '2026-12-02T10:00:00Z', {
        exitCode: 137,
        reason: 'OOMKilled',
        startedAt: '2026-12-02T10:00:00Z',
        finishedAt: '2026-12-02T10:00:05Z',
      }),
      pod(2, 'Running', '2026-12-02T10:00:00Z'),
    ],
    metricsFiles: new Map([[0, '{"loss": 0.123456789, "acc": 0.9, "val": {"loss": 0.2}}']]),
    logs: new Map([[2, '{"loss": 0.6}']]),
    now,
  })
  const view = renderResults(
    run,
    sortRows(rows, sortKey('loss', rows) as NonNullable<ReturnType<typeof sortKey>>, false),
    { sweep: true },
  )
  it.each([
    ['table', 'results.table.txt'],
    ['wide', 'results.wide.txt'],
    ['csv', 'results.csv'],
  ] as const)('-o %s matches testdata/golden/%s', (format, file) => {
    const text = renderView(view, format, { color: false })
    const path = join(import.meta.dirname, 'testdata/golden', file)
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, text)
    expect(text).toBe(readFileSync(path, 'utf8'))
  })
})
