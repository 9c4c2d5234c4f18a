import { join } from 'node:path'
import { REPO_ROOT } from '../support/plugins.ts'
import { startSimChild } from '../support/sim-child.ts'
import { measure, row } from './measure.ts'

/** `kubectl secretview` over many secrets (BENCH_SECRETS), against kubectl reading the same secrets. */
export async function benchSecretview(baseEnv: NodeJS.ProcessEnv): Promise<void> {
  const count = process.env.BENCH_SECRETS ?? '5000'
  process.stdout.write(`\n== secretview: ${count} secrets ==\n`)
  const sim = await startSimChild(['--nodes', '10', '--pods-per-node', '5', '--secrets', count, '--no-run-containers'])
  try {
    const env = { ...baseEnv, KUBECONFIG: sim.kubeconfig }
    const entry = join(REPO_ROOT, 'plugins/secretview/main.ts')
    const theirs = await measure('kubectl', ['get', 'secrets', '-A', '-o', 'yaml'], env)
    const label = 'kubectl get secrets -A -o yaml'
    const list = await measure(process.execPath, [entry, '-A'], env)
    process.stdout.write(`${row('kubectl secretview -A (typed summaries)', list, theirs, label)}\n`)
    const decoded = await measure(process.execPath, [entry, '-A', '-o', 'yaml'], env)
    process.stdout.write(`${row('kubectl secretview -A -o yaml (decoded)', decoded, theirs, label)}\n`)
    const check = await measure(process.execPath, [entry, 'check', '-A'], env)
    process.stdout.write(`${row('kubectl secretview check -A', check, theirs, label)}\n`)
  } finally {
    await sim.stop()
  }
}
