import { randomBytes } from 'node:crypto'
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node'
import { SuiteError } from '../errors.ts'
import type { Kube } from '../kube/connect.ts'
import { listAll } from '../kube/list.ts'
import { resourcePath } from '../kube/paths.ts'
import { dnsLabel, labelValue } from '../names.ts'
import { PodCannotRun } from './remote.ts'

/**
 * A pod through which a claim's files can be reached: a running pod that already mounts it (no new pod, and for a
 * ReadWriteOnce volume the only node that may mount it anyway), or a small helper pod made for the transfer and
 * always deleted afterwards — on success, on error and on Ctrl-C.
 */
export const HELPER_LABEL = 'app.kubernetes.io/managed-by'
export const DEFAULT_HELPER_IMAGE = 'busybox:1.36'
/**
 * A helper starts as nobody: PodSecurity `restricted` refuses root, and nobody owns nothing it could harm. A transfer
 * that needs another identity (see {@link ClaimPodOptions.identity}) moves to a second helper.
 */
export const HELPER_UID = 65534
/**
 * What a root helper may do beyond any process: give files their owner (CHOWN), read and write whatever the
 * permissions say (DAC_OVERRIDE), set modes and times on files that are not its own (FOWNER). Nothing else: no
 * FSETID, SETUID, NET_RAW, MKNOD of the runtime default, no privilege escalation. PodSecurity `baseline` admits it.
 */
export const ROOT_HELPER_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER'] as const
/** The helper's backstop: if we die without deleting it, it ends after a day (a transfer may take hours). */
export const HELPER_DEADLINE_SECONDS = 86_400

export interface ClaimAccess {
  pod: string
  container: string
  /** Where the claim is mounted in that container. */
  mountPath: string
  /** True when the pod was created for this transfer. */
  helper: boolean
  /** The uid and gid a helper pod runs as (uid 0: a root helper with {@link ROOT_HELPER_CAPABILITIES} only). */
  runAs?: { uid: number; gid: number }
}

/**
 * Who a transfer's helper should be, decided from what the first helper (nobody) sees in the volume, and what to do
 * when the namespace's PodSecurity refuses a root helper: go on as nobody with a warning (nobody can do the transfer,
 * only the files' owner differs), or stop with an error that names the cause and the fixes.
 */
export interface HelperPlan {
  runAs: { uid: number; gid: number }
  whyRoot?: string
  ifRootRefused?:
    | { runAs: { uid: number; gid: number }; warn: (refusal: string) => string }
    | { error: (refusal: string) => SuiteError }
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
  /**
   * Asked of the first helper pod (which runs as nobody): who the transfer's helper should run as. A plan with
   * another identity moves the transfer to a second helper that runs as it; undefined keeps the first.
   */
  identity?: (access: ClaimAccess) => Promise<HelperPlan | undefined>
  /** Told what a user should know of how the transfer was done (a root helper refused, files owned by nobody). */
  warn?: (message: string) => void
}

/** Whether an API error is PodSecurity admission refusing a pod (not RBAC, not a quota). */
export function podSecurityRefusal(error: unknown): string | undefined {
  if (!(error instanceof SuiteError) || error.kind !== 'forbidden') return undefined
  const match = /violates PodSecurity "([^"]+)"/.exec(error.message)
  return match === null ? undefined : (match[1] as string)
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
 * A root helper (uid 0, for a folder of root's) is the same but for root and {@link ROOT_HELPER_CAPABILITIES}: what
 * `restricted` refuses and `baseline` admits.
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
  /** Who the helper runs as (default nobody, 65534); uid 0 is a root helper with three capabilities. */
  runAs?: { uid: number; gid: number }
}): V1Pod {
  const runAs = spec.runAs ?? { uid: HELPER_UID, gid: HELPER_UID }
  const root = runAs.uid === 0
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
        runAsNonRoot: !root,
        runAsUser: runAs.uid,
        runAsGroup: runAs.gid,
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
            runAsNonRoot: !root,
            allowPrivilegeEscalation: false,
            capabilities: root ? { drop: ['ALL'], add: [...ROOT_HELPER_CAPABILITIES] } : { drop: ['ALL'] },
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
      try {
        return await use(access)
      } catch (error) {
        // The probe passed, yet a command of the transfer could not run there (a binary missing for a direct exec,
        // a wrapper whose target is gone): the transfer has cleaned up after itself, and goes on through a helper.
        if (!(error instanceof PodCannotRun) || options.signal?.aborted === true) throw error
        options.log?.(`pod ${access.pod} mounts ${claim} but ${error.reason}; using a helper pod instead`)
      }
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
  const pin = pinnedNode === undefined ? {} : { nodeName: pinnedNode }
  const mountPath = '/volume'
  /** Creates a helper pod (admission may refuse it); its name. */
  const create = async (runAs: { uid: number; gid: number }): Promise<string> => {
    const name = `pvclaim-helper-${dnsLabel(claim, 30) || 'claim'}-${randomBytes(3).toString('hex')}`
    const pod = helperPod({
      name,
      namespace,
      claim,
      managedBy: options.managedBy,
      image: options.image ?? DEFAULT_HELPER_IMAGE,
      write: options.write,
      mountPath,
      runAs,
      ...pin,
    })
    await kube.transport.json({
      method: 'POST',
      path: resourcePath({ plural: 'pods', namespace }),
      body: pod,
      context: { verb: 'create', resource: 'pods', namespace, name },
    })
    started.push(name)
    options.log?.(
      `started helper pod ${name}${pinnedNode === undefined ? '' : ` on ${pinnedNode}`} as uid ${runAs.uid} gid ${runAs.gid}${runAs.uid === 0 ? ` (capabilities ${ROOT_HELPER_CAPABILITIES.join(', ')} only)` : ''} to reach ${claim}`,
    )
    return name
  }
  const ready = async (name: string, runAs: { uid: number; gid: number }): Promise<ClaimAccess> => {
    await waitRunning(kube, namespace, name, options)
    return { pod: name, container: 'transfer', mountPath, helper: true, runAs }
  }
  const stop = async (name: string): Promise<void> => {
    await deletePod(kube, namespace, name)
    if (started.includes(name)) started.splice(started.indexOf(name), 1)
    options.log?.(`deleted helper pod ${name}`)
  }
  const started: string[] = []
  try {
    const nobody = { uid: HELPER_UID, gid: HELPER_UID }
    let access = await ready(await create(nobody), nobody)
    const plan = await options.identity?.(access)
    const moves = (runAs: { uid: number; gid: number }): boolean => runAs.uid !== HELPER_UID || runAs.gid !== HELPER_UID
    if (plan !== undefined && moves(plan.runAs)) {
      let { runAs } = plan
      // A pod's user cannot change once it runs: one more helper, as that user, and the first one goes once the
      // second is admitted (a refused root helper leaves the transfer to the first).
      options.log?.(
        runAs.uid === 0
          ? `${plan.whyRoot ?? 'the transfer needs root'}: moving to a helper pod that runs as root`
          : `the files belong to uid ${runAs.uid} gid ${runAs.gid}: moving to a helper pod that runs as them, so the files are theirs`,
      )
      let second: string | undefined
      try {
        second = await create(runAs)
      } catch (error) {
        const refused = runAs.uid === 0 ? podSecurityRefusal(error) : undefined
        if (refused === undefined || plan.ifRootRefused === undefined) throw error
        if ('error' in plan.ifRootRefused) throw plan.ifRootRefused.error(refused)
        options.warn?.(plan.ifRootRefused.warn(refused))
        runAs = plan.ifRootRefused.runAs
        if (moves(runAs)) second = await create(runAs)
      }
      if (second !== undefined) {
        const first = access.pod
        const gone = stop(first)
        gone.catch(() => undefined)
        access = await ready(second, runAs)
        await gone
      }
    }
    return await use(access)
  } finally {
    for (const name of [...started]) await stop(name)
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
