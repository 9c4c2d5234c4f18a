import { SuiteError } from '../../shared/errors.ts'

/** Pure checks of the usage-specific flags, so bad input fails before any request is sent. */
const RESOURCE_NAME_RE = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/
const ALIASES: Record<string, string> = {
  mem: 'memory',
  gpu: 'nvidia.com/gpu',
  eph: 'ephemeral-storage',
  storage: 'ephemeral-storage',
}

/** `--resources cpu,memory,gpu` → resource names, checked against what the cluster's nodes advertise. */
export function parseResources(text: string | undefined, available: readonly string[]): string[] | undefined {
  if (text === undefined || text.trim() === '') return undefined
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '')
    .map((n) => ALIASES[n] ?? n)
  for (const name of names) {
    if (!RESOURCE_NAME_RE.test(name) || !available.includes(name)) {
      throw new SuiteError('usage', `unknown resource "${name}" in --resources`, {
        hint: `resources on this cluster's nodes: ${available.join(', ')} (aliases: mem, gpu, eph)`,
      })
    }
  }
  return names
}

export function parseTop(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text) || Number(text) === 0) {
    throw new SuiteError('usage', `invalid --top "${text}": expected a positive whole number`, {
      hint: 'e.g. --top 10',
    })
  }
  return Number(text)
}

export type GroupBy = 'node' | 'namespace' | 'owner'

export function parseGroupBy(text: string | undefined): GroupBy | undefined {
  if (text === undefined) return undefined
  if (text === 'node' || text === 'namespace' || text === 'owner') return text
  throw new SuiteError('usage', `invalid --group-by "${text}"`, { hint: 'use one of: node, namespace, owner' })
}
