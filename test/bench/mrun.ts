import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from '../support/plugins.ts'
import { run } from '../support/run.ts'
import { startSimChild } from '../support/sim-child.ts'
import { command, compare, QUICK } from './measure.ts'

/**
 * `kubectl mrun list -A` over many runs (mrun-labelled Jobs spread over namespaces, plus unrelated Jobs it must
 * filter out) against `kubectl get jobs -A` with the same label selector, on one simulated cluster.
 */
export async function benchMrun(node: string, baseEnv: NodeJS.ProcessEnv): Promise<void> {
  const count = Number(process.env.BENCH_MRUN_JOBS ?? (QUICK ? '600' : '3000'))
  process.stdout.write(`\n== ${count} mrun runs (+${count / 2} other jobs) ==\n`)
  const sim = await startSimChild(['--nodes', '10', '--pods-per-node', '5', '--no-run-containers'])
  try {
    const env = { ...baseEnv, KUBECONFIG: sim.kubeconfig, XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'mrun-bench-')) }
    const dir = mkdtempSync(join(tmpdir(), 'mrun-bench-objects-'))
    const namespaces = Array.from({ length: 10 }, (_, i) => `bench-${i}`)
    const items: object[] = namespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }))
    for (let i = 0; i < count * 1.5; i++) {
      const mrun = i < count
      items.push({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name: `${mrun ? 'exp' : 'other'}-${i}`,
          namespace: namespaces[i % namespaces.length],
          labels: mrun
            ? { 'app.kubernetes.io/managed-by': 'kubectl-mrun', 'mrun/run-id': String(i), 'mrun/experiment': 'exp' }
            : { app: 'other' },
          annotations: mrun ? { 'mrun/image': 'reg/ml:ctx-1', 'mrun/tags': 'bench' } : {},
        },
        spec: {
          suspend: true,
          template: {
            spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['true'] }] },
          },
        },
      })
    }
    const file = join(dir, 'objects.json')
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }))
    const created = await run('kubectl', ['create', '--validate=false', '-f', file, '-o', 'name'], {
      env,
      timeoutMs: 600_000,
    })
    if (created.code !== 0) throw new Error(`creating the bench jobs failed: ${created.stderr}`)
    await compare(
      'kubectl mrun list -A',
      command('ours', node, [join(REPO_ROOT, 'plugins/mrun/main.ts'), 'list', '-A'], env),
      command(
        'kubectl get jobs -A -l managed-by=mrun',
        'kubectl',
        ['get', 'jobs', '-A', '-l', 'app.kubernetes.io/managed-by=kubectl-mrun'],
        env,
      ),
    )
  } finally {
    await sim.stop()
  }
}
