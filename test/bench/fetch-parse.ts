import { connect } from '../../shared/kube/connect.ts'
import { resourcePath } from '../../shared/kube/paths.ts'

/**
 * The floor for any command that reads every pod: fetch the pod list 500 at a time with the shared transport and
 * JSON.parse each page, nothing else. `npm run bench` compares the client CPU of `usage nodes` and `usage pods -A`
 * with this on the same cluster (goal: at most 1.3 times the floor).
 */
interface Page {
  metadata?: { continue?: string }
  items?: unknown[]
}

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
process.stderr.write(`${items} pods fetched and parsed\n`)
await kube.close()
