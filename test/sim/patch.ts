import { isRecord } from './object.ts'
import { badRequest, StatusError } from './status.ts'

/** RFC 7386 JSON merge patch: objects merge recursively, null deletes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = mergePatch(result[key], value)
  }
  return result
}

/**
 * Strategic merge patch, simplified: lists of objects with a `name` (containers, env, volumes) merge by name,
 * which is the merge key kubectl relies on for them; `$patch: delete` entries remove; everything else is a merge patch.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue
    const current = result[key]
    if (value === null) delete result[key]
    else if (
      Array.isArray(value) &&
      Array.isArray(current) &&
      value.every((v) => isRecord(v) && typeof v.name === 'string')
    ) {
      const merged = [...current]
      for (const item of value as Record<string, unknown>[]) {
        const index = merged.findIndex((c) => isRecord(c) && c.name === item.name)
        if (item.$patch === 'delete') {
          if (index >= 0) merged.splice(index, 1)
        } else if (index >= 0) merged[index] = strategicMergePatch(merged[index], item)
        else merged.push(item)
      }
      result[key] = merged
    } else result[key] = strategicMergePatch(current, value)
  }
  return result
}

interface JsonPatchOp {
  op: string
  path: string
  value?: unknown
  from?: string
}

function pointer(path: string): string[] {
  if (path === '') return []
  if (!path.startsWith('/'))
    throw badRequest(`the server rejected our request due to an error in our request: invalid JSON pointer ${path}`)
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
}

/** RFC 6902 JSON patch (add, remove, replace, test, copy, move) on a deep copy. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array of operations')
  let doc: unknown = structuredClone(target)
  for (const raw of ops as JsonPatchOp[]) {
    const parts = pointer(raw.path)
    const apply = (op: string, value?: unknown): void => {
      if (parts.length === 0) {
        doc = value
        return
      }
      let parent: unknown = doc
      for (const part of parts.slice(0, -1)) {
        parent = Array.isArray(parent) ? parent[Number(part)] : isRecord(parent) ? parent[part] : undefined
        if (parent === undefined)
          throw new StatusError(
            422,
            'Invalid',
            `jsonpatch ${op} operation does not apply: doc is missing path: "${raw.path}"`,
          )
      }
      const last = parts[parts.length - 1] as string
      if (Array.isArray(parent)) {
        const index = last === '-' ? parent.length : Number(last)
        if (op === 'add') parent.splice(index, 0, value)
        else if (op === 'remove') parent.splice(index, 1)
        else parent[index] = value
      } else if (isRecord(parent)) {
        if (op === 'remove' || op === 'replace') {
          if (!(last in parent))
            throw new StatusError(
              422,
              'Invalid',
              `jsonpatch ${op} operation does not apply: doc is missing key: ${raw.path}`,
            )
        }
        if (op === 'remove') delete parent[last]
        else parent[last] = value
      }
    }
    const read = (path: string): unknown =>
      pointer(path).reduce<unknown>(
        (node, part) => (Array.isArray(node) ? node[Number(part)] : isRecord(node) ? node[part] : undefined),
        doc,
      )
    switch (raw.op) {
      case 'add':
      case 'replace':
        apply(raw.op, raw.value)
        break
      case 'remove':
        apply('remove')
        break
      case 'test':
        if (JSON.stringify(read(raw.path)) !== JSON.stringify(raw.value)) {
          throw new StatusError(422, 'Invalid', `testing value ${raw.path} failed`)
        }
        break
      case 'copy':
        apply('add', structuredClone(read(raw.from ?? '')))
        break
      case 'move': {
        const value = read(raw.from ?? '')
        jsonPatch(doc, [{ op: 'remove', path: raw.from }])
        apply('add', value)
        break
      }
      default:
        throw badRequest(`Unexpected kind: ${raw.op}`)
    }
  }
  return doc
}
