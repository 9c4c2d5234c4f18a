import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { completionLauncher } from '../../scripts/dist/build.ts'
import { distPlugins } from '../../scripts/dist/plugins.ts'
import { liveDemoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { suspendedMrunJob } from '../support/mrun.ts'
import { pluginBinDir, pluginPath } from '../support/plugins.ts'
import { kubectl } from '../support/run.ts'

/**
 * Shell completion the way a shell gets it: the shell runs `kubectl __complete usage …`, kubectl (≥ 1.26) finds
 * `kubectl_complete-usage` on PATH and passes the words on; our launcher asks the plugin (cobra's protocol).
 */
/** The plugins linked as kubectl finds them; removed after the file's tests. */
const bin = pluginBinDir()
let sim: Sim
let config: string
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  sim = await startSim({ scenario: liveDemoScenario(), runContainers: false })
  config = sim.writeKubeconfig({ user: 'admin' })
  // Two runs as mrun labels them, in the context's namespace (default) and in ml-team.
  for (const [namespace, name, experiment] of [
    ['default', 'lr-sweep-7f3a', 'lr-sweep'],
    ['ml-team', 'bert-base-91c2', 'bert'],
  ] as const)
    sim.store.create(suspendedMrunJob(namespace, name, experiment))
  for (const plugin of distPlugins()) {
    const launcher = join(bin, plugin.completionBin)
    writeFileSync(launcher, completionLauncher(plugin))
    chmodSync(launcher, 0o755)
  }
  env = { PATH: pluginPath(bin) }
})

afterAll(async () => {
  rmSync(bin, { recursive: true, force: true })
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
    // Runs and experiment names (status, logs, fetch and results take either); delete takes runs only.
    { words: ['mrun', 'logs', '-n', 'ml-team', ''], expected: ['bert', 'bert-base-91c2'] },
    // Without -n: the namespace the command would use (the profile's, else the kubeconfig context's).
    { words: ['mrun', 'status', ''], expected: ['lr-sweep', 'lr-sweep-7f3a'] },
    { words: ['mrun', 'fetch', 'lr'], expected: ['lr-sweep', 'lr-sweep-7f3a'] },
    { words: ['mrun', 'results', '-n', 'ml-team', 'b'], expected: ['bert', 'bert-base-91c2'] },
    { words: ['mrun', 'results', 'lr-sweep', '--sort-by', ''], expected: ['index', 'state', 'duration'] },
    { words: ['mrun', 'delete', 'lr-sweep-7f3a', ''], expected: ['lr-sweep-7f3a'] },
    { words: ['mrun', 'list', '-n', 'ml-team', '--experiment', ''], expected: ['bert'] },
    { words: ['mrun', 'list', '--experiment', ''], expected: ['lr-sweep'] },
    // A secret's keys after its NAME (names only), and no subcommand names in that place.
    {
      words: ['secretview', '-n', 'ml-team', 'db-credentials', ''],
      expected: ['blob.bin', 'empty', 'greeting.txt', 'password', 'username'],
    },
    { words: ['secretview', 'show', '-n', 'ml-team', 'db-credentials', 'pa'], expected: ['password'] },
    // Fixed values of --sort-by, --group-by and --kind.
    { words: ['usage', 'pods', '--group-by', ''], expected: ['node', 'namespace', 'owner'] },
    { words: ['usage', 'nodes', '--sort-by', 'mem.u'], expected: ['mem.use', 'mem.use%'] },
    { words: ['pvclaim', 'list', '--sort-by', 'us'], expected: ['used', 'use%'] },
    { words: ['ae-sessions', '--kind', ''], expected: ['session', 'deployment', 'run'] },
    { words: ['ae-sessions', 'list', '--sort-by', 'ph'], expected: ['phase'] },
    { words: ['ae-sessions', 'nodes', '--sort-by', 'cpu'], expected: ['cpu', 'cpu-requests'] },
    { words: ['usage', 'pods', '--sort-by', 'na'], expected: ['name', 'namespace'] },
    { words: ['usage', 'pods', '--resources', 'c'], expected: ['cpu', 'cpu,memory', 'cpu,memory,gpu'] },
    // -o on every printing command, also those that print only a document or a dry run.
    { words: ['ae-sessions', 'nodes', '-o', 'y'], expected: ['yaml'] },
    { words: ['ae-sessions', 'info', '-o', 'n'], expected: ['name'] },
    {
      words: ['secretview', 'check', '-o', 'j'],
      expected: ['json', 'jsonpath=', 'jsonpath-as-json=', 'jsonpath-file='],
    },
    { words: ['secretview', '-o', 'd'], expected: ['dotenv'] },
    {
      words: ['pvclaim', 'create', 'x', '-o', ''],
      expected: [
        'custom-columns=',
        'custom-columns-file=',
        'json',
        'jsonpath=',
        'jsonpath-as-json=',
        'jsonpath-file=',
        'yaml',
      ],
    },
    // pvclaim create's and secretview create's fixed and live values.
    { words: ['pvclaim', 'create', 'x', '--storage-class', ''], expected: ['fast', 'standard'] },
    { words: ['pvclaim', 'create', 'x', '--access-mode', 'RW'], expected: ['RWO', 'RWX', 'RWOP'] },
    { words: ['pvclaim', 'create', 'x', '--nfs', 'h:/e', '--reclaim-policy', ''], expected: ['Retain', 'Delete'] },
    { words: ['secretview', 'create', 'x', '--type', 'kubernetes.io/d'], expected: ['kubernetes.io/dockerconfigjson'] },
    {
      words: ['secretview', 'create', 'x', '--dry-run='],
      expected: ['--dry-run=none', '--dry-run=client', '--dry-run=server'],
    },
    // --dry-run alone means client (kubectl's NoOptDefVal): the next word is not its value.
    { words: ['pvclaim', 'create', 'x', '--dry-run', ''], expected: [] },
  ])('$words completes to $expected', async ({ words, expected }) => {
    const { values, directive } = await completeWords(words)
    expect(values).toEqual(expected)
    expect(directive).toBe(':4')
  })

  describe('mrun with profiles', () => {
    // A profile whose namespace is ml-team: without -n, completion lists where the command would look.
    let withProfiles: NodeJS.ProcessEnv
    beforeAll(async () => {
      withProfiles = { ...env, XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'completion-profiles-')) }
      for (const [name, namespace] of [
        ['team', 'ml-team'],
        ['home', 'default'],
      ] as const) {
        const added = await kubectl(config, ['mrun', 'profile', 'add', name, '-n', namespace], { env: withProfiles })
        expect(added.code, added.stderr).toBe(0)
      }
    })
    afterAll(() => {
      rmSync(withProfiles.XDG_CONFIG_HOME as string, { recursive: true, force: true })
    })
    const completeWith = async (words: string[], extra: NodeJS.ProcessEnv = {}) => {
      const result = await kubectl(config, ['__complete', ...words], { env: { ...withProfiles, ...extra } })
      expect(result.code).toBe(0)
      return result.stdout
        .trimEnd()
        .split('\n')
        .slice(0, -1)
        .map((line) => line.split('\t')[0])
    }

    it.each([
      // The first profile added is the current one: its namespace, ml-team.
      { words: ['mrun', 'status', ''], extra: {}, expected: ['bert', 'bert-base-91c2'] },
      { words: ['mrun', 'logs', '--profile', 'home', ''], extra: {}, expected: ['lr-sweep', 'lr-sweep-7f3a'] },
      { words: ['mrun', 'results', ''], extra: { MRUN_PROFILE: 'home' }, expected: ['lr-sweep', 'lr-sweep-7f3a'] },
      { words: ['mrun', 'fetch', '-n', 'default', ''], extra: {}, expected: ['lr-sweep', 'lr-sweep-7f3a'] },
      { words: ['mrun', 'delete', ''], extra: {}, expected: ['bert-base-91c2'] },
      // Profile names, from the file, for --profile and for profile use|remove.
      { words: ['mrun', 'status', '--profile', ''], extra: {}, expected: ['home', 'team'] },
      { words: ['mrun', 'list', '--profile=t'], extra: {}, expected: ['--profile=team'] },
      { words: ['mrun', 'profile', 'use', ''], extra: {}, expected: ['home', 'team'] },
      { words: ['mrun', 'profile', 'remove', 'h'], extra: {}, expected: ['home'] },
    ])('$words with $extra completes to $expected', async ({ words, extra, expected }) => {
      expect(await completeWith(words, extra)).toEqual(expected)
    })
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

  it('ae-sessions logs -c completes the containers of the workload typed before, with their aliases', async () => {
    const pods = await kubectl(config, ['get', 'pods', '-n', 'anaconda-enterprise', '-o', 'name'])
    const pod = pods.stdout.split('\n').find((line) => line.startsWith('pod/anaconda-session-')) as string
    const id = `a1-${pod.split('-')[2]}`
    const { values } = await completeWords(['ae-sessions', 'logs', id, '-n', 'anaconda-enterprise', '-c', ''])
    expect(values).toContain('editor')
    expect(values).toContain('sync')
    const containers = await kubectl(config, [
      'get',
      pod,
      '-n',
      'anaconda-enterprise',
      '-o',
      'jsonpath={.spec.containers[*].name}',
    ])
    for (const name of containers.stdout.split(' ')) expect(values).toContain(name)
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
