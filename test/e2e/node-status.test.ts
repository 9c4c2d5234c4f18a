import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateCluster } from '../sim/scenario/generate.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { pluginBinDir, pluginPath } from '../support/plugins.ts'
import { kubectl } from '../support/run.ts'

/**
 * The node STATUS words of `usage nodes -o wide` and `ae-sessions nodes` against `kubectl get nodes` on the same
 * simulated nodes: a lost node (Ready condition Unknown) is `NotReady`, a node without a Ready condition
 * `Unknown`, and a cordoned one adds `,SchedulingDisabled`.
 */
/** The plugins linked as kubectl finds them; removed after the file's tests. */
const bin = pluginBinDir()
let sim: Sim
let config: string
let env: NodeJS.ProcessEnv

type Condition = { type: string; status: string; lastHeartbeatTime?: string; lastTransitionTime?: string }

beforeAll(async () => {
  sim = await startSim({ scenario: generateCluster({ nodes: 6, podsPerNode: 2, seed: 5 }), runContainers: false })
  config = sim.writeKubeconfig({ user: 'admin' })
  env = { PATH: pluginPath(bin) }
  const names = [...sim.store.all('nodes')].map((n) => n.metadata.name).sort()
  const setReady = (name: string, status: string | undefined, cordon: boolean): void => {
    sim.store.mutate('nodes', undefined, name, (node) => {
      const state = node.status as { conditions?: Condition[] }
      const others = (state.conditions ?? []).filter((c) => c.type !== 'Ready')
      state.conditions =
        status === undefined
          ? others
          : [
              ...others,
              {
                type: 'Ready',
                status,
                lastHeartbeatTime: '2026-11-22T12:00:00Z',
                lastTransitionTime: '2026-11-22T12:00:00Z',
              },
            ]
      if (cordon) (node.spec as { unschedulable?: boolean }).unschedulable = true
    })
  }
  setReady(names[0] ?? '', 'Unknown', true)
  setReady(names[1] ?? '', 'Unknown', false)
  setReady(names[2] ?? '', 'False', true)
  setReady(names[3] ?? '', undefined, false)
  setReady(names[4] ?? '', 'True', true)
})

afterAll(async () => {
  rmSync(bin, { recursive: true, force: true })
  await sim.stop()
})

/** NAME → the word in the given column of a table printed with headers. */
function statusByName(stdout: string, nameHeader: string): Map<string, string> {
  const [header = '', ...rows] = stdout.trimEnd().split('\n')
  const columns = header.split(/ {2,}/)
  const nameAt = columns.indexOf(nameHeader)
  const statusAt = columns.indexOf('STATUS')
  return new Map(
    rows
      .map((row) => row.trim().split(/ +/))
      .filter((cells) => !/^[<*]/.test(cells[nameAt] ?? ''))
      .map((cells) => [cells[nameAt] ?? '', cells[statusAt] ?? '']),
  )
}

describe('node status words', () => {
  it('usage nodes -o wide and ae-sessions nodes print what kubectl get nodes prints', async () => {
    const theirs = await kubectl(config, ['get', 'nodes'])
    expect(theirs.code, theirs.stderr).toBe(0)
    const expected = statusByName(theirs.stdout, 'NAME')
    expect([...expected.values()].sort()).toEqual(
      expect.arrayContaining(['NotReady,SchedulingDisabled', 'NotReady', 'Unknown', 'Ready,SchedulingDisabled']),
    )
    const usage = await kubectl(config, ['usage', 'nodes', '-o', 'wide'], { env })
    expect(usage.code, usage.stderr).toBe(0)
    expect(statusByName(usage.stdout, 'NODE')).toEqual(expected)
    const sessions = await kubectl(config, ['ae-sessions', 'nodes'], { env })
    expect(sessions.code, sessions.stderr).toBe(0)
    expect(statusByName(sessions.stdout, 'NODE')).toEqual(expected)
  })
})
