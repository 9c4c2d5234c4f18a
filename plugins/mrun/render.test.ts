import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FIXED_NOW } from '../../shared/cli/memory-io.ts'
import { renderView } from '../../shared/output/index.ts'
import { podStatusRow, summarizeRun } from './model.ts'
import { renderRuns, renderStatus } from './render.ts'

const now = FIXED_NOW
const job = (name: string, extra: object) => ({
  metadata: {
    name,
    namespace: 'ml',
    creationTimestamp: '2026-11-22T11:00:00Z',
    labels: { 'mrun/run-id': name.slice(-6), 'mrun/experiment': 'train', 'mrun/project': 'ml' },
    annotations: { 'mrun/image': 'reg/ml:ctx-1', 'mrun/tags': 'a,b' },
  },
  ...extra,
})
const runs = [
  job('train-aaaaaa', {
    status: {
      startTime: '2026-11-22T11:00:00Z',
      conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-11-22T11:02:05Z' }],
    },
  }),
  job('train-bbbbbb', {
    spec: { completionMode: 'Indexed', completions: 4 },
    status: { startTime: '2026-11-22T11:30:00Z', active: 2, succeeded: 1, failed: 1 },
  }),
].map(summarizeRun)

function golden(name: string, text: string): void {
  const path = join(import.meta.dirname, 'testdata/golden', name)
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, text)
  expect(text).toBe(readFileSync(path, 'utf8'))
}

describe('mrun renderers', () => {
  it('list table', () => {
    golden('list.table.txt', renderView(renderRuns(runs, { now, allNamespaces: true }), 'wide', { color: false }))
  })
  it('status table of a sweep', () => {
    const pods = [
      {
        metadata: { name: 'p-0', annotations: { 'batch.kubernetes.io/job-completion-index': '0' } },
        spec: { nodeName: 'n1' },
        status: {
          phase: 'Succeeded',
          containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        },
      },
      {
        metadata: { name: 'p-1', annotations: { 'batch.kubernetes.io/job-completion-index': '1' } },
        spec: { nodeName: 'n2' },
        status: {
          phase: 'Failed',
          containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
        },
      },
    ].map(podStatusRow)
    golden(
      'status.table.txt',
      renderView(renderStatus(runs[1] as (typeof runs)[number], pods), 'table', { color: false }),
    )
  })
})
