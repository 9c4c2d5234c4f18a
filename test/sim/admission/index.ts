import { randomBytes } from 'node:crypto'
import { compareQuantities, formatQuantity, parseQuantity, tryParseQuantity } from '../../../shared/quantity.ts'
import { field, isRecord, type KubeObject } from '../object.ts'
import { STORED_TYPES } from '../resources.ts'
import { invalid, type StatusCause, StatusError } from '../status.ts'
import type { Store } from '../store.ts'
import { admitPodSecurity } from './pod-security.ts'

/**
 * Admission for the simulator: the defaulting and validation kube-apiserver applies before it stores an object,
 * with its field paths and messages, for the objects our plugins create (pods, jobs, claims, volumes, secrets).
 */
const SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
const QUANTITY_MESSAGE = 'must match the regex ^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'
const SECRET_KEY_RE = /^[-._a-zA-Z0-9]+$/
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

type Causes = StatusCause[]

function generateName(store: Store, plural: string, obj: KubeObject): void {
  if (obj.metadata.name !== undefined && obj.metadata.name !== '') return
  const prefix = obj.metadata.generateName
  if (prefix === undefined || prefix === '') return
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  for (let attempt = 0; attempt < 8; attempt++) {
    const bytes = randomBytes(5)
    const tail = [...bytes].map((b) => alphabet[b % alphabet.length]).join('')
    const name = `${prefix.slice(0, 58)}${tail}`
    if (store.get(plural, obj.metadata.namespace, name) === undefined) {
      obj.metadata.name = name
      return
    }
  }
}

function validateName(plural: string, name: string | undefined, causes: Causes): void {
  if (name === undefined || name === '') {
    causes.push({
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
      reason: 'FieldValueRequired',
    })
    return
  }
  const label = plural === 'namespaces'
  const ok = label ? LABEL_RE.test(name) && name.length <= 63 : SUBDOMAIN_RE.test(name) && name.length <= 253
  if (!ok)
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": ${label ? LABEL_MESSAGE : SUBDOMAIN_MESSAGE}`,
    })
}

function validateLabels(obj: KubeObject, causes: Causes): void {
  for (const [key, value] of Object.entries(obj.metadata.labels ?? {})) {
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE_RE.test(value)) {
      causes.push({
        field: 'metadata.labels',
        message: `Invalid value: "${String(value)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      })
    }
    const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key
    if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name) || name.length > 63) {
      causes.push({
        field: 'metadata.labels',
        message: `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      })
    }
  }
}

function quantityMap(value: unknown, path: string, causes: Causes): Map<string, string> {
  const result = new Map<string, string>()
  if (!isRecord(value)) return result
  for (const [name, raw] of Object.entries(value)) {
    const text = typeof raw === 'number' ? String(raw) : raw
    if (typeof text !== 'string' || tryParseQuantity(text) === undefined) {
      causes.push({
        field: `${path}[${name}]`,
        message: `Invalid value: "${String(raw)}": ${QUANTITY_MESSAGE}`,
        reason: 'BadQuantity',
      })
      continue
    }
    if (parseQuantity(text).nanos < 0n)
      causes.push({
        field: `${path}[${name}]`,
        message: `Invalid value: "${text}": must be greater than or equal to 0`,
      })
    result.set(name, text)
  }
  return result
}

interface Container {
  name?: string
  image?: string
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
  [key: string]: unknown
}

function admitContainers(list: unknown, path: string, causes: Causes, required: boolean): void {
  if (!Array.isArray(list) || list.length === 0) {
    if (required) causes.push({ field: path, message: 'Required value', reason: 'FieldValueRequired' })
    return
  }
  const names = new Set<string>()
  list.forEach((raw, i) => {
    const c = raw as Container
    const at = `${path}[${i}]`
    if (typeof c.name !== 'string' || c.name === '')
      causes.push({ field: `${at}.name`, message: 'Required value', reason: 'FieldValueRequired' })
    else if (!LABEL_RE.test(c.name))
      causes.push({ field: `${at}.name`, message: `Invalid value: "${c.name}": ${LABEL_MESSAGE}` })
    else if (names.has(c.name))
      causes.push({ field: `${at}.name`, message: `Duplicate value: "${c.name}"`, reason: 'FieldValueDuplicate' })
    else names.add(c.name)
    if (typeof c.image !== 'string' || c.image === '')
      causes.push({ field: `${at}.image`, message: 'Required value', reason: 'FieldValueRequired' })
    const limits = quantityMap(c.resources?.limits, `${at}.resources.limits`, causes)
    const requests = quantityMap(c.resources?.requests, `${at}.resources.requests`, causes)
    // Defaulting: a limit without a request becomes the request too.
    for (const [name, text] of limits) if (!requests.has(name)) requests.set(name, text)
    for (const [name, req] of requests) {
      const lim = limits.get(name)
      if (lim !== undefined && compareQuantities(parseQuantity(req), parseQuantity(lim)) > 0) {
        causes.push({
          field: `${at}.resources.requests`,
          message: `Invalid value: "${req}": must be less than or equal to ${name} limit of ${lim}`,
        })
      }
      if (name.includes('/') && !name.startsWith('hugepages-')) {
        const q = parseQuantity(req)
        if (q.nanos % 1_000_000_000n !== 0n)
          causes.push({
            field: `${at}.resources.requests[${name}]`,
            message: `Invalid value: "${req}": must be an integer`,
          })
        if (lim === undefined || compareQuantities(q, parseQuantity(lim)) !== 0) {
          causes.push({
            field: `${at}.resources.requests`,
            message: `Invalid value: "${req}": must be equal to ${name} limit of ${lim ?? '0'}`,
          })
        }
      }
    }
    if (requests.size > 0 || limits.size > 0) {
      c.resources = {
        ...(requests.size > 0 ? { requests: Object.fromEntries(requests) } : {}),
        ...(limits.size > 0 ? { limits: Object.fromEntries(limits) } : {}),
      }
    }
    c.terminationMessagePath ??= '/dev/termination-log'
    c.terminationMessagePolicy ??= 'File'
    c.imagePullPolicy ??=
      typeof c.image === 'string' && (c.image.endsWith(':latest') || !c.image.includes(':')) ? 'Always' : 'IfNotPresent'
  })
}

function qosClass(spec: Record<string, unknown>): string {
  const all = [
    ...((spec.containers as Container[] | undefined) ?? []),
    ...((spec.initContainers as Container[] | undefined) ?? []),
  ]
  const any = all.some((c) => Object.keys({ ...c.resources?.requests, ...c.resources?.limits }).length > 0)
  if (!any) return 'BestEffort'
  const guaranteed = all.every((c) => {
    const lim = c.resources?.limits ?? {}
    const req = c.resources?.requests ?? {}
    return lim.cpu !== undefined && lim.memory !== undefined && req.cpu === lim.cpu && req.memory === lim.memory
  })
  return guaranteed ? 'Guaranteed' : 'Burstable'
}

function admitPodSpec(spec: unknown, path: string, causes: Causes, template: boolean): void {
  if (!isRecord(spec)) {
    causes.push({ field: path, message: 'Required value', reason: 'FieldValueRequired' })
    return
  }
  admitContainers(spec.containers, `${path}.containers`, causes, true)
  admitContainers(spec.initContainers, `${path}.initContainers`, causes, false)
  quantityMap(spec.overhead, `${path}.overhead`, causes)
  spec.restartPolicy ??= 'Always'
  if (!['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy as string)) {
    causes.push({
      field: `${path}.restartPolicy`,
      message: `Unsupported value: "${String(spec.restartPolicy)}": supported values: "Always", "OnFailure", "Never"`,
      reason: 'FieldValueNotSupported',
    })
  }
  if (template && spec.restartPolicy === 'Always') {
    causes.push({
      field: `${path}.restartPolicy`,
      message: 'Required value: valid values: "OnFailure", "Never"',
      reason: 'FieldValueRequired',
    })
  }
  spec.dnsPolicy ??= 'ClusterFirst'
  spec.schedulerName ??= 'default-scheduler'
  spec.serviceAccountName ??= 'default'
  spec.terminationGracePeriodSeconds ??= 30
  spec.securityContext ??= {}
  const volumes = (spec.volumes as { name?: string }[] | undefined) ?? []
  const names = new Set(volumes.map((v) => v.name))
  for (const [i, c] of [...((spec.containers as Container[] | undefined) ?? [])].entries()) {
    for (const [j, m] of (
      ((c.volumeMounts as { name?: string }[] | undefined) ?? []) as { name?: string }[]
    ).entries()) {
      if (!names.has(m.name))
        causes.push({
          field: `${path}.containers[${i}].volumeMounts[${j}].name`,
          message: `Not found: "${m.name}"`,
          reason: 'FieldValueNotFound',
        })
    }
  }
}

function admitPod(obj: KubeObject, old: KubeObject | undefined, causes: Causes): void {
  if (old !== undefined) return
  admitPodSpec(obj.spec, 'spec', causes, false)
  const spec = (obj.spec ?? {}) as Record<string, unknown>
  obj.status = { phase: 'Pending', qosClass: qosClass(spec) }
}

function admitJob(obj: KubeObject, old: KubeObject | undefined, causes: Causes): void {
  const spec = (obj.spec ?? {}) as Record<string, unknown>
  obj.spec = spec
  if (old !== undefined) {
    const oldSpec = old.spec as Record<string, unknown>
    if (JSON.stringify(spec.template) !== JSON.stringify(oldSpec.template)) {
      causes.push({ field: 'spec.template', message: 'Invalid value: field is immutable' })
    }
    return
  }
  const template = (spec.template ?? {}) as Record<string, unknown>
  spec.template = template
  admitPodSpec(template.spec, 'spec.template.spec', causes, true)
  spec.parallelism ??= 1
  if (spec.completions === undefined && spec.completionMode === 'Indexed') {
    causes.push({
      field: 'spec.completions',
      message: 'Required value: when completion mode is Indexed',
      reason: 'FieldValueRequired',
    })
  }
  spec.completions ??= 1
  spec.backoffLimit ??= spec.backoffLimitPerIndex === undefined ? 6 : 2147483647
  spec.completionMode ??= 'NonIndexed'
  spec.suspend ??= false
  spec.manualSelector ??= undefined
  const uid = obj.metadata.uid ?? crypto.randomUUID()
  obj.metadata.uid = uid
  const labels = {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': obj.metadata.name,
    'controller-uid': uid,
    'job-name': obj.metadata.name,
  }
  const meta = (template.metadata ?? {}) as { labels?: Record<string, string> }
  template.metadata = { ...meta, labels: { ...meta.labels, ...labels } }
  spec.selector ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } }
  obj.status = {}
}

const STORAGE_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']

function checkAccessModes(value: unknown, path: string, causes: Causes): void {
  if (!Array.isArray(value) || value.length === 0) {
    causes.push({
      field: path,
      message: 'Required value: at least 1 access mode is required',
      reason: 'FieldValueRequired',
    })
    return
  }
  for (const mode of value) {
    if (!STORAGE_MODES.includes(mode as string)) {
      causes.push({
        field: path,
        message: `Unsupported value: "${String(mode)}": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"`,
        reason: 'FieldValueNotSupported',
      })
    }
  }
}

function admitClaim(store: Store, obj: KubeObject, old: KubeObject | undefined, causes: Causes): void {
  const spec = (obj.spec ?? {}) as Record<string, unknown>
  obj.spec = spec
  const storage = field(spec, ['resources', 'requests', 'storage'])
  if (old !== undefined) {
    const oldSpec = old.spec as Record<string, unknown>
    const oldStorage = field(oldSpec, ['resources', 'requests', 'storage']) as string
    const { resources: _a, ...rest } = spec
    const { resources: _b, ...oldRest } = oldSpec
    if (JSON.stringify({ ...rest, volumeName: rest.volumeName ?? oldRest.volumeName }) !== JSON.stringify(oldRest)) {
      causes.push({
        field: 'spec',
        message:
          'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
        reason: 'FieldValueForbidden',
      })
      return
    }
    if (typeof storage !== 'string' || tryParseQuantity(storage) === undefined) {
      causes.push({
        field: 'spec.resources.requests[storage]',
        message: `Invalid value: "${String(storage)}": ${QUANTITY_MESSAGE}`,
        reason: 'BadQuantity',
      })
      return
    }
    const cmp = compareQuantities(parseQuantity(storage), parseQuantity(oldStorage))
    if (cmp < 0)
      causes.push({
        field: 'spec.resources.requests.storage',
        message: 'Forbidden: field can not be less than previous value',
        reason: 'FieldValueForbidden',
      })
    if (cmp > 0) {
      const className = spec.storageClassName as string | undefined
      const sc =
        className === undefined || className === '' ? undefined : store.get('storageclasses', undefined, className)
      if (sc?.allowVolumeExpansion !== true) {
        throw new StatusError(
          403,
          'Forbidden',
          `persistentvolumeclaims "${obj.metadata.name}" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize`,
        )
      }
    }
    return
  }
  checkAccessModes(spec.accessModes, 'spec.accessModes', causes)
  if (storage === undefined)
    causes.push({ field: 'spec.resources[storage]', message: 'Required value', reason: 'FieldValueRequired' })
  else if (typeof storage !== 'string' || tryParseQuantity(storage) === undefined) {
    causes.push({
      field: 'spec.resources.requests[storage]',
      message: `Invalid value: "${String(storage)}": ${QUANTITY_MESSAGE}`,
      reason: 'BadQuantity',
    })
  } else if (parseQuantity(storage).nanos <= 0n) {
    causes.push({ field: 'spec.resources[storage]', message: 'Invalid value: "0": must be greater than zero' })
  }
  spec.volumeMode ??= 'Filesystem'
  if (spec.storageClassName === undefined) {
    const fallback = [...store.all('storageclasses')].find(
      (sc) => sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true',
    )
    if (fallback !== undefined) spec.storageClassName = fallback.metadata.name
  }
  obj.status = { phase: 'Pending' }
}

function admitVolume(obj: KubeObject, old: KubeObject | undefined, causes: Causes): void {
  const spec = (obj.spec ?? {}) as Record<string, unknown>
  obj.spec = spec
  if (old !== undefined) return
  checkAccessModes(spec.accessModes, 'spec.accessModes', causes)
  const capacity = quantityMap(spec.capacity, 'spec.capacity', causes)
  if (!capacity.has('storage'))
    causes.push({ field: 'spec.capacity', message: 'Required value', reason: 'FieldValueRequired' })
  const sources = ['nfs', 'csi', 'hostPath', 'local', 'iscsi', 'cephfs', 'fc'].filter((k) => spec[k] !== undefined)
  if (sources.length === 0)
    causes.push({ field: 'spec', message: 'Required value: must specify a volume type', reason: 'FieldValueRequired' })
  const nfs = spec.nfs as { server?: string; path?: string } | undefined
  if (nfs !== undefined) {
    if (typeof nfs.server !== 'string' || nfs.server === '')
      causes.push({ field: 'spec.nfs.server', message: 'Required value', reason: 'FieldValueRequired' })
    if (typeof nfs.path !== 'string' || nfs.path === '')
      causes.push({ field: 'spec.nfs.path', message: 'Required value', reason: 'FieldValueRequired' })
    else if (!nfs.path.startsWith('/'))
      causes.push({ field: 'spec.nfs.path', message: `Invalid value: "${nfs.path}": must be an absolute path` })
  }
  spec.persistentVolumeReclaimPolicy ??= 'Retain'
  spec.volumeMode ??= 'Filesystem'
  obj.status = { phase: 'Available' }
}

function admitSecret(obj: KubeObject, old: KubeObject | undefined, causes: Causes): void {
  obj.type ??= 'Opaque'
  if (old !== undefined && old.type !== obj.type) {
    causes.push({ field: 'type', message: `Invalid value: "${String(obj.type)}": field is immutable` })
  }
  const data: Record<string, string> = {}
  let size = 0
  for (const [key, value] of Object.entries((obj.data as Record<string, unknown> | undefined) ?? {})) {
    if (!SECRET_KEY_RE.test(key))
      causes.push({
        field: 'data',
        message: `Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      })
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
      causes.push({
        field: `data[${key}]`,
        message: 'Invalid value: "<secret contents redacted>": illegal base64 data',
      })
      continue
    }
    data[key] = value
    size += Buffer.from(value, 'base64').length
  }
  for (const [key, value] of Object.entries((obj.stringData as Record<string, unknown> | undefined) ?? {})) {
    if (!SECRET_KEY_RE.test(key))
      causes.push({
        field: 'stringData',
        message: `Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
      })
    const bytes = Buffer.from(String(value), 'utf8')
    data[key] = bytes.toString('base64')
    size += bytes.length
  }
  delete obj.stringData
  if (size > 1024 * 1024)
    causes.push({ field: 'data', message: 'Too long: must have at most 1048576 bytes', reason: 'FieldValueTooLong' })
  obj.data = data
  if (obj.type === 'kubernetes.io/tls' && (data['tls.crt'] === undefined || data['tls.key'] === undefined)) {
    causes.push({
      field: `data[${data['tls.crt'] === undefined ? 'tls.crt' : 'tls.key'}]`,
      message: 'Required value',
      reason: 'FieldValueRequired',
    })
  }
  if (obj.type === 'kubernetes.io/dockerconfigjson' && data['.dockerconfigjson'] === undefined) {
    causes.push({ field: 'data[.dockerconfigjson]', message: 'Required value', reason: 'FieldValueRequired' })
  }
}

export function admit(
  store: Store,
  plural: string,
  obj: KubeObject,
  old: KubeObject | undefined,
  operation: 'create' | 'update',
): KubeObject {
  const copy = structuredClone(obj)
  copy.metadata ??= { name: '' }
  if (operation === 'create') {
    generateName(store, plural, copy)
    delete copy.metadata.resourceVersion
    delete copy.metadata.uid
  }
  const causes: Causes = []
  validateName(plural, copy.metadata.name, causes)
  validateLabels(copy, causes)
  switch (plural) {
    case 'pods':
      admitPod(copy, old, causes)
      if (old !== undefined) {
        copy.spec = { ...(old.spec as object), ...(field(copy, ['spec']) as object) }
        copy.status = old.status
      }
      break
    case 'jobs':
      admitJob(copy, old, causes)
      if (old !== undefined) copy.status = old.status
      break
    case 'persistentvolumeclaims':
      admitClaim(store, copy, old, causes)
      if (old !== undefined) copy.status = old.status
      break
    case 'persistentvolumes':
      admitVolume(copy, old, causes)
      if (old !== undefined && copy.status === undefined) copy.status = old.status
      break
    case 'secrets':
      admitSecret(copy, old, causes)
      break
    case 'namespaces':
      copy.metadata.labels = { ...copy.metadata.labels, 'kubernetes.io/metadata.name': copy.metadata.name }
      copy.spec ??= { finalizers: ['kubernetes'] }
      copy.status ??= { phase: 'Active' }
      break
    default:
      break
  }
  const type = STORED_TYPES.get(plural)
  if (causes.some((c) => c.reason === 'BadQuantity')) {
    // A malformed quantity fails JSON decoding in the apiserver, before validation: a 400, not a 422.
    const kind = type?.kind ?? plural
    throw new StatusError(
      400,
      'BadRequest',
      `${kind} in version "v1" cannot be handled as a ${kind}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    )
  }
  if (causes.length > 0) {
    throw invalid(type?.kind ?? plural, type?.group ?? '', copy.metadata.name ?? '', causes)
  }
  // A validating admission plugin: it sees only pods that passed validation.
  if (plural === 'pods' && operation === 'create') admitPodSecurity(store, copy)
  return copy
}

export { formatQuantity }
