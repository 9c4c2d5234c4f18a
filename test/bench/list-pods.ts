import { connect } from '../../shared/kube/connect.ts'
import { foldList } from '../../shared/kube/list.ts'
import { resourcePath } from '../../shared/kube/paths.ts'

/**
 * The shared core's paginated fold on its own: lists every pod of the cluster 500 at a time and prints
 * `pod/<name>` lines, the same work as `kubectl get pods -A --chunk-size=500 -o name`.
 */
interface NamedObject {
  metadata: { name: string }
}

const kube = await connect({}, { env: process.env, stdinIsTTY: false })
const out: string[] = []
const result = await foldList<NamedObject, number>(
  kube.transport,
  { path: resourcePath({ plural: 'pods' }), context: { verb: 'list', resource: 'pods' } },
  () => 0,
  (count, items) => {
    for (const item of items) out.push(`pod/${item.metadata.name}\n`)
    process.stdout.write(out.join(''))
    out.length = 0
    return count + items.length
  },
)
process.stderr.write(`${result.value} pods in ${result.pages} pages\n`)
await kube.close()
