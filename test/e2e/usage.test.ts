import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonConventionProblems } from '../../shared/output/index.ts'
import { generateCluster } from '../sim/scenario/generate.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { pluginBinDir, pluginPath } from '../support/plugins.ts'
import { kubectl } from '../support/run.ts'

/**
 * `kubectl usage` through real kubectl plugin dispatch, checked number by number against what kubectl itself
 * prints: the Allocated resources block of `describe node`, and `top node` / `top pod`.
 */
interface Figures {
  requests: number
  limits: number
  requestsPercent: number | null
  limitsPercent: number | null
  usage: number | null
  usagePercent: number | null
  allocatable: number
}
interface NodeItem {
  name: string
  resources: Record<string, Figures>
  pods: { count: number }
}

/** The plugins linked as kubectl finds them; removed after the file's tests. */
const bin = pluginBinDir()
let sim: Sim
let config: string
let env: NodeJS.ProcessEnv

/** Parses a quantity as describe prints it into millicores (cpu) or bytes (the rest). */
function parseDescribed(text: string, cpu: boolean): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(text)
  if (m === null) throw new Error(`cannot parse ${text}`)
  const n = Number(m[1])
  const unit = m[2] ?? ''
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
  const value = n * (factor[unit] as number)
  return cpu ? Math.round(value * 1000) : Math.round(value)
}

beforeAll(async () => {
  sim = await startSim({
    scenario: generateCluster({ nodes: 12, podsPerNode: 9, seed: 3, gpuEvery: 4 }),
    runContainers: false,
  })
  config = sim.writeKubeconfig({ user: 'admin' })
  env = { PATH: pluginPath(bin) }
})

afterAll(async () => {
  rmSync(bin, { recursive: true, force: true })
  await sim.stop()
})

describe('kubectl usage nodes', () => {
  it('equals describe node Allocated resources and top node for every node', async () => {
    const ours = await kubectl(config, ['usage', 'nodes', '-o', 'json'], { env })
    expect(ours.stderr).toBe('')
    expect(ours.code).toBe(0)
    const items = (JSON.parse(ours.stdout) as { items: NodeItem[] }).items
    expect(items.length).toBe(sim.store.count('nodes'))
    const top = await kubectl(config, ['top', 'node', '--no-headers'])
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
      const described = await kubectl(config, ['describe', 'node', item.name])
      const block = described.stdout.slice(described.stdout.indexOf('Allocated resources:'))
      for (const resource of ['cpu', 'memory', 'ephemeral-storage', 'nvidia.com/gpu']) {
        const line = new RegExp(
          `\\n\\s+${resource.replace('.', '\\.')}\\s+(\\S+)(?: \\((\\d+)%\\))?\\s+(\\S+)(?: \\((\\d+)%\\))?`,
        ).exec(block)
        const figures = item.resources[resource]
        if (line === null) {
          expect(figures === undefined || figures.requests === 0).toBe(true)
          continue
        }
        expect(figures, `${item.name} ${resource}`).toBeDefined()
        const f = figures as Figures
        expect(f.requests, `${item.name} ${resource} requests`).toBe(
          parseDescribed(line[1] as string, resource === 'cpu'),
        )
        expect(f.limits, `${item.name} ${resource} limits`).toBe(parseDescribed(line[3] as string, resource === 'cpu'))
        if (line[2] !== undefined) expect(f.requestsPercent, `${item.name} ${resource} req%`).toBe(Number(line[2]))
        if (line[4] !== undefined) expect(f.limitsPercent, `${item.name} ${resource} lim%`).toBe(Number(line[4]))
      }
      const pods = /Non-terminated Pods:\s+\((\d+) in total\)/.exec(described.stdout)
      expect(item.pods.count).toBe(Number(pods?.[1]))
      const row = topRows.get(item.name)
      if (row !== undefined && row.cpu !== '<unknown>') {
        const cpu = item.resources.cpu as Figures
        const mem = item.resources.memory as Figures
        expect(`${cpu.usage}m`).toBe(row.cpu)
        expect(`${cpu.usagePercent}%`).toBe(row.cpuPct)
        expect(`${Math.floor((mem.usage ?? 0) / 1048576)}Mi`).toBe(row.mem)
        expect(`${mem.usagePercent}%`).toBe(row.memPct)
      }
    }
  }, 120_000)

  it('keeps working without metrics: usage shows "-" and one warning', async () => {
    sim.faults.metrics = 'absent'
    try {
      const result = await kubectl(config, ['usage', 'nodes'], { env })
      expect(result.code).toBe(0)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr).toMatch(/^Warning: usage columns show "-"/)
      expect(result.stdout).toMatch(/\s-\s/)
    } finally {
      sim.resetFaults()
    }
  })

  it.each([['forbidden'], ['unavailable']] as const)(
    'metrics %s: usage shows "-", one warning, exit 0',
    async (mode) => {
      sim.faults.metrics = mode
      try {
        const result = await kubectl(config, ['usage', 'nodes', '-o', 'json'], { env })
        expect(result.code).toBe(0)
        expect(result.stderr.trim().split('\n')).toHaveLength(1)
        const items = (JSON.parse(result.stdout) as { items: NodeItem[] }).items
        expect(items.every((n) => n.resources.cpu?.usage === null && n.resources.cpu.requests >= 0)).toBe(true)
      } finally {
        sim.resetFaults()
      }
    },
  )

  it.each([
    [['usage', 'nodes', '--resources', 'cpu,bogus'], 2, /unknown resource "bogus" in --resources/],
    [['usage', 'nodes', '-l', 'bad key=1'], 9, /rejected|unable to parse requirement/],
    [['usage', 'nodes', '--sort-by', 'nonsense.req'], 2, /invalid --sort-by "nonsense.req"/],
    [['usage', 'nodes', 'no-such-node'], 7, /node "no-such-node" not found/],
    [['usage', 'nodes', '--contxt', 'x'], 2, /unknown flag: --contxt/],
  ])('bad input %j exits %i with one line', async (args, code, message) => {
    const result = await kubectl(config, args, { env })
    expect(result.code).toBe(code)
    expect(result.stdout).toBe('')
    expect(result.stderr.split('\n')[0]).toMatch(message)
  })
})

describe('kubectl usage: JSON convention and templates through kubectl', () => {
  it('nodes and pods -o json keep the suite JSON convention', async () => {
    for (const command of [['nodes'], ['pods', '-A']]) {
      const result = await kubectl(config, ['usage', ...command, '-o', 'json'], { env })
      expect(result.code, result.stderr).toBe(0)
      expect(jsonConventionProblems(JSON.parse(result.stdout))).toEqual([])
    }
  })

  it('--bars puts its legend on stderr, never in the table on stdout', async () => {
    const result = await kubectl(config, ['usage', 'nodes', '--bars'], { env })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toBe(
      'bars (whole bar = allocatable): # used within requests, = requested but unused, . used beyond requests\n',
    )
    expect(result.stdout).not.toContain('used within')
  })

  it('-o jsonpath and -o custom-columns pass through kubectl plugin dispatch', async () => {
    const json = await kubectl(config, ['usage', 'nodes', '-o', 'json'], { env })
    const names = (JSON.parse(json.stdout) as { items: { name: string }[] }).items.map((n) => n.name)
    const jsonpath = await kubectl(config, ['usage', 'nodes', '-o', 'jsonpath={.items[*].name}'], { env })
    expect(jsonpath.stdout).toBe(names.join(' '))
    const columns = await kubectl(
      config,
      ['usage', 'nodes', '-o', 'custom-columns=NAME:.name,CPU:.resources.cpu.requests'],
      { env },
    )
    const lines = columns.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^NAME +CPU$/)
    expect(lines.slice(1).map((l) => l.split(/ +/)[0])).toEqual(names)
    const bad = await kubectl(config, ['usage', 'pods', '-o', 'jsonpath={.items[?(@.a'], { env })
    expect(bad.code).toBe(2)
    expect(bad.stderr.split('\n')[0]).toBe('error: error parsing jsonpath {.items[?(@.a, unterminated filter')
  })
})

describe('kubectl usage pods', () => {
  it('sums container usage like kubectl top pod', async () => {
    const ours = await kubectl(config, ['usage', 'pods', '-A', '-o', 'json'], { env })
    expect(ours.code).toBe(0)
    const rows = (
      JSON.parse(ours.stdout) as { items: { namespace: string; name: string; resources: Record<string, Figures> }[] }
    ).items
    const top = await kubectl(config, ['top', 'pod', '-A', '--no-headers'])
    const byName = new Map(rows.map((r) => [`${r.namespace}/${r.name}`, r]))
    const lines = top.stdout.trim().split('\n')
    expect(lines.length).toBeGreaterThan(10)
    for (const line of lines) {
      const [ns, name, cpu, mem] = line.trim().split(/\s+/)
      const row = byName.get(`${ns}/${name}`)
      expect(row, `${ns}/${name}`).toBeDefined()
      expect(`${row?.resources.cpu?.usage}m`).toBe(cpu)
      expect(`${Math.floor((row?.resources.memory?.usage ?? 0) / 1048576)}Mi`).toBe(mem)
    }
  })

  it('groups by owner with subtotal rows', async () => {
    const result = await kubectl(config, ['usage', 'pods', '-A', '--group-by', 'owner'], { env })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/Σ ReplicaSet\/|Σ Deployment\//)
  })
})
