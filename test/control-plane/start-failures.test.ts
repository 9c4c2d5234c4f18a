import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { run } from '../support/run.ts'
import { startControlPlane } from './launch.ts'

/** The one-line failures a developer sees when the control plane cannot be built or started. */
const buildScript = join(import.meta.dirname, 'build.ts')
const servers: Server[] = []

afterAll(() => {
  for (const server of servers) server.close()
})

describe('control plane failures', () => {
  it('names Go and where to get it when Go is missing or too old', async () => {
    const missing = await run(process.execPath, [buildScript], { env: { ...process.env, GO: '/nonexistent/go' } })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe(
      'control plane build: GO=/nonexistent/go does not run as Go; install Go >= 1.24 from https://go.dev/dl/\n',
    )
    const old = await run(process.execPath, [buildScript], {
      env: { ...process.env, GO: join(import.meta.dirname, 'testdata', 'go1.22') },
    })
    expect(old.code).toBe(1)
    expect(old.stderr).toMatch(/^control plane build: .*go1\.22 is go1\.22\.5, Kubernetes v1\.33\.13 needs Go >= 1\.24/)
  })

  it('fails the start with the component and its log line when its port is taken', async () => {
    const taken = createServer()
    servers.push(taken)
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const port = (taken.address() as { port: number }).port
    await expect(startControlPlane({ ports: { 'kube-apiserver': port } })).rejects.toThrow(
      /^control plane: kube-apiserver exited \(code 1\): .*address already in use/,
    )
    await expect(startControlPlane({ ports: { etcd: port } })).rejects.toThrow(
      `control plane: etcd exited (code 1): discovery failed: listen tcp 127.0.0.1:${port}: bind: address already in use`,
    )
  }, 120_000)
})
