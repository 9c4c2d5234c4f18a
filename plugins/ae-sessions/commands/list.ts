import { kubeArgs, namespaceArgs, outputArgs, selectorArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { parseInterval, watchArgs, watchOrOnce } from '../../../shared/cli/watch.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { noResourcesMessage, parseOutputFormat, printsDocument, terminalWidth } from '../../../shared/output/index.ts'
import { collectWorkloads, whoAmI } from '../collect.ts'
import { defaultOrder, parseSortKey, SORT_KEYS, sortRows, type WorkloadRow, withUsage } from '../model.ts'
import { parseKinds, type WorkloadKind } from '../platform.ts'
import { writeList } from '../render.ts'
import { parseChunkSize, platformArgs, platformConfigFrom } from './_shared.ts'

const FORMATS = ['table', 'wide', 'json', 'yaml', 'name', 'csv', 'tsv'] as const

export function parseKindFlag(text: string | undefined): WorkloadKind[] | undefined {
  if (text === undefined) return undefined
  const { kinds, unknown } = parseKinds(text)
  if (unknown.length > 0 || kinds.length === 0)
    throw new SuiteError('usage', `invalid --kind "${unknown[0] ?? text}"`, {
      hint: 'use session, deployment or run (plurals and deploy/app/job work too), comma-separated',
    })
  return kinds
}

export default defineSuiteCommand({
  meta: {
    examples: [
      ['Your sessions, deployments and runs', 'kubectl ae-sessions --mine -n anaconda-enterprise'],
      ['Only sessions, in every namespace', 'kubectl ae-sessions list -A --kind session'],
      [
        'Watch them change, redrawn every 5 seconds',
        'kubectl ae-sessions list -n anaconda-enterprise --watch --interval 5s',
      ],
    ],
    name: 'list',
    description: 'Sessions, deployments and job runs with owner, phase and live CPU/memory (the default command)',
  },
  args: {
    kind: {
      type: 'string',
      choices: ['session', 'deployment', 'run'],
      description: 'Only these kinds: session,deployment,run',
    },
    mine: {
      type: 'boolean',
      description: 'Only workloads you own (your identity from the API, as kubectl auth whoami)',
    },
    owner: { type: 'string', description: 'Only workloads of this owner' },
    ...selectorArgs,
    'no-metrics': { type: 'boolean', description: 'Do not read the metrics API (usage columns show -)' },
    ...watchArgs,
    ...platformArgs,
    ...namespaceArgs,
    ...outputArgs(FORMATS),
    'sort-by': { type: 'string', choices: SORT_KEYS, description: `Sort by a column: ${SORT_KEYS.join(', ')}` },
    ...kubeArgs,
  },
  run: async ({ args, io, log, kube, signal }) => {
    const format = parseOutputFormat(args.output, FORMATS, args)
    const kinds = parseKindFlag(args.kind)
    if (args.mine === true && args.owner !== undefined)
      throw new SuiteError('usage', '--mine and --owner cannot be used together', { hint: 'keep one of them' })
    const sortKey = args.sortBy === undefined ? undefined : parseSortKey(args.sortBy)
    if (args.sortBy !== undefined && sortKey === undefined)
      throw new SuiteError('usage', `invalid --sort-by "${args.sortBy}": no such column`, {
        hint: `use one of ${SORT_KEYS.join(', ')}`,
      })
    // A bad --interval fails before anything connects.
    if (args.watch === true) parseInterval(args.interval)
    const chunkSize = parseChunkSize(args.chunkSize)
    const config = platformConfigFrom(args, io.env)
    const cluster = await kube()
    const all = args.allNamespaces === true
    const namespace = all ? undefined : (args.namespace ?? cluster.namespace)
    // Who "mine" is comes from the server; the reads that do not depend on it start while it is on its way.
    const owner: string | Promise<string> | undefined =
      args.mine === true
        ? whoAmI(cluster, signal).then((me) => {
            const why = me.fallbackReason === undefined ? '' : ` (${me.fallbackReason})`
            log.info(`--mine: you are "${me.username}", from the ${me.source}${why}`)
            return me.username
          })
        : args.owner

    const snapshotOnce = async (): Promise<{ rows: WorkloadRow[]; showNamespace: boolean; empty: string }> => {
      const snapshot = await collectWorkloads(cluster, {
        namespace,
        labelSelector: args.selector,
        fieldSelector: args.fieldSelector,
        metrics: args.noMetrics !== true,
        chunkSize,
        config,
        fallbackNamespaces: [cluster.namespace, ...config.namespaces],
        filter: { kinds, owner },
        signal,
        log: (message) => log.info(message),
      })
      for (const warning of snapshot.warnings) log.warnOnce(warning, warning)
      const rows = snapshot.rows.map((row) => {
        const usage = snapshot.usage?.get(`${row.namespace}/${row.pod}`)
        return usage === undefined ? row : withUsage(row, usage)
      })
      if (snapshot.unknownOwner > 0) {
        const count = snapshot.unknownOwner
        const keys = config.ownerKeys.map((k) => (k.source === 'any' ? k.key : `${k.source} ${k.key}`)).join(', ')
        const note = `${count} platform pod${count === 1 ? ' has' : 's have'} no owner (looked at ${keys}) and ${count === 1 ? 'is' : 'are'} not shown`
        log.warnOnce(note, note)
      }
      const ordered = sortKey === undefined ? defaultOrder(rows) : sortRows(rows, sortKey)
      const showNamespace = all || (snapshot.readNamespaces?.length ?? 0) > 1
      const empty = noResourcesMessage(snapshot.readNamespaces?.length === 1 ? snapshot.readNamespaces[0] : namespace)
      return { rows: ordered, showNamespace, empty }
    }

    // "No resources found" is a message, so it goes to stderr, as kubectl's does; json and yaml print an empty list.
    // The list goes out in pieces (writeList): at 20,000 workloads one document plus one string was the peak.
    await watchOrOnce(io, signal, { watch: args.watch === true, interval: args.interval }, async (frame) => {
      const { rows, showNamespace, empty } = await snapshotOnce()
      if (rows.length === 0 && !printsDocument(format)) {
        frame.err.write(`${empty}\n`)
        return
      }
      const maxWidth = terminalWidth(io)
      const options = { now: io.now(), showNamespace, noHeaders: args.noHeaders === true, color: io.color }
      writeList(rows, format, maxWidth === undefined ? options : { ...options, maxWidth }, (text) =>
        frame.out.write(text),
      )
    })
  },
})
