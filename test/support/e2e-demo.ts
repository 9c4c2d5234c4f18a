import { rmSync } from 'node:fs'
import { afterAll, beforeAll } from 'vitest'
import { liveDemoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { pluginBinDir, pluginPath } from './plugins.ts'

/** What an end-to-end file gets: the demo cluster, an admin kubeconfig (namespace ml-team), and kubectl's env. */
export interface DemoE2e {
  sim: Sim
  admin: string
  /** PATH with the plugins linked as kubectl finds them. */
  env: NodeJS.ProcessEnv
}

/**
 * The set-up several end-to-end files shared line for line: the demo cluster (no container processes), the plugins
 * linked for real kubectl dispatch, both removed after the file's tests. The fields are set in beforeAll.
 */
export function useDemoE2e(): DemoE2e {
  const bin = pluginBinDir()
  const bed = {} as DemoE2e
  beforeAll(async () => {
    bed.sim = await startSim({ scenario: liveDemoScenario(), runContainers: false })
    bed.admin = bed.sim.writeKubeconfig({ user: 'admin', namespace: 'ml-team' })
    bed.env = { PATH: pluginPath(bin) }
  })
  afterAll(async () => {
    rmSync(bin, { recursive: true, force: true })
    await bed.sim?.stop()
  })
  return bed
}
