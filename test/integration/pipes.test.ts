import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { REPO_ROOT } from '../support/plugins.ts'

/**
 * `kubectl usage pods -A | head -1`: the reader goes away while a plugin still writes. Each plugin runs as a real
 * process whose stdout is a pipe the test closes after the first chunk; the plugin must stop quietly (no EPIPE
 * stack trace) with exit 141, what a shell reports for kubectl itself, which dies of SIGPIPE there.
 */
let sim: Sim
let kubeconfig: string
const NODE = join(REPO_ROOT, 'node_modules/.bin/node')

function runClosingEarly(plugin: string, argv: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [join(REPO_ROOT, `plugins/${plugin}/main.ts`), ...argv], {
      env: { ...process.env, KUBECONFIG: kubeconfig, HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const err: Buffer[] = []
    child.stderr.on('data', (c: Buffer) => err.push(c))
    child.stdout.once('data', () => child.stdout.destroy())
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr: Buffer.concat(err).toString('utf8') })
    })
  })
}

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: false })
  kubeconfig = sim.writeKubeconfig({ user: 'admin', namespace: 'ml-team' })
  // Output well past a pipe's 64 KiB buffer: a 2 MiB secret value, and 1,500 more pods.
  sim.store.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'big', namespace: 'ml-team' },
    type: 'Opaque',
    data: { blob: Buffer.alloc(2 * 1024 * 1024, 'x').toString('base64') },
  })
  for (let i = 0; i < 1500; i++)
    sim.store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `filler-${i}`, namespace: 'data', labels: { app: 'filler' } },
      spec: { nodeName: 'worker-1', containers: [{ name: 'c', image: 'busybox' }] },
      status: { phase: 'Running' },
    })
}, 60_000)

afterAll(async () => {
  await sim.stop()
})

describe('a reader that closes early (EPIPE)', () => {
  it.each([
    ['usage', ['pods', '-A', '-o', 'json']],
    ['secretview', ['big', 'blob']],
    ['usage', ['pods', '-A']],
  ])('kubectl %s %j stops quietly with exit 141', async (plugin, argv) => {
    const result = await runClosingEarly(plugin, argv)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(141)
  })
})
