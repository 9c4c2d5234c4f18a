import { field, type KubeObject } from './object.ts'
import { badRequest } from './status.ts'

/**
 * Label and field selectors with the apiserver's grammar and error wording, compiled once per request into a
 * predicate so a 150,000-pod list filters without re-parsing.
 */
type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: Set<string> }
  | { op: 'exists' | 'notexists'; key: string }

const KEY_RE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

/** Splits on commas that are not inside parentheses (set-based values use commas too). */
function splitTerms(text: string): string[] {
  const terms: string[] = []
  let depth = 0
  let current = ''
  for (const ch of text) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      terms.push(current)
      current = ''
    } else current += ch
  }
  terms.push(current)
  return terms.map((t) => t.trim()).filter((t) => t !== '')
}

function checkKey(key: string, selector: string): void {
  if (!KEY_RE.test(key) || key.length > 316) {
    throw badRequest(
      `unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (selector "${selector}")`,
    )
  }
}

function checkValue(value: string): void {
  if (!VALUE_RE.test(value) || value.length > 63) {
    throw badRequest(
      `unable to parse requirement: invalid label value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    )
  }
}

function parseLabelRequirement(term: string, selector: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term)
  if (set !== null) {
    const [, key = '', op, list = ''] = set
    checkKey(key, selector)
    const values = list
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '')
    for (const v of values) checkValue(v)
    return { op: op === 'in' ? 'in' : 'notin', key, values: new Set(values) }
  }
  const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term)
  if (eq !== null) {
    const [, key = '', op, value = ''] = eq
    checkKey(key, selector)
    checkValue(value)
    return { op: op === '!=' ? 'neq' : 'eq', key, value }
  }
  if (term.startsWith('!')) {
    const key = term.slice(1).trim()
    checkKey(key, selector)
    return { op: 'notexists', key }
  }
  if (/\s/.test(term) || /[()<>]/.test(term)) {
    throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`)
  }
  checkKey(term, selector)
  return { op: 'exists', key: term }
}

function matches(req: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, req.key)
  const value = labels[req.key]
  switch (req.op) {
    case 'eq':
      return has && value === req.value
    case 'neq':
      return !has || value !== req.value
    case 'in':
      return has && req.values.has(value as string)
    case 'notin':
      return !has || !req.values.has(value as string)
    case 'exists':
      return has
    case 'notexists':
      return !has
  }
}

/** Compiles a labelSelector query value; undefined or '' selects everything. */
export function compileLabelSelector(
  selector: string | undefined,
): ((labels: Record<string, string>) => boolean) | undefined {
  if (selector === undefined || selector.trim() === '') return undefined
  const requirements = splitTerms(selector).map((term) => parseLabelRequirement(term, selector))
  return (labels) => requirements.every((r) => matches(r, labels))
}

/** Field paths each resource supports in fieldSelector, as registered by the apiserver's field label conversions. */
const FIELD_PATHS: Record<string, Record<string, readonly string[]>> = {
  pods: {
    'spec.nodeName': ['spec', 'nodeName'],
    'spec.restartPolicy': ['spec', 'restartPolicy'],
    'spec.schedulerName': ['spec', 'schedulerName'],
    'spec.serviceAccountName': ['spec', 'serviceAccountName'],
    'spec.hostNetwork': ['spec', 'hostNetwork'],
    'status.phase': ['status', 'phase'],
    'status.podIP': ['status', 'podIP'],
    'status.nominatedNodeName': ['status', 'nominatedNodeName'],
  },
  nodes: { 'spec.unschedulable': ['spec', 'unschedulable'] },
  events: {
    'involvedObject.kind': ['involvedObject', 'kind'],
    'involvedObject.namespace': ['involvedObject', 'namespace'],
    'involvedObject.name': ['involvedObject', 'name'],
    'involvedObject.uid': ['involvedObject', 'uid'],
    'involvedObject.apiVersion': ['involvedObject', 'apiVersion'],
    'involvedObject.resourceVersion': ['involvedObject', 'resourceVersion'],
    'involvedObject.fieldPath': ['involvedObject', 'fieldPath'],
    reason: ['reason'],
    reportingComponent: ['reportingComponent'],
    source: ['source', 'component'],
    type: ['type'],
  },
  secrets: { type: ['type'] },
  namespaces: { 'status.phase': ['status', 'phase'] },
  persistentvolumeclaims: {},
  persistentvolumes: {},
  jobs: { 'status.successful': ['status', 'succeeded'] },
}

function fieldText(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return value
  return String(value)
}

/** Compiles a fieldSelector; an unsupported field is a 400 with the apiserver's wording. */
export function compileFieldSelector(
  plural: string,
  selector: string | undefined,
): ((obj: KubeObject) => boolean) | undefined {
  if (selector === undefined || selector.trim() === '') return undefined
  const paths = FIELD_PATHS[plural] ?? {}
  const tests = splitTerms(selector).map((term) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term)
    if (m === null) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`)
    const [, name = '', op, value = ''] = m
    let path: readonly string[] | undefined
    if (name === 'metadata.name') path = ['metadata', 'name']
    else if (name === 'metadata.namespace') path = ['metadata', 'namespace']
    else path = paths[name]
    if (path === undefined) throw badRequest(`field label not supported: ${name}`)
    const wanted = value
    const resolved = path
    return op === '!='
      ? (obj: KubeObject) => fieldText(field(obj, resolved)) !== wanted
      : (obj: KubeObject) => fieldText(field(obj, resolved)) === wanted
  })
  return (obj) => tests.every((t) => t(obj))
}
