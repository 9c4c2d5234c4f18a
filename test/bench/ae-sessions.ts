import { join } from 'node:path'
import { REPO_ROOT } from '../support/plugins.ts'
import { startSimChild } from '../support/sim-child.ts'
import { builtBinary } from './dist.ts'
import { type Contender, command, compare, QUICK, sequence } from './measure.ts'

/**
 * `kubectl ae-sessions` on a platform with 20,000 AE5 pods (BENCH_AE5_PODS): `--owner` and `--mine` against kubectl
 * listing that owner's pods by label, and the whole platform as JSON against kubectl listing every session pod.
 *
 * ae-sessions also shows each pod's CPU and memory, which `kubectl get` does not: every owner line is compared with
 * `kubectl get` alone (the yardstick) and with `kubectl get` + `kubectl top pods` under the same selector,
 * the kubectl commands that give the same information. Ours runs from source through bin/ (as `npm install -g`
 * installs it) and, when built, as the single-file binary.
 */
export async function benchAeSessions(baseEnv: NodeJS.ProcessEnv): Promise<void> {
  const pods = process.env.BENCH_AE5_PODS ?? (QUICK ? '4000' : '20000')
  process.stdout.write(`\n== ae-sessions: ${pods} platform pods ==\n`)
  const sim = await startSimChild(['--nodes', '200', '--pods-per-node', '5', '--ae5-pods', pods, '--no-run-containers'])
  try {
    const env = { ...baseEnv, KUBECONFIG: sim.kubeconfig }
    const launcher = join(REPO_ROOT, 'bin/kubectl-ae_sessions')
    const binary = builtBinary('kubectl-ae_sessions')
    const ours = (args: string[]): { suffix: string; contender: Contender }[] => [
      { suffix: '', contender: command('ours', process.execPath, [launcher, ...args], env) },
      ...(binary === undefined ? [] : [{ suffix: ' (binary)', contender: command('ours', binary, args, env) }]),
    ]
    const kubectlGet = (selector: string): Contender =>
      command(
        `kubectl get pods -A -l ${selector}`,
        'kubectl',
        ['get', 'pods', '-A', '-l', selector, '--chunk-size=500'],
        env,
      )
    const kubectlGetTop = (selector: string): Contender =>
      sequence(`kubectl get + top pods -A -l ${selector}`, [
        kubectlGet(selector),
        command('top', 'kubectl', ['top', 'pods', '-A', '-l', selector], env),
      ])
    for (const [label, args, selector] of [
      ['kubectl ae-sessions list --owner user-7 -A', ['list', '--owner', 'user-7', '-A'], 'anaconda-owner=user-7'],
      ['kubectl ae-sessions list --mine -A', ['list', '--mine', '-A'], 'anaconda-owner=admin'],
    ] as const) {
      for (const { suffix, contender } of ours([...args])) {
        await compare(`${label}${suffix}`, contender, kubectlGet(selector))
        await compare(`${label}${suffix}`, contender, kubectlGetTop(selector))
      }
    }
    const kubectlJson = command(
      'kubectl get pods -A -l anaconda-session-id -o json',
      'kubectl',
      ['get', 'pods', '-A', '-l', 'anaconda-session-id', '--chunk-size=500', '-o', 'json'],
      env,
    )
    for (const { suffix, contender } of ours(['list', '-A', '-o', 'json']))
      await compare(`kubectl ae-sessions list -A -o json (all rows)${suffix}`, contender, kubectlJson)
  } finally {
    await sim.stop()
  }
}
