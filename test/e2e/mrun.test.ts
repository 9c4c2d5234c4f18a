import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { liveDemoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { pluginBinDir, pluginPath } from '../support/plugins.ts'
import { kubectl } from '../support/run.ts'

/** `kubectl mrun` through real kubectl plugin dispatch: a run submitted, followed, listed and cleaned up. */
let sim: Sim
let config: string
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  sim = await startSim({ scenario: liveDemoScenario(), runContainers: true })
  config = sim.writeKubeconfig({ user: 'admin' })
  env = { PATH: pluginPath(pluginBinDir()), XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'mrun-e2e-')) }
})

afterAll(async () => {
  await sim.stop()
})

describe('kubectl mrun', () => {
  it('runs a ready image, follows its logs, lists it and deletes it', async () => {
    const added = await kubectl(config, ['mrun', 'profile', 'add', 'e2e', '-n', 'mrun-e2e'], { env })
    expect(added.code).toBe(0)
    const run = await kubectl(
      config,
      ['mrun', 'run', '--image', 'busybox', '--follow', '--', 'sh', '-c', 'echo hello'],
      {
        env,
      },
    )
    expect(run.stdout).toMatch(/^job\.batch\/sh-[a-z][a-z0-9]{5} created\nhello\n$/)
    expect(run.code).toBe(0)
    const name = /job\.batch\/(\S+)/.exec(run.stdout)?.[1] ?? ''
    const listed = await kubectl(config, ['mrun', 'list'], { env })
    expect(listed.stdout).toMatch(new RegExp(`${name}\\s+sh\\s+<none>\\s+succeeded`))
    const jobs = await kubectl(config, [
      'get',
      'jobs',
      '-n',
      'mrun-e2e',
      '-l',
      'app.kubernetes.io/managed-by=kubectl-mrun',
      '-o',
      'name',
    ])
    expect(jobs.stdout).toBe(`job.batch/${name}\n`)
    const deleted = await kubectl(config, ['mrun', 'delete', name], { env })
    expect(deleted.stdout).toBe(`job.batch/${name} deleted\n`)
  })

  it('an unknown run is exit 7 with one line', async () => {
    const result = await kubectl(config, ['mrun', 'status', 'nope', '-n', 'mrun-e2e'], { env })
    expect(result.code).toBe(7)
    expect(result.stderr.split('\n')[0]).toBe(
      'error: run "nope" not found in namespace "mrun-e2e" (as a job, a run id or an experiment)',
    )
  })
})
