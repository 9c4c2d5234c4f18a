import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pvclaimRoot } from '../../plugins/pvclaim/root.ts'
import { createMemoryIo } from '../../shared/cli/memory-io.ts'
import { runPlugin } from '../../shared/cli/run.ts'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { kubectl } from '../support/run.ts'

/**
 * Claims named the way charts name them: a kube-prometheus-stack StatefulSet's claim is 92 characters long, and
 * its first 63 end on '-'. The helper pod's label values and name are derived from the claim name and must still be
 * what the API server accepts (it answers 422 otherwise, and the simulator validates labels as it does).
 */
const ML = 'ml-team'
const LONG = 'prometheus-kube-prometheus-stack-prometheus-db-prometheus-kube-prometheus-stack-prometheus-0'
let sim: Sim
let admin: string
let work: string

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: true })
  admin = sim.writeKubeconfig({ user: 'admin', namespace: ML })
  work = mkdtempSync(join(tmpdir(), 'pvclaim-names-'))
})

afterAll(async () => {
  await sim.stop()
  rmSync(work, { recursive: true, force: true })
})

describe('claims with chart-made names', () => {
  it('uploads to and downloads from a 92-character claim through a helper pod the server accepts', async () => {
    expect(LONG.length).toBe(92)
    expect(LONG.slice(0, 63).endsWith('-')).toBe(true)
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: LONG, namespace: ML },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    }
    const created = await kubectl(admin, ['create', '-f', '-'], { input: JSON.stringify(claim) })
    expect(created.code, created.stderr).toBe(0)
    const io = createMemoryIo({ env: { KUBECONFIG: admin } })
    const run = (argv: string[]) => runPlugin(pvclaimRoot, { name: 'kubectl pvclaim', version: '0.0.0', io, argv })
    const local = join(work, 'notes.txt')
    writeFileSync(local, 'kept\n')
    expect(await run(['upload', LONG, local]), io.stderr()).toBe(0)
    expect(await run(['download', LONG, 'notes.txt', join(work, 'back')]), io.stderr()).toBe(0)
    expect(readFileSync(join(work, 'back', 'notes.txt'), 'utf8')).toBe('kept\n')
    const helpers = [...sim.store.all('pods', ML)].filter((p) => p.metadata.name.startsWith('pvclaim-helper-'))
    expect(helpers).toEqual([])
  })
})
