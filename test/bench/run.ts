import { join } from 'node:path'
import { existingPlugins, pluginBinDir, pluginPath, REPO_ROOT } from '../support/plugins.ts'
import { startSimChild } from '../support/sim-child.ts'
import { measure, median, row } from './measure.ts'

/**
 * `npm run bench`: one run, side-by-side ratios against the real kubectl on the same simulated cluster, with
 * peak memory (GNU time's maximum resident set size). Ratios below 1 mean we are faster.
 */
const node = process.execPath
const bin = pluginBinDir()
const baseEnv = { ...process.env, PATH: pluginPath(bin), HOME: '/nonexistent' }

process.stdout.write('== start-up (median of 7) ==\n')
const kubectlVersion = await median(7, () => measure('kubectl', ['version', '--client'], baseEnv))
for (const plugin of existingPlugins()) {
  const ours = await median(7, () => measure(node, [join(REPO_ROOT, plugin.entry), '--version'], baseEnv))
  process.stdout.write(
    `${row(`kubectl-${plugin.name} --version (from source)`, ours, kubectlVersion, 'kubectl version --client')}\n`,
  )
}

const nodes = process.env.BENCH_NODES ?? '5000'
const podsPerNode = process.env.BENCH_PODS_PER_NODE ?? '30'
process.stdout.write(`\n== listing ${Number(nodes) * Number(podsPerNode)} pods page by page (${nodes} nodes) ==\n`)
const sim = await startSimChild(['--nodes', nodes, '--pods-per-node', podsPerNode, '--no-run-containers'])
process.stdout.write(`simulated cluster generated and serving in ${sim.startSeconds}s\n`)
try {
  const env = { ...baseEnv, KUBECONFIG: sim.kubeconfig }
  const theirs = await measure('kubectl', ['get', 'pods', '-A', '--chunk-size=500', '-o', 'name'], env)
  const ours = await measure(node, [join(REPO_ROOT, 'test/bench/list-pods.ts')], env)
  process.stdout.write(
    `${row('shared core paginated fold (-o name)', ours, theirs, 'kubectl get pods -A --chunk-size=500 -o name')}\n`,
  )
} finally {
  await sim.stop()
}
