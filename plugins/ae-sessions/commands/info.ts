import { kubeArgs, namespaceArgs, outputArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { parseOutputFormat, printView } from '../../../shared/output/index.ts'
import { renderInfo, renderInfoText } from '../render.ts'
import { idArg } from './_complete.ts'
import { findWorkload } from './_resolve.ts'
import { parseChunkSize, platformArgs, platformConfigFrom } from './_shared.ts'

const FORMATS = ['table', 'json', 'yaml', 'name'] as const

export default defineSuiteCommand({
  meta: {
    examples: [
      [
        'One session in detail (a unique prefix of its id is enough)',
        'kubectl ae-sessions info a1-33c1 -n anaconda-enterprise',
      ],
    ],
    name: 'info',
    description: 'One workload in detail: kind, owner, phase, since, requests, limits, usage and its containers',
  },
  args: {
    ...idArg,
    'no-metrics': { type: 'boolean', description: 'Do not read the metrics API' },
    ...platformArgs,
    ...namespaceArgs,
    ...outputArgs(FORMATS),
    ...kubeArgs,
  },
  run: async ({ args, io, log, kube, signal }) => {
    const format = parseOutputFormat(args.output, FORMATS, args)
    if (args.id === undefined || args.id === '')
      throw new SuiteError('usage', 'info needs the id of a session, deployment or run', {
        hint: 'e.g. kubectl ae-sessions info a1-5c1e (list ids with kubectl ae-sessions)',
      })
    const config = platformConfigFrom(args, io.env)
    const cluster = await kube()
    const namespace = args.allNamespaces === true ? undefined : (args.namespace ?? cluster.namespace)
    const { rows, warnings } = await findWorkload(cluster, {
      query: args.id,
      namespace,
      config,
      metrics: args.noMetrics !== true,
      chunkSize: parseChunkSize(args.chunkSize),
      signal,
    })
    for (const warning of warnings) log.warn(warning)
    if (format === 'table') io.out.write(renderInfoText(rows, { now: io.now() }))
    else printView(io, renderInfo(rows), format)
  },
})
