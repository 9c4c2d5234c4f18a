import { join } from 'node:path'
import { REPO_ROOT } from '../support/plugins.ts'
import { startSimChild } from '../support/sim-child.ts'
import { measure, row } from './measure.ts'

/**
 * `kubectl ae-sessions` on a platform with 20,000 AE5 pods (BENCH_AE5_PODS): `--mine` stays one paginated pod list
 * plus one metrics list, compared with kubectl listing only the session pods by label.
 */
export async function benchAeSessions(baseEnv: NodeJS.ProcessEnv): Promise<void> {
  const pods = process.env.BENCH_AE5_PODS ?? '20000'
  process.stdout.write(`\n== ae-sessions: ${pods} platform pods ==\n`)
  const sim = await startSimChild(['--nodes', '200', '--pods-per-node', '5', '--ae5-pods', pods, '--no-run-containers'])
  try {
    const env = { ...baseEnv, KUBECONFIG: sim.kubeconfig }
    const entry = join(REPO_ROOT, 'plugins/ae-sessions/main.ts')
    const theirs = await measure('kubectl', ['get', 'pods', '-A', '-l', 'anaconda-session-id', '--chunk-size=500'], env)
    const label = 'kubectl get pods -A -l anaconda-session-id --chunk-size=500'
    const mine = await measure(process.execPath, [entry, 'list', '--mine', '-A'], env)
    process.stdout.write(`${row('kubectl ae-sessions list --mine -A', mine, theirs, label)}\n`)
    const owner = await measure(process.execPath, [entry, 'list', '--owner', 'user-7', '-A'], env)
    process.stdout.write(`${row('kubectl ae-sessions list --owner user-7 -A', owner, theirs, label)}\n`)
    const all = await measure(process.execPath, [entry, 'list', '-A', '-o', 'json'], env)
    process.stdout.write(`${row('kubectl ae-sessions list -A -o json (all rows)', all, theirs, label)}\n`)
  } finally {
    await sim.stop()
  }
}
