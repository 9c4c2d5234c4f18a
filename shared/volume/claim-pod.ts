import { randomBytes } from 'node:crypto'
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node'
import { SuiteError } from '../errors.ts'
import type { Kube } from '../kube/connect.ts'
import { listAll } from '../kube/list.ts'
import { resourcePath } from '../kube/paths.ts'
import { dnsLabel, labelValue } from '../names.ts'

/**
 * A pod through which a claim's files can be reached: a running pod that already mounts it (no new pod, and for a
 * ReadWriteOnce volume the only node that may mount it anyway), or a small helper pod made for the transfer and
 * always deleted afterwards — on success, on error and on Ctrl-C.
 */
export const HELPER_LABEL = 'app.kubernetes.io/managed-by'
export const DEFAULT_HELPER_IMAGE = 'busybox:1.36'
/** The helper runs as nobody: PodSecurity `restricted` refuses root, and nobody owns nothing it could harm. */
export const HELPER_UID = 65534
/** The helper's backstop: if we die without deleting it, it ends after a day (a transfer may take hours). */
export const HELPER_DEADLINE_SECONDS = 86_400

export interface ClaimAccess {
  pod: string
  container: string
  /** Where the claim is mounted in that container. */
  mountPath: string
  /** True when the pod was created for this transfer. */
  helper: boolean
}

export interface ClaimPodOptions {
  namespace: string
  claim: string
  /** Needs to write (upload): a consumer that mounts the claim read-only does not qualify. */
  write: boolean
  image?: string | undefined
  /** Who makes the helper pod, for its label: kubectl-pvclaim, kubectl-mrun. */
  managedBy: string
  signal?: AbortSignal | undefined
  log?: (message: string) => void
  /** How long a helper pod may take to start (default 120 s). */
  startTimeoutMs?: number
  /**
   * Checks a running consumer pod can do the transfer (has the tools); a reason it cannot makes us use a helper pod
   * instead. Without it, the first consumer is used.
   */
  probe?: (access: ClaimAccess) => Promise<string | undefined>
}

function mountsClaim(pod: V1Pod, claim: string, write: boolean): { container: string; mountPath: string } | undefined {
  const volumes = (pod.spec?.volumes ?? []).filter((v) => v.persistentVolumeClaim?.claimName === claim)
  for (const volume of volumes) {
    if (write && volume.persistentVolumeClaim?.readOnly === true) continue
    for (const container of pod.spec?.containers ?? []) {
      const mount = (container.volumeMounts ?? []).find(
        (m) => m.name === volume.name && (!write || m.readOnly !== true),
      )
      if (mount !== undefined)
        return { container: container.name, mountPath: mount.mountPath.replace(/\/+$/, '') || '/' }
    }
  }
  return undefined
}

export async function getClaim(kube: Kube, namespace: string, name: string): Promise<V1PersistentVolumeClaim> {
  try {
    return await kube.transport.json<V1PersistentVolumeClaim>({
      path: resourcePath({ plural: 'persistentvolumeclaims', namespace, name }),
      context: { verb: 'get', resource: 'persistentvolumeclaims', namespace, name },
    })
  } catch (error) {
    if (error instanceof SuiteError && error.status === 404)
      throw new SuiteError('not-found', `persistentvolumeclaim "${name}" not found in namespace "${namespace}"`, {
        status: 404,
        hint: `list the claims with \`kubectl pvclaim list -n ${namespace}\`, or pick another namespace with -n`,
      })
    throw error
  }
}

export async function podsOfNamespace(kube: Kube, namespace: string, signal?: AbortSignal): Promise<V1Pod[]> {
  const { items } = await listAll<V1Pod>(kube.transport, {
    path: resourcePath({ plural: 'pods', namespace }),
    context: { verb: 'list', resource: 'pods', namespace },
    ...(signal === undefined ? {} : { signal }),
  })
  return items
}

/** Running pods that mount the claim, and the node a ReadWriteOnce claim is attached to. */
export function claimConsumers(pods: readonly V1Pod[], claim: string): V1Pod[] {
  return pods.filter(
    (p) =>
      (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim) &&
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed',
  )
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(new SuiteError('interrupted', 'interrupted'))
      },
      { once: true },
    )
  })

async function deletePod(kube: Kube, namespace: string, name: string): Promise<void> {
  try {
    await kube.transport.json({
      method: 'DELETE',
      path: resourcePath({ plural: 'pods', namespace, name }),
      query: { gracePeriodSeconds: '0' },
      body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, propagationPolicy: 'Background' },
      context: { verb: 'delete', resource: 'pods', namespace, name },
    })
  } catch (error) {
    if (!(error instanceof SuiteError && error.status === 404)) throw error
  }
}

/**
 * The helper pod: admitted under PodSecurity `restricted` (non-root, no privilege escalation, no capabilities,
 * RuntimeDefault seccomp) and by a ResourceQuota on limits (CPU and memory requests and limits). It lives as long as
 * the transfer needs (a day's sleep, a day's deadline as a backstop) and is deleted as soon as the transfer ends.
 */
export function helperPod(spec: {
  name: string
  namespace: string
  claim: string
  managedBy: string
  image: string
  write: boolean
  mountPath: string
  nodeName?: string
}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      labels: { [HELPER_LABEL]: spec.managedBy, 'kubectl-suite/claim': labelValue(spec.claim) },
    },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: HELPER_DEADLINE_SECONDS,
      terminationGracePeriodSeconds: 0,
      ...(spec.nodeName === undefined ? {} : { nodeName: spec.nodeName }),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: HELPER_UID,
        runAsGroup: HELPER_UID,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      volumes: [{ name: 'volume', persistentVolumeClaim: { claimName: spec.claim, readOnly: !spec.write } }],
      containers: [
        {
          name: 'transfer',
          image: spec.image,
          // Not `sleep infinity`: older busybox builds lack it. The deadline ends the pod anyway.
          command: ['sleep', String(HELPER_DEADLINE_SECONDS)],
          volumeMounts: [{ name: 'volume', mountPath: spec.mountPath, readOnly: !spec.write }],
          resources: {
            requests: { cpu: '50m', memory: '32Mi' },
            limits: { cpu: '1', memory: '256Mi' },
          },
          securityContext: {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
        },
      ],
    },
  }
}

/** Runs `use` with a pod that mounts the claim; a helper pod it had to create is deleted whatever happens. */
export async function withClaimPod<T>(
  kube: Kube,
  options: ClaimPodOptions,
  use: (access: ClaimAccess) => Promise<T>,
): Promise<T> {
  const { namespace, claim } = options
  const claimObject = await getClaim(kube, namespace, claim)
  if (claimObject.status?.phase !== 'Bound')
    throw new SuiteError(
      'invalid',
      `persistentvolumeclaim "${claim}" is ${claimObject.status?.phase ?? 'not bound'}, so no pod can mount it yet`,
      {
        hint: `see why with \`kubectl pvclaim describe ${claim} -n ${namespace}\``,
      },
    )
  const consumers = claimConsumers(await podsOfNamespace(kube, namespace, options.signal), claim)
  for (const pod of consumers) {
    if (pod.status?.phase !== 'Running' || pod.metadata?.deletionTimestamp != null) continue
    const mount = mountsClaim(pod, claim, options.write)
    if (mount !== undefined) {
      const access = { pod: pod.metadata?.name ?? '', ...mount, helper: false }
      const unusable = await options.probe?.(access)
      if (unusable !== undefined) {
        options.log?.(`pod ${access.pod} mounts ${claim} but ${unusable}; using a helper pod instead`)
        continue
      }
      options.log?.(`using pod ${access.pod}, which mounts ${claim} at ${mount.mountPath}`)
      return use(access)
    }
  }
  const modes = claimObject.spec?.accessModes ?? []
  const singleNode = modes.includes('ReadWriteOnce') || modes.includes('ReadWriteOncePod')
  if (modes.includes('ReadWriteOncePod') && consumers.length > 0)
    throw new SuiteError(
      'conflict',
      `persistentvolumeclaim "${claim}" is ReadWriteOncePod and pod ${consumers[0]?.metadata?.name} holds it`,
      {
        hint: 'stop that pod, or run the transfer from it once it is running',
      },
    )
  // A ReadWriteOnce volume is attached to one node: a helper elsewhere would never start.
  const pinnedNode = singleNode ? consumers.find((p) => p.spec?.nodeName !== undefined)?.spec?.nodeName : undefined
  const name = `pvclaim-helper-${dnsLabel(claim, 30) || 'claim'}-${randomBytes(3).toString('hex')}`
  const mountPath = '/volume'
  const pod = helperPod({
    name,
    namespace,
    claim,
    managedBy: options.managedBy,
    image: options.image ?? DEFAULT_HELPER_IMAGE,
    write: options.write,
    mountPath,
    ...(pinnedNode === undefined ? {} : { nodeName: pinnedNode }),
  })
  await kube.transport.json({
    method: 'POST',
    path: resourcePath({ plural: 'pods', namespace }),
    body: pod,
    context: { verb: 'create', resource: 'pods', namespace, name },
  })
  options.log?.(`started helper pod ${name}${pinnedNode === undefined ? '' : ` on ${pinnedNode}`} to reach ${claim}`)
  try {
    await waitRunning(kube, namespace, name, options)
    return await use({ pod: name, container: 'transfer', mountPath, helper: true })
  } finally {
    await deletePod(kube, namespace, name)
    options.log?.(`deleted helper pod ${name}`)
  }
}

async function waitRunning(kube: Kube, namespace: string, name: string, options: ClaimPodOptions): Promise<void> {
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000)
  for (;;) {
    const pod = await kube.transport.json<V1Pod>({
      path: resourcePath({ plural: 'pods', namespace, name }),
      context: { verb: 'get', resource: 'pods', namespace, name },
    })
    const phase = pod.status?.phase
    if (phase === 'Running') return
    if (phase === 'Failed' || phase === 'Succeeded')
      throw new SuiteError(
        'invalid',
        `helper pod ${name} ended (${phase}) before the transfer: ${pod.status?.message ?? pod.status?.reason ?? 'no reason given'}`,
      )
    const waiting = (pod.status?.containerStatuses ?? [])
      .map((c) => c.state?.waiting?.reason)
      .find((r) => r === 'ErrImagePull' || r === 'ImagePullBackOff' || r === 'InvalidImageName')
    if (waiting !== undefined)
      throw new SuiteError('invalid', `helper pod ${name} cannot pull its image (${waiting})`, {
        hint: 'pass --image with an image your cluster can pull that has tar and sha256sum (busybox, alpine)',
      })
    if (Date.now() > deadline) {
      const unschedulable = (pod.status?.conditions ?? []).find(
        (c) => c.type === 'PodScheduled' && c.status === 'False',
      )
      throw new SuiteError(
        'connection',
        `helper pod ${name} did not start in time${unschedulable?.message === undefined ? '' : `: ${unschedulable.message}`}`,
        {
          hint: 'check the claim and the nodes with kubectl pvclaim describe',
        },
      )
    }
    await sleep(200, options.signal)
  }
}
