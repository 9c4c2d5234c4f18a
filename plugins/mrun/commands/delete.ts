import { createInterface } from 'node:readline/promises'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError, usageError } from '../../../shared/errors.ts'
import { deleteObject, findRun, listRuns, runPods } from '../collect.ts'
import { finishedCondition, LABEL_RUN_ID, STORAGE_CLAIM } from '../model.ts'
import { connectFor, contextArgs, namespaceFor, RUN_COMPLETION, selected } from './_shared.ts'

export default defineSuiteCommand({
  meta: {
    examples: [
      ['Delete one run and its pods', 'kubectl mrun delete RUN -n ml-team'],
      ['Delete every finished run without asking', 'kubectl mrun delete --all-finished -n ml-team --yes'],
    ],
    name: 'delete',
    description: 'Delete runs (Jobs and their pods); storage only with --with-storage',
  },
  args: {
    runs: {
      type: 'positional',
      required: false,
      multiple: true,
      names: 'reference',
      description: 'Runs (Job names or run ids)',
      complete: RUN_COMPLETION,
    },
    ...contextArgs,
    'all-finished': { type: 'boolean', description: 'Every succeeded or failed run in the namespace' },
    'with-storage': { type: 'boolean', description: 'Also delete the storage claim and all data on it (asks first)' },
    yes: { type: 'boolean', alias: 'y', description: 'Do not ask (for scripts)' },
  },
  run: async (ctx) => {
    const { args, io, signal } = ctx
    const names = ctx.positionals
    if (names.length === 0 && args.allFinished !== true && args.withStorage !== true)
      throw usageError('name the runs to delete, or pass --all-finished', 'kubectl mrun delete RUN... | --all-finished')
    if (names.length > 0 && args.allFinished === true) throw usageError('give run names or --all-finished, not both')
    const { context } = selected(ctx)
    const kube = await connectFor(ctx, context)
    try {
      const namespace = namespaceFor(ctx, context, kube)
      if (args.withStorage === true && args.yes !== true) {
        if (!io.inIsTTY || io.stdin === undefined)
          throw usageError(
            `--with-storage deletes claim ${STORAGE_CLAIM} in ${namespace} and every file on it`,
            'confirm with --yes in scripts',
          )
        const rl = createInterface({ input: io.stdin, output: io.err })
        const answer = await rl.question(
          `Delete claim ${namespace}/${STORAGE_CLAIM} and ALL its data? Type the namespace to confirm: `,
        )
        rl.close()
        if (answer.trim() !== namespace) throw new SuiteError('usage', 'not confirmed; nothing deleted')
      }
      const jobs =
        args.allFinished === true
          ? (await listRuns(kube, namespace, signal)).filter((j) => finishedCondition(j) !== undefined)
          : await Promise.all(names.map((name) => findRun(kube, namespace, name, signal)))
      for (const job of jobs) {
        const name = job.metadata?.name ?? ''
        await deleteObject(kube, 'jobs', namespace, name, signal)
        // Background propagation lets the garbage collector remove the pods; deleting them here too means they are
        // gone when we return, and a cluster without the collector running still ends clean.
        for (const pod of await runPods(kube, namespace, job.metadata?.labels?.[LABEL_RUN_ID] ?? '', signal))
          await deleteObject(kube, 'pods', namespace, pod.metadata?.name ?? '', signal)
        io.out.write(`job.batch/${name} deleted\n`)
      }
      if (args.allFinished === true && jobs.length === 0) io.err.write(`No finished runs in ${namespace} namespace.\n`)
      if (
        args.withStorage === true &&
        (await deleteObject(kube, 'persistentvolumeclaims', namespace, STORAGE_CLAIM, signal))
      )
        io.out.write(`persistentvolumeclaim/${STORAGE_CLAIM} deleted\n`)
    } finally {
      await kube.close()
    }
  },
})
