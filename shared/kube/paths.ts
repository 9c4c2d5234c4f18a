import { SuiteError } from '../errors.ts'

/** Where a resource lives in the REST API: the core group under /api, every other group under /apis. */
export interface ResourceRef {
  group?: string
  version?: string
  plural: string
  namespace?: string | undefined
  name?: string | undefined
  subresource?: string | undefined
}

/**
 * A name that would make the path mean something else: '' turns `…/claims/NAME` into the collection (a DELETE
 * there deletes every claim), and '.' or '..' are resolved away by URL normalisation. Names reach here already
 * checked by the argument parser, so meeting one is a bug in the caller.
 */
function checkSegment(what: string, value: string | undefined): void {
  if (value === undefined) return
  if (value === '' || value === '.' || value === '..')
    throw new SuiteError('internal', `refusing to build an API path with ${what} ${JSON.stringify(value)}`)
}

export function resourcePath(ref: ResourceRef): string {
  checkSegment('the name', ref.name)
  checkSegment('the namespace', ref.namespace)
  const group = ref.group ?? ''
  const version = ref.version ?? 'v1'
  const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`
  const ns = ref.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(ref.namespace)}`
  const name = ref.name === undefined ? '' : `/${encodeURIComponent(ref.name)}`
  const sub = ref.subresource === undefined ? '' : `/${ref.subresource}`
  return `${base}${ns}/${ref.plural}${name}${sub}`
}
