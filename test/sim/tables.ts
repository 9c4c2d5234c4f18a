import { field, type KubeObject } from './object.ts'

/**
 * meta.k8s.io/v1 Table answers, as kube-apiserver's printers build them, so the real `kubectl get` prints the same
 * columns against the simulator as against a real cluster.
 */
interface ColumnDefinition {
  name: string
  type: string
  format: string
  description: string
  priority: number
}

type Cell = string | number

interface Printer {
  columns: [name: string, type: string, priority: number, format?: string][]
  cells(obj: KubeObject, now: Date): Cell[]
}

/** apimachinery's duration.HumanDuration, used by every AGE column. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 60 * 2) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) {
    const s = seconds % 60
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`
  }
  if (minutes < 60 * 3) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) {
    const m = minutes % 60
    return m === 0 ? `${hours}h` : `${hours}h${m}m`
  }
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) {
    const h = hours % 24
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`
  }
  return `${Math.floor(hours / 24 / 365)}y`
}

function age(obj: KubeObject, now: Date): string {
  const created = obj.metadata.creationTimestamp
  return created === undefined ? '<unknown>' : humanDuration(now.getTime() - Date.parse(created))
}

interface ContainerStatus {
  name: string
  ready?: boolean
  restartCount?: number
  state?: {
    waiting?: { reason?: string }
    terminated?: { reason?: string; exitCode?: number; signal?: number; finishedAt?: string }
    running?: unknown
  }
  lastState?: { terminated?: { finishedAt?: string } }
}

/** The pod STATUS column, in the printer's order of precedence. */
function podStatus(pod: KubeObject): { status: string; ready: string; restarts: string } {
  const spec = (pod.spec ?? {}) as { containers?: unknown[]; initContainers?: { restartPolicy?: string }[] }
  const status = (pod.status ?? {}) as {
    phase?: string
    reason?: string
    containerStatuses?: ContainerStatus[]
    initContainerStatuses?: ContainerStatus[]
  }
  let reason = status.reason ?? status.phase ?? 'Unknown'
  let restarts = 0
  let lastRestart: string | undefined
  const inits = status.initContainerStatuses ?? []
  let initializing = false
  inits.forEach((c, i) => {
    restarts += c.restartCount ?? 0
    const isSidecar = spec.initContainers?.[i]?.restartPolicy === 'Always'
    if (c.state?.terminated !== undefined && c.state.terminated.exitCode === 0) return
    if (isSidecar && c.ready === true) return
    if (c.state?.terminated !== undefined) {
      reason = `Init:${c.state.terminated.reason ?? `ExitCode:${c.state.terminated.exitCode}`}`
      initializing = true
    } else if (c.state?.waiting?.reason !== undefined && c.state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${c.state.waiting.reason}`
      initializing = true
    } else if (!isSidecar) {
      reason = `Init:${i}/${spec.initContainers?.length ?? inits.length}`
      initializing = true
    }
  })
  let ready = 0
  const containers = status.containerStatuses ?? []
  if (!initializing) {
    let hasRunning = false
    for (const c of [...containers].reverse()) {
      restarts += c.restartCount ?? 0
      if (c.lastState?.terminated?.finishedAt !== undefined) lastRestart = c.lastState.terminated.finishedAt
      if (c.state?.waiting?.reason !== undefined && c.state.waiting.reason !== '') reason = c.state.waiting.reason
      else if (c.state?.terminated?.reason !== undefined && c.state.terminated.reason !== '')
        reason = c.state.terminated.reason
      else if (c.state?.terminated !== undefined) reason = `ExitCode:${c.state.terminated.exitCode}`
      else if (c.ready === true && c.state?.running !== undefined) {
        hasRunning = true
        ready++
      }
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running'
  }
  if (pod.metadata.deletionTimestamp !== undefined) reason = 'Terminating'
  return {
    status: reason,
    ready: `${ready}/${spec.containers?.length ?? 0}`,
    restarts: lastRestart === undefined ? String(restarts) : `${restarts}`,
  }
}

const PRINTERS: Record<string, Printer> = {
  pods: {
    columns: [
      ['Name', 'string', 0, 'name'],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ],
    cells(pod, now) {
      const s = podStatus(pod)
      return [
        pod.metadata.name,
        s.ready,
        s.status,
        s.restarts,
        age(pod, now),
        (field(pod, ['status', 'podIP']) as string | undefined) ?? '<none>',
        (field(pod, ['spec', 'nodeName']) as string | undefined) ?? '<none>',
        '<none>',
        '<none>',
      ]
    },
  },
  nodes: {
    columns: [
      ['Name', 'string', 0, 'name'],
      ['Status', 'string', 0],
      ['Roles', 'string', 0],
      ['Age', 'string', 0],
      ['Version', 'string', 0],
      ['Internal-IP', 'string', 1],
      ['External-IP', 'string', 1],
      ['OS-Image', 'string', 1],
      ['Kernel-Version', 'string', 1],
      ['Container-Runtime', 'string', 1],
    ],
    cells(node, now) {
      const conditions = (field(node, ['status', 'conditions']) as { type: string; status: string }[] | undefined) ?? []
      const ready = conditions.find((c) => c.type === 'Ready')
      let status = ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'
      if (field(node, ['spec', 'unschedulable']) === true) status += ',SchedulingDisabled'
      const roles = Object.keys(node.metadata.labels ?? {})
        .filter((k) => k.startsWith('node-role.kubernetes.io/'))
        .map((k) => k.slice('node-role.kubernetes.io/'.length))
        .sort()
      const addresses = (field(node, ['status', 'addresses']) as { type: string; address: string }[] | undefined) ?? []
      const info = (field(node, ['status', 'nodeInfo']) ?? {}) as Record<string, string>
      return [
        node.metadata.name,
        status,
        roles.join(',') || '<none>',
        age(node, now),
        info.kubeletVersion ?? '',
        addresses.find((a) => a.type === 'InternalIP')?.address ?? '<none>',
        addresses.find((a) => a.type === 'ExternalIP')?.address ?? '<none>',
        info.osImage ?? '<unknown>',
        info.kernelVersion ?? '<unknown>',
        info.containerRuntimeVersion ?? '<unknown>',
      ]
    },
  },
  namespaces: {
    columns: [
      ['Name', 'string', 0, 'name'],
      ['Status', 'string', 0],
      ['Age', 'string', 0],
    ],
    cells: (ns, now) => [
      ns.metadata.name,
      (field(ns, ['status', 'phase']) as string | undefined) ?? 'Active',
      age(ns, now),
    ],
  },
  secrets: {
    columns: [
      ['Name', 'string', 0, 'name'],
      ['Type', 'string', 0],
      ['Data', 'string', 0],
      ['Age', 'string', 0],
    ],
    cells: (s, now) => [
      s.metadata.name,
      (s.type as string | undefined) ?? 'Opaque',
      String(Object.keys((s.data as object | undefined) ?? {}).length),
      age(s, now),
    ],
  },
  configmaps: {
    columns: [
      ['Name', 'string', 0, 'name'],
      ['Data', 'string', 0],
      ['Age', 'string', 0],
    ],
    cells: (c, now) => [
      c.metadata.name,
      String(Object.keys({ ...(c.data as object | undefined), ...(c.binaryData as object | undefined) }).length),
      age(c, now),
    ],
  },
  serviceaccounts: {
    columns: [
      ['Name', 'string', 0, 'name'],
      ['Secrets', 'string', 0],
      ['Age', 'string', 0],
    ],
    cells: (s, now) => [s.metadata.name, String(((s.secrets as unknown[] | undefined) ?? []).length), age(s, now)],
  },
  events: {
    columns: [
      ['Last Seen', 'string', 0],
      ['Type', 'string', 0],
      ['Reason', 'string', 0],
      ['Object', 'string', 0],
      ['Message', 'string', 0],
    ],
    cells(e, now) {
      const last = (e.lastTimestamp as string | undefined) ?? e.metadata.creationTimestamp
      const involved = (e.involvedObject ?? {}) as { kind?: string; name?: string }
      return [
        last === undefined ? '<unknown>' : humanDuration(now.getTime() - Date.parse(last)),
        (e.type as string | undefined) ?? '',
        (e.reason as string | undefined) ?? '',
        `${(involved.kind ?? '').toLowerCase()}/${involved.name ?? ''}`,
        ((e.message as string | undefined) ?? '').trim(),
      ]
    },
  },
  persistentvolumeclaims: {
    columns: [
      ['Name', 'string', 0, 'name'],
      ['Status', 'string', 0],
      ['Volume', 'string', 0],
      ['Capacity', 'string', 0],
      ['Access Modes', 'string', 0],
      ['StorageClass', 'string', 0],
      ['VolumeAttributesClass', 'string', 0],
      ['Age', 'string', 0],
      ['VolumeMode', 'string', 1],
    ],
    cells(c, now) {
      const bound = field(c, ['status', 'phase']) === 'Bound'
      return [
        c.metadata.name,
        // As kubectl's printer: a claim being deleted (held by pvc-protection) is Terminating.
        c.metadata.deletionTimestamp === undefined
          ? ((field(c, ['status', 'phase']) as string | undefined) ?? 'Pending')
          : 'Terminating',
        (field(c, ['spec', 'volumeName']) as string | undefined) ?? '',
        bound ? ((field(c, ['status', 'capacity', 'storage']) as string | undefined) ?? '') : '',
        bound ? accessModes(field(c, ['status', 'accessModes'])) : '',
        (field(c, ['spec', 'storageClassName']) as string | undefined) ?? '<unset>',
        '<unset>',
        age(c, now),
        (field(c, ['spec', 'volumeMode']) as string | undefined) ?? 'Filesystem',
      ]
    },
  },
  persistentvolumes: {
    columns: [
      ['Name', 'string', 0, 'name'],
      ['Capacity', 'string', 0],
      ['Access Modes', 'string', 0],
      ['Reclaim Policy', 'string', 0],
      ['Status', 'string', 0],
      ['Claim', 'string', 0],
      ['StorageClass', 'string', 0],
      ['VolumeAttributesClass', 'string', 0],
      ['Reason', 'string', 0],
      ['Age', 'string', 0],
      ['VolumeMode', 'string', 1],
    ],
    cells(v, now) {
      const claim = field(v, ['spec', 'claimRef']) as { namespace?: string; name?: string } | undefined
      return [
        v.metadata.name,
        (field(v, ['spec', 'capacity', 'storage']) as string | undefined) ?? '',
        accessModes(field(v, ['spec', 'accessModes'])),
        (field(v, ['spec', 'persistentVolumeReclaimPolicy']) as string | undefined) ?? '',
        (field(v, ['status', 'phase']) as string | undefined) ?? '',
        claim === undefined ? '' : `${claim.namespace}/${claim.name}`,
        (field(v, ['spec', 'storageClassName']) as string | undefined) ?? '',
        '<unset>',
        (field(v, ['status', 'reason']) as string | undefined) ?? '',
        age(v, now),
        (field(v, ['spec', 'volumeMode']) as string | undefined) ?? 'Filesystem',
      ]
    },
  },
  jobs: {
    columns: [
      ['Name', 'string', 0, 'name'],
      ['Status', 'string', 0],
      ['Completions', 'string', 0],
      ['Duration', 'string', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ],
    cells(j, now) {
      const conditions = (field(j, ['status', 'conditions']) as { type: string; status: string }[] | undefined) ?? []
      const done = (t: string): boolean => conditions.some((c) => c.type === t && c.status === 'True')
      const status = done('Complete')
        ? 'Complete'
        : done('Failed')
          ? 'Failed'
          : field(j, ['spec', 'suspend']) === true
            ? 'Suspended'
            : 'Running'
      const completions = (field(j, ['spec', 'completions']) as number | undefined) ?? 1
      const succeeded = (field(j, ['status', 'succeeded']) as number | undefined) ?? 0
      const start = field(j, ['status', 'startTime']) as string | undefined
      const end = (field(j, ['status', 'completionTime']) as string | undefined) ?? undefined
      const containers =
        (field(j, ['spec', 'template', 'spec', 'containers']) as { name: string; image: string }[] | undefined) ?? []
      return [
        j.metadata.name,
        status,
        `${succeeded}/${completions}`,
        start === undefined
          ? ''
          : humanDuration((end === undefined ? now.getTime() : Date.parse(end)) - Date.parse(start)),
        age(j, now),
        containers.map((c) => c.name).join(','),
        containers.map((c) => c.image).join(','),
        Object.entries((field(j, ['spec', 'selector', 'matchLabels']) as Record<string, string> | undefined) ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      ]
    },
  },
  storageclasses: {
    columns: [
      ['Name', 'string', 0, 'name'],
      ['Provisioner', 'string', 0],
      ['ReclaimPolicy', 'string', 0],
      ['VolumeBindingMode', 'string', 0],
      ['AllowVolumeExpansion', 'string', 0],
      ['Age', 'string', 0],
    ],
    cells(s, now) {
      const isDefault = s.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true'
      return [
        isDefault ? `${s.metadata.name} (default)` : s.metadata.name,
        (s.provisioner as string | undefined) ?? '',
        (s.reclaimPolicy as string | undefined) ?? 'Delete',
        (s.volumeBindingMode as string | undefined) ?? 'Immediate',
        String(s.allowVolumeExpansion === true),
        age(s, now),
      ]
    },
  },
}

function accessModes(value: unknown): string {
  const short: Record<string, string> = {
    ReadWriteOnce: 'RWO',
    ReadOnlyMany: 'ROX',
    ReadWriteMany: 'RWX',
    ReadWriteOncePod: 'RWOP',
  }
  return Array.isArray(value) ? value.map((m) => short[m as string] ?? m).join(',') : ''
}

const DEFAULT_PRINTER: Printer = {
  columns: [
    ['Name', 'string', 0, 'name'],
    ['Created At', 'date', 0],
  ],
  cells: (obj) => [obj.metadata.name, obj.metadata.creationTimestamp ?? ''],
}

function partialMetadata(obj: KubeObject): object {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata }
}

export function toTable(
  resource: string,
  items: KubeObject[],
  options: {
    now: Date
    includeObject?: 'None' | 'Metadata' | 'Object'
    listMeta?: { resourceVersion?: string; continue?: string; remainingItemCount?: number }
  },
): object {
  const printer = PRINTERS[resource] ?? DEFAULT_PRINTER
  const columnDefinitions: ColumnDefinition[] = printer.columns.map(([name, type, priority, format]) => ({
    name,
    type,
    format: format ?? '',
    description: name,
    priority,
  }))
  const include = options.includeObject ?? 'Metadata'
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.listMeta ?? {},
    columnDefinitions,
    rows: items.map((obj) => ({
      cells: printer.cells(obj, options.now),
      ...(include === 'None' ? {} : { object: include === 'Object' ? obj : partialMetadata(obj) }),
    })),
  }
}
