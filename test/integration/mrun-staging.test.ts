import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MrunHarness, mrunHarness } from '../support/mrun.ts'
import { REPO_ROOT } from '../support/plugins.ts'

/**
 * `mrun run` copies the project (its .env included, unless ignored) into a temporary folder for a local builder.
 * Whatever ends the run, that copy must not stay: the build failing, the cluster unreachable after the build, both
 * output pipes closed, or a SIGKILL that leaves no chance to clean up (the next run removes it). SIGTERM and SIGHUP
 * mid-build are in signals.test.ts. Each case has its own TMPDIR, so "nothing left" is exact.
 */
let h: MrunHarness
let root: string
const NODE = join(REPO_ROOT, 'node_modules/.bin/node')

/** A docker that records its pid, prints a build log, then fails, succeeds or takes its time as $FAKE_BUILD says. */
const DOCKER = `#!/bin/sh
case "$1 $2" in "image inspect") exit 1;; esac
if [ "$1" = build ]; then
  echo $$ > "$MRUN_FAKE_LOG.pid"
  i=0; while [ $i -lt 200 ]; do echo "STEP $i: a line of build log"; i=$((i+1)); done
  case "$FAKE_BUILD" in fail) exit 1;; slow) exec sleep 60;; esac
fi
exit 0
`

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mrun-staging-'))
  const kubeconfig = join(root, 'kubeconfig')
  // Nothing listens on port 1: whatever needs the cluster fails, after the build.
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n',
  )
  h = mrunHarness(kubeconfig)
  writeFileSync(join(h.project, 'train.py'), 'print("training")\n')
  writeFileSync(join(h.project, '.env'), 'API_KEY=do-not-leave-me-in-tmp\n')
  writeFileSync(join(h.fakeBin, 'docker'), DOCKER)
  chmodSync(join(h.fakeBin, 'docker'), 0o755)
  const added = await h.mrun(['profile', 'add', 'lab', '-n', 'mrun-staging', '--registry', 'reg.example.com/t'])
  expect(added.code, added.stderr).toBe(0)
})

afterAll(() => {
  h.cleanup()
  rmSync(root, { recursive: true, force: true })
})

const freshTmp = (): string => mkdtempSync(join(h.configHome, 'tmp-'))
const staged = (tmp: string): string[] => readdirSync(tmp).filter((n) => n.startsWith('mrun-build-'))

function start(env: NodeJS.ProcessEnv, stdio: 'closed' | 'pipe'): ChildProcess {
  const child = spawn(NODE, [join(REPO_ROOT, 'plugins/mrun/main.ts'), 'run', '--', 'train.py'], {
    env: { ...h.env, ...env },
    cwd: h.project,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (stdio === 'closed') {
    // The reader of both pipes goes away at once, as with `mrun run … 2>&1 | head -0`.
    child.stdout?.destroy()
    child.stderr?.destroy()
  } else {
    child.stdout?.resume()
    child.stderr?.resume()
  }
  return child
}

const ended = (child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal })
    })
  })

describe('run leaves no copy of the project in the temp folder', () => {
  it('when the build fails', async () => {
    const tmp = freshTmp()
    const result = await h.mrun(['run', '--', 'train.py'], { env: { TMPDIR: tmp, FAKE_BUILD: 'fail' } })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('docker build failed with exit code 1')
    expect(readdirSync(tmp)).toEqual([])
  })

  it('when the cluster cannot be reached after the build', async () => {
    const tmp = freshTmp()
    const result = await h.mrun(['run', '--', 'train.py'], { env: { TMPDIR: tmp } })
    expect(result.stderr).toContain('pushing reg.example.com/t/')
    expect(result.code).not.toBe(0)
    expect(readdirSync(tmp)).toEqual([])
  })

  it('when both of its output pipes are closed', async () => {
    const tmp = freshTmp()
    const result = await ended(start({ TMPDIR: tmp }, 'closed'))
    expect(result.signal).toBeNull()
    expect(existsSync(`${h.fakeLog}.pid`)).toBe(true)
    expect(readdirSync(tmp)).toEqual([])
  })

  it('when SIGKILL ends it mid-build: the next run removes the copy before making its own', async () => {
    const tmp = freshTmp()
    writeFileSync(`${h.fakeLog}.pid`, '')
    const child = start({ TMPDIR: tmp, FAKE_BUILD: 'slow' }, 'pipe')
    const done = ended(child)
    const started = Date.now()
    while (readFileSync(`${h.fakeLog}.pid`, 'utf8').trim() === '') {
      if (Date.now() - started > 20_000) throw new Error('the build never started')
      await new Promise((r) => setTimeout(r, 20))
    }
    const left = staged(tmp)
    expect(left).toHaveLength(1)
    expect(readFileSync(join(tmp, left[0] as string, '.env'), 'utf8')).toContain('API_KEY')
    child.kill('SIGKILL')
    expect((await done).signal).toBe('SIGKILL')
    process.kill(Number(readFileSync(`${h.fakeLog}.pid`, 'utf8').trim()), 'SIGKILL') // the orphaned sleep
    expect(staged(tmp)).toEqual(left) // nothing could remove it
    const next = await h.mrun(['run', '--', 'train.py'], { env: { TMPDIR: tmp, FAKE_BUILD: 'fail' } })
    expect(next.code).toBe(1)
    expect(readdirSync(tmp)).toEqual([])
  })
})
