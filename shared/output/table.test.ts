import { describe, expect, it } from 'vitest'
import { stripAnsi } from './color.ts'
import { renderTable, type TableView, tableSafeText, writeTable } from './table.ts'
import { displayWidth } from './width.ts'

const plain = { wide: false, color: false }

// Captured from the real kubectl (v1.32) with a two-context kubeconfig: `kubectl config get-contexts` goes
// through the same tabwriter settings as `kubectl get`, and needs no cluster.
const contexts: TableView = {
  columns: [
    { header: 'CURRENT' },
    { header: 'NAME' },
    { header: 'CLUSTER' },
    { header: 'AUTHINFO' },
    { header: 'NAMESPACE' },
  ],
  rows: [
    ['*', 'a', 'c', 'u', ''],
    ['', 'bb', 'cl', 'u', 'ns'],
  ],
}

describe('renderTable layout (kubectl tabwriter: minwidth 6, padding 3)', () => {
  it('matches kubectl byte for byte, trailing spaces before an empty last cell included', () => {
    expect(renderTable(contexts, plain)).toBe(
      [
        'CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE',
        '*         a      c         u          ',
        '          bb     cl        u          ns',
        '',
      ].join('\n'),
    )
  })

  it('computes widths from the rows alone with noHeaders, so the minimum width of 6 shows', () => {
    expect(renderTable(contexts, { ...plain, noHeaders: true })).toBe(
      ['*     a     c     u     ', '      bb    cl    u     ns', ''].join('\n'),
    )
  })

  it.each([
    { cell: '', padded: '      ' },
    { cell: 'a', padded: 'a     ' },
    { cell: 'abc', padded: 'abc   ' },
    { cell: 'abcd', padded: 'abcd   ' },
    { cell: 'abcdefghij', padded: 'abcdefghij   ' },
  ])('pads a lone $cell to max(6, width + 3)', ({ cell, padded }) => {
    const table: TableView = { columns: [{ header: '' }, { header: '' }], rows: [[cell, 'z']] }
    expect(renderTable(table, { ...plain, noHeaders: true })).toBe(`${padded}z\n`)
  })

  it('never pads the last column', () => {
    const table: TableView = {
      columns: [{ header: 'NAME' }, { header: 'STATUS' }],
      rows: [
        ['a', 'Ready'],
        ['b', 'NotReady'],
      ],
    }
    const lines = renderTable(table, plain).split('\n')
    expect(lines).toEqual(['NAME   STATUS', 'a      Ready', 'b      NotReady', ''])
  })

  it('pads right-aligned columns on the left and keeps the 3-space gap after them', () => {
    const table: TableView = {
      columns: [{ header: 'NAME' }, { header: 'CPU', align: 'right' }, { header: 'MEMORY', align: 'right' }],
      rows: [
        ['node-1', '250m', '1Gi'],
        ['n2', '3', '1024Mi'],
      ],
    }
    expect(renderTable(table, plain)).toBe(
      ['NAME      CPU   MEMORY', 'node-1   250m      1Gi', 'n2          3   1024Mi', ''].join('\n'),
    )
  })

  it('drops wideOnly columns for table and keeps them for wide', () => {
    const table: TableView = {
      columns: [{ header: 'NAME' }, { header: 'IP', wideOnly: true }, { header: 'AGE' }],
      rows: [['a', '10.0.0.1', '5m']],
    }
    expect(renderTable(table, plain)).toBe('NAME   AGE\na      5m\n')
    expect(renderTable(table, { ...plain, wide: true })).toBe('NAME   IP         AGE\na      10.0.0.1   5m\n')
  })

  it('renders nothing for a table without rows, header included', () => {
    expect(renderTable({ columns: [{ header: 'NAME' }], rows: [] }, plain)).toBe('')
  })

  it('fills short rows with empty cells and ignores cells beyond the columns', () => {
    const table: TableView = {
      columns: [{ header: 'A' }, { header: 'B' }, { header: 'C' }],
      rows: [['1'], ['1', '2', '3', '4']],
    }
    expect(renderTable(table, plain)).toBe('A     B     C\n1           \n1     2     3\n')
  })

  it('aligns East Asian wide text by the cells it occupies', () => {
    const table: TableView = {
      columns: [{ header: 'NAME' }, { header: 'X' }],
      rows: [
        ['集群', '1'],
        ['abcd', '2'],
      ],
    }
    const lines = renderTable(table, plain).split('\n')
    expect(lines).toEqual(['NAME   X', '集群   1', 'abcd   2', ''])
    expect(lines.slice(0, 3).map((line) => displayWidth(line))).toEqual([8, 8, 8])
  })

  it('shows only the first line of a multi-line cell and neutralises escape characters, as kubectl does', () => {
    const table: TableView = { columns: [{ header: 'A' }, { header: 'B' }], rows: [['x\u001b[31my', 'first\nsecond']] }
    expect(renderTable(table, plain)).toBe('A          B\nx^[[31my   first...\n')
  })

  it('lays out bare strings exactly as the same text given as cells, printable ASCII or not', () => {
    // Bare strings of printable ASCII skip the safety and width pass; every other text must still go through it.
    const texts = [
      'pod-1',
      '',
      ' ',
      '~',
      'a\u007fb',
      'tab\there',
      'x\u001b[31my',
      'cr\rlf\n',
      '集群',
      'e\u0301',
      '🚀',
      'x'.repeat(70),
    ]
    const rows = texts.map((text, i) => [text, String(i), text])
    const columns = [
      { header: 'A' },
      { header: 'B', align: 'right' as const },
      { header: 'C', align: 'right' as const },
    ]
    const asCells: TableView = { columns, rows: rows.map((row) => row.map((text) => ({ text }))) }
    for (const options of [plain, { ...plain, color: true }, { ...plain, noHeaders: true }]) {
      const out = renderTable({ columns, rows }, options)
      expect(out).toBe(renderTable(asCells, options))
      const lines = out.split('\n').slice(0, -1)
      expect(new Set(lines.map((line) => displayWidth(stripAnsi(line)))).size, JSON.stringify(options)).toBe(1)
    }
    expect(renderTable({ columns, rows }, plain).split('\n')[6]).toBe(
      `tab here${' '.repeat(65)}  5   ${' '.repeat(62)}tab here`,
    )
  })
})

describe('renderTable colour', () => {
  const table: TableView = {
    columns: [{ header: 'NAME' }, { header: 'STATUS' }, { header: 'CPU', align: 'right' }],
    rows: [
      ['a', { text: 'Ready', role: 'ok' }, '1'],
      [
        { text: 'node-two', role: 'accent' },
        { text: 'NotReady', role: 'bad' },
        { text: '250m', role: 'warn' },
      ],
    ],
  }

  it('produces the colourless text exactly once escapes are stripped', () => {
    const colored = renderTable(table, { ...plain, color: true })
    expect(colored).not.toBe(renderTable(table, plain))
    expect(stripAnsi(colored)).toBe(renderTable(table, plain))
  })

  it('colours the text only, never the padding, and makes the header bold', () => {
    const colored = renderTable(table, { ...plain, color: true })
    expect(colored).toContain('\u001b[32mReady\u001b[39m   ')
    expect(colored.startsWith('\u001b[1mNAME\u001b[22m')).toBe(true)
  })

  it('emits no escape at all with colour off', () => {
    expect(renderTable(table, plain)).not.toContain('\u001b')
  })

  it('colours each span of a mixed cell, and falls back to the cell role when spans disagree with the text', () => {
    const spans: TableView = {
      columns: [{ header: 'BAR' }],
      rows: [
        [
          {
            text: 'ab',
            spans: [
              { text: 'a', role: 'ok' },
              { text: 'b', role: 'bad' },
            ],
          },
        ],
        [{ text: 'cd', role: 'dim', spans: [{ text: 'wrong', role: 'ok' }] }],
      ],
    }
    const out = renderTable(spans, { ...plain, color: true, noHeaders: true })
    expect(out).toBe('\u001b[32ma\u001b[39m\u001b[31mb\u001b[39m\n\u001b[90mcd\u001b[39m\n')
  })
})

describe('tableSafeText', () => {
  it.each([
    ['plain', 'plain'],
    ['a\nb', 'a...'],
    ['a\r\nb', 'a...'],
    ['a\fb', 'a...'],
    ['\u001b]0;title\u0007x', '^[]0;title\u0007x'],
    ['a\tb', 'a b'],
  ])('%j → %j', (input, expected) => {
    expect(tableSafeText(input)).toBe(expected)
  })
})

describe('displayWidth', () => {
  it.each([
    ['', 0],
    ['node-1', 6],
    ['集群', 4],
    ['ｗｉｄｅ', 8],
    ['한국', 4],
    ['e\u0301', 1],
    ['ü', 1],
    ['🚀', 2],
    ['\u001b[31mred\u001b[39m', 3],
    ['a\u200db', 2],
  ])('%j is %i cells', (text, width) => {
    expect(displayWidth(text)).toBe(width)
  })
})

describe('renderTable fitted to a terminal (maxWidth)', () => {
  // 'NODE  CPU REQ  CPU LIM  MEM REQ  MEM LIM  PODS': every column 6 wide but the last, 46 cells in all.
  const nodes: TableView = {
    columns: ['NODE', 'CPU REQ', 'CPU LIM', 'MEM REQ', 'MEM LIM', 'PODS'].map((header) => ({ header })),
    rows: [['n1', '1', '2', '3', '4', '5/110']],
    hideToFit: ['* LIM', 'PODS'],
  }
  const headers = (text: string): string => (text.split('\n')[0] ?? '').split(/ {2,}/).join('|')

  it('keeps every column when the table fits, and when no width is given (a pipe)', () => {
    const full = renderTable(nodes, plain)
    expect(headers(full)).toBe('NODE|CPU REQ|CPU LIM|MEM REQ|MEM LIM|PODS')
    expect(renderTable(nodes, { ...plain, maxWidth: 200 })).toBe(full)
  })

  it('hides a *SUFFIX entry right-most first, one column at a time, only until the table fits', () => {
    const full = displayWidth(renderTable(nodes, plain).split('\n')[0] ?? '')
    const oneLess = renderTable(nodes, { ...plain, maxWidth: full - 1 })
    expect(headers(oneLess)).toBe('NODE|CPU REQ|CPU LIM|MEM REQ|PODS')
    const twoLess = renderTable(nodes, { ...plain, maxWidth: full - 11 })
    expect(headers(twoLess)).toBe('NODE|CPU REQ|MEM REQ|PODS')
    for (const line of twoLess.trimEnd().split('\n')) expect(displayWidth(line)).toBeLessThanOrEqual(full - 11)
  })

  it('then the next entry; a column the list does not name is never hidden, so a table too wide for it wraps', () => {
    expect(headers(renderTable(nodes, { ...plain, maxWidth: 25 }))).toBe('NODE|CPU REQ|MEM REQ')
    expect(headers(renderTable(nodes, { ...plain, maxWidth: 5 }))).toBe('NODE|CPU REQ|MEM REQ')
    expect(headers(renderTable({ ...nodes, hideToFit: undefined }, { ...plain, maxWidth: 5 }))).toBe(
      'NODE|CPU REQ|CPU LIM|MEM REQ|MEM LIM|PODS',
    )
  })

  it('lays the kept columns out as if the others did not exist: the new last column carries no padding', () => {
    const table: TableView = { ...nodes, hideToFit: ['PODS'] }
    const full = displayWidth(renderTable(table, plain).split('\n')[0] ?? '')
    expect(renderTable(table, { ...plain, maxWidth: full - 1 })).toBe(
      renderTable({ columns: nodes.columns.slice(0, 5), rows: [['n1', '1', '2', '3', '4']] }, plain),
    )
  })

  it('never fits -o wide: the user asked for every column', () => {
    const wide = { ...nodes, columns: [...nodes.columns, { header: 'TAINTS', wideOnly: true }] }
    expect(renderTable(wide, { ...plain, wide: true, maxWidth: 10 })).toBe(renderTable(wide, { ...plain, wide: true }))
  })
})

describe('renderTable at cluster scale', () => {
  it('lays out 300,000 rows (a spread over the rows overflowed the call stack at ~150,000)', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [`pod-${i}`, String(i % 97)])
    rows[123_456] = ['the-widest-pod-name-of-them-all', '7']
    const out = renderTable({ columns: [{ header: 'NAME' }, { header: 'CPU', align: 'right' }] as const, rows }, plain)
    const lines = out.split('\n')
    expect(lines).toHaveLength(300_002)
    expect(lines[0]).toBe(`NAME${' '.repeat(30)}CPU`)
    expect(lines[123_457]).toBe(`the-widest-pod-name-of-them-all${' '.repeat(5)}7`)
  })

  it('writes a large table in batches of whole lines that add up to the rendered text', () => {
    const rows = Array.from({ length: 2_000 }, (_, i) => [`pod-${i}`, String(i % 97)])
    const table: TableView = { columns: [{ header: 'NAME' }, { header: 'CPU', align: 'right' }], rows }
    const writes: string[] = []
    writeTable(table, plain, (text) => writes.push(text))
    expect(writes.length).toBeGreaterThan(3)
    for (const text of writes) expect(text.endsWith('\n')).toBe(true)
    expect(writes.join('')).toBe(renderTable(table, plain))
  })

  it('fits 300,000 rows to a terminal, hiding a column measured over all of them', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [`pod-${i}`, String(i % 97), 'worker-1'])
    const columns = [{ header: 'NAME' }, { header: 'CPU', align: 'right' as const }, { header: 'NODE' }]
    const out = renderTable({ columns, rows, hideToFit: ['NODE'] }, { ...plain, maxWidth: 20 })
    const lines = out.split('\n')
    expect(lines).toHaveLength(300_002)
    expect(lines[0]).toBe(`NAME${' '.repeat(9)}CPU`)
  })
})
