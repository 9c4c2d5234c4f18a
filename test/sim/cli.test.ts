import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/plugins.ts'
import { kubectl } from '../support/run.ts'
import { type SimChild, startSimChild } from '../support/sim-child.ts'

/**
 * `npm run sim -- --user NAME` exports a kubeconfig a person pastes and uses at once: its context's namespace must
 * be one that user may work in, so a namespace-scoped user's first `kubectl get pods` is not a Forbidden.
 */
const children: SimChild[] = []
afterAll(async () => {
  for (const child of children) await child.stop()
})

async function simAs(user: string, auth: string): Promise<SimChild> {
  const child = await startSimChild(['--user', user, '--auth', auth, '--no-run-containers'])
  children.push(child)
  return child
}

describe('npm run sim -- --user', () => {
  it.each([
    { user: 'alice', auth: 'token', namespace: 'ml-team' },
    { user: 'bob', auth: 'cert', namespace: 'ml-team' },
    { user: 'admin', auth: 'basic', namespace: 'default' },
  ])(
    '$user ($auth) gets the context namespace $namespace and may list pods there without -n',
    async ({ user, auth, namespace }) => {
      const sim = await simAs(user, auth)
      const context = await kubectl(sim.kubeconfig, ['config', 'view', '--minify', '-o', 'jsonpath={..namespace}'])
      expect(context.stdout).toBe(namespace)
      const whoami = await kubectl(sim.kubeconfig, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])
      expect(whoami.stdout).toBe(user)
      const pods = await kubectl(sim.kubeconfig, ['get', 'pods'])
      expect(pods.code, pods.stderr).toBe(0)
      expect(`${pods.stdout}${pods.stderr}`).not.toMatch(/forbidden/i)
    },
  )
})

describe('npm run sim -- --user alice, as a person reads it', () => {
  it('names the user and namespace, and suggests a first command alice may run', async () => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'test/sim/cli.ts'), '--user', 'alice', '--no-run-containers'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    const exited = new Promise((resolve) => child.once('exit', resolve))
    try {
      const lines: string[] = []
      for await (const line of createInterface({ input: child.stdout })) {
        lines.push(line)
        if (line.startsWith('press Ctrl-C')) break
      }
      expect(lines[0]).toMatch(/\(user alice, namespace ml-team\)$/)
      const kubeconfig = (lines[1] ?? '').replace(/^ {2}export KUBECONFIG=/, '')
      expect(lines[2]).toBe('  kubectl get pods')
      expect(readFileSync(kubeconfig, 'utf8')).toContain('namespace: ml-team')
    } finally {
      child.kill('SIGINT')
      await exited
    }
  })
})
