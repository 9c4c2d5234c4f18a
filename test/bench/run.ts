import { join } from 'node:path'
import { existingPlugins, pluginBinDir, pluginPath, REPO_ROOT } from '../support/plugins.ts'
import { startSimChild } from '../support/sim-child.ts'
import { benchAeSessions } from './ae-sessions.ts'
import { benchDist, builtBinary } from './dist.ts'
import { command, compare, PAIRS, QUICK, sequence, spread } from './measure.ts'
import { benchMrun } from './mrun.ts'
import { benchPvclaim } from './pvclaim.ts'
import { benchSecretview } from './secretview.ts'

/**
 * `npm run bench`: ratios against the real kubectl on the same simulated cluster, with peak memory (GNU time's
 * maximum resident set size). Every comparison runs ours and kubectl alternately and reports paired medians with
 * their range; a ratio below 1 means we are faster. `--quick` runs one pair on smaller clusters.
 * BENCH_SMALL_NODES / BENCH_NODES / BENCH_PODS_PER_NODE / BENCH_PAIRS scale it by hand.
 */
const node = process.execPath
const bin = pluginBinDir()
const baseEnv = { ...process.env, PATH: pluginPath(bin), HOME: '/nonexistent' }
/**
 * Ours from source runs through bin/kubectl-usage, the launcher `npm install -g` puts on PATH (it turns on Node's
 * compile cache, so type stripping is not paid on every start); the built binary, when there is one, is measured too.
 */
const usageEntry = join(REPO_ROOT, 'bin/kubectl-usage')
const usageBinary = builtBinary('kubectl-usage')
const hasUsage = existingPlugins().some((p) => p.name === 'usage')
const podsPerNode = process.env.BENCH_PODS_PER_NODE ?? '30'
/**
 * `--only startup,dist,usage,ae-sessions,secretview,pvclaim,scale,mrun` (comma-separated) runs those sections
 * alone, for a figure that needs no full run; the default is every section.
 */
const onlyFlag = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length)
const only = onlyFlag === undefined ? undefined : new Set(onlyFlag.split(','))
const section = (name: string): boolean => only === undefined || only.has(name)

process.stdout.write(`(${PAIRS} pairs per comparison${QUICK ? ', quick' : ', after one warm-up each'})\n`)
if (section('startup')) process.stdout.write('\n== start-up ==\n')
const kubectlVersion = command('kubectl version --client', 'kubectl', ['version', '--client'], baseEnv)
for (const plugin of section('startup') ? existingPlugins() : []) {
  await compare(
    `kubectl-${plugin.name} --version (from source)`,
    command('ours', node, [join(REPO_ROOT, plugin.entry), '--version'], baseEnv),
    kubectlVersion,
  )
}
if (section('dist')) await benchDist(baseEnv)

if (hasUsage && section('usage')) {
  const nodes = process.env.BENCH_SMALL_NODES ?? (QUICK ? '200' : '1000')
  process.stdout.write(`\n== ${nodes} nodes, ${Number(nodes) * Number(podsPerNode)} pods ==\n`)
  const sim = await startSimChild(['--nodes', nodes, '--pods-per-node', podsPerNode, '--no-run-containers'])
  try {
    const env = { ...baseEnv, KUBECONFIG: sim.kubeconfig }
    await compare(
      'kubectl usage nodes',
      command('ours', node, [usageEntry, 'nodes'], env),
      sequence('kubectl describe nodes + top nodes', [
        command('describe', 'kubectl', ['describe', 'nodes'], env),
        command('top', 'kubectl', ['top', 'nodes'], env),
      ]),
    )
  } finally {
    await sim.stop()
  }
}

if (section('ae-sessions') && existingPlugins().some((p) => p.name === 'ae-sessions')) await benchAeSessions(baseEnv)
if (section('secretview') && existingPlugins().some((p) => p.name === 'secretview')) await benchSecretview(baseEnv)
if (section('pvclaim') && existingPlugins().some((p) => p.name === 'pvclaim')) await benchPvclaim(baseEnv)

/** The large cluster: the paginated fold, usage against the fetch-and-parse floor, usage pods -A. */
async function benchScale(): Promise<void> {
  const nodes = process.env.BENCH_NODES ?? (QUICK ? '500' : '5000')
  const pods = Number(nodes) * Number(podsPerNode)
  process.stdout.write(`\n== ${nodes} nodes, ${pods} pods, page by page ==\n`)
  const sim = await startSimChild(['--nodes', nodes, '--pods-per-node', podsPerNode, '--no-run-containers'])
  process.stdout.write(`simulated cluster generated and serving in ${sim.startSeconds}s\n`)
  try {
    const env = { ...baseEnv, KUBECONFIG: sim.kubeconfig }
    const getPods = command(
      'kubectl get pods -A --chunk-size=500 -o name',
      'kubectl',
      ['get', 'pods', '-A', '--chunk-size=500', '-o', 'name'],
      env,
    )
    await compare(
      'shared core paginated fold (-o name)',
      command('ours', node, [join(REPO_ROOT, 'test/bench/list-pods.ts')], env),
      getPods,
    )
    if (hasUsage) {
      // The floor: our transport fetching and parsing the same pages and doing nothing else. Client CPU above it
      // is what folding and printing cost.
      const floor = command('fetch-and-parse floor', node, [join(REPO_ROOT, 'test/bench/fetch-parse.ts')], env)
      const ours = (args: string[]): { label: string; contender: ReturnType<typeof command> }[] => [
        { label: `kubectl usage ${args.join(' ')}`, contender: command('ours', node, [usageEntry, ...args], env) },
        ...(usageBinary === undefined
          ? []
          : [
              { label: `kubectl usage ${args.join(' ')} (binary)`, contender: command('ours', usageBinary, args, env) },
            ]),
      ]
      // usage pods -A reads the pod metrics list too (50 MB at 150,000 pods): its second floor fetches and parses
      // those bytes as well, so both figures are printed, the pods-only one for comparison with earlier runs.
      const floorWithMetrics = command(
        'fetch-and-parse floor (pods + pod metrics)',
        node,
        [join(REPO_ROOT, 'test/bench/fetch-parse.ts'), '--pod-metrics'],
        env,
      )
      const runs = [
        ...ours(['nodes']).map((o) => ({ ...o, floors: [floor] })),
        ...ours(['pods', '-A']).map((o) => ({ ...o, floors: [floor, floorWithMetrics] })),
      ]
      for (const { label, contender, floors } of runs)
        for (const against of floors) {
          const result = await compare(label, contender, against)
          const cpu = spread(result.ours, (m) => m.cpuSeconds).median
          const floorCpu = spread(result.theirs, (m) => m.cpuSeconds).median
          process.stdout.write(
            `  client CPU ${cpu.toFixed(2)}s vs ${against.label} ${floorCpu.toFixed(2)}s: ${(cpu / floorCpu).toFixed(2)}× the floor\n`,
          )
        }
      await compare(
        'kubectl usage pods -A',
        command('ours', node, [usageEntry, 'pods', '-A'], env),
        command('kubectl get pods -A -o wide', 'kubectl', ['get', 'pods', '-A', '--chunk-size=500', '-o', 'wide'], env),
      )
    }
  } finally {
    await sim.stop()
  }
}
if (section('scale')) await benchScale()

if (section('mrun') && existingPlugins().some((p) => p.name === 'mrun')) await benchMrun(node, baseEnv)
