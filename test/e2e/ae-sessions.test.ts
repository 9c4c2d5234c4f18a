import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { liveDemoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { pluginBinDir, pluginPath } from '../support/plugins.ts'
import { kubectl } from '../support/run.ts'

/** `kubectl ae-sessions` found and run by real kubectl plugin dispatch (kubectl-ae_sessions on PATH). */
/** The plugins linked as kubectl finds them; removed after the file's tests. */
const bin = pluginBinDir()
let sim: Sim
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  sim = await startSim({ scenario: liveDemoScenario(), runContainers: false })
  env = { PATH: pluginPath(bin), XDG_CONFIG_HOME: '/nonexistent' }
})

afterAll(async () => {
  rmSync(bin, { recursive: true, force: true })
  await sim.stop()
})

describe('kubectl ae-sessions through kubectl', () => {
  it('nodes requests equal kubectl usage nodes (and so describe node): init containers, sidecars and overhead count', async () => {
    const admin = sim.writeKubeconfig({ user: 'admin' })
    const ours = await kubectl(admin, ['ae-sessions', 'nodes', '-o', 'json'], { env })
    const usage = await kubectl(admin, ['usage', 'nodes', '-o', 'json'], { env })
    expect(ours.code, ours.stderr).toBe(0)
    expect(usage.code, usage.stderr).toBe(0)
    type AeNode = { name: string; requests: { cpu: { millicores: number }; memory: { bytes: number } } }
    type UsageNode = { name: string; resources: Record<string, { requests: number }> }
    const byName = new Map(
      (JSON.parse(usage.stdout) as { items: UsageNode[] }).items.map((n) => [n.name, n.resources] as const),
    )
    const items = (JSON.parse(ours.stdout) as { items: AeNode[] }).items
    expect(items.length).toBeGreaterThan(3)
    for (const node of items) {
      expect([node.name, node.requests.cpu.millicores]).toEqual([node.name, byName.get(node.name)?.cpu?.requests])
      expect([node.name, node.requests.memory.bytes]).toEqual([node.name, byName.get(node.name)?.memory?.requests])
    }
  })

  it('is listed by kubectl plugin list without warnings', async () => {
    const result = await kubectl(sim.writeKubeconfig({ user: 'admin' }), ['plugin', 'list'], { env })
    expect(result.stdout).toMatch(/kubectl-ae_sessions\n/)
    expect(result.stderr).toBe('')
  })

  it('--mine shows alice her sessions, deployments and runs with live usage', async () => {
    const alice = sim.writeKubeconfig({ user: 'alice', namespace: 'anaconda-enterprise' })
    const result = await kubectl(alice, ['ae-sessions', '--mine'], { env })
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^KIND +ID +OWNER +PHASE +READY +RESTARTS +CPU +CPU% +MEMORY +MEM% +GPU +NODE +AGE$/)
    const rows = lines.slice(1).map((line) => line.split(/\s{2,}/))
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(['session', 'deployment', 'run']))
    expect(
      rows.map((r) => r[2]),
      result.stdout,
    ).toEqual(rows.map(() => 'alice'))
    expect(
      rows.some((r) => /^\d+m$/.test(r[6] ?? '')),
      `${result.stdout}${result.stderr}`,
    ).toBe(true)
    expect(result.stderr).toMatch(/^Warning: 1 platform pod has no owner/)
  })

  it('exits with the forbidden code and one line when the user may not read the namespace', async () => {
    const bob = sim.writeKubeconfig({ user: 'bob', namespace: 'kube-system' })
    const result = await kubectl(bob, ['ae-sessions'], { env })
    expect(result.code).toBe(6)
    expect(result.stderr.split('\n')[0]).toMatch(/^error: pods is forbidden: User "bob" cannot list/)
  })
})
