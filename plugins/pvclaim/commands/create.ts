import type { V1PersistentVolumeClaim } from '@kubernetes/client-node'
import { dryRunArgs, dryRunMode, kubeArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { parseDurationFlag } from '../../../shared/kube/config/duration.ts'
import { isDnsSubdomain } from '../../../shared/names.ts'
import { formatChoices, parseOutputFormat, renderDocument } from '../../../shared/output/index.ts'
import { getClaim } from '../../../shared/volume/claim-pod.ts'
import { createObject, deleteObject } from '../collect.ts'
import { claimManifest, nfsPair, parseAccessModes, parseNfsTarget, parseSize } from '../model.ts'

export default defineSuiteCommand({
  meta: {
    examples: [
      ['A 10Gi claim of the default storage class', 'kubectl pvclaim create scratch-2 -n ml-team --size 10Gi'],
      [
        'What would be created, sending nothing',
        'kubectl pvclaim create scratch-2 -n ml-team --size 10Gi --dry-run=client -o yaml',
      ],
    ],
    name: 'create',
    description: 'A claim through a storage class, or an NFS PersistentVolume and a claim bound to each other',
  },
  args: {
    name: {
      type: 'positional',
      required: false,
      names: 'object',
      neededByCommand: true,
      description: 'Name of the claim',
    },
    size: { type: 'string', description: 'Size, e.g. 10Gi (required)' },
    'storage-class': {
      type: 'string',
      description: 'Storage class (default: the cluster default)',
      complete: { plural: 'storageclasses', group: 'storage.k8s.io', version: 'v1' },
    },
    'access-mode': {
      type: 'string',
      description: 'RWO (default; RWX with --nfs), RWX, ROX, RWOP; comma-separated',
      choices: ['RWO', 'RWX', 'ROX', 'RWOP'],
    },
    nfs: {
      type: 'string',
      description: 'SERVER:/EXPORT: make a PersistentVolume for this NFS export and bind the claim to it',
    },
    'read-only': { type: 'boolean', description: 'With --nfs: mount the export read-only' },
    'reclaim-policy': {
      type: 'string',
      description: 'With --nfs: Retain (default) or Delete',
      choices: ['Retain', 'Delete'],
    },
    wait: { type: 'boolean', description: 'Wait until the claim is Bound' },
    timeout: { type: 'string', description: 'How long --wait waits: seconds or a duration such as 5m (default 120)' },
    ...dryRunArgs,
    output: {
      type: 'string',
      alias: 'o',
      valueHint: 'format',
      description: 'Print the objects as json, yaml, or through a template (jsonpath=…, custom-columns=…)',
      choices: formatChoices(['json', 'yaml']),
      validate: (value: string): undefined => {
        parseOutputFormat(value, ['json', 'yaml'])
        return undefined
      },
    },
    ...kubeArgs,
  },
  run: async ({ args, io, kube, signal }) => {
    const name = args.name
    if (name === undefined || !isDnsSubdomain(name))
      throw new SuiteError(
        'usage',
        name === undefined ? 'create needs the claim NAME' : `invalid claim name "${name}"`,
        {
          hint: "use lower-case letters, digits, '-' and '.'",
        },
      )
    const size = parseSize(args.size)
    const dryRun = dryRunMode(args.dryRun)
    const waitMs = parseDurationFlag('--timeout', args.timeout ?? '120', {
      hint: 'how long --wait waits: whole seconds or a duration, e.g. --timeout=5m',
    })
    const format = args.output === undefined ? undefined : parseOutputFormat(args.output, ['json', 'yaml'])
    const reclaimPolicy = args.reclaimPolicy ?? 'Retain'
    if (!['Retain', 'Delete'].includes(reclaimPolicy))
      throw new SuiteError('usage', `invalid --reclaim-policy "${reclaimPolicy}"`, { hint: 'use Retain or Delete' })
    if (args.nfs !== undefined && args.storageClass !== undefined)
      throw new SuiteError('usage', '--nfs and --storage-class cannot be used together', {
        hint: 'an NFS claim is bound to its own volume, without a class',
      })
    const nfs = args.nfs === undefined ? undefined : parseNfsTarget(args.nfs)
    const accessModes = parseAccessModes(args.accessMode, nfs === undefined ? 'RWO' : 'RWX')
    const cluster = await kube()
    const namespace = args.namespace ?? cluster.namespace
    const spec = { name, namespace, size, accessModes, storageClass: args.storageClass }
    const objects =
      nfs === undefined
        ? [claimManifest(spec)]
        : nfsPair({ ...spec, nfs, readOnly: args.readOnly === true, reclaimPolicy })
    const print = (list: unknown[]): void => {
      if (format === undefined) return
      const doc = list.length === 1 ? list[0] : { apiVersion: 'v1', kind: 'List', items: list }
      io.out.write(renderDocument(doc, format))
    }
    if (dryRun === 'client') {
      print(objects)
      if (args.output === undefined)
        for (const o of objects) io.out.write(`${o.kind?.toLowerCase()}/${o.metadata?.name} created (dry run)\n`)
      return
    }
    const created: unknown[] = []
    const [first, second] = objects
    try {
      created.push(await createObject(cluster, first as object & { kind?: string }, dryRun === 'server'))
      if (second !== undefined)
        created.push(await createObject(cluster, second as object & { kind?: string }, dryRun === 'server'))
    } catch (error) {
      // The NFS pair is created together or not at all: a claim that fails leaves no orphan volume behind.
      if (created.length === 1 && second !== undefined && dryRun !== 'server')
        await deleteObject(cluster, 'persistentvolumes', undefined, first?.metadata?.name ?? '').catch(() => undefined)
      throw error
    }
    print(created)
    if (args.output === undefined)
      for (const o of objects)
        io.out.write(
          `${o.kind?.toLowerCase()}/${o.metadata?.name} created${dryRun === 'server' ? ' (server dry run)' : ''}\n`,
        )
    if (args.wait === true && dryRun === 'none') {
      const deadline = Date.now() + waitMs
      for (;;) {
        const claim: V1PersistentVolumeClaim = await getClaim(cluster, namespace, name)
        if (claim.status?.phase === 'Bound') {
          io.err.write(
            `persistentvolumeclaim/${name} bound to ${claim.spec?.volumeName} (${claim.status.capacity?.storage ?? ''})\n`,
          )
          return
        }
        if (Date.now() > deadline)
          throw new SuiteError(
            'connection',
            `persistentvolumeclaim/${name} is still ${claim.status?.phase ?? 'Pending'}`,
            {
              hint: `see why with kubectl pvclaim describe ${name}`,
            },
          )
        await new Promise((resolve) => setTimeout(resolve, 250))
        if (signal.aborted) throw new SuiteError('interrupted', 'interrupted')
      }
    }
  },
})
