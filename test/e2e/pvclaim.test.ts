import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { liveDemoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { pluginBinDir, pluginPath } from '../support/plugins.ts'
import { kubectl } from '../support/run.ts'

/** `kubectl pvclaim` found and run by real kubectl plugin dispatch. */
let sim: Sim
let admin: string
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  sim = await startSim({ scenario: liveDemoScenario(), runContainers: true })
  admin = sim.writeKubeconfig({ user: 'admin', namespace: 'ml-team' })
  env = { PATH: pluginPath(pluginBinDir()) }
})

afterAll(async () => {
  await sim.stop()
})

describe('kubectl pvclaim through kubectl', () => {
  it('lists claims in every namespace with usage', async () => {
    const result = await kubectl(admin, ['pvclaim', 'list', '-A'], { env })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^NAMESPACE +NAME +STATUS +CAPACITY +USED/)
    expect(result.stdout).toMatch(/^ml-team +results +Bound +10Gi +\d/m)
  })

  it('downloads a claim into a folder, byte for byte what kubectl cp copies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvclaim-e2e-'))
    const ours = await kubectl(admin, ['pvclaim', 'download', 'results', 'run-001', join(dir, 'ours')], { env })
    expect(ours.code, ours.stderr).toBe(0)
    const theirs = await kubectl(admin, ['cp', 'results-browser:/data/run-001', join(dir, 'theirs')], { env })
    expect(theirs.code, theirs.stderr).toBe(0)
    for (const file of ['metrics.json', 'model.bin'])
      expect(readFileSync(join(dir, 'ours', 'run-001', file))).toEqual(readFileSync(join(dir, 'theirs', file)))
  })
})
