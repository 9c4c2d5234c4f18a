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
    // check exits 10 when it finds something, which the generated secrets always give it.
    const cases: [string, string[], number[]][] = [
      ['kubectl secretview -A (typed summaries)', ['-A'], [0]],
      ['kubectl secretview -A -o yaml (decoded)', ['-A', '-o', 'yaml'], [0]],
      ['kubectl secretview check -A', ['check', '-A'], [0, 10]],
    ]
    for (const [label, args, okCodes] of cases)
      await compare(label, command('ours', process.execPath, [entry, ...args], env, okCodes), theirs)
  } finally {
    await sim.stop()
  }
}
