import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { basename, isAbsolute, resolve } from 'node:path'
import { parse } from 'yaml'
import { outputArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError, usageError } from '../../../shared/errors.ts'
import { parseDurationFlag } from '../../../shared/kube/config/duration.ts'
import type { Kube } from '../../../shared/kube/connect.ts'
import { parseOutputFormat, renderDocument, renderYaml } from '../../../shared/output/index.ts'
import { buildInCluster, buildLocally, findExecutable } from '../builders.ts'
import { createObject, deleteObject, ensureClaim, ensureNamespace, ensureSecret, patchObject } from '../collect.ts'
import { checkPodsAdmitted, waitForRun } from '../follow.ts'
import { collectContext, contextTag } from '../image.ts'
import { type Limits, limitsProblem, withDefaultResources, withLimits, withPerIndexBackoff } from '../jobs-model.ts'
import {
  BUILDERS,
  type Builder,
  buildGrid,
  checkGridSize,
  containerCommand,
  DEFAULT_BASE_IMAGE,
  DEFAULT_KANIKO_IMAGE,
  DEFAULT_STORAGE_DIR,
  DEFAULT_STORAGE_SIZE,
  DEFAULT_TTL_SECONDS,
  dnsLabel,
  type ExperimentFile,
  type Grid,
  GridError,
  gridConfigMapObject,
  gridSize,
  jobObject,
  type KubeObject,
  namespaceObject,
  neptuneSecretObject,
  newRunId,
  parseGridFlag,
  REGISTRY_SECRET,
  type Resources,
  type RunSpec,
  registrySecretObject,
  resourceProblem,
  splitParameters,
  storageClaimObject,
} from '../model.ts'
import { awaitClaimBound, jobTheServerKeeps, lookupStorageClass, policyError } from '../run-steps.ts'
import { type AccessMode, claimAccessMode, parseAccessMode, type StorageClassLike } from '../storage-model.ts'
import { connectFor, contextArgs, namespaceFor, selected } from './_shared.ts'

const FORMATS = ['json', 'yaml', 'name'] as const

function readExperimentFile(path: string): ExperimentFile {
  if (!existsSync(path))
    throw usageError(`experiment file ${path} does not exist`, 'pass the path of your experiment YAML with --config')
  try {
    const data = parse(readFileSync(path, 'utf8')) as ExperimentFile | null
    return data ?? {}
  } catch (error) {
    throw new SuiteError('invalid', `${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`)
  }
}

function wholeNumber(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw usageError(`--${flag} "${text}" must be a whole number >= ${min}`)
  return Number(text)
}

function accessModeOf(what: string, text: string | undefined): AccessMode | undefined {
  if (text === undefined) return undefined
  const mode = parseAccessMode(text)
  if (mode === undefined)
    throw usageError(
      `${what} "${text}" is not an access mode`,
      'use ReadWriteOnce (every class has it) or ReadWriteMany (file-share classes: NFS, EFS, Filestore, CephFS)',
    )
  return mode
}

export default defineSuiteCommand({
  meta: {
    examples: [
      [
        'A two-point sweep in busybox, followed to the end',
        "kubectl mrun run -n ml-team --image busybox --grid lr=0.1,0.01 --follow -- sh -c 'echo lr=$lr'",
      ],
      [
        'Build the current folder and run train.py on a GPU',
        'kubectl mrun run -n ml-team --gpu 1 -- train.py --epochs 3',
      ],
    ],
    name: 'run',
    description:
      'Build the code into an image and run it (or a parameter sweep) as a Job: run [flags] -- script.py -- ARGS',
  },
  args: {
    command: {
      type: 'positional',
      required: false,
      multiple: true,
      description: 'After --: the script (a .py runs with python) or command, then -- and its arguments',
    },
    ...contextArgs,
    config: { type: 'string', description: 'Experiment YAML: project, name, parameters (lists become a sweep), tags' },
    name: { type: 'string', description: 'Experiment name (default: the file name, else the script name)' },
    project: { type: 'string', description: 'Project label (default: the namespace)' },
    'base-image': { type: 'string', description: `Image to build on (default ${DEFAULT_BASE_IMAGE})` },
    requirements: { type: 'string', description: 'pip requirements file (default requirements.txt if present)' },
    image: { type: 'string', description: 'Run this image as it is: no build' },
    builder: { type: 'string', description: `Override the profile's builder: ${BUILDERS.join(', ')}` },
    registry: { type: 'string', description: "Override the context's registry" },
    tag: { type: 'string', multiple: true, description: 'Tag the run (repeatable); tags become labels' },
    cpu: { type: 'string', description: 'CPU per pod (requests = limits), e.g. 4 or 500m' },
    mem: { type: 'string', description: 'Memory per pod (requests = limits), e.g. 8Gi' },
    gpu: { type: 'string', description: 'NVIDIA GPUs per pod' },
    tpu: { type: 'string', description: 'TPU chips per pod (google.com/tpu, with the context TPU node selectors)' },
    grid: {
      type: 'string',
      multiple: true,
      description: 'Sweep a parameter: key=a,b,c (repeatable: Cartesian product)',
    },
    zip: { type: 'string', multiple: true, description: 'Vary these --grid keys together instead of crossing them' },
    parallelism: { type: 'string', description: 'Pods of a sweep running at once (default all)' },
    retries: { type: 'string', description: 'Retries per run, or per point of a sweep (default 0)' },
    'storage-class': {
      type: 'string',
      description: "Storage class of the run's claim (default: the context's, else the cluster's)",
    },
    'access-mode': {
      type: 'string',
      description: 'Access mode of the claim: ReadWriteOnce (default) or ReadWriteMany (RWX classes only)',
    },
    timeout: {
      type: 'string',
      valueHint: 'duration',
      description: 'With --wait/--follow: give up after this long (30s, 5m), exit 1 with the reason',
    },
    ttl: {
      type: 'string',
      description: `How long a finished run is kept: a duration (30m, 48h) or whole seconds (default ${DEFAULT_TTL_SECONDS / 3600}h)`,
    },
    wait: { type: 'boolean', description: 'Wait until the run finishes; exit 1 if it failed' },
    follow: { type: 'boolean', alias: 'f', description: 'Stream the logs until the run finishes; exit 1 if it failed' },
    'dry-run': { type: 'boolean', description: 'Print what would be created (with -o yaml|json) and change nothing' },
    ...outputArgs(FORMATS),
  },
  run: async (ctx) => {
    const { args, io, log, signal } = ctx
    const format = args.output === undefined ? undefined : parseOutputFormat(args.output, FORMATS, args)
    const words = ctx.rest
    if (words.length === 0 || words[0] === '--')
      throw usageError('no command to run', 'put the script after --: kubectl mrun run -- train.py -- --epochs 3')
    const { context } = selected(ctx)
    const cwd = process.cwd()

    // Everything the user typed is checked before anything is built or created.
    const file = args.config === undefined ? {} : readExperimentFile(args.config)
    let resources: Resources = { ...context.resources }
    for (const key of ['cpu', 'mem', 'gpu', 'tpu'] as const) if (args[key] !== undefined) resources[key] = args[key]
    const problem = resourceProblem(resources)
    if (problem !== undefined) throw usageError(problem)
    // Always requests and limits: a namespace with a quota on limits refuses pods without them.
    resources = withDefaultResources(resources)
    // The profile's limits apply where no flag set that resource (a flag means requests = limits).
    const limits: Limits = {
      ...(args.cpu === undefined && context.limits?.cpu !== undefined ? { cpu: context.limits.cpu } : {}),
      ...(args.mem === undefined && context.limits?.mem !== undefined ? { mem: context.limits.mem } : {}),
    }
    const tooLow = limitsProblem(resources, limits)
    if (tooLow !== undefined)
      throw new SuiteError('config', tooLow, {
        hint: 'raise the limit or lower the request in the profile (profile add)',
      })
    const accessFlag = accessModeOf('--access-mode', args.accessMode)
    const accessConfigured = accessModeOf('storage_access_mode', context.storage_access_mode)
    const storageClassName = args.storageClass ?? context.storage_class
    if (args.timeout !== undefined && args.wait !== true && args.follow !== true)
      throw usageError('--timeout needs --wait or --follow', 'add --wait, or leave --timeout out')
    const timeoutMs =
      args.timeout === undefined
        ? undefined
        : parseDurationFlag('--timeout', args.timeout, { hint: 'how long to wait for the run, e.g. --timeout=30m' })
    let grid: Grid
    try {
      const fromFile = splitParameters(file.parameters)
      const fromFlags = args.grid.map(parseGridFlag)
      const axes = [...fromFile.grid.filter(([key]) => !fromFlags.some(([k]) => k === key)), ...fromFlags]
      grid = buildGrid(fromFile.fixed, axes, args.zip)
      checkGridSize(grid)
    } catch (error) {
      if (error instanceof GridError) throw usageError(error.message)
      throw error
    }
    const retries = wholeNumber('retries', args.retries, 0) ?? 0
    const parallelism = wholeNumber('parallelism', args.parallelism, 1)
    const ttlSeconds =
      args.ttl === undefined
        ? DEFAULT_TTL_SECONDS
        : Math.ceil(
            parseDurationFlag('--ttl', args.ttl, {
              zero: true,
              // The server keeps it (ttlSecondsAfterFinished is an int32 of seconds), no timer of ours waits it.
              maxMs: (2 ** 31 - 1) * 1000,
              hint: 'how long a finished run is kept, e.g. --ttl=48h (0 deletes it as soon as it finishes)',
            }) / 1000,
          )
    const { command, args: scriptArgs } = containerCommand(words)
    const script = command[0] === 'python' ? command[1] : undefined
    const experiment =
      args.name ?? file.name ?? (script === undefined ? basename(command[0] ?? 'run') : basename(script, '.py'))
    if (dnsLabel(experiment) === '') throw usageError(`experiment name "${experiment}" has no letters or digits`)

    let image = args.image
    let build: { builder: Builder; context: ReturnType<typeof collectContext> } | undefined
    const registry = args.registry ?? context.registry
    if (image === undefined) {
      const builder = (args.builder ?? context.builder ?? 'docker') as Builder
      if (!BUILDERS.includes(builder))
        throw usageError(`--builder "${builder}" is not a builder`, `use one of ${BUILDERS.join(', ')}`)
      if (registry === undefined || registry === '')
        throw new SuiteError('config', 'no registry to push the image to', {
          hint: 'set one with kubectl mrun profile add NAME --registry REGISTRY/PREFIX, pass --registry, or run a ready image with --image',
        })
      if (script !== undefined && !existsSync(resolve(cwd, script)))
        throw usageError(`script ${script} does not exist in ${cwd}`, 'run from the project folder or fix the path')
      let requirements = args.requirements
      if (requirements !== undefined && !existsSync(resolve(cwd, requirements)))
        throw usageError(
          `requirements file ${requirements} does not exist`,
          'fix the path, or leave --requirements out',
        )
      if (requirements === undefined && existsSync(resolve(cwd, 'requirements.txt'))) requirements = 'requirements.txt'
      if (builder !== 'cluster' && findExecutable(builder, io.env) === undefined)
        throw new SuiteError('config', `builder ${builder} is not installed (not found on PATH)`, {
          hint: 'install it, choose another with --builder (docker, podman, buildah), or build in the cluster with --builder cluster',
        })
      const buildContext = collectContext(cwd, {
        baseImage: args.baseImage ?? DEFAULT_BASE_IMAGE,
        requirements:
          requirements === undefined ? undefined : isAbsolute(requirements) ? requirements : resolve(cwd, requirements),
      })
      const project = args.project ?? file.project ?? context.namespace ?? 'mrun'
      image = `${registry.replace(/\/+$/, '')}/${dnsLabel(project)}:${contextTag(buildContext)}`
      build = { builder, context: buildContext }
    }

    const dryRun = args.dryRun === true
    let kube: Kube | undefined
    try {
      // -n or the context name the namespace; only the kubeconfig's default needs a connection (made lazily).
      if ((args.namespace ?? context.namespace) === undefined) kube = await connectFor(ctx, context)
      const namespace = namespaceFor(ctx, context, kube)
      const project = args.project ?? file.project ?? namespace
      const registryAuth = context.registry_auth_file
      if (registryAuth !== undefined && !existsSync(registryAuth))
        throw new SuiteError('config', `registry_auth_file ${registryAuth} does not exist`, {
          hint: 'point it at a docker config.json (docker login writes ~/.docker/config.json)',
        })
      const neptuneToken = context.neptune === undefined ? undefined : io.env.NEPTUNE_API_TOKEN
      const secrets: KubeObject[] = []
      if (registryAuth !== undefined) secrets.push(registrySecretObject(namespace, readFileSync(registryAuth, 'utf8')))
      if (neptuneToken !== undefined && neptuneToken !== '') secrets.push(neptuneSecretObject(namespace, neptuneToken))
      const runId = newRunId(randomBytes(6))
      const spec: RunSpec = {
        runId,
        project,
        experiment,
        namespace,
        image,
        command,
        args: scriptArgs,
        grid,
        tags: [...(file.tags ?? []), ...args.tag],
        resources,
        retries,
        parallelism,
        ttlSeconds,
        storageDir: context.storage_dir ?? DEFAULT_STORAGE_DIR,
        nodeSelector: context.node_selector ?? {},
        tolerations: context.tolerations ?? [],
        tpu: {
          ...(context.tpu_accelerator === undefined ? {} : { accelerator: context.tpu_accelerator }),
          ...(context.tpu_topology === undefined ? {} : { topology: context.tpu_topology }),
        },
        pullSecret: context.image_pull_secret ?? (registryAuth === undefined ? undefined : REGISTRY_SECRET),
        neptuneProject: context.neptune?.project,
        neptuneToken: secrets.some((s) => s.metadata.name === 'mrun-neptune'),
      }
      let job = withLimits(withPerIndexBackoff(jobObject(spec), retries), limits)
      const points = gridSize(grid)
      let gridMap: KubeObject | undefined
      try {
        gridMap = points > 1 ? gridConfigMapObject(spec, job.metadata.name) : undefined
      } catch (error) {
        if (error instanceof GridError) throw usageError(error.message)
        throw error
      }
      const ns = namespaceObject(namespace)
      // A dry run shows what the flags and profile say; a real run also reads the cluster's class (after a local
      // build, which needs nothing from the cluster).
      const claimFor = (storageClass: StorageClassLike | undefined): KubeObject =>
        storageClaimObject(namespace, {
          size: context.storage_size ?? DEFAULT_STORAGE_SIZE,
          storageClass: storageClassName,
          accessMode: claimAccessMode({ flag: accessFlag, configured: accessConfigured, storageClass }),
        })
      let claim = claimFor(undefined)
      if (dryRun) {
        // Secrets are named, never printed: a dry run must not put credentials on the screen or in CI logs.
        for (const secret of secrets)
          log.info(`would ensure secret ${namespace}/${secret.metadata.name} (values not shown)`)
        if (build !== undefined)
          log.info(`would build ${image} with ${build.builder} from ${build.context.files.length} files`)
        const objects = [ns, claim, ...(gridMap === undefined ? [] : [gridMap]), job]
        if (format === 'yaml') io.out.write(objects.map((o) => renderYaml(o)).join('---\n'))
        else if (format === 'json' || typeof format === 'object')
          io.out.write(renderDocument({ apiVersion: 'v1', kind: 'List', items: objects }, format))
        else for (const o of objects) io.out.write(`${o.kind.toLowerCase()}/${o.metadata.name} created (dry run)\n`)
        return
      }
      kube ??= await connectFor(ctx, context)
      const say = (line: string): void => {
        io.err.write(`${line}\n`)
      }
      // The image first: a build that fails leaves no claim, Secret or Job behind. A local builder needs nothing
      // from the cluster; kaniko needs the namespace and the registry Secret, which are removed again if this run
      // made them and the build fails.
      if (build !== undefined && build.builder !== 'cluster')
        await buildLocally(build.builder, build.context, image, { env: io.env, log: io.err, signal, say })
      // A named class that does not exist stops the run here, before anything is created.
      const storageClass = await lookupStorageClass(kube, storageClassName, signal)
      claim = claimFor(storageClass)
      const namespaceResult = await ensureNamespace(kube, ns, signal)
      say(`namespace/${namespace} ${namespaceResult}`)
      const madeSecrets: string[] = []
      for (const secret of secrets) {
        const result = await ensureSecret(kube, secret, signal)
        if (result === 'created') madeSecrets.push(secret.metadata.name)
        say(`secret/${secret.metadata.name} ${result}`)
      }
      if (build !== undefined && build.builder === 'cluster') {
        try {
          await buildInCluster(kube, build.context, {
            namespace,
            image,
            kanikoImage: context.kaniko_image ?? DEFAULT_KANIKO_IMAGE,
            registrySecret: registryAuth !== undefined,
            log: io.err,
            errIsTTY: io.errIsTTY,
            signal,
            say,
          })
        } catch (error) {
          for (const name of madeSecrets) await deleteObject(kube, 'secrets', namespace, name)
          if (namespaceResult === 'created') await deleteObject(kube, 'namespaces', undefined, namespace)
          throw error
        }
      }
      const claimResult = await ensureClaim(kube, claim, signal)
      say(`persistentvolumeclaim/${claim.metadata.name} ${claimResult}`)
      try {
        await awaitClaimBound(kube, { namespace, name: claim.metadata.name, storageClass, signal, say })
      } catch (error) {
        // A claim this run made that cannot bind goes again, so the next run can ask for another class or mode.
        const cleanup = new AbortController().signal
        if (claimResult === 'created')
          await deleteObject(kube, 'persistentvolumeclaims', namespace, claim.metadata.name, cleanup)
        for (const name of madeSecrets) await deleteObject(kube, 'secrets', namespace, name, cleanup)
        if (namespaceResult === 'created') await deleteObject(kube, 'namespaces', undefined, namespace, cleanup)
        throw error
      }
      job = await jobTheServerKeeps(kube, job, { retries, signal, warn: (line) => log.warnOnce('per-index', line) })
      // The sweep's ConfigMap first, so no pod waits for it; once the Job exists it owns the ConfigMap, and the
      // garbage collector removes both together (ttlSecondsAfterFinished or mrun delete).
      if (gridMap !== undefined) await createObject(kube, 'configmaps', gridMap, { signal })
      try {
        const created = await createObject<{ metadata?: { uid?: string } }>(kube, 'jobs', job, { signal })
        if (gridMap !== undefined)
          await patchObject(kube, 'configmaps', namespace, gridMap.metadata.name, {
            metadata: {
              ownerReferences: [
                { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: created.metadata?.uid ?? '' },
              ],
            },
          })
      } catch (error) {
        if (gridMap !== undefined) await deleteObject(kube, 'configmaps', namespace, gridMap.metadata.name)
        if (error instanceof SuiteError && error.status === 409)
          throw new SuiteError('conflict', `job "${job.metadata.name}" already exists in namespace "${namespace}"`, {
            hint: 'run again: each run gets a new id',
          })
        throw policyError(error, `job "${job.metadata.name}"`, namespace)
      }
      const name = job.metadata.name
      if (format === 'name') io.out.write(`job.batch/${name}\n`)
      else io.out.write(`job.batch/${name} created\n`)
      const sweep = points > 1 ? ` (sweep of ${points})` : ''
      say(`run ${name} submitted to ${namespace}${sweep}; follow it with: kubectl mrun logs ${name} -f`)
      const warn = (line: string): void => log.warn(line)
      const waiting = args.follow === true || args.wait === true
      // While waiting, a quota that is full for now is said by the wait itself, once.
      await checkPodsAdmitted(kube, { namespace, name, runId, signal, warn: waiting ? () => undefined : warn })
      if (waiting)
        await waitForRun(kube, {
          namespace,
          name,
          runId,
          io,
          signal,
          follow: args.follow === true,
          index: undefined,
          timeoutMs,
          warn,
        })
    } finally {
      await kube?.close()
    }
  },
})
