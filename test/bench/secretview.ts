import { join } from 'node:path'
import { REPO_ROOT } from '../support/plugins.ts'
import { startSimChild } from '../support/sim-child.ts'
import { command, compare, QUICK } from './measure.ts'

/** `kubectl secretview` over many secrets (BENCH_SECRETS), against kubectl reading the same secrets. */
export async function benchSecretview(baseEnv: NodeJS.ProcessEnv): Promise<void> {
  const count = process.env.BENCH_SECRETS ?? (QUICK ? '1000' : '5000')
  process.stdout.write(`\n== secretview: ${count} secrets ==\n`)
  const sim = await startSimChild(['--nodes', '10', '--pods-per-node', '5', '--secrets', count, '--no-run-containers'])
  try {
    const env = { ...baseEnv, KUBECONFIG: sim.kubeconfig }
    const entry = join(REPO_ROOT, 'plugins/secretview/main.ts')
    const theirs = command('kubectl get secrets -A -o yaml', 'kubectl', ['get', 'secrets', '-A', '-o', 'yaml'], env)
    const cases: [string, string[]][] = [
      ['kubectl secretview -A (typed summaries)', ['-A']],
      ['kubectl secretview -A -o yaml (decoded)', ['-A', '-o', 'yaml']],
      ['kubectl secretview check -A', ['check', '-A']],
    ]
    for (const [label, args] of cases)
      await compare(label, command('ours', process.execPath, [entry, ...args], env), theirs)
  } finally {
    await sim.stop()
  }
}
