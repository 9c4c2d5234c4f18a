import { pipeline } from 'node:stream/promises'
import { kubeArgs, namespaceArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { parseDurationFlag } from '../../../shared/kube/config/duration.ts'
import { openLogStream } from '../collect.ts'
import { containerAlias, defaultLogContainer } from '../platform.ts'
import { idArg, WORKLOAD_CONTAINERS } from './_complete.ts'
import { findWorkload } from './_resolve.ts'
import { parseChunkSize, platformArgs, platformConfigFrom } from './_shared.ts'

function wholeNumber(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!Number.isInteger(value) || value < 0)
    throw new SuiteError('usage', `invalid ${flag} "${text}": not a whole number`, { hint: `e.g. ${flag}=100` })
  return value
}

/** kubectl's --since: a Go duration such as 30s, 5m, 1h30m (bare numbers are seconds). Whole seconds. */
export function parseSince(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const ms = parseDurationFlag('--since', text, { hint: 'use a duration such as 30s, 5m or 1h30m' })
  return Math.ceil(ms / 1000)
}

export default defineSuiteCommand({
  meta: {
    examples: [
      [
        "The last 20 lines of a session's main container",
        'kubectl ae-sessions logs a1-33c1 -n anaconda-enterprise --tail 20',
      ],
      ['Follow one container of a session', 'kubectl ae-sessions logs a1-33c1 -n anaconda-enterprise -c editor -f'],
    ],
    name: 'logs',
    description: "Logs of a workload's pod, found by its platform id (-f to follow)",
  },
  args: {
    ...idArg,
    container: {
      type: 'string',
      alias: 'c',
      complete: WORKLOAD_CONTAINERS,
      description: 'Container, by name or alias (editor, proxy, sync, sync-proxy, app); default editor or app',
    },
    follow: { type: 'boolean', alias: 'f', description: 'Stream new lines until the container stops or Ctrl-C' },
    tail: { type: 'string', description: 'Only the last N lines' },
    since: { type: 'string', description: 'Only lines newer than a duration, e.g. 5m' },
    timestamps: { type: 'boolean', description: 'Prefix each line with its timestamp' },
    previous: { type: 'boolean', alias: 'p', description: 'Logs of the previous, crashed instance of the container' },
    ...platformArgs,
    ...namespaceArgs,
    ...kubeArgs,
  },
  run: async ({ args, io, kube, signal }) => {
    if (args.id === undefined || args.id === '')
      throw new SuiteError('usage', 'logs needs the id of a session, deployment or run', {
        hint: 'e.g. kubectl ae-sessions logs a1-5c1e -f',
      })
    const tailLines = wholeNumber(args.tail, '--tail')
    const sinceSeconds = parseSince(args.since)
    const config = platformConfigFrom(args, io.env)
    const cluster = await kube()
    const namespace = args.allNamespaces === true ? undefined : (args.namespace ?? cluster.namespace)
    const { rows } = await findWorkload(cluster, {
      query: args.id,
      namespace,
      config,
      metrics: false,
      chunkSize: parseChunkSize(args.chunkSize),
      signal,
    })
    if (rows.length > 1)
      throw new SuiteError('usage', `${rows[0]?.id} has ${rows.length} pods: ${rows.map((r) => r.pod).join(', ')}`, {
        hint: 'name one pod: kubectl ae-sessions logs POD',
      })
    const row = rows[0]
    if (row === undefined) return
    const names = row.containers.map((c) => c.name)
    const wanted = args.container
    const container =
      wanted === undefined
        ? defaultLogContainer(row.kind, names)
        : (names.find((n) => n === wanted) ?? names.find((n) => containerAlias(n, names) === wanted))
    if (container === undefined)
      throw new SuiteError('not-found', `${row.id} (pod ${row.pod}) has no container "${wanted ?? ''}"`, {
        hint: `use one of ${row.containers.map((c) => `${c.name} (${c.alias})`).join(', ')}`,
      })
    const stream = await openLogStream(cluster, {
      namespace: row.namespace,
      pod: row.pod,
      container,
      follow: args.follow === true,
      tailLines,
      sinceSeconds,
      timestamps: args.timestamps === true,
      previous: args.previous === true,
      signal,
    })
    try {
      await pipeline(stream, io.out, { end: false })
    } catch (error) {
      // Ctrl-C ends a followed log: that is how -f stops, not a failure.
      if (!signal.aborted) throw error
    }
  },
})
