import { join } from 'node:path'
import { existingPlugins, pluginBinDir, pluginPath, REPO_ROOT } from '../support/plugins.ts'
import { startSimChild } from '../support/sim-child.ts'
import { benchAeSessions } from './ae-sessions.ts'
import { benchDist } from './dist.ts'
import { type Measurement, measure, median, row } from './measure.ts'
import { benchMrun } from './mrun.ts'
import { benchPvclaim } from './pvclaim.ts'
import { benchSecretview } from './secretview.ts'

/**
 * `npm run bench`: one run, side-by-side ratios against the real kubectl on the same simulated cluster, with
 * peak memory (GNU time's maximum resident set size). A ratio below 1 means we are faster.
 * BENCH_SMALL_NODES / BENCH_NODES / BENCH_PODS_PER_NODE scale it down for a quick look.
 */
const node = process.execPath
const bin = pluginBinDir()
const baseEnv = { ...process.env, PATH: pluginPath(bin), HOME: '/nonexistent' }
const usageEntry = join(REPO_ROOT, 'plugins/usage/main.ts')
const hasUsage = existingPlugins().some((p) => p.name === 'usage')
const podsPerNode = process.env.BENCH_PODS_PER_NODE ?? '30'

function combined(a: Measurement, b: Measurement): Measurement {
  return { seconds: a.seconds + b.seconds, peakMb: Math.max(a.peakMb, b.peakMb), code: a.code || b.code }
}

process.stdout.write('== start-up (median of 7) ==\n')
const kubectlVersion = await median(7, () => measure('kubectl', ['version', '--client'], baseEnv))
for (const plugin of existingPlugins()) {
  const ours = await median(7, () => measure(node, [join(REPO_ROOT, plugin.entry), '--version'], baseEnv))
  process.stdout.write(
    `${row(`kubectl-${plugin.name} --version (from source)`, ours, kubectlVersion, 'kubectl version --client')}\n`,
  )
}
await benchDist(baseEnv)

if (hasUsage) {
  const nodes = process.env.BENCH_SMALL_NODES ?? '1000'
  process.stdout.write(`\n== ${nodes} nodes, ${Number(nodes) * Number(podsPerNode)} pods ==\n`)
  const sim = await startSimChild(['--nodes', nodes, '--pods-per-node', podsPerNode, '--no-run-containers'])
  try {
    const env = { ...baseEnv, KUBECONFIG: sim.kubeconfig }
    const ours = await measure(node, [usageEntry, 'nodes'], env)
    const describe = await measure('kubectl', ['describe', 'nodes'], env)
    const top = await measure('kubectl', ['top', 'nodes'], env)
    process.stdout.write(
      `${row('kubectl usage nodes', ours, combined(describe, top), 'kubectl describe nodes + top nodes')}\n`,
    )
  } finally {
    await sim.stop()
  }
}

if (existingPlugins().some((p) => p.name === 'ae-sessions')) await benchAeSessions(baseEnv)
if (existingPlugins().some((p) => p.name === 'secretview')) await benchSecretview(baseEnv)
if (existingPlugins().some((p) => p.name === 'pvclaim')) await benchPvclaim(baseEnv)

const nodes = process.env.BENCH_NODES ?? '5000'
process.stdout.write(`\n== ${nodes} nodes, ${Number(nodes) * Number(podsPerNode)} pods, page by page ==\n`)
const sim = await startSimChild(['--nodes', nodes, '--pods-per-node', podsPerNode, '--no-run-containers'])
process.stdout.write(`simulated cluster generated and serving in ${sim.startSeconds}s\n`)
try {
  const env = { ...baseEnv, KUBECONFIG: sim.kubeconfig }
  const theirs = await measure('kubectl', ['get', 'pods', '-A', '--chunk-size=500', '-o', 'name'], env)
  const fold = await measure(node, [join(REPO_ROOT, 'test/bench/list-pods.ts')], env)
  process.stdout.write(
    `${row('shared core paginated fold (-o name)', fold, theirs, 'kubectl get pods -A --chunk-size=500 -o name')}\n`,
  )
  if (hasUsage) {
    const usage = await measure(node, [usageEntry, 'nodes'], env)
    process.stdout.write(
      `${row('kubectl usage nodes', usage, theirs, 'kubectl get pods -A --chunk-size=500 -o name')}\n`,
    )
  }
} finally {
  await sim.stop()
}

if (existingPlugins().some((p) => p.name === 'mrun')) await benchMrun(node, baseEnv)
