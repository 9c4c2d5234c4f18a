import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { REPO_ROOT } from '../support/plugins.ts'

/**
 * A server that accepts connections and never answers: with --request-timeout 2s the error comes after about 2 s
 * and the process ends right after printing it. It used to end a whole timeout later (20.9 s error, 41.1 s exit
 * with 20s), kept alive by the command's other requests, still waiting or retrying after the error was printed.
 */
let sim: Sim
let kubeconfig: string
const NODE = join(REPO_ROOT, 'node_modules/.bin/node')

function timed(
  plugin: string,
  argv: string[],
): Promise<{ code: number | null; stderr: string; errorAt: number; exitAt: number }> {
  return new Promise((resolve) => {
    const started = performance.now()
    let errorAt = Number.NaN
    const child = spawn(NODE, [join(REPO_ROOT, `plugins/${plugin}/main.ts`), ...argv], {
      env: { ...process.env, KUBECONFIG: kubeconfig, HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const err: Buffer[] = []
    child.stdout.resume()
    child.stderr.on('data', (c: Buffer) => {
      if (err.length === 0) errorAt = performance.now() - started
      err.push(c)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr: Buffer.concat(err).toString('utf8'), errorAt, exitAt: performance.now() - started })
    })
  })
}

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: false })
  kubeconfig = sim.writeKubeconfig({ user: 'admin', namespace: 'ml-team' })
  sim.faults.hang = true
})

afterAll(async () => {
  await sim.stop()
})

describe('a hung server', () => {
  it.each([
    ['usage', ['nodes']],
    ['usage', ['pods', '-A']],
    ['ae-sessions', ['list', '-A']],
    ['secretview', ['check']],
    ['pvclaim', ['list']],
    ['mrun', ['list', '-n', 'ml-team']],
  ])(
    'kubectl %s %j: the error after the timeout, the exit right after it',
    async (plugin, argv) => {
      const result = await timed(plugin, [...argv, '--request-timeout', '2s'])
      expect(result.stderr).toMatch(/^error: request to \S+ .*timed out after 2s/)
      expect(result.code).toBe(4)
      // From spawn: Node's start-up (slow on a busy machine) plus one timeout.
      expect(result.errorAt).toBeLessThan(6_000)
      // Ending the process costs a little (more on a busy machine); another timeout's worth would be 2,000 ms more.
      expect(result.exitAt - result.errorAt).toBeLessThan(1_200)
    },
    40_000,
  )
})
