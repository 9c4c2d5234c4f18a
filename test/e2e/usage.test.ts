import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateCluster } from '../sim/scenario/generate.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { pluginBinDir, pluginPath } from '../support/plugins.ts'
import { kubectl } from '../support/run.ts'
import { type KubectlRun, USAGE_CASES } from '../support/usage-cases.ts'

/**
 * `kubectl usage` through real kubectl plugin dispatch on a generated simulated cluster (12 nodes, GPUs, owners). The
 * checks against what kubectl itself prints (describe node, top node/pod, templates, bad input) are the shared table
 * of test/support/usage-cases.ts, which test/e2e-real/plugins.test.ts runs on the simulator bed and the real control
 * plane too; what stays here needs the simulator: its metrics faults, and a scenario with ReplicaSets and GPUs.
 */
interface NodeItem {
  name: string
  resources: Record<string, { requests: number; usage: number | null }>
}

/** The plugins linked as kubectl finds them; removed after the file's tests. */
const bin = pluginBinDir()
let sim: Sim
let config: string
let env: NodeJS.ProcessEnv
const run: KubectlRun = (args) => kubectl(config, args, { env })

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

describe('kubectl usage on a generated cluster (the table every bed runs)', () => {
  for (const c of USAGE_CASES)
    it(
      c.name,
      () => c.run(run, { metricsForEveryNode: false, pods: { scope: ['-A'], atLeast: 11 }, settleMs: 5_000 }),
      c.timeoutMs,
    )

  it('reports GPUs as describe node does', async () => {
    // The shared case compares nvidia.com/gpu too; make sure this cluster really has some to compare.
    const ours = await run(['usage', 'nodes', '-o', 'json'])
    const items = (JSON.parse(ours.stdout) as { items: NodeItem[] }).items
    expect(items.length).toBe(sim.store.count('nodes'))
    expect(items.some((n) => (n.resources['nvidia.com/gpu']?.requests ?? 0) > 0)).toBe(true)
  })
})

describe('kubectl usage without metrics (simulator faults)', () => {
  it('keeps working without metrics: usage shows "-" and one warning', async () => {
    sim.faults.metrics = 'absent'
    try {
      const result = await run(['usage', 'nodes'])
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
        const result = await run(['usage', 'nodes', '-o', 'json'])
        expect(result.code).toBe(0)
        expect(result.stderr.trim().split('\n')).toHaveLength(1)
        const items = (JSON.parse(result.stdout) as { items: NodeItem[] }).items
        expect(items.every((n) => n.resources.cpu?.usage === null && n.resources.cpu.requests >= 0)).toBe(true)
      } finally {
        sim.resetFaults()
      }
    },
  )
})

describe('kubectl usage pods', () => {
  it('groups by owner with subtotal rows', async () => {
    const result = await run(['usage', 'pods', '-A', '--group-by', 'owner'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/Σ ReplicaSet\/|Σ Deployment\//)
  })
})
