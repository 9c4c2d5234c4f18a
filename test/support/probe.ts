import { defineCommand } from 'citty'
import { kubeArgs, namespaceArgs } from '../../shared/cli/args.ts'
import type { Io } from '../../shared/cli/io.ts'
import { createMemoryIo } from '../../shared/cli/memory-io.ts'
import { defineSuiteCommand, lazyCommand, runPlugin } from '../../shared/cli/run.ts'
import { foldList } from '../../shared/kube/list.ts'
import { resourcePath } from '../../shared/kube/paths.ts'

/**
 * A minimal plugin over the shared core, for testing the core by itself: flags → config → transport → list or
 * get → print names, with the same runner, errors and exit codes as every real plugin.
 */
const pods = defineSuiteCommand({
  meta: { name: 'pods', description: 'List pod names (or get one pod)' },
  args: {
    name: { type: 'positional', required: false, description: 'A pod to get' },
    'chunk-size': { type: 'string', description: 'Page size' },
    ...namespaceArgs,
    ...kubeArgs,
  },
  run: async ({ args, io, kube, signal }) => {
    const cluster = await kube()
    const namespace = args.allNamespaces === true ? undefined : (args.namespace ?? cluster.namespace)
    if (args.name !== undefined) {
      const pod = await cluster.transport.json<{ metadata: { name: string } }>({
        path: resourcePath({ plural: 'pods', namespace, name: args.name }),
        context: { verb: 'get', resource: 'pods', namespace, name: args.name },
        signal,
      })
      io.out.write(`pod/${pod.metadata.name}\n`)
      return
    }
    const result = await foldList<{ metadata: { name: string } }, string[]>(
      cluster.transport,
      {
        path: resourcePath({ plural: 'pods', namespace }),
        chunkSize: args.chunkSize === undefined ? undefined : Number(args.chunkSize),
        context: { verb: 'list', resource: 'pods', namespace },
        signal,
      },
      () => [],
      (acc, items) => {
        for (const item of items) acc.push(item.metadata.name)
        return acc
      },
    )
    io.out.write(result.value.map((n) => `pod/${n}\n`).join(''))
    if (result.restarts > 0) io.err.write(`restarted ${result.restarts}\n`)
  },
})

const root = defineCommand({
  meta: { name: 'kubectl probe', description: 'Core test plugin' },
  subCommands: { pods: lazyCommand({ name: 'pods', description: 'List pods' }, async () => pods) },
})

export interface ProbeResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the probe plugin in-process with an in-memory terminal and the given environment. */
export async function probe(argv: string[], env: Record<string, string>): Promise<ProbeResult> {
  const io = createMemoryIo({ env: { HOME: '/nonexistent', PATH: process.env.PATH ?? '', ...env } })
  const code = await runPlugin(root, { name: 'kubectl probe', version: '0.0.0', io: io as Io, argv })
  return { code, stdout: io.stdout(), stderr: io.stderr() }
}
