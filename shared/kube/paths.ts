/** Where a resource lives in the REST API: the core group under /api, every other group under /apis. */
export interface ResourceRef {
  group?: string
  version?: string
  plural: string
  namespace?: string | undefined
  name?: string | undefined
  subresource?: string | undefined
}

export function resourcePath(ref: ResourceRef): string {
  const group = ref.group ?? ''
  const version = ref.version ?? 'v1'
  const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`
  const ns = ref.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(ref.namespace)}`
  const name = ref.name === undefined ? '' : `/${encodeURIComponent(ref.name)}`
  const sub = ref.subresource === undefined ? '' : `/${ref.subresource}`
  return `${base}${ns}/${ref.plural}${name}${sub}`
}
