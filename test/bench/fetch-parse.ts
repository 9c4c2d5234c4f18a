import { connect } from '../../shared/kube/connect.ts'
import { resourcePath } from '../../shared/kube/paths.ts'

/**
 * The floor for any command that reads every pod: fetch the pod list 500 at a time with the shared transport and
 * JSON.parse each page, nothing else. `npm run bench` compares the client CPU of `usage nodes` and `usage pods -A`
 * with this on the same cluster (goal: at most 1.3 times the floor).
 *
 * `--pod-metrics` also fetches and parses the pod metrics list, in one document as metrics-server answers it: the
 * pages `usage pods -A` must read as well, so that its floor is the same bytes and not only the pod pages.
 */
interface Page {
  metadata?: { continue?: string }
  items?: unknown[]
}

const withPodMetrics = process.argv.includes('--pod-metrics')
const kube = await connect({}, { env: process.env, stdinIsTTY: false })
let items = 0
let token: string | undefined
do {
  const page = await kube.transport.json<Page>({
    path: resourcePath({ plural: 'pods' }),
    query: { limit: 500, continue: token },
    context: { verb: 'list', resource: 'pods' },
  })
  items += page.items?.length ?? 0
  token = page.metadata?.continue || undefined
} while (token !== undefined)
let metrics = 0
if (withPodMetrics) {
  const list = await kube.transport.json<Page>({
    path: resourcePath({ group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods' }),
    context: { verb: 'list', resource: 'pods.metrics.k8s.io' },
    timeoutMs: 60_000,
  })
  metrics = list.items?.length ?? 0
}
process.stderr.write(`${items} pods${withPodMetrics ? ` and ${metrics} pod metrics` : ''} fetched and parsed\n`)
await kube.close()
