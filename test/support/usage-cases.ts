import { expect } from 'vitest'
import { jsonConventionProblems } from '../../shared/output/index.ts'
import type { RunResult } from './run.ts'
import { eventually } from './testBed.ts'

/**
 * `kubectl usage` checked against what kubectl itself prints on the same cluster, as one table of cases that every
 * bed runs: test/e2e/usage.test.ts on a generated simulated cluster (12 nodes, GPUs), test/e2e-real/plugins.test.ts on
 * the simulator bed and on the real control plane. A case only talks to the cluster through kubectl (with plugin
 * dispatch), so it cannot lean on one bed's internals; what differs between clusters is in UsageCluster.
 */
export type KubectlRun = (args: readonly string[]) => Promise<RunResult>

export interface UsageCluster {
  /** Every node has live usage (metrics-server scraped them all); else nodes `top` shows as <unknown> are skipped. */
  metricsForEveryNode: boolean
  /** Where `usage pods` is compared with `top pod`, and how many pods at least are there. */
  pods: { scope: string[]; atLeast: number }
  /** Usage moves with every metrics scrape on a real cluster: retry a comparison this long. */
  settleMs: number
}

export interface UsageCase {
  name: string
  timeoutMs: number
  run(kubectl: KubectlRun, cluster: UsageCluster): Promise<void>
}

interface Figures {
  requests: number
  limits: number
  requestsPercent: number | null
  limitsPercent: number | null
  usage: number | null
  usagePercent: number | null
}

/** Parses a quantity as describe prints it into millicores (cpu) or bytes (the rest). */
function parseDescribed(text: string, cpu: boolean): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(text)
  if (m === null) throw new Error(`cannot parse ${text}`)
  const factor: Record<string, number> = {
    '': 1,
    m: 0.001,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  }
  const value = Number(m[1]) * (factor[m[2] ?? ''] as number)
  return cpu ? Math.round(value * 1000) : Math.round(value)
}

async function ok(kubectl: KubectlRun, args: readonly string[]): Promise<RunResult> {
  const result = await kubectl(args)
  expect(result.code, `kubectl ${args.join(' ')}: ${result.stderr}`).toBe(0)
  return result
}

const RESOURCES = ['cpu', 'memory', 'ephemeral-storage', 'nvidia.com/gpu']

async function nodesMatchDescribeAndTop(kubectl: KubectlRun, cluster: UsageCluster): Promise<void> {
  const names = (await ok(kubectl, ['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])).stdout.split(' ')
  // Compare a usage answer with the top answer around it: on a real cluster both move with every scrape.
  await eventually(
    'usage nodes matching describe node and top node',
    async () => {
      const ours = await ok(kubectl, ['usage', 'nodes', '-o', 'json'])
      expect(ours.stderr).toBe('')
      const items = (
        JSON.parse(ours.stdout) as {
          items: { name: string; resources: Record<string, Figures>; pods: { count: number } }[]
        }
      ).items
      expect(items.map((i) => i.name).sort()).toEqual([...names].sort())
      const top = await ok(kubectl, ['top', 'node', '--no-headers'])
      const topRows = new Map(
        top.stdout
          .trim()
          .split('\n')
          .map((line) => {
            const [name = '', cpu = '', cpuPct = '', mem = '', memPct = ''] = line.trim().split(/\s+/)
            return [name, { cpu, cpuPct, mem, memPct }]
          }),
      )
      for (const item of items) {
        const described = await ok(kubectl, ['describe', 'node', item.name])
        const block = described.stdout.slice(described.stdout.indexOf('Allocated resources:'))
        for (const resource of RESOURCES) {
          const line = new RegExp(
            `\\n\\s+${resource.replace('.', '\\.')}\\s+(\\S+)(?: \\((\\d+)%\\))?\\s+(\\S+)(?: \\((\\d+)%\\))?`,
          ).exec(block)
          const f = item.resources[resource]
          if (line === null) {
            expect(f === undefined || f.requests === 0, `${item.name} ${resource}`).toBe(true)
            continue
          }
          expect(f, `${item.name} ${resource}`).toBeDefined()
          expect(f?.requests, `${item.name} ${resource} requests`).toBe(
            parseDescribed(line[1] as string, resource === 'cpu'),
          )
          expect(f?.limits, `${item.name} ${resource} limits`).toBe(
            parseDescribed(line[3] as string, resource === 'cpu'),
          )
          if (line[2] !== undefined) expect(f?.requestsPercent, `${item.name} ${resource} req%`).toBe(Number(line[2]))
          if (line[4] !== undefined) expect(f?.limitsPercent, `${item.name} ${resource} lim%`).toBe(Number(line[4]))
        }
        const pods = /Non-terminated Pods:\s+\((\d+) in total\)/.exec(described.stdout)
        expect(item.pods.count, `${item.name} pods`).toBe(Number(pods?.[1]))
        const row = topRows.get(item.name)
        if (!cluster.metricsForEveryNode && (row === undefined || row.cpu === '<unknown>')) continue
        expect(row?.cpu, top.stdout).toMatch(/^\d+m$/)
        const cpu = item.resources.cpu as Figures
        const mem = item.resources.memory as Figures
        expect(`${cpu.usage}m`, `${item.name} cpu usage`).toBe(row?.cpu)
        expect(`${cpu.usagePercent}%`).toBe(row?.cpuPct)
        expect(`${Math.floor((mem.usage ?? 0) / 1048576)}Mi`, `${item.name} memory usage`).toBe(row?.mem)
        expect(`${mem.usagePercent}%`).toBe(row?.memPct)
      }
      return true
    },
    cluster.settleMs,
  )
}

async function podsMatchTop(kubectl: KubectlRun, cluster: UsageCluster): Promise<void> {
  await eventually(
    'usage pods matching top pod',
    async () => {
      const ours = await ok(kubectl, ['usage', 'pods', ...cluster.pods.scope, '-o', 'json'])
      const rows = (
        JSON.parse(ours.stdout) as { items: { namespace: string; name: string; resources: Record<string, Figures> }[] }
      ).items
      const byName = new Map(rows.map((r) => [`${r.namespace}/${r.name}`, r]))
      // -A puts the namespace first; with -n the namespace is the scope's.
      const top = await ok(kubectl, ['top', 'pod', ...cluster.pods.scope, '--no-headers'])
      const lines = top.stdout.trim().split('\n')
      expect(lines.length).toBeGreaterThanOrEqual(cluster.pods.atLeast)
      const all = cluster.pods.scope.includes('-A')
      for (const line of lines) {
        const cells = line.trim().split(/\s+/)
        const [ns, name, cpu, mem] = all ? cells : [cluster.pods.scope[1], ...cells]
        const row = byName.get(`${ns}/${name}`)
        expect(row, `${ns}/${name}`).toBeDefined()
        expect(`${row?.resources.cpu?.usage}m`, `${ns}/${name} cpu`).toBe(cpu)
        expect(`${Math.floor((row?.resources.memory?.usage ?? 0) / 1048576)}Mi`, `${ns}/${name} memory`).toBe(mem)
      }
      return true
    },
    cluster.settleMs,
  )
}

async function outputConventions(kubectl: KubectlRun): Promise<void> {
  for (const command of [['nodes'], ['pods', '-A']]) {
    const result = await ok(kubectl, ['usage', ...command, '-o', 'json'])
    expect(jsonConventionProblems(JSON.parse(result.stdout))).toEqual([])
  }
  const json = await ok(kubectl, ['usage', 'nodes', '-o', 'json'])
  const names = (JSON.parse(json.stdout) as { items: { name: string }[] }).items.map((n) => n.name)
  const jsonpath = await ok(kubectl, ['usage', 'nodes', '-o', 'jsonpath={.items[*].name}'])
  expect(jsonpath.stdout).toBe(names.join(' '))
  const columns = await ok(kubectl, ['usage', 'nodes', '-o', 'custom-columns=NAME:.name,CPU:.resources.cpu.requests'])
  const lines = columns.stdout.trimEnd().split('\n')
  expect(lines[0]).toMatch(/^NAME +CPU$/)
  expect(lines.slice(1).map((l) => l.split(/ +/)[0])).toEqual(names)
  expect(lines.slice(1).every((l) => /^\S+ +\d+$/.test(l))).toBe(true)
  const bad = await kubectl(['usage', 'pods', '-o', 'jsonpath={.items[?(@.a'])
  expect(bad.code).toBe(2)
  expect(bad.stderr.split('\n')[0]).toBe('error: error parsing jsonpath {.items[?(@.a, unterminated filter')
  const bars = await ok(kubectl, ['usage', 'nodes', '--bars'])
  expect(bars.stderr).toBe(
    'bars (whole bar = allocatable): # used within requests, = requested but unused, . used beyond requests\n',
  )
  expect(bars.stdout).not.toContain('used within')
}

/** Bad input: its exit code (README's table), one line on stderr, nothing on stdout. */
export const USAGE_BAD_INPUT: readonly [args: string[], code: number, message: RegExp][] = [
  [['usage', 'nodes', '--resources', 'cpu,bogus'], 2, /unknown resource "bogus" in --resources/],
  [['usage', 'nodes', '-l', 'bad key=1'], 9, /rejected|unable to parse requirement/],
  [['usage', 'nodes', '--sort-by', 'nonsense.req'], 2, /invalid --sort-by "nonsense.req"/],
  [['usage', 'nodes', 'no-such-node'], 7, /node "no-such-node" not found/],
  [['usage', 'nodes', '--contxt', 'x'], 2, /unknown flag: --contxt/],
]

export const USAGE_CASES: readonly UsageCase[] = [
  {
    name: 'usage nodes equals describe node Allocated resources and top node',
    timeoutMs: 150_000,
    run: nodesMatchDescribeAndTop,
  },
  { name: 'usage pods sums container usage like kubectl top pod', timeoutMs: 120_000, run: podsMatchTop },
  {
    name: 'usage keeps the JSON convention, jsonpath and custom-columns, and the --bars legend on stderr',
    timeoutMs: 60_000,
    run: (kubectl) => outputConventions(kubectl),
  },
  {
    name: 'usage answers bad input with its exit code and one line',
    timeoutMs: 60_000,
    run: async (kubectl) => {
      for (const [args, code, message] of USAGE_BAD_INPUT) {
        const result = await kubectl(args)
        expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code)
        expect(result.stdout).toBe('')
        expect(result.stderr.split('\n')[0]).toMatch(message)
      }
    },
  },
]
