import { parseArgs } from 'node:util'
import { authorize, DEFAULT_POLICY } from './auth.ts'
import { liveDemoScenario } from './scenario/demo.ts'
import { generateCluster } from './scenario/generate.ts'
import { startSim } from './sim.ts'

/**
 * `npm run sim`: starts the simulated cluster and prints a KUBECONFIG to use with kubectl and the plugins.
 * With --json it prints one JSON line {url, kubeconfig, pid} for scripts (demo, bench) that start it as a child.
 *
 *   npm run sim                         the demo cluster, admin user
 *   npm run sim -- --nodes 5000 --pods-per-node 30
 *   npm run sim -- --user alice --auth token
 */
const { values } = parseArgs({
  options: {
    nodes: { type: 'string' },
    'pods-per-node': { type: 'string', default: '30' },
    'ae5-pods': { type: 'string', default: '0' },
    secrets: { type: 'string', default: '0' },
    user: { type: 'string', default: 'admin' },
    auth: { type: 'string', default: 'cert' },
    port: { type: 'string', default: '0' },
    namespace: { type: 'string' },
    json: { type: 'boolean', default: false },
    'no-run-containers': { type: 'boolean', default: false },
  },
})

const started = performance.now()
const scenario =
  values.nodes === undefined
    ? liveDemoScenario()
    : generateCluster({
        nodes: Number(values.nodes),
        podsPerNode: Number(values['pods-per-node']),
        ae5Pods: Number(values['ae5-pods']),
        secrets: Number(values.secrets),
      })
const sim = await startSim({ scenario, port: Number(values.port), runContainers: !values['no-run-containers'] })
const auth = values.auth === 'token' || values.auth === 'basic' ? values.auth : 'cert'
/**
 * The context's namespace: --namespace, else the first one (default first) where the user may create pods (works
 * there), else list them, so `--user alice` starts in ml-team, not in default, where every command is forbidden.
 */
function readableNamespace(user: string): string | undefined {
  const groups = [...(sim.users.find((u) => u.name === user)?.groups ?? []), 'system:authenticated']
  const names = [...sim.store.all('namespaces')].map((ns) => ns.metadata.name).sort()
  const may = (verb: string) => (namespace: string) =>
    authorize({ username: user, groups }, { verb, group: '', resource: 'pods', namespace }, DEFAULT_POLICY)
  const candidates = ['default', ...names]
  return candidates.find(may('create')) ?? candidates.find(may('list'))
}
const namespace = values.namespace ?? readableNamespace(values.user)
const kubeconfig = sim.writeKubeconfig({ user: values.user, auth, ...(namespace === undefined ? {} : { namespace }) })
const seconds = ((performance.now() - started) / 1000).toFixed(1)
if (values.json) {
  // One kubeconfig per simulated user, so a script can act as admin, alice (namespace-scoped) or viewer.
  const kubeconfigs = Object.fromEntries(
    sim.users.map((u) => [u.name, sim.writeKubeconfig({ user: u.name, auth: 'cert' })]),
  )
  process.stdout.write(
    `${JSON.stringify({ url: sim.url, kubeconfig, kubeconfigs, pid: process.pid, startSeconds: Number(seconds) })}\n`,
  )
} else {
  // A first command this user may run: nodes are cluster-wide, which a namespace-scoped user may not list.
  const first = values.user === 'admin' ? 'kubectl get nodes' : 'kubectl get pods'
  const where = namespace === undefined ? '' : ` (user ${values.user}, namespace ${namespace})`
  process.stdout.write(
    `simulated cluster "${scenario.name}" serving at ${sim.url} (started in ${seconds}s)${where}\n` +
      `  export KUBECONFIG=${kubeconfig}\n` +
      `  ${first}\n` +
      'press Ctrl-C to stop\n',
  )
}
const stop = (): void => {
  sim.stop().finally(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
// A parent that dies closes our stdin; do not outlive it.
if (values.json) process.stdin.on('end', stop).resume()
