import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { liveDemoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { pluginBinDir, pluginPath } from '../support/plugins.ts'

/** --watch through real kubectl dispatch: refreshes appended on a pipe, Ctrl-C ends it cleanly with exit 130. */
/** The plugins linked as kubectl finds them; removed after the file's tests. */
const bin = pluginBinDir()
let sim: Sim
let admin: string
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  sim = await startSim({ scenario: liveDemoScenario(), runContainers: false })
  admin = sim.writeKubeconfig({ user: 'admin', namespace: 'ml-team' })
  env = { ...process.env, PATH: pluginPath(bin), KUBECONFIG: admin, HOME: '/nonexistent' }
})

afterAll(async () => {
  rmSync(bin, { recursive: true, force: true })
  await sim.stop()
})

/** Runs kubectl with --watch until `header` has been printed twice, then sends SIGINT as Ctrl-C would. */
function watchTwice(words: string[], header: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', [...words, '--watch', '--interval', '300ms'], { env, stdio: 'pipe' })
    let stdout = ''
    let stderr = ''
    let sent = false
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (!sent && (stdout.match(new RegExp(header.source, 'gm')) ?? []).length >= 2) {
        sent = true
        child.kill('SIGINT')
      }
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('--watch through kubectl', () => {
  it.each([
    { words: ['usage', 'nodes', '--no-metrics'], header: /^NODE / },
    { words: ['usage', 'pods', '-A', '--no-metrics'], header: /^NAMESPACE / },
    { words: ['pvclaim', 'list', '-A'], header: /^NAMESPACE / },
    { words: ['mrun', 'list', '-A', '-o', 'json'], header: /^\{/ },
    { words: ['ae-sessions', 'list', '-A', '--no-metrics'], header: /^NAMESPACE / },
  ])('$words refreshes until Ctrl-C, then exits 130', async ({ words, header }) => {
    const result = await watchTwice(words, header)
    expect(result.code, result.stderr).toBe(130)
    expect(result.stdout).not.toContain('\u001b[')
    expect(result.stdout.split('\n\n').filter((block) => header.test(block)).length).toBeGreaterThanOrEqual(2)
    expect(result.stderr).not.toMatch(/^error:/m)
  })

  it('mrun status --watch accepts the flag (an unknown run still fails at once, exit 7)', async () => {
    const child = spawn('kubectl', ['mrun', 'status', 'nope', '--watch'], { env, stdio: 'pipe' })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code).toBe(7)
  })
})
