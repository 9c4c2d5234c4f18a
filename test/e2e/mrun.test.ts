import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { liveDemoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { pluginBinDir, pluginPath } from '../support/plugins.ts'
import { kubectl, run } from '../support/run.ts'

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

  it('--follow follows a run through watches: a few reads, not one every 300 ms', async () => {
    const start = sim.requests.length
    const began = Date.now()
    const run = await kubectl(
      config,
      ['mrun', 'run', '--image', 'busybox', '--follow', '--', 'sh', '-c', 'sleep 4; echo done'],
      { env },
    )
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/done\n$/)
    expect(Date.now() - began).toBeGreaterThan(4000)
    const reads = sim.requests
      .slice(start)
      .filter((r) => r.method === 'GET' && !r.query.includes('watch=true') && !r.path.endsWith('/log'))
    const jobReads = reads.filter((r) => r.path.startsWith('/apis/batch/v1/namespaces/mrun-e2e/jobs'))
    const podReads = reads.filter((r) => r.path === '/api/v1/namespaces/mrun-e2e/pods')
    // Polling every 300 ms read the Job and listed its pods about 14 times each in 4 s; a watch lists once per
    // informer (one to see the first pod admitted, one to follow) and then only receives changes.
    expect(jobReads.length).toBeLessThanOrEqual(3)
    expect(podReads.length).toBeLessThanOrEqual(3)
  })

  it('--wait on a terminal clears its spinner line before a warning, and gives up after --timeout', async () => {
    // A pseudo-terminal (util-linux script) with a width, so the spinner draws as it does for a person.
    const command = `stty cols 120 rows 40; kubectl mrun run --image busybox --cpu 500 --wait --timeout 4s -- true`
    const result = await run('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, ...env, KUBECONFIG: config, HOME: '/nonexistent', TERM: 'xterm' },
      timeoutMs: 60_000,
    })
    const screen = result.stdout
    expect(result.code).toBe(1)
    expect(screen).toContain('waiting for run') // the spinner was drawn
    const at = screen.indexOf('Warning')
    expect(at).toBeGreaterThan(0)
    // What is left on the warning's line before it: after the last erase-line, nothing of the spinner.
    const line = screen.slice(0, at).split('\n').at(-1) ?? ''
    const afterErase = line.slice(line.lastIndexOf('\u001b[2K') + 1)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what this checks
    expect(afterErase.replace(/\u001b\[[0-9;?]*[A-Za-z]|\r|\[2K/g, '')).toBe('')
    expect(screen).toMatch(/cannot be scheduled: 0\/\d+ nodes are available/)
    expect(screen).toMatch(/will not finish/)
  })

  it.each([
    [['--access-mode', 'shared'], 'error: --access-mode "shared" is not an access mode'],
    [['--timeout', '5m'], 'error: --timeout needs --wait or --follow'],
    [['--wait', '--timeout', 'soon'], 'error: invalid --timeout "soon": a duration must be'],
  ])('run %j is a usage error before anything is created', async (flags, message) => {
    const before = await kubectl(config, ['get', 'jobs', '-A', '-o', 'name'])
    const result = await kubectl(config, ['mrun', 'run', ...flags, '--image', 'busybox', '--', 'true'], { env })
    expect(result.code).toBe(2)
    expect(result.stderr.split('\n')[0]).toContain(message)
    const after = await kubectl(config, ['get', 'jobs', '-A', '-o', 'name'])
    expect(after.stdout).toBe(before.stdout)
  })

  it('an unknown run is exit 7 with one line', async () => {
    const result = await kubectl(config, ['mrun', 'status', 'nope', '-n', 'mrun-e2e'], { env })
    expect(result.code).toBe(7)
    expect(result.stderr.split('\n')[0]).toBe(
      'error: run "nope" not found in namespace "mrun-e2e" (as a job, a run id or an experiment)',
    )
  })
})
