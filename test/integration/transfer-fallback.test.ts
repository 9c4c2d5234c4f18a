import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { pvclaimRoot } from '../../plugins/pvclaim/root.ts'
import { createMemoryIo } from '../../shared/cli/memory-io.ts'
import { runPlugin } from '../../shared/cli/run.ts'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { kubectl } from '../support/run.ts'

/**
 * A consumer pod whose `tar` passes the probe (`command -v` finds it) but cannot run when the transfer execs it:
 * a script whose interpreter is gone (the runtime fails the exec with an InternalError Status and no exit code), a
 * wrapper whose target is missing (127) or not executable (126). Real busybox pods on the simulator's node agent.
 * The transfer moves to a helper pod, says so at -v 1, and nothing half-written stays locally or in the volume.
 */
const NS = 'ml-team'
let sim: Sim
let admin: string
let work: string

const BROKEN: readonly { label: string; setup: string; path?: string; says: RegExp }[] = [
  {
    // An image whose PATH holds only busybox's shell: sh runs every applet itself, so the probe passes, but an exec
    // of tar (or test, mkdir…) finds nothing and the runtime fails it with no exit code.
    label: 'no exit code (a PATH with only a shell on it)',
    setup: 'ln -s /bin/busybox /usr/local/bin/sh',
    path: '/usr/local/bin',
    says: /running \S+ there failed \(.*executable file not found in \$PATH/,
  },
  {
    label: 'exit 127 (tar is a wrapper around a program that is gone)',
    setup:
      'printf "#!/bin/sh\\nexec /opt/vendor/bin/tar \\"\\$@\\"\\n" > /usr/local/bin/tar && chmod 755 /usr/local/bin/tar',
    says: /running tar there exited 127 \(.*\/opt\/vendor\/bin\/tar.*\)/,
  },
  {
    label: 'exit 126 (tar is a wrapper around a file that cannot be executed)',
    setup: 'printf "#!/bin/sh\\nexec /etc/hostname \\"\\$@\\"\\n" > /usr/local/bin/tar && chmod 755 /usr/local/bin/tar',
    says: /running tar there exited 126 \(.*\/etc\/hostname.*\)/,
  },
]

async function pv(argv: string[]): Promise<{ code: number; stderr: string }> {
  const io = createMemoryIo({ env: { KUBECONFIG: admin } })
  const code = await runPlugin(pvclaimRoot, { name: 'kubectl pvclaim', version: '0.0.0', io, argv })
  return { code, stderr: io.stderr() }
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const helperPods = (): string[] =>
  [...sim.store.all('pods')]
    .filter((p) => p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-pvclaim')
    .map((p) => p.metadata.name)

/** A claim mounted by a running busybox pod that ran `setup` (in /usr/local/bin, ahead of /bin on PATH). */
async function brokenConsumer(claim: string, setup: string, path: string | undefined): Promise<string> {
  const pod = `consumer-${claim}`
  const objects = [
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: claim, namespace: NS },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'standard',
        resources: { requests: { storage: '1Gi' } },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod, namespace: NS },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'busybox:1.36',
            // Absolute paths and busybox's own applets: the PATH may hold nothing else.
            command: [
              '/bin/sh',
              '-c',
              `mkdir -p /usr/local/bin && ${setup} && touch /tmp/ready && exec /bin/sleep 86400`,
            ],
            env: path === undefined ? [] : [{ name: 'PATH', value: path }],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
      },
    },
  ]
  const applied = await kubectl(admin, ['apply', '-f', '-'], { input: objects.map((o) => stringify(o)).join('---\n') })
  expect(applied.code, applied.stderr).toBe(0)
  const phase = (): unknown => (sim.store.get('pods', NS, pod)?.status as { phase?: string } | undefined)?.phase
  await until(`${pod} running`, () => phase() === 'Running')
  for (let i = 0; i < 100; i++) {
    const ready = await kubectl(admin, ['exec', '-n', NS, pod, '--', '/bin/test', '-e', '/tmp/ready'])
    if (ready.code === 0) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  // What the probe sees: tar is there for the shell (busybox's sh runs its own applet), so the pod passes it.
  const probe = await kubectl(admin, ['exec', '-n', NS, pod, '--', 'sh', '-c', 'command -v tar'])
  expect(probe.code, probe.stderr).toBe(0)
  const spec = sim.store.get('persistentvolumeclaims', NS, claim)?.spec as { volumeName?: string } | undefined
  return join(sim.dataDir, 'volumes', spec?.volumeName ?? '')
}

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: true })
  admin = sim.writeKubeconfig({ user: 'admin', namespace: NS })
  work = mkdtempSync(join(tmpdir(), 'transfer-fallback-'))
}, 60_000)

afterAll(async () => {
  await sim.stop()
  rmSync(work, { recursive: true, force: true })
})

BROKEN.forEach(({ label, setup, path, says }, n) => {
  describe(`a consumer pod whose tar cannot run: ${label}`, () => {
    const claim = `broken-tar-${n}`
    let volume = ''
    beforeAll(async () => {
      volume = await brokenConsumer(claim, setup, path)
      mkdirSync(join(volume, 'results'))
      writeFileSync(join(volume, 'results', 'a.txt'), 'from the volume\n')
      writeFileSync(join(volume, 'results', 'b.bin'), Buffer.alloc(2 * 1024 * 1024 + 3, 9))
    }, 60_000)

    it('download moves to a helper pod, says so at -v 1, and brings the files', async () => {
      const target = join(work, `down-${n}`)
      const result = await pv(['download', claim, 'results', target, '--verify', '-v', '1'])
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).toMatch(new RegExp(`pod consumer-${claim} mounts ${claim} but ${says.source}`))
      expect(result.stderr).toMatch(/using a helper pod instead/)
      expect(result.stderr).toMatch(/through helper pod pvclaim-helper-.* \(deleted\)/)
      expect(readdirSync(target)).toEqual(['results'])
      expect(readdirSync(join(target, 'results')).sort()).toEqual(['a.txt', 'b.bin'])
      expect(readFileSync(join(target, 'results', 'a.txt'), 'utf8')).toBe('from the volume\n')
      expect(helperPods()).toEqual([])
    })

    it('upload moves to a helper pod, says so at -v 1, and leaves no staging in the volume', async () => {
      const source = join(work, `up-${n}`, 'incoming')
      mkdirSync(source, { recursive: true })
      writeFileSync(join(source, 'c.txt'), 'from here\n')
      const result = await pv(['upload', claim, source, 'deep/inbox', '--verify', '-v', '1'])
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).toMatch(new RegExp(`pod consumer-${claim} mounts ${claim} but ${says.source}`))
      expect(result.stderr).toMatch(/through helper pod pvclaim-helper-.* \(deleted\)/)
      expect(readFileSync(join(volume, 'deep', 'inbox', 'incoming', 'c.txt'), 'utf8')).toBe('from here\n')
      expect(readdirSync(join(volume, 'deep', 'inbox'))).toEqual(['incoming'])
      expect(readdirSync(volume).sort()).toEqual(['deep', 'results'])
      expect(helperPods()).toEqual([])
    })
  })
})
