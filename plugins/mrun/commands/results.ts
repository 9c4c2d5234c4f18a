import { outputArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { usageError } from '../../../shared/errors.ts'
import { parseOutputFormat, printView } from '../../../shared/output/index.ts'
import { findRun } from '../collect.ts'
import { summarizeRun } from '../model.ts'
import { BUILTIN_SORT_KEYS, columnNames, resultRows, sortKey, sortRows } from '../results.ts'
import { collectResults } from '../results-collect.ts'
import { renderResults } from '../results-render.ts'
import { connectFor, contextArgs, namespaceFor, runArg, selected } from './_shared.ts'

const FORMATS = ['table', 'wide', 'json', 'yaml', 'name', 'csv', 'tsv'] as const

export default defineSuiteCommand({
  meta: {
    examples: [
      ['Every point of the newest lr-sweep run, best loss first', 'kubectl mrun results lr-sweep --sort-by loss'],
      ['Highest accuracy first, as CSV for a spreadsheet', 'kubectl mrun results RUN --sort-by accuracy --desc -o csv'],
    ],
    name: 'results',
    description:
      'One row per sweep point: its parameters, state, duration and the metrics it reported ($MRUN_OUTPUT_DIR/metrics.json, else its last JSON log line)',
  },
  args: {
    ...runArg,
    ...contextArgs,
    ...outputArgs(FORMATS),
    'sort-by': {
      type: 'string',
      valueHint: 'name',
      choices: BUILTIN_SORT_KEYS,
      description: 'Sort by a metric, a parameter, or index, state, duration (missing values last)',
    },
    desc: { type: 'boolean', description: 'Sort descending (highest accuracy first)' },
  },
  run: async (ctx) => {
    const { args, io, log, signal } = ctx
    const format = parseOutputFormat(args.output, FORMATS, args)
    const { context } = selected(ctx)
    const kube = await connectFor(ctx, context)
    try {
      const namespace = namespaceFor(ctx, context, kube)
      const job = await findRun(kube, namespace, args.run, signal, { byExperiment: true })
      const run = summarizeRun(job)
      const input = await collectResults(kube, { namespace, job, signal, log: (line) => log.debug(line) })
      if (input.metricsProblem !== undefined)
        log.warn(`metrics.json files not read (${input.metricsProblem}); metrics come from the logs`)
      let rows = resultRows({ ...input, now: io.now() })
      if (args.sortBy !== undefined) {
        const key = sortKey(args.sortBy, rows)
        if (key === undefined) {
          const { params, metrics } = columnNames(rows)
          throw usageError(
            `invalid --sort-by "${args.sortBy}": no metric, parameter or column of that name`,
            `sort by one of: ${[...metrics, ...params, ...BUILTIN_SORT_KEYS].join(', ')}`,
          )
        }
        rows = sortRows(rows, key, args.desc === true)
      }
      if (format === 'table' || format === 'wide') {
        const reported = rows.filter((r) => r.source !== 'none').length
        io.err.write(
          `run ${run.name} in ${run.namespace}: ${run.phase}; ${reported} of ${rows.length} ${rows.length === 1 ? 'point' : 'points'} reported metrics\n`,
        )
      }
      printView(io, renderResults(run, rows, { sweep: input.sweep }), format, { noHeaders: args.noHeaders === true })
    } finally {
      await kube.close()
    }
  },
})
