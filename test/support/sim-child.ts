import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { REPO_ROOT } from './plugins.ts'

/** A simulated cluster running in its own process (demo and bench), so its CPU and memory are not ours. */
export interface SimChild {
  url: string
  kubeconfig: string
  /** A kubeconfig per simulated user (admin, alice, bob, viewer, nobody). */
  kubeconfigs: Record<string, string>
  startSeconds: number
  process: ChildProcess
  stop(): Promise<void>
}

export function startSimChild(args: string[] = []): Promise<SimChild> {
  const child = spawn(
    process.execPath,
    ['--max-old-space-size=8192', join(REPO_ROOT, 'test/sim/cli.ts'), '--json', ...args],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    child.once('exit', (code) => reject(new Error(`simulated cluster exited with code ${code}`)))
    lines.once('line', (line) => {
      const info = JSON.parse(line) as {
        url: string
        kubeconfig: string
        kubeconfigs: Record<string, string>
        startSeconds: number
      }
      resolve({
        ...info,
        process: child,
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners('exit')
            child.once('exit', () => done())
            child.kill('SIGTERM')
          }),
      })
    })
  })
}
