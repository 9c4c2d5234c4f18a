import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { liveDemoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { pluginBinDir, pluginPath } from '../support/plugins.ts'
import { kubectl } from '../support/run.ts'

/** `kubectl secretview` found and run by real kubectl plugin dispatch. */
/** The plugins linked as kubectl finds them; removed after the file's tests. */
const bin = pluginBinDir()
let sim: Sim
let admin: string
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  sim = await startSim({ scenario: liveDemoScenario(), runContainers: false })
  admin = sim.writeKubeconfig({ user: 'admin', namespace: 'ml-team' })
  env = { PATH: pluginPath(bin) }
})

afterAll(async () => {
  rmSync(bin, { recursive: true, force: true })
  await sim.stop()
})

describe('kubectl secretview through kubectl', () => {
  it('lists the namespace’s secrets with type notes and no values', async () => {
    const result = await kubectl(admin, ['secretview', '--all'], { env })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^NAME +TYPE +KEYS +AGE +NOTES\n/)
    expect(result.stdout).toMatch(/^trainer-api-tls +kubernetes\.io\/tls +3 +\S+ +cert expires in 1[12]d/m)
    expect(result.stdout).not.toMatch(/S3cr3t|hunter2|rob0t/)
  })

  it('prints one binary value byte for byte into a pipe', async () => {
    const result = await kubectl(admin, ['secretview', 'db-credentials', 'blob.bin'], { env })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdoutBytes).toEqual(Buffer.from([0, 159, 146, 150, 255, 1, 2]))
  })

  it('passes exit codes through kubectl: 10 when check finds something, 7 for a missing secret', async () => {
    expect((await kubectl(admin, ['secretview', 'check'], { env })).code).toBe(10)
    const missing = await kubectl(admin, ['secretview', 'nope'], { env })
    expect(missing.code).toBe(7)
    expect(missing.stderr.split('\n')[0]).toBe('error: secret "nope" not found in namespace "ml-team"')
  })
})
