import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { completionLauncher } from '../../scripts/dist/build.ts'
import { distPlugins } from '../../scripts/dist/plugins.ts'
import { liveDemoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { pluginBinDir, pluginPath } from '../support/plugins.ts'
import { kubectl } from '../support/run.ts'

/**
 * Shell completion the way a shell gets it: the shell runs `kubectl __complete usage …`, kubectl (≥ 1.26) finds
 * `kubectl_complete-usage` on PATH and passes the words on; our launcher asks the plugin (cobra's protocol).
 */
let sim: Sim
let config: string
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  sim = await startSim({ scenario: liveDemoScenario(), runContainers: false })
  config = sim.writeKubeconfig({ user: 'admin' })
  const bin = pluginBinDir()
  for (const plugin of distPlugins()) {
    const launcher = join(bin, plugin.completionBin)
    writeFileSync(launcher, completionLauncher(plugin))
    chmodSync(launcher, 0o755)
  }
  env = { PATH: pluginPath(bin) }
})

afterAll(async () => {
  await sim.stop()
})

/** The candidates (without descriptions) and the directive of one completion request. */
async function completeWords(words: string[]): Promise<{ values: string[]; directive: string }> {
  const result = await kubectl(config, ['__complete', ...words], { env })
  expect(result.code).toBe(0)
  const lines = result.stdout.trimEnd().split('\n')
  const directive = lines.pop() ?? ''
  return { values: lines.map((line) => line.split('\t')[0] as string), directive }
}

describe('completion through kubectl plugin completion', () => {
  it.each([
    { words: ['usage', ''], expected: ['nodes', 'pods', 'options'] },
    { words: ['usage', 'po'], expected: ['pods'] },
    { words: ['usage', 'nodes', ''], expected: ['cp-1', 'gpu-1', 'worker-1', 'worker-2', 'worker-3'] },
    { words: ['usage', 'nodes', 'worker-'], expected: ['worker-1', 'worker-2', 'worker-3'] },
    {
      words: ['usage', 'pods', '-n', ''],
      expected: ['anaconda-enterprise', 'data', 'default', 'kube-system', 'ml-team'],
    },
    { words: ['usage', 'pods', '--namespace=ml'], expected: ['--namespace=ml-team'] },
    { words: ['usage', 'pods', '--node', 'gpu'], expected: ['gpu-1'] },
    { words: ['usage', 'nodes', '--sort'], expected: ['--sort-by'] },
    { words: ['usage', 'nodes', '-o', 'js'], expected: ['json', 'jsonpath=', 'jsonpath-as-json=', 'jsonpath-file='] },
    {
      words: ['usage', 'pods', '--output', ''],
      expected: [
        'csv',
        'custom-columns=',
        'custom-columns-file=',
        'json',
        'jsonpath=',
        'jsonpath-as-json=',
        'jsonpath-file=',
        'name',
        'tsv',
        'wide',
        'yaml',
      ],
    },
    { words: ['secretview', '-n', 'ml-team', 'db'], expected: ['db-credentials'] },
    { words: ['secretview', 'diff', '-n', 'ml-team', 'reg'], expected: ['registry-pull'] },
    { words: ['pvclaim', 'download', '-n', 'ml-team', ''], expected: ['results', 'scratch'] },
    { words: ['pvclaim', 're'], expected: ['resize'] },
    { words: ['mrun', 'logs', '-n', 'ml-team', ''], expected: [] },
  ])('$words completes to $expected', async ({ words, expected }) => {
    const { values, directive } = await completeWords(words)
    expect(values).toEqual(expected)
    expect(directive).toBe(':4')
  })

  it('-o custom-c completes the template format without a space after it (directive 6)', async () => {
    const { values, directive } = await completeWords(['usage', 'nodes', '-o', 'custom-c'])
    expect(values).toEqual(['custom-columns=', 'custom-columns-file='])
    expect(directive).toBe(':6')
  })

  it('pod names come from the namespace given with -n', async () => {
    const { values } = await completeWords(['usage', 'pods', '-n', 'ml-team', 'feature'])
    expect(values).toEqual(['feature-store-0'])
  })

  it('flags carry their description after a tab', async () => {
    const described = await kubectl(config, ['__complete', 'usage', 'nodes', '--bars'], { env })
    expect(described.stdout).toContain('--bars\tDraw a bar per node')
  })

  it('--kubeconfig leaves file names to the shell (directive 0)', async () => {
    const { values, directive } = await completeWords(['usage', 'nodes', '--kubeconfig', ''])
    expect(values).toEqual([])
    expect(directive).toBe(':0')
  })

  it('an unreachable cluster offers no live names and still ends cleanly', async () => {
    const result = await kubectl(config, ['__complete', 'usage', 'nodes', '--server', 'https://127.0.0.1:1', ''], {
      env,
    })
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(':4\n')
  })

  it('ae-sessions completes platform ids, not pod names', async () => {
    const { values, directive } = await completeWords(['ae-sessions', 'info', '-n', 'anaconda-enterprise', 'a2-'])
    const platformPods = [...sim.store.all('pods', 'anaconda-enterprise')].filter((p) =>
      /^anaconda-(app|job)-/.test(p.metadata.name),
    )
    expect(values.length).toBe(new Set(platformPods.map((p) => p.metadata.name.split('-')[2])).size)
    for (const value of values) expect(value).toMatch(/^a2-[0-9a-f]{32}$/)
    expect(directive).toBe(':4')
  })
})
