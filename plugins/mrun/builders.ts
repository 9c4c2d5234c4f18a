import { spawn } from 'node:child_process'
import { accessSync, constants, rmSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { Writable } from 'node:stream'
import type { Io } from '../../shared/cli/io.ts'
import { SuiteError } from '../../shared/errors.ts'
import type { Kube } from '../../shared/kube/connect.ts'
import { createObject, deleteObject, podLogs, runPods } from './collect.ts'
import { superviseRun } from './follow.ts'
import { type BuildContext, contextTarball, stageContext } from './image.ts'
import {
  type Builder,
  finishedCondition,
  type KubeObject,
  LABEL_RUN_ID,
  managedLabels,
  REGISTRY_SECRET,
} from './model.ts'

/** Where a local builder's executable is, or undefined: checked before anything is created in the cluster. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this folder
    }
  }
  return undefined
}

/** The command lines a local builder runs: look for the image, build it, push it. */
export function localBuilderCommands(
  builder: Exclude<Builder, 'cluster'>,
  image: string,
  dir: string,
): { exists: string[]; build: string[]; push: string[] } {
  const file = join(dir, 'Dockerfile')
  switch (builder) {
    case 'docker':
      return {
        exists: ['docker', 'image', 'inspect', '--format', '{{.Id}}', image],
        build: ['docker', 'build', '--tag', image, '--file', file, dir],
        push: ['docker', 'push', image],
      }
    case 'podman':
      return {
        exists: ['podman', 'image', 'exists', image],
        build: ['podman', 'build', '--tag', image, '--file', file, dir],
        push: ['podman', 'push', image],
      }
    case 'buildah':
      return {
        exists: ['buildah', 'inspect', '--type', 'image', image],
        build: ['buildah', 'build', '--tag', image, '--file', file, dir],
        push: ['buildah', 'push', image],
      }
  }
}

function exec(
  argv: string[],
  options: { env: NodeJS.ProcessEnv; log: Writable | undefined; signal: AbortSignal },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
    })
    // The builder's own log goes to stderr: stdout stays for data (-o yaml), as in kubectl.
    if (options.log !== undefined) {
      child.stdout.pipe(options.log, { end: false })
      child.stderr.pipe(options.log, { end: false })
    } else {
      child.stdout.resume()
      child.stderr.resume()
    }
    child.on('error', reject)
    child.on('close', (code) => resolve(code ?? 1))
  })
}

/** Builds and pushes with docker, podman or buildah; an image already built from the same context is only pushed. */
export async function buildLocally(
  builder: Exclude<Builder, 'cluster'>,
  context: BuildContext,
  image: string,
  options: { env: NodeJS.ProcessEnv; log: Writable; signal: AbortSignal; say: (line: string) => void },
): Promise<'built' | 'reused'> {
  const dir = stageContext(context)
  try {
    const commands = localBuilderCommands(builder, image, dir)
    const exists = (await exec(commands.exists, { ...options, log: undefined })) === 0
    if (!exists) {
      options.say(`building ${image} with ${builder} (${context.files.length} files)`)
      const code = await exec(commands.build, options)
      if (code !== 0)
        throw new SuiteError('internal', `${builder} build failed with exit code ${code}`, {
          hint: 'its log is above; fix the Dockerfile inputs (base image, requirements) and run again',
        })
    } else options.say(`image ${image} is already built from this code; not rebuilding`)
    options.say(`pushing ${image}`)
    const code = await exec(commands.push, options)
    if (code !== 0)
      throw new SuiteError('internal', `${builder} push ${image} failed with exit code ${code}`, {
        hint: `log in to the registry (${builder} login) and run again`,
      })
    return exists ? 'reused' : 'built'
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A ConfigMap holds at most 1 MiB of data; leave room for its metadata. */
export const CLUSTER_CONTEXT_LIMIT = 1024 * 1024 - 16 * 1024

/** Where the registry Secret's config.json is mounted in the build pod, and DOCKER_CONFIG points. */
export const DOCKER_CONFIG_DIR = '/kaniko/.docker'
/**
 * The build pod's requests and limits: a namespace with a quota on limits refuses a pod without them. Small requests
 * so it fits on a busy node, limits for pip's peaks. kaniko runs as root (it unpacks image layers), so the pod meets
 * PodSecurity baseline, not restricted.
 */
export const BUILD_RESOURCES = { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '2', memory: '2Gi' } }

/** The objects of an in-cluster build: a ConfigMap with the context tarball and a kaniko Job that reads it. */
export function clusterBuildObjects(options: {
  namespace: string
  hash: string
  image: string
  kanikoImage: string
  tarball: Buffer
  registrySecret: boolean
}): { configMap: KubeObject; job: KubeObject } {
  const name = `mrun-build-${options.hash.slice(0, 12)}`
  const labels = managedLabels({ [LABEL_RUN_ID]: name, 'mrun/role': 'build' })
  return {
    configMap: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: options.namespace, labels },
      binaryData: { 'context.tar.gz': options.tarball.toString('base64') },
    },
    job: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: options.namespace, labels },
      spec: {
        backoffLimit: 0,
        ttlSecondsAfterFinished: 600,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'main',
                image: options.kanikoImage,
                // The image's own entrypoint runs the executor: forks and versions put it in different places.
                args: [
                  '--context=tar:///workspace/context.tar.gz',
                  '--dockerfile=Dockerfile',
                  `--destination=${options.image}`,
                  '--digest-file=/dev/termination-log',
                ],
                // Where kaniko reads registry credentials; set, not assumed from the image's default.
                env: [{ name: 'DOCKER_CONFIG', value: DOCKER_CONFIG_DIR }],
                resources: { requests: { ...BUILD_RESOURCES.requests }, limits: { ...BUILD_RESOURCES.limits } },
                volumeMounts: [
                  { name: 'context', mountPath: '/workspace', readOnly: true },
                  ...(options.registrySecret
                    ? [{ name: 'registry', mountPath: DOCKER_CONFIG_DIR, readOnly: true }]
                    : []),
                ],
              },
            ],
            volumes: [
              { name: 'context', configMap: { name } },
              ...(options.registrySecret
                ? [
                    {
                      name: 'registry',
                      secret: {
                        secretName: REGISTRY_SECRET,
                        items: [{ key: '.dockerconfigjson', path: 'config.json' }],
                      },
                    },
                  ]
                : []),
            ],
          },
        },
      },
    },
  }
}

/**
 * Builds in the cluster: the context goes up in a ConfigMap, a kaniko Job builds and pushes with the registry
 * Secret, we follow it to the end and print its log on stderr, then remove both helpers whatever happened.
 */
export async function buildInCluster(
  kube: Kube,
  context: BuildContext,
  options: {
    namespace: string
    image: string
    kanikoImage: string
    registrySecret: boolean
    log: Writable
    /** Whether `log` is a terminal a spinner may draw on. */
    errIsTTY: boolean
    signal: AbortSignal
    say: (line: string) => void
    warn?: (line: string) => void
  },
): Promise<void> {
  const tarball = await contextTarball(context)
  if (tarball.length > CLUSTER_CONTEXT_LIMIT)
    throw new SuiteError(
      'invalid',
      `the build context is ${(tarball.length / 1048576).toFixed(1)} MiB compressed; the cluster builder takes at most 1 MiB`,
      {
        hint: 'leave data and checkpoints out with .mrunignore, or build locally (builder: docker, podman or buildah)',
      },
    )
  const { configMap, job } = clusterBuildObjects({ ...options, hash: context.hash, tarball })
  const name = job.metadata.name
  options.say(`building ${options.image} in the cluster (job ${options.namespace}/${name})`)
  try {
    await createObject(kube, 'configmaps', configMap, { signal: options.signal })
    await createObject(kube, 'jobs', job, { signal: options.signal })
    // Followed through watches, as a run is: an unschedulable build pod or a policy refusing it is said at once.
    const current = await superviseRun(kube, {
      namespace: options.namespace,
      name,
      runId: name,
      io: { err: options.log, errIsTTY: options.errIsTTY } as Io,
      signal: options.signal,
      follow: false,
      index: undefined,
      wait: true,
      what: `the build job ${name}`,
      spinnerText: `building ${options.image} in the cluster`,
      ...(options.warn === undefined ? {} : { warn: options.warn }),
    })
    const finished = current === undefined ? undefined : finishedCondition(current)
    if (finished === undefined) throw new SuiteError('interrupted', 'the in-cluster build was interrupted')
    for (const pod of await runPods(kube, options.namespace, name, options.signal)) {
      const text = await podLogs(kube, options.namespace, pod.metadata?.name ?? '', {
        follow: false,
        signal: options.signal,
      })
      options.log.write(typeof text === 'string' ? text : '')
    }
    if (finished.type === 'Failed')
      throw new SuiteError(
        'internal',
        `the in-cluster build of ${options.image} failed (${finished.reason ?? 'Failed'})`,
        {
          hint: 'its log is above; fix the inputs or the registry secret and run again',
        },
      )
  } finally {
    // Helpers never outlive the command, even on Ctrl-C: a fresh signal, since ours may be aborted.
    const cleanup = new AbortController().signal
    await deleteObject(kube, 'jobs', options.namespace, name, cleanup)
    for (const pod of await runPods(kube, options.namespace, name, cleanup))
      await deleteObject(kube, 'pods', options.namespace, pod.metadata?.name ?? '', cleanup)
    await deleteObject(kube, 'configmaps', options.namespace, name, cleanup)
  }
}
