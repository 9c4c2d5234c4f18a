import { describe, expect, it } from 'vitest'
import { useDemoE2e } from '../support/e2e-demo.ts'
import { kubectl, run, shellQuote } from '../support/run.ts'

/**
 * Tables fit the terminal as kubectl's default columns do: on a real pseudo-terminal (util-linux `script`, its
 * width set with `stty cols`), through kubectl plugin dispatch, a default table wider than the terminal leaves out
 * its least important columns in the documented order; piped, or with -o wide, every column stays.
 */
const bed = useDemoE2e()

/** What `kubectl WORDS` prints on a terminal `columns` wide (colour off, the pty's \r\n back to \n). */
async function onTerminal(columns: number, words: string[]): Promise<string> {
  const command = `stty cols ${columns} rows 50; exec kubectl ${words.map(shellQuote).join(' ')}`
  const result = await run('script', ['-qec', command, '/dev/null'], {
    env: { ...process.env, ...bed.env, KUBECONFIG: bed.admin, HOME: '/nonexistent', NO_COLOR: '1' },
  })
  expect(result.code, result.stdout).toBe(0)
  return result.stdout.replaceAll('\r\n', '\n')
}

async function piped(words: string[]): Promise<string> {
  const result = await kubectl(bed.admin, words, { env: bed.env })
  expect(result.code, result.stderr).toBe(0)
  return result.stdout
}

const headers = (text: string): string[] => (text.split('\n')[0] ?? '').trim().split(/ {2,}/)
const widest = (text: string): number =>
  Math.max(
    ...text
      .trimEnd()
      .split('\n')
      .map((line) => line.length),
  )

describe('tables on a terminal', () => {
  it('usage nodes at 80 columns leaves out limits, then allocatable, and fits', async () => {
    const text = await onTerminal(80, ['usage', 'nodes'])
    expect(headers(text)).toEqual(['NODE', 'CPU REQ', 'CPU USE', 'MEM REQ', 'MEM USE', 'GPU REQ'])
    expect(widest(text)).toBeLessThanOrEqual(80)
    // The rows are the piped table's, less those columns.
    expect(text).toContain('worker-1   7260m (90%)    ')
  })

  // Widths chosen where the hidden set does not depend on ages that grow while the demo cluster runs.
  it.each([
    {
      words: ['usage', 'pods', '-n', 'ml-team'],
      columns: 100,
      hidden: ['CPU %LIM', 'MEM %LIM', 'CPU %REQ', 'MEM %REQ'],
    },
    { words: ['ae-sessions', 'nodes'], columns: 100, hidden: ['PODS', 'GPU(REQ/ALLOC)', 'MEM(USED/ALLOC)'] },
    {
      words: ['ae-sessions', '-n', 'anaconda-enterprise', '--kind', 'deployment'],
      columns: 100,
      hidden: ['RESTARTS', 'NODE', 'READY', 'GPU', 'MEM%'],
    },
    { words: ['pvclaim', 'list', '-A'], columns: 100, hidden: ['VOLUME', 'INODES%', 'PODS'] },
    { words: ['secretview', '--all', '-n', 'ml-team'], columns: 90, hidden: ['TYPE'] },
  ])('$words at $columns columns leaves out $hidden and fits', async ({ words, columns, hidden }) => {
    const [narrow, all] = await Promise.all([onTerminal(columns, words), piped(words)])
    expect(headers(narrow)).toEqual(headers(all).filter((header) => !hidden.includes(header)))
    expect(widest(narrow)).toBeLessThanOrEqual(columns)
  })

  it('a terminal wide enough gets the same table as a pipe', async () => {
    const [wide, all] = await Promise.all([onTerminal(250, ['usage', 'nodes']), piped(['usage', 'nodes'])])
    expect(wide).toBe(all)
  })

  it('-o wide keeps every column on a narrow terminal, and a pipe is never fitted', async () => {
    const [narrowWide, pipedWide] = await Promise.all([
      onTerminal(60, ['usage', 'nodes', '-o', 'wide']),
      piped(['usage', 'nodes', '-o', 'wide']),
    ])
    expect(narrowWide).toBe(pipedWide)
    expect(headers(await piped(['usage', 'nodes']))).toContain('CPU LIM')
  })
})
