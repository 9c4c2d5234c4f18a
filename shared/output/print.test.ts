import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { Io } from '../cli/io.ts'
import { barCell } from './bar.ts'
import { stripAnsi } from './color.ts'
import { OUTPUT_FORMATS } from './format.ts'
import { noResourcesMessage, printView, renderView, type View } from './print.ts'

const nodes: View = {
  table: {
    columns: [
      { header: 'NAME' },
      { header: 'STATUS' },
      { header: 'CPU', align: 'right' },
      { header: 'CPU%', align: 'right' },
      { header: 'USAGE' },
      { header: 'INTERNAL-IP', wideOnly: true },
      { header: 'AGE' },
    ],
    rows: [
      [
        'worker-1',
        { text: 'Ready', role: 'ok' },
        '1250m',
        '31%',
        barCell(
          [
            { fraction: 0.31, role: 'ok' },
            { fraction: 0.19, role: 'warn' },
          ],
          10,
        ),
        '10.0.0.11',
        '3d4h',
      ],
      [
        'control-plane-集群',
        { text: 'NotReady', role: 'bad' },
        '80m',
        '2%',
        barCell([{ fraction: 0.02, role: 'ok' }], 10),
        '10.0.0.2',
        '412d',
      ],
      ['gpu-a', { text: 'Ready,SchedulingDisabled', role: 'warn' }, '0', '0%', barCell([], 10), '', '45s'],
    ],
  },
  csv: {
    columns: [{ header: 'NAME' }, { header: 'STATUS' }, { header: 'CPU' }, { header: 'NOTE' }],
    rows: [
      ['worker-1', 'Ready', '1250m', ''],
      ['control-plane-集群', 'NotReady', '80m', 'kubelet stopped posting "Ready", since 10:00'],
      ['gpu-a', 'Ready,SchedulingDisabled', '0', 'cordoned\tfor\nmaintenance'],
    ],
  },
  document: {
    apiVersion: 'v1',
    kind: 'List',
    metadata: { resourceVersion: '' },
    items: [
      { kind: 'Node', metadata: { name: 'worker-1', labels: { 'node-role.kubernetes.io/worker': '' } } },
      { kind: 'Node', metadata: { name: 'control-plane-集群', annotations: { revision: '1' } } },
      { kind: 'Node', metadata: { name: 'gpu-a' }, spec: { unschedulable: true, taints: [] } },
    ],
  },
  names: ['node/worker-1', 'node/control-plane-集群', 'node/gpu-a'],
}

const empty: View = {
  table: { columns: nodes.table.columns, rows: [] },
  document: { apiVersion: 'v1', kind: 'List', items: [] },
  names: [],
}

function memoryIo(color: boolean): { io: Io; writes: string[] } {
  const writes: string[] = []
  const sink = (into: string[]): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        into.push(chunk.toString('utf8'))
        done()
      },
    })
  const io: Io = {
    out: sink(writes),
    err: sink([]),
    outIsTTY: color,
    errIsTTY: false,
    inIsTTY: false,
    color,
    columns: undefined,
    env: {},
    now: () => new Date('2025-06-01T12:00:00Z'),
  }
  return { io, writes }
}

describe('renderView golden outputs', () => {
  it.each(OUTPUT_FORMATS)('prints the nodes fixture as -o %s', async (format) => {
    await expect(renderView(nodes, format, { color: false })).toMatchFileSnapshot(
      `./testdata/golden/nodes.${format}.txt`,
    )
  })

  it('prints the table without headers for --no-headers', async () => {
    await expect(renderView(nodes, 'table', { color: false, noHeaders: true })).toMatchFileSnapshot(
      './testdata/golden/nodes.table-no-headers.txt',
    )
  })

  it('prints the coloured wide table', async () => {
    await expect(renderView(nodes, 'wide', { color: true })).toMatchFileSnapshot(
      './testdata/golden/nodes.wide-color.txt',
    )
  })
})

describe('renderView', () => {
  it.each(OUTPUT_FORMATS)('with colour on, -o %s shows the same text once escapes are stripped', (format) => {
    expect(stripAnsi(renderView(nodes, format, { color: true }))).toBe(renderView(nodes, format, { color: false }))
  })

  it.each(['json', 'yaml', 'name', 'csv', 'tsv'] as const)('never colours -o %s', (format) => {
    expect(renderView(nodes, format, { color: true })).not.toContain('\u001b')
  })

  it('uses the table with every column for csv when no csv view is given', () => {
    const { csv: _, ...withoutCsv } = nodes
    const text = renderView(withoutCsv, 'csv', { color: false })
    expect(text.split('\n')[0]).toBe('NAME,STATUS,CPU,CPU%,USAGE,INTERNAL-IP,AGE')
  })

  it.each(['table', 'wide', 'name', 'csv', 'tsv'] as const)('prints nothing for an empty result as -o %s', (format) => {
    expect(renderView(empty, format, { color: false })).toBe('')
  })

  it('still prints the empty list for -o json and -o yaml, as kubectl does', () => {
    expect(renderView(empty, 'json', { color: false })).toBe(
      '{\n    "apiVersion": "v1",\n    "kind": "List",\n    "items": []\n}\n',
    )
    expect(renderView(empty, 'yaml', { color: false })).toBe('apiVersion: v1\nitems: []\nkind: List\n')
  })
})

describe('printView', () => {
  it('writes the rendered view to stdout in one write, coloured as io says', () => {
    for (const color of [false, true]) {
      const { io, writes } = memoryIo(color)
      printView(io, nodes, 'wide')
      expect(writes).toEqual([renderView(nodes, 'wide', { color })])
    }
  })

  it('passes --no-headers through', () => {
    const { io, writes } = memoryIo(false)
    printView(io, nodes, 'tsv', { noHeaders: true })
    expect(writes.join('')).toBe(renderView(nodes, 'tsv', { color: false, noHeaders: true }))
    expect(writes.join('')).not.toContain('NAME')
  })

  it('writes nothing at all for an empty table', () => {
    const { io, writes } = memoryIo(true)
    printView(io, empty, 'table')
    expect(writes).toEqual([])
  })
})

describe('noResourcesMessage', () => {
  it.each([
    ['default', 'No resources found in default namespace.'],
    ['ml-team', 'No resources found in ml-team namespace.'],
    [undefined, 'No resources found'],
  ])('namespace %s → %j', (namespace, expected) => {
    expect(noResourcesMessage(namespace)).toBe(expected)
  })
})
