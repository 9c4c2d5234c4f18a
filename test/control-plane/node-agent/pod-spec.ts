import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseQuantity } from '../../../shared/quantity.ts'
import type { ContainerSpec, PodRuntimeSpec, RuntimeVolume } from '../../kubelet/runtime.ts'
import { type KeyToPath, type ProjectedFile, projectionFiles, writeProjected } from '../../kubelet/volumes.ts'
import { ApiError, type Client, type KubeObject } from '../client.ts'

/**
 * What the node agent does before the container runtime (test/kubelet) can start a pod, as the kubelet's volume
 * manager and container config do: read the pod's claims, Secrets, ConfigMaps and service-account token from the
 * real API server (as system:node:<name>, so the Node authorizer decides what it may read), lay each volume out as
 * a host folder, and resolve every env var. The result is the runtime's PodRuntimeSpec.
 */

/** Why the pod cannot start yet; the agent reports it and tries again, as the kubelet does. */
export class StartProblem extends Error {
  /** FailedMount: a volume is missing (pod stays ContainerCreating); config: an env reference is (CreateContainerConfigError). */
  readonly kind: 'mount' | 'config'
  readonly container: string | undefined
  constructor(kind: 'mount' | 'config', message: string, container?: string) {
    super(message)
    this.kind = kind
    this.container = container
  }
}

export interface ClaimVolume {
  volume: string
  claim: string
  path: string
  sizeBytes: number
}

export interface ResolvedPod {
  spec: PodRuntimeSpec
  /** The pod's claims and their host folders, for the volume stats of /stats/summary. */
  claims: ClaimVolume[]
}

interface Source {
  name?: string
  secretName?: string
  items?: KeyToPath[]
  defaultMode?: number
  optional?: boolean
}

interface Volume {
  name: string
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean }
  emptyDir?: object
  hostPath?: { path: string }
  configMap?: Source
  secret?: Source
  downwardAPI?: { items?: DownwardItem[]; defaultMode?: number }
  projected?: {
    defaultMode?: number
    sources?: {
      configMap?: Source
      secret?: Source
      serviceAccountToken?: { path: string; expirationSeconds?: number; audience?: string }
      downwardAPI?: { items?: DownwardItem[] }
    }[]
  }
}

interface DownwardItem {
  path: string
  fieldRef?: { fieldPath: string }
  mode?: number
}

interface EnvVar {
  name: string
  value?: string
  valueFrom?: {
    fieldRef?: { fieldPath: string }
    secretKeyRef?: { name: string; key: string; optional?: boolean }
    configMapKeyRef?: { name: string; key: string; optional?: boolean }
  }
}

interface Container {
  name: string
  image?: string
  command?: string[]
  args?: string[]
  workingDir?: string
  env?: EnvVar[]
  envFrom?: {
    prefix?: string
    secretRef?: { name: string; optional?: boolean }
    configMapRef?: { name: string; optional?: boolean }
  }[]
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[]
  restartPolicy?: string
  securityContext?: {
    runAsUser?: number
    runAsGroup?: number
    capabilities?: { add?: string[]; drop?: string[] }
  }
}

interface PodSecurity {
  runAsUser?: number
  runAsGroup?: number
  fsGroup?: number
  supplementalGroups?: number[]
  fsGroupChangePolicy?: 'Always' | 'OnRootMismatch'
}

export interface PodContext {
  client: Client
  nodeName: string
  podIP: string
  hostIP: string
  /** Folder for this pod's emptyDir and projected volumes. */
  podDir: string
}

export async function resolvePod(pod: KubeObject, context: PodContext): Promise<ResolvedPod> {
  const namespace = pod.metadata.namespace as string
  const { client } = context
  const cache = new Map<string, Record<string, Buffer> | undefined>()
  /** A Secret's or ConfigMap's data, decoded; undefined when it does not exist. */
  const data = async (kind: 'secrets' | 'configmaps', name: string): Promise<Record<string, Buffer> | undefined> => {
    const key = `${kind}/${name}`
    if (cache.has(key)) return cache.get(key)
    let result: Record<string, Buffer> | undefined
    try {
      const object = await client.get(`/api/v1/namespaces/${namespace}/${kind}/${name}`)
      const decoded = (map: unknown): [string, Buffer][] =>
        Object.entries((map ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64')])
      result =
        kind === 'secrets'
          ? Object.fromEntries(decoded(object.data))
          : Object.fromEntries([
              ...Object.entries((object.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v)]),
              ...decoded(object.binaryData),
            ])
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error
    }
    cache.set(key, result)
    return result
  }
  const fieldValue = (path: string): string => {
    const keyed = /^metadata\.(annotations|labels)\['(.+)'\]$/.exec(path)
    if (keyed !== null) return pod.metadata[keyed[1] as 'annotations' | 'labels']?.[keyed[2] as string] ?? ''
    const fields: Record<string, string> = {
      'metadata.name': pod.metadata.name,
      'metadata.namespace': namespace,
      'metadata.uid': pod.metadata.uid ?? '',
      'spec.nodeName': context.nodeName,
      'spec.serviceAccountName': pod.spec?.serviceAccountName ?? 'default',
      'status.podIP': context.podIP,
      'status.hostIP': context.hostIP,
    }
    return fields[path] ?? ''
  }

  const claims: ClaimVolume[] = []
  const volumes: Record<string, RuntimeVolume> = {}
  for (const volume of (pod.spec?.volumes ?? []) as Volume[]) {
    const dir = join(context.podDir, 'volumes', volume.name)
    const failed = (why: string): StartProblem =>
      new StartProblem('mount', `MountVolume.SetUp failed for volume "${volume.name}" : ${why}`)
    const projected = async (source: Source, kind: 'secrets' | 'configmaps', mode?: number) => {
      const name = (kind === 'secrets' ? (source.secretName ?? source.name) : source.name) as string
      const found = await data(kind, name)
      if (found === undefined && source.optional !== true)
        throw failed(`${kind === 'secrets' ? 'secret' : 'configmap'} "${name}" not found`)
      return projectionFiles(found ?? {}, { items: source.items, defaultMode: source.defaultMode ?? mode })
    }
    const downward = (items: DownwardItem[] | undefined, mode?: number): ProjectedFile[] =>
      (items ?? []).flatMap((item) =>
        item.fieldRef === undefined
          ? []
          : [
              {
                path: item.path,
                data: Buffer.from(fieldValue(item.fieldRef.fieldPath)),
                mode: item.mode ?? mode ?? 0o644,
              },
            ],
      )
    if (volume.persistentVolumeClaim !== undefined) {
      const claim = await client.get(
        `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${volume.persistentVolumeClaim.claimName}`,
      )
      if (claim.status?.phase !== 'Bound') throw failed(`persistentvolumeclaim "${claim.metadata.name}" not bound`)
      const pv = await client.get(`/api/v1/persistentvolumes/${claim.spec.volumeName}`)
      const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path
      if (typeof path !== 'string') throw failed(`volume ${pv.metadata.name} has no host folder`)
      mkdirSync(path, { recursive: true })
      volumes[volume.name] = {
        hostPath: path,
        readOnly: volume.persistentVolumeClaim.readOnly === true,
        kind: 'persistentVolumeClaim',
      }
      const sizeBytes = Number(parseQuantity(pv.spec?.capacity?.storage ?? '0').nanos / 1_000_000_000n)
      claims.push({ volume: volume.name, claim: claim.metadata.name, path, sizeBytes })
    } else if (volume.hostPath !== undefined) {
      volumes[volume.name] = { hostPath: volume.hostPath.path, kind: 'hostPath' }
    } else if (volume.emptyDir !== undefined) {
      mkdirSync(dir, { recursive: true })
      volumes[volume.name] = { hostPath: dir, kind: 'emptyDir' }
    } else if (volume.secret !== undefined || volume.configMap !== undefined || volume.downwardAPI !== undefined) {
      const files =
        volume.secret !== undefined
          ? await projected(volume.secret, 'secrets')
          : volume.configMap !== undefined
            ? await projected(volume.configMap, 'configmaps')
            : downward(volume.downwardAPI?.items, volume.downwardAPI?.defaultMode)
      writeProjected(dir, files)
      volumes[volume.name] = { hostPath: dir, readOnly: true, kind: 'projected' }
    } else if (volume.projected !== undefined) {
      const mode = volume.projected.defaultMode
      const files: ProjectedFile[] = []
      for (const source of volume.projected.sources ?? []) {
        if (source.secret !== undefined) files.push(...(await projected(source.secret, 'secrets', mode)))
        else if (source.configMap !== undefined) files.push(...(await projected(source.configMap, 'configmaps', mode)))
        else if (source.downwardAPI !== undefined) files.push(...downward(source.downwardAPI.items, mode))
        else if (source.serviceAccountToken !== undefined) {
          // The API server issues a token bound to this pod; Node authorization allows it for our pods only.
          const account = pod.spec?.serviceAccountName ?? 'default'
          const token = await client.create<{ status: { token: string } }>(
            `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`,
            {
              apiVersion: 'authentication.k8s.io/v1',
              kind: 'TokenRequest',
              spec: {
                ...(source.serviceAccountToken.audience ? { audiences: [source.serviceAccountToken.audience] } : {}),
                expirationSeconds: source.serviceAccountToken.expirationSeconds ?? 3607,
                boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
              },
            },
          )
          files.push({
            path: source.serviceAccountToken.path,
            data: Buffer.from(token.status.token),
            mode: mode ?? 0o644,
          })
        }
      }
      writeProjected(dir, files)
      volumes[volume.name] = { hostPath: dir, readOnly: true, kind: 'projected' }
    } else {
      throw failed(
        'this node agent supports persistentVolumeClaim, emptyDir, hostPath, configMap, secret, downwardAPI and projected volumes',
      )
    }
  }

  const envOf = async (c: Container): Promise<Record<string, string>> => {
    const env: Record<string, string> = {}
    const missing = (message: string): StartProblem => new StartProblem('config', message, c.name)
    for (const from of c.envFrom ?? []) {
      const ref = from.secretRef ?? from.configMapRef
      if (ref === undefined) continue
      const kind = from.secretRef !== undefined ? 'secrets' : 'configmaps'
      const found = await data(kind, ref.name)
      if (found === undefined && ref.optional !== true)
        throw missing(`${kind === 'secrets' ? 'secret' : 'configmap'} "${ref.name}" not found`)
      for (const [k, v] of Object.entries(found ?? {})) env[`${from.prefix ?? ''}${k}`] = v.toString('utf8')
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef
      if (e.value !== undefined) env[e.name] = e.value
      else if (e.valueFrom?.fieldRef !== undefined) env[e.name] = fieldValue(e.valueFrom.fieldRef.fieldPath)
      else if (ref !== undefined) {
        const isSecret = e.valueFrom?.secretKeyRef !== undefined
        const found = await data(isSecret ? 'secrets' : 'configmaps', ref.name)
        const value = found?.[ref.key]
        if (value !== undefined) env[e.name] = value.toString('utf8')
        else if (ref.optional !== true)
          // The kubelet's words (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables).
          throw missing(
            found === undefined
              ? `${isSecret ? 'secret' : 'configmap'} "${ref.name}" not found`
              : `couldn't find key ${ref.key} in ${isSecret ? 'Secret' : 'ConfigMap'} ${namespace}/${ref.name}`,
          )
      } else env[e.name] = ''
    }
    return env
  }

  const container = async (c: Container): Promise<ContainerSpec> => {
    const podSecurity = pod.spec?.securityContext as PodSecurity | undefined
    const security = {
      runAsUser: podSecurity?.runAsUser,
      runAsGroup: podSecurity?.runAsGroup,
      ...c.securityContext,
    } as Container['securityContext']
    return {
      name: c.name,
      image: c.image ?? '',
      ...(c.command === undefined ? {} : { command: c.command }),
      ...(c.args === undefined ? {} : { args: c.args }),
      ...(c.workingDir === undefined ? {} : { workingDir: c.workingDir }),
      env: await envOf(c),
      mounts: (c.volumeMounts ?? []).map((m) => ({
        volume: m.name,
        mountPath: m.mountPath,
        ...(m.readOnly === undefined ? {} : { readOnly: m.readOnly }),
        ...(m.subPath === undefined ? {} : { subPath: m.subPath }),
      })),
      ...(security?.runAsUser === undefined ? {} : { runAsUser: security.runAsUser }),
      ...(security?.runAsGroup === undefined ? {} : { runAsGroup: security.runAsGroup }),
      ...(security?.capabilities === undefined ? {} : { capabilities: security.capabilities }),
    }
  }
  const podSecurity = pod.spec?.securityContext as PodSecurity | undefined

  const policy = pod.spec?.restartPolicy
  const initContainers: ContainerSpec[] = []
  // Sidecars (init containers with restartPolicy Always) are not run, as on the simulator.
  for (const c of (pod.spec?.initContainers ?? []) as Container[])
    if (c.restartPolicy !== 'Always') initContainers.push(await container(c))
  const containers: ContainerSpec[] = []
  for (const c of (pod.spec?.containers ?? []) as Container[]) containers.push(await container(c))
  return {
    spec: {
      uid: pod.metadata.uid as string,
      namespace,
      name: pod.metadata.name,
      hostname: pod.spec?.hostname ?? pod.metadata.name,
      restartPolicy: policy === 'Never' || policy === 'OnFailure' ? policy : 'Always',
      initContainers,
      containers,
      volumes,
      ...(podSecurity?.supplementalGroups === undefined ? {} : { supplementalGroups: podSecurity.supplementalGroups }),
      ...(podSecurity?.fsGroup === undefined ? {} : { fsGroup: podSecurity.fsGroup }),
      ...(podSecurity?.fsGroupChangePolicy === undefined
        ? {}
        : { fsGroupChangePolicy: podSecurity.fsGroupChangePolicy }),
    },
    claims,
  }
}
