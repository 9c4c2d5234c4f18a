import type { CoreV1Event, V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node'
import type { BytesJson, Cell, Column, View } from '../../shared/output/index.ts'
import { bytesJson, bytesJsonOrNull, formatAge, renderFields, timestampJson } from '../../shared/output/index.ts'
import { formatBytesHuman, value as quantityValue, tryParseQuantity } from '../../shared/quantity.ts'
import type { ClaimRow, VolumeStats } from './model.ts'
import { shortModes } from './model.ts'

/** Printers for `kubectl pvclaim`. */
const bytesCell = (value: number | undefined): string =>
  value === undefined ? '-' : formatBytesHuman(BigInt(Math.max(0, Math.round(value))))

function percent(part: number | undefined, whole: number | undefined): Cell {
  if (part === undefined || whole === undefined || whole <= 0) return { text: '-', role: 'dim' }
  const value = Math.trunc((part / whole) * 100)
  return {
    text: `${value}%`,
    ...(value >= 90 ? { role: 'bad' as const } : value >= 75 ? { role: 'warn' as const } : {}),
  }
}

function statusCell(status: string): Cell {
  return { text: status, role: status === 'Bound' ? 'ok' : status === 'Lost' ? 'bad' : 'warn' }
}

export function renderClaims(rows: readonly ClaimRow[], options: { now: Date; showNamespace: boolean }): View {
  const columns: Column[] = [
    ...(options.showNamespace ? [{ header: 'NAMESPACE' }] : []),
    { header: 'NAME' },
    { header: 'STATUS' },
    { header: 'CAPACITY', align: 'right' },
    { header: 'USED', align: 'right' },
    { header: 'AVAIL', align: 'right' },
    { header: 'USE%', align: 'right' },
    { header: 'INODES%', align: 'right' },
    { header: 'ACCESS MODES' },
    { header: 'STORAGECLASS' },
    { header: 'VOLUME' },
    { header: 'PODS' },
    { header: 'AGE' },
    { header: 'REQUESTED', wideOnly: true, align: 'right' },
    { header: 'NODES', wideOnly: true },
  ]
  const table = rows.map((row): (string | Cell)[] => [
    ...(options.showNamespace ? [row.namespace] : []),
    row.name,
    statusCell(row.status),
    row.capacity ?? '-',
    bytesCell(row.stats?.usedBytes),
    bytesCell(row.stats?.availableBytes),
    percent(row.stats?.usedBytes, row.stats?.capacityBytes),
    percent(row.stats?.inodesUsed, row.stats?.inodes),
    row.accessModes,
    row.storageClass === undefined || row.storageClass === '' ? '<none>' : row.storageClass,
    row.volume ?? '<none>',
    row.consumers.length === 0 ? '<none>' : row.consumers.join(','),
    row.created === undefined ? '<unknown>' : formatAge(row.created, options.now),
    row.requested ?? '-',
    row.nodes.length === 0 ? '<none>' : row.nodes.join(','),
  ])
  return {
    // On a narrow terminal: the volume's name, inode use, the pods, access modes, what is free, the class.
    table: {
      columns,
      rows: table,
      hideToFit: ['VOLUME', 'INODES%', 'PODS', 'ACCESS MODES', 'AVAIL', 'STORAGECLASS'],
    },
    document: {
      apiVersion: 'pvclaim.kubectl-suite/v1',
      kind: 'ClaimUsageList',
      items: rows.map((row) => ({
        namespace: row.namespace,
        name: row.name,
        status: row.status,
        capacity: quantityJson(row.capacity),
        requested: quantityJson(row.requested),
        accessModes: row.accessModes.split(',').filter((m) => m !== '-'),
        storageClass: row.storageClass ?? null,
        volume: row.volume ?? null,
        pods: row.consumers,
        nodes: row.nodes,
        usage: row.stats === undefined ? null : statsDocument(row.stats),
        createdAt: timestampJson(row.created),
      })),
    },
    names: rows.map((row) => `persistentvolumeclaim/${row.name}`),
  }
}

/** A storage quantity from the claim (`40Gi`) as `{bytes, display}`, keeping the claim's own spelling. */
function quantityJson(text: string | undefined): BytesJson | null {
  const quantity = text === undefined ? undefined : tryParseQuantity(text)
  return quantity === undefined || text === undefined ? null : bytesJson(quantityValue(quantity), text)
}

function statsDocument(stats: VolumeStats): Record<string, BytesJson | number | null> {
  return {
    capacity: bytesJsonOrNull(stats.capacityBytes),
    used: bytesJsonOrNull(stats.usedBytes),
    available: bytesJsonOrNull(stats.availableBytes),
    inodes: stats.inodes ?? null,
    inodesUsed: stats.inodesUsed ?? null,
  }
}

function volumeSource(volume: V1PersistentVolume | undefined): string {
  const spec = volume?.spec
  if (spec === undefined) return '<unknown>'
  if (spec.nfs !== undefined)
    return `NFS ${spec.nfs.server}:${spec.nfs.path}${spec.nfs.readOnly === true ? ' (read-only)' : ''}`
  if (spec.csi !== undefined) return `CSI ${spec.csi.driver}, handle ${spec.csi.volumeHandle}`
  if (spec.hostPath !== undefined) return `hostPath ${spec.hostPath.path}`
  if (spec.local !== undefined) return `local ${spec.local.path}`
  return 'other'
}

export function renderDescribe(
  claim: V1PersistentVolumeClaim,
  row: ClaimRow,
  volume: V1PersistentVolume | undefined,
  events: readonly CoreV1Event[],
  options: { now: Date },
): string {
  const stats = row.stats
  const usage =
    stats === undefined
      ? '- (no running pod mounts it)'
      : `${bytesCell(stats.usedBytes)} used of ${bytesCell(stats.capacityBytes)}, ${bytesCell(stats.availableBytes)} available, inodes ${stats.inodesUsed ?? '-'}/${stats.inodes ?? '-'}`
  const head = renderFields([
    ['Name', row.name],
    ['Namespace', row.namespace],
    ['Status', row.status],
    ['StorageClass', row.storageClass === undefined || row.storageClass === '' ? '<none>' : row.storageClass],
    ['Requested', row.requested ?? '-'],
    ['Capacity', row.capacity ?? '-'],
    ['Access Modes', row.accessModes],
    ['Volume Mode', claim.spec?.volumeMode ?? 'Filesystem'],
    ['Usage', usage],
    ['Used By', row.consumers.length === 0 ? '<none>' : row.consumers.join(', ')],
    ['Age', row.created === undefined ? '<unknown>' : formatAge(row.created, options.now)],
  ])
  const pv =
    volume === undefined
      ? row.volume === undefined
        ? ''
        : `\nVolume ${row.volume}: not readable with your permissions\n`
      : `\nVolume:\n${renderFields([
          ['  Name', volume.metadata?.name ?? ''],
          ['  Source', volumeSource(volume)],
          ['  Capacity', volume.spec?.capacity?.storage ?? '-'],
          ['  Reclaim Policy', volume.spec?.persistentVolumeReclaimPolicy ?? 'Delete'],
          ['  Access Modes', shortModes(volume.spec?.accessModes)],
          ['  Phase', volume.status?.phase ?? '-'],
        ])}`
  const sorted = [...events].sort((a, b) => String(a.lastTimestamp ?? '').localeCompare(String(b.lastTimestamp ?? '')))
  const eventText =
    sorted.length === 0
      ? '\nEvents:  <none>\n'
      : `\nEvents:\n${sorted
          .map((e) => {
            const when = e.lastTimestamp === undefined ? '-' : formatAge(new Date(e.lastTimestamp), options.now)
            return `  ${(e.type ?? '').padEnd(8)} ${(e.reason ?? '').padEnd(22)} ${when.padEnd(6)} ${e.message ?? ''}\n`
          })
          .join('')}`
  return `${head}${pv}${eventText}`
}
