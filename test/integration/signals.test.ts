import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pvclaimRoot } from '../../plugins/pvclaim/root.ts'
import { createMemoryIo } from '../../shared/cli/memory-io.ts'
import { runPlugin } from '../../shared/cli/run.ts'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { type MrunHarness, mrunHarness } from '../support/mrun.ts'
import { REPO_ROOT } from '../support/plugins.ts'

/**
 * SIGTERM and SIGHUP stop a plugin the way Ctrl-C does: the command's AbortSignal fires, it cleans up, and the
 * process exits 128 + the signal's number (143, 129; SIGINT 130). Real processes, real signals: a pvclaim download
 * leaves no helper pod and no partial file; an mrun run stops its builder and removes its staged copy of the project.
 */
let sim: Sim
let kubeconfig: string
let work: string
const ML = 'ml-team'
const NODE = join(REPO_ROOT, 'node_modules/.bin/node')

const helperPods = (): string[] =>
  [...sim.store.all('pods')]
    .filter((p) => p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-pvclaim')
    .map((p) => p.metadata.name)

interface Running {
  child: ChildProcess
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
}

function start(plugin: string, argv: string[], env: NodeJS.ProcessEnv, cwd?: string): Running {
  const child = spawn(NODE, [join(REPO_ROOT, `plugins/${plugin}/main.ts`), ...argv], {
    env,
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const err: Buffer[] = []
  child.stdout?.resume()
  child.stderr?.on('data', (c: Buffer) => err.push(c))
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stderr: Buffer.concat(err).toString('utf8') })
    })
  })
  return { child, done }
}

async function until(test: () => boolean, ms = 20_000): Promise<void> {
  const started = Date.now()
  while (!test()) {
    if (Date.now() - started > ms) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 10))
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: true })
  kubeconfig = sim.writeKubeconfig({ user: 'admin', namespace: ML })
  work = mkdtempSync(join(tmpdir(), 'signals-'))
  // Enough data that a download is still running when the signal lands.
  const source = join(work, 'source')
  mkdirSync(join(source, 'tree', 'nested'), { recursive: true })
  for (let i = 0; i < 4; i++) writeFileSync(join(source, 'tree', 'nested', `part-${i}.bin`), randomBytes(16 << 20))
  // A claim no pod mounts, so downloads go through a helper pod.
  for (const argv of [
    ['create', 'signals', '--size', '1Gi', '--storage-class', 'standard', '--wait'],
    ['upload', 'signals', join(source, 'tree'), 'big'],
  ]) {
    const io = createMemoryIo({ env: { KUBECONFIG: kubeconfig } })
    const code = await runPlugin(pvclaimRoot, { name: 'kubectl pvclaim', version: '0.0.0', io, argv })
    expect(code, io.stderr()).toBe(0)
  }
}, 120_000)

afterAll(async () => {
  await sim.stop()
})

describe('signals stop a command cleanly', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGINT', 130],
  ] as const)(
    'pvclaim download stopped by %s: exit %i, no helper pod, no partial file',
    async (signal, code) => {
      const target = join(work, `download-${signal}`)
      mkdirSync(target)
      const run = start('pvclaim', ['download', 'signals', 'big', target], {
        ...process.env,
        KUBECONFIG: kubeconfig,
        HOME: '/nonexistent',
      })
      await until(() => readdirSync(target).some((n) => n.startsWith('.pvclaim-partial-')) && helperPods().length > 0)
      run.child.kill(signal)
      const result = await run.done
      expect(result.stderr).not.toMatch(/\n\s+at /)
      expect(result.code).toBe(code)
      await until(() => helperPods().length === 0, 5_000)
      expect(readdirSync(target)).toEqual([])
    },
    60_000,
  )

  describe('mrun run', () => {
    let h: MrunHarness
    beforeAll(async () => {
      h = mrunHarness(kubeconfig)
      writeFileSync(join(h.project, 'train.py'), 'print("training")\n')
      writeFileSync(join(h.project, '.env'), 'API_KEY=do-not-leave-me-in-tmp\n')
      // A builder that records its pid and then takes its time, as a real image build does.
      writeFileSync(
        join(h.fakeBin, 'docker'),
        `#!/bin/sh\ncase "$1 $2" in "image inspect") exit 1;; esac\nif [ "$1" = build ]; then echo $$ > "$MRUN_FAKE_LOG.pid"; exec sleep 60; fi\nexit 0\n`,
      )
      chmodSync(join(h.fakeBin, 'docker'), 0o755)
      const added = await h.mrun(['profile', 'add', 'lab', '-n', 'mrun-signals', '--registry', 'reg.example.com/t'])
      expect(added.code, added.stderr).toBe(0)
    }, 60_000)

    it.each([
      ['SIGTERM', 143],
      ['SIGHUP', 129],
    ] as const)(
      'stopped by %s mid-build: exit %i, builder stopped, no staged copy of the project',
      async (signal, code) => {
        const tmp = mkdtempSync(join(work, `tmp-${signal}-`))
        const pidFile = `${h.fakeLog}.pid`
        writeFileSync(pidFile, '')
        const run = start(
          'mrun',
          ['run', '--builder', 'docker', '--', 'train.py'],
          { ...h.env, TMPDIR: tmp },
          h.project,
        )
        await until(() => readFileSync(pidFile, 'utf8').trim() !== '')
        const builder = Number(readFileSync(pidFile, 'utf8').trim())
        expect(readdirSync(tmp).filter((n) => n.startsWith('mrun-build-'))).toHaveLength(1)
        run.child.kill(signal)
        const result = await run.done
        expect(result.stderr).not.toMatch(/\n\s+at /)
        expect(result.code).toBe(code)
        await until(() => !alive(builder), 5_000)
        expect(readdirSync(tmp)).toEqual([])
        expect(existsSync(join(h.project, '.env'))).toBe(true)
      },
      60_000,
    )
  })
})
