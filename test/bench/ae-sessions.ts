import { join } from 'node:path'
import { REPO_ROOT } from '../support/plugins.ts'
import { startSimChild } from '../support/sim-child.ts'
import { command, compare, QUICK } from './measure.ts'

/**
 * `kubectl ae-sessions` on a platform with 20,000 AE5 pods (BENCH_AE5_PODS): `--owner` and `--mine` against kubectl
 * listing that owner's pods by label, and the whole platform as JSON against kubectl listing every session pod.
 */
export async function benchAeSessions(baseEnv: NodeJS.ProcessEnv): Promise<void> {
  const pods = process.env.BENCH_AE5_PODS ?? (QUICK ? '4000' : '20000')
  process.stdout.write(`\n== ae-sessions: ${pods} platform pods ==\n`)
  const sim = await startSimChild(['--nodes', '200', '--pods-per-node', '5', '--ae5-pods', pods, '--no-run-containers'])
  try {
    const env = { ...baseEnv, KUBECONFIG: sim.kubeconfig }
    const entry = join(REPO_ROOT, 'plugins/ae-sessions/main.ts')
    const byOwner = command(
      'kubectl get pods -A -l anaconda-owner=user-7',
      'kubectl',
      ['get', 'pods', '-A', '-l', 'anaconda-owner=user-7', '--chunk-size=500'],
      env,
    )
    await compare(
      'kubectl ae-sessions list --owner user-7 -A',
      command('ours', process.execPath, [entry, 'list', '--owner', 'user-7', '-A'], env),
      byOwner,
    )
    await compare(
      'kubectl ae-sessions list --mine -A',
      command('ours', process.execPath, [entry, 'list', '--mine', '-A'], env),
      command(
        'kubectl get pods -A -l anaconda-owner=admin',
        'kubectl',
        ['get', 'pods', '-A', '-l', 'anaconda-owner=admin', '--chunk-size=500'],
        env,
      ),
    )
    await compare(
      'kubectl ae-sessions list -A -o json (all rows)',
      command('ours', process.execPath, [entry, 'list', '-A', '-o', 'json'], env),
      command(
        'kubectl get pods -A -l anaconda-session-id -o json',
        'kubectl',
        ['get', 'pods', '-A', '-l', 'anaconda-session-id', '--chunk-size=500', '-o', 'json'],
        env,
      ),
    )
  } finally {
    await sim.stop()
  }
}
