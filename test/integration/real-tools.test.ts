import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { stringify } from 'yaml'
import { pvclaimRoot } from '../../plugins/pvclaim/root.ts'
import { createMemoryIo } from '../../shared/cli/memory-io.ts'
import { runPlugin } from '../../shared/cli/run.ts'
import { EXIT_CODES } from '../../shared/errors.ts'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { itKnown, KNOWN_FAILURES, usedKnownFailures } from '../support/known-failures.ts'
import { kubectl } from '../support/run.ts'

/**
 * The defect classes real tools expose, through our plugins and through real kubectl, against pods that run real
 * busybox (busybox:1.36) and real GNU userland (debian:12): hard links, FIFOs, symlinks, awkward file names, a
 * missing binary, exec without a container name. Tests the plugins fail today are on test/support/known-failures.ts.
 */
const NS = 'ml-team'
const ROOT = process.getuid?.() === 0
let sim: Sim
let admin: string
let work: string

const IMAGES = [
  { kind: 'busybox', image: 'busybox:1.36' },
  { kind: 'gnu', image: 'debian:12' },
] as const

/** Names a careful transfer must keep: a backslash, a newline, a tab, a leading dash, unicode. */
const NAME_CASES: readonly [string, readonly string[]][] = [
  ['a backslash', ['back\\slash.txt']],
  ['a newline', ['new\nline.txt']],
  ['a tab', ['tab\there.txt']],
  ['a leading dash', ['-leading-dash.txt']],
  ['unicode', ['ünïcødé 名前.txt']],
]
const AWKWARD = NAME_CASES.flatMap(([, names]) => names)

interface Result {
  code: number
  stdout: string
  stderr: string
}

async function pv(argv: string[]): Promise<Result> {
  const io = createMemoryIo({ env: { KUBECONFIG: admin } })
  const code = await runPlugin(pvclaimRoot, { name: 'kubectl pvclaim', version: '0.0.0', io, argv })
  return { code, stdout: io.stdout(), stderr: io.stderr() }
}

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const phase = (pod: string): unknown =>
  (sim.store.get('pods', NS, pod)?.status as { phase?: string } | undefined)?.phase

/** A claim with a long-running consumer pod of the image, mounting it at /data; returns the claim's host folder. */
async function claimWithConsumer(kind: string, image: string): Promise<string> {
  const claim = `tricky-${kind}`
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
      metadata: { name: `consumer-${kind}`, namespace: NS },
      spec: {
        // No command: the image's default process (a wait, for the simulator's images) keeps the pod running.
        containers: [{ name: 'main', image, volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
      },
    },
  ]
  const applied = await kubectl(admin, ['apply', '-f', '-'], {
    input: objects.map((o) => stringify(o)).join('---\n'),
  })
  expect(applied.code, applied.stderr).toBe(0)
  await until(`consumer-${kind} running`, () => phase(`consumer-${kind}`) === 'Running')
  const spec = sim.store.get('persistentvolumeclaims', NS, claim)?.spec as { volumeName?: string } | undefined
  const pvName = spec?.volumeName ?? ''
  return join(sim.dataDir, 'volumes', pvName)
}

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: true, restartBackoffMs: 200 })
  admin = sim.writeKubeconfig({ user: 'admin', namespace: NS })
  work = mkdtempSync(join(tmpdir(), 'real-tools-'))
}, 60_000)

afterAll(async () => {
  await sim.stop()
  rmSync(work, { recursive: true, force: true })
})

for (const { kind, image } of IMAGES) {
  let volume = ''
  const claim = `tricky-${kind}`
  describe(`real ${kind} pods (${image})`, () => {
    beforeAll(async () => {
      volume = await claimWithConsumer(kind, image)
      mkdirSync(join(volume, 'names'))
      for (const name of AWKWARD) writeFileSync(join(volume, 'names', name), `content of ${JSON.stringify(name)}\n`)
    }, 60_000)

    const suite = `pvclaim against real ${kind} tools (${image})`
    describe(suite, () => {
      itKnown(suite, 'download keeps both names of a hard-linked file', async () => {
        mkdirSync(join(volume, 'hard'))
        writeFileSync(join(volume, 'hard', 'a.txt'), 'same inode\n')
        linkSync(join(volume, 'hard', 'a.txt'), join(volume, 'hard', 'b.txt'))
        const target = join(work, `${kind}-hard`)
        const result = await pv(['download', claim, 'hard', target, '--verify'])
        expect(result.code, result.stderr).toBe(0)
        expect(readFileSync(join(target, 'hard', 'a.txt'), 'utf8')).toBe('same inode\n')
        expect(readFileSync(join(target, 'hard', 'b.txt'), 'utf8')).toBe('same inode\n')
        expect(statSync(join(target, 'hard', 'b.txt')).ino).toBe(statSync(join(target, 'hard', 'a.txt')).ino)
        // Counted by inode: one file of 11 bytes, as the volume holds it.
        expect(result.stderr).toMatch(/^1 file, 11 B in /m)
      })

      itKnown(suite, 'download skips a FIFO and brings the regular files', async () => {
        mkdirSync(join(volume, 'fifo'))
        writeFileSync(join(volume, 'fifo', 'plain.txt'), 'plain\n')
        expect(spawnSync('mkfifo', [join(volume, 'fifo', 'pipe')]).status).toBe(0)
        const target = join(work, `${kind}-fifo`)
        const result = await pv(['download', claim, 'fifo', target, '--verify'])
        expect(result.code, result.stderr).toBe(0)
        expect(readFileSync(join(target, 'fifo', 'plain.txt'), 'utf8')).toBe('plain\n')
        const pipe = join(target, 'fifo', 'pipe')
        expect(existsSync(pipe) && statSync(pipe).isFile()).toBe(false)
        const warnings = result.stderr.split('\n').filter((l) => l.includes('skipped'))
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toContain('"fifo/pipe"')
      })

      itKnown(suite, 'download keeps a symlink that stays inside the folder', async () => {
        mkdirSync(join(volume, 'links'))
        writeFileSync(join(volume, 'links', 'plain.txt'), 'plain\n')
        symlinkSync('plain.txt', join(volume, 'links', 'inside'))
        const target = join(work, `${kind}-links`)
        const result = await pv(['download', claim, 'links', target, '--verify'])
        expect(result.code, result.stderr).toBe(0)
        expect(lstatSync(join(target, 'links', 'inside')).isSymbolicLink()).toBe(true)
        expect(readlinkSync(join(target, 'links', 'inside'))).toBe('plain.txt')
      })

      itKnown(suite, 'download skips a symlink that points outside with a warning, never following it', async () => {
        mkdirSync(join(volume, 'escape'))
        writeFileSync(join(volume, 'escape', 'plain.txt'), 'plain\n')
        symlinkSync('/etc/passwd', join(volume, 'escape', 'passwd'))
        const target = join(work, `${kind}-escape`)
        const result = await pv(['download', claim, 'escape', target, '--verify'])
        expect(result.code, result.stderr).toBe(0)
        expect(result.stderr).toContain(
          'Warning: skipped 1 symlink pointing outside the folder (not copied, never followed): "escape/passwd → /etc/passwd"',
        )
        expect(readdirSync(join(target, 'escape'))).toEqual(['plain.txt'])
      })

      for (const [label, names] of NAME_CASES)
        itKnown(suite, `download with --verify keeps a name with ${label}`, async () => {
          const target = join(work, `${kind}-names-${label.replaceAll(' ', '-')}`)
          for (const name of names) {
            const result = await pv(['download', claim, `names/${name}`, target, '--verify'])
            expect(result.code, result.stderr).toBe(0)
            expect(readFileSync(join(target, name), 'utf8')).toBe(`content of ${JSON.stringify(name)}\n`)
          }
        })

      for (const [label, names] of NAME_CASES)
        itKnown(suite, `upload with --verify keeps a name with ${label}`, async () => {
          const source = join(work, `${kind}-upload-${label.replaceAll(' ', '-')}`, 'up')
          mkdirSync(source, { recursive: true })
          for (const name of names) writeFileSync(join(source, name), `up ${JSON.stringify(name)}\n`)
          const result = await pv(['upload', claim, source, `incoming-${label.replaceAll(' ', '-')}`, '--verify'])
          expect(result.code, result.stderr).toBe(0)
          const landed = join(volume, `incoming-${label.replaceAll(' ', '-')}`, 'up')
          expect(readdirSync(landed).sort()).toEqual([...names].sort())
          for (const name of names)
            expect(readFileSync(join(landed, name), 'utf8')).toBe(`up ${JSON.stringify(name)}\n`)
        })

      itKnown(suite, 'upload keeps both names of a hard-linked file, owned by the folder owner', async () => {
        const source = join(work, `${kind}-upload-hard`, 'up')
        mkdirSync(source, { recursive: true })
        writeFileSync(join(source, 'linked-a.txt'), 'linked\n')
        linkSync(join(source, 'linked-a.txt'), join(source, 'linked-b.txt'))
        const result = await pv(['upload', claim, source, 'incoming-hard', '--verify'])
        expect(result.code, result.stderr).toBe(0)
        const landed = join(volume, 'incoming-hard', 'up')
        expect(readdirSync(landed).sort()).toEqual(['linked-a.txt', 'linked-b.txt'])
        expect(readFileSync(join(landed, 'linked-b.txt'), 'utf8')).toBe('linked\n')
        expect(statSync(join(landed, 'linked-a.txt')).uid).toBe(process.getuid?.() ?? 0)
        expect(statSync(join(landed, 'linked-b.txt')).ino).toBe(statSync(join(landed, 'linked-a.txt')).ino)
      })

      itKnown(
        suite,
        'upload to a server before 1.30 (v4 exec only, no half-close) sends the length first',
        async () => {
          const source = join(work, `${kind}-upload-v4`, 'up')
          mkdirSync(join(source, 'sub'), { recursive: true })
          writeFileSync(join(source, 'a.txt'), 'over v4\n')
          writeFileSync(join(source, 'sub', 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 7))
          sim.faults.execProtocols = ['v4.channel.k8s.io']
          try {
            const result = await pv(['upload', claim, source, 'incoming-v4', '--verify', '-v', '1'])
            expect(result.code, result.stderr).toBe(0)
            expect(result.stderr).toContain('the server speaks v4.channel.k8s.io')
          } finally {
            sim.faults.execProtocols = undefined
          }
          const landed = join(volume, 'incoming-v4', 'up')
          expect(readFileSync(join(landed, 'a.txt'), 'utf8')).toBe('over v4\n')
          expect(statSync(join(landed, 'sub', 'big.bin')).size).toBe(3 * 1024 * 1024 + 17)
        },
      )

      itKnown(suite, "refuses '' as a path, and an existing local destination before a byte moves", async () => {
        const target = join(work, `${kind}-refusals`, 'fresh')
        const emptyPath = await pv(['download', claim, '', target])
        expect(emptyPath.code).toBe(EXIT_CODES.usage)
        expect(emptyPath.stderr).toMatch(/^error: the path in the volume is empty\n/)
        expect(existsSync(target)).toBe(false)
        expect((await pv(['download', claim, 'names', ''])).code).toBe(EXIT_CODES.usage)
        const emptySource = await pv(['upload', claim, ''])
        expect(emptySource.code).toBe(EXIT_CODES.usage)
        expect(emptySource.stderr).toMatch(/^error: the local path is empty\n/)
        // An existing name is refused up front (exit 8), and left as it was.
        const existing = join(work, `${kind}-refusals`, 'existing')
        mkdirSync(join(existing, 'names'), { recursive: true })
        writeFileSync(join(existing, 'names', 'mine.txt'), 'mine\n')
        const refused = await pv(['download', claim, 'names', existing, '-v', '1'])
        expect(refused.code).toBe(EXIT_CODES.conflict)
        expect(refused.stderr).toContain(`${join(existing, 'names')} already exists`)
        expect(refused.stderr).not.toMatch(/^\d+ files?, /m)
        expect(readdirSync(join(existing, 'names'))).toEqual(['mine.txt'])
        expect(readdirSync(existing)).toEqual(['names'])
        // A failed download leaves no folder it made.
        const missing = await pv(['download', claim, 'no/such/path', join(work, `${kind}-refusals`, 'a', 'b')])
        expect(missing.code).toBe(EXIT_CODES['not-found'])
        expect(existsSync(join(work, `${kind}-refusals`, 'a'))).toBe(false)
      })

      itKnown(
        suite,
        'upload of a file that grows while sent: exit 9, one line, nothing left in the volume',
        async () => {
          const source = join(work, `${kind}-upload-growing`)
          mkdirSync(source, { recursive: true })
          const file = join(source, 'growing.log')
          writeFileSync(file, Buffer.alloc(48 * 1024 * 1024, 1))
          const writer = setInterval(() => writeFileSync(file, 'more\n', { flag: 'a' }), 5)
          let result: Result
          try {
            result = await pv(['upload', claim, file, 'grow/new/place'])
          } finally {
            clearInterval(writer)
          }
          expect(result.code, result.stderr).toBe(EXIT_CODES.invalid)
          expect(result.stderr).toMatch(/^error: .*growing\.log changed while it was sent; nothing was kept\n/)
          expect(result.stderr).not.toMatch(/^\s+at /m)
          expect(existsSync(join(volume, 'grow'))).toBe(false)
          expect(readdirSync(volume).filter((n) => n.startsWith('.pvclaim-upload-'))).toEqual([])
        },
      )

      itKnown(suite, 'upload cut mid-stream: exit 4, one line, no staging left in the volume', async () => {
        const source = join(work, `${kind}-upload-cut`, 'up')
        mkdirSync(source, { recursive: true })
        writeFileSync(join(source, 'big.bin'), Buffer.alloc(64 * 1024 * 1024, 3))
        const running = pv(['upload', claim, source, 'incoming-cut'])
        const parent = join(volume, 'incoming-cut')
        const staged = (): boolean =>
          existsSync(parent) &&
          readdirSync(parent).some((n) => {
            if (!n.startsWith('.pvclaim-upload-')) return false
            const big = join(parent, n, 'up', 'big.bin')
            return existsSync(big) && statSync(big).size > 0
          })
        await until('bytes arriving in the volume', staged)
        sim.cutConnections()
        const result = await running
        expect(result.code, result.stderr).toBe(EXIT_CODES.connection)
        expect(result.stderr).toMatch(/^error: [^\n]+\n(hint: [^\n]+\n)?$/)
        // The staging and the folder the upload made are gone (the cleanup runs on a new connection).
        await until('staging removed', () => !existsSync(parent))
      })

      itKnown(suite, 'download cut mid-stream: exit 4, one line, no folder left behind', async () => {
        mkdirSync(join(volume, 'cut'), { recursive: true })
        writeFileSync(join(volume, 'cut', 'big.bin'), Buffer.alloc(64 * 1024 * 1024, 5))
        const target = join(work, `${kind}-download-cut`)
        const running = pv(['download', claim, 'cut', target])
        const arriving = (): boolean =>
          existsSync(target) &&
          readdirSync(target).some((n) => {
            const big = join(target, n, 'cut', 'big.bin')
            return n.startsWith('.pvclaim-partial-') && existsSync(big) && statSync(big).size > 0
          })
        await until('bytes arriving locally', arriving)
        sim.cutConnections()
        const result = await running
        expect(result.code, result.stderr).toBe(EXIT_CODES.connection)
        expect(result.stderr).toMatch(/^error: [^\n]+\n(hint: [^\n]+\n)?$/)
        expect(existsSync(target)).toBe(false)
      })

      itKnown(suite, 'upload of a path that is a symlink to a file sends the file it points to', async () => {
        const dir = join(work, `${kind}-upload-symlinked`)
        mkdirSync(dir, { recursive: true })
        writeFileSync(join(dir, 'real.txt'), 'real content\n')
        symlinkSync(join(dir, 'real.txt'), join(dir, 'alias.txt'))
        const result = await pv(['upload', claim, join(dir, 'alias.txt'), 'incoming-symlinked', '--verify'])
        expect(result.code, result.stderr).toBe(0)
        expect(result.stderr).toMatch(/^1 file, 13 B in /m)
        const landed = join(volume, 'incoming-symlinked', 'alias.txt')
        expect(lstatSync(landed).isFile()).toBe(true)
        expect(readFileSync(landed, 'utf8')).toBe('real content\n')
      })

      itKnown(
        suite,
        'upload skips a FIFO and a symlink out of the tree, one warning each, and keeps the rest',
        async () => {
          const source = join(work, `${kind}-upload-special`, 'up')
          mkdirSync(source, { recursive: true })
          writeFileSync(join(source, 'plain.txt'), 'plain\n')
          expect(spawnSync('mkfifo', [join(source, 'pipe')]).status).toBe(0)
          symlinkSync('/etc/passwd', join(source, 'passwd'))
          symlinkSync('plain.txt', join(source, 'inside'))
          const result = await pv(['upload', claim, source, 'incoming-special', '--verify'])
          expect(result.code, result.stderr).toBe(0)
          const warnings = result.stderr.split('\n').filter((l) => l.includes('skipped'))
          expect(warnings).toHaveLength(2)
          expect(warnings.join('\n')).toContain('"up/pipe"')
          expect(warnings.join('\n')).toContain('"up/passwd → /etc/passwd"')
          const landed = join(volume, 'incoming-special', 'up')
          expect(readdirSync(landed).sort()).toEqual(['inside', 'plain.txt'])
          expect(readlinkSync(join(landed, 'inside'))).toBe('plain.txt')
          expect(statSync(join(landed, 'plain.txt')).mode & 0o777).toBe(
            statSync(join(source, 'plain.txt')).mode & 0o777,
          )
        },
      )
    })

    describe(`helper pods of ${image}`, () => {
      it('a helper pod meets PodSecurity restricted, has CPU and memory limits, lives a day, and moves the files', async () => {
        const bare = `bare-${kind}`
        const applied = await kubectl(admin, ['apply', '-f', '-'], {
          input: stringify({
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: bare, namespace: NS },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: 'standard',
              resources: { requests: { storage: '1Gi' } },
            },
          }),
        })
        expect(applied.code, applied.stderr).toBe(0)
        await until(`${bare} bound`, () => {
          const status = sim.store.get('persistentvolumeclaims', NS, bare)?.status as { phase?: string } | undefined
          return status?.phase === 'Bound'
        })
        const helpers: Record<string, unknown>[] = []
        const stop = sim.store.onChange((event) => {
          if (
            event.plural === 'pods' &&
            event.object.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-pvclaim'
          )
            helpers.push(event.object as unknown as Record<string, unknown>)
        })
        const source = join(work, `${kind}-helper`, 'up')
        mkdirSync(source, { recursive: true })
        writeFileSync(join(source, 'a.txt'), 'through a helper\n')
        try {
          const up = await pv(['upload', bare, source, '--verify', '--image', image])
          expect(up.code, up.stderr).toBe(0)
          expect(up.stderr).toMatch(/through helper pod pvclaim-helper-/)
          const target = join(work, `${kind}-helper-down`)
          const down = await pv(['download', bare, 'up', target, '--verify', '--image', image])
          expect(down.code, down.stderr).toBe(0)
          expect(readFileSync(join(target, 'up', 'a.txt'), 'utf8')).toBe('through a helper\n')
        } finally {
          stop()
        }
        expect(helpers.length).toBeGreaterThan(0)
        const pod = helpers[0] as {
          spec: {
            activeDeadlineSeconds: number
            securityContext: Record<string, unknown>
            containers: {
              command: string[]
              securityContext: Record<string, unknown>
              resources: { requests: Record<string, string>; limits: Record<string, string> }
            }[]
          }
        }
        expect(pod.spec.activeDeadlineSeconds).toBe(86_400)
        expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534 })
        const container = pod.spec.containers[0]
        expect(container?.command).toEqual(['sleep', '86400'])
        expect(container?.securityContext).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        })
        expect(Object.keys(container?.resources.requests ?? {}).sort()).toEqual(['cpu', 'memory'])
        expect(Object.keys(container?.resources.limits ?? {}).sort()).toEqual(['cpu', 'memory'])
      })
    })

    // Real uids need a runtime run by root (CI); under a user namespace every file looks like the pod's own.
    describe.runIf(ROOT)(
      `ownership and modes of transferred files, ${image} helper pods, real uids (issue #14)`,
      () => {
        /** A claim nobody mounts (the transfer goes through helper pods) in `namespace`; its host folder. */
        const freshClaim = async (name: string, namespace = NS): Promise<string> => {
          const applied = await kubectl(admin, ['apply', '-f', '-'], {
            input: stringify({
              apiVersion: 'v1',
              kind: 'PersistentVolumeClaim',
              metadata: { name, namespace },
              spec: {
                accessModes: ['ReadWriteOnce'],
                storageClassName: 'standard',
                resources: { requests: { storage: '1Gi' } },
              },
            }),
          })
          expect(applied.code, applied.stderr).toBe(0)
          let pvName = ''
          await until(`${name} bound`, () => {
            const claimed = sim.store.get('persistentvolumeclaims', namespace, name)
            pvName = (claimed?.spec as { volumeName?: string } | undefined)?.volumeName ?? ''
            return (claimed?.status as { phase?: string } | undefined)?.phase === 'Bound'
          })
          return join(sim.dataDir, 'volumes', pvName)
        }
        /** A running pod of the image as `uid` that mounts the claim at /data; runs `script` in it. */
        const workload = async (name: string, claimName: string, uid: number, namespace = NS) => {
          const applied = await kubectl(admin, ['apply', '-f', '-'], {
            input: stringify({
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: { name, namespace },
              spec: {
                securityContext: { runAsUser: uid, runAsGroup: uid },
                containers: [{ name: 'main', image, volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
                volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }],
              },
            }),
          })
          expect(applied.code, applied.stderr).toBe(0)
          await until(`${name} running`, () => {
            const status = sim.store.get('pods', namespace, name)?.status as { phase?: string } | undefined
            return status?.phase === 'Running'
          })
          return (script: string) => kubectl(admin, ['exec', '-n', namespace, name, '--', 'sh', '-c', script])
        }
        const helperSpecs = (): { uid: unknown; caps: unknown }[] => {
          const seen: { uid: unknown; caps: unknown }[] = []
          const stop = sim.store.onChange((event) => {
            if (event.plural !== 'pods' || event.type !== 'ADDED') return
            if (event.object.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'kubectl-pvclaim') return
            const spec = event.object.spec as {
              securityContext?: { runAsUser?: number }
              containers: { securityContext?: { capabilities?: unknown } }[]
            }
            seen.push({ uid: spec.securityContext?.runAsUser, caps: spec.containers[0]?.securityContext?.capabilities })
          })
          afterDone.push(stop)
          return seen
        }
        const afterDone: (() => void)[] = []
        afterAll(() => {
          for (const stop of afterDone) stop()
        })
        /** A local tree with a script (0755), a private file (0600) and a group-writable one (0664). */
        const localTree = (name: string): string => {
          const source = join(work, `${kind}-${name}`, 'up')
          mkdirSync(source, { recursive: true })
          chmodSync(source, 0o775)
          writeFileSync(join(source, 'run.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 })
          writeFileSync(join(source, 'private.txt'), 'mine\n', { mode: 0o600 })
          writeFileSync(join(source, 'shared.txt'), 'ours\n', { mode: 0o664 })
          for (const [file, mode] of [
            ['run.sh', 0o755],
            ['private.txt', 0o600],
            ['shared.txt', 0o664],
          ] as const)
            chmodSync(join(source, file), mode)
          return source
        }

        it('upload into a folder of uid 1000 gives the files to 1000:1000 with their local modes; a uid-1000 pod changes and deletes them', async () => {
          const claimName = `owned-${kind}`
          const host = await freshClaim(claimName)
          mkdirSync(join(host, 'app'))
          chownSync(join(host, 'app'), 1000, 1000)
          const helpers = helperSpecs()
          const up = await pv(['upload', claimName, localTree('owned'), 'app', '--verify', '--image', image])
          expect(up.code, up.stderr).toBe(0)
          expect(helpers.map((h) => h.uid)).toEqual([65534, 1000])
          const inPod = await workload(`app-${kind}`, claimName, 1000)
          const seen = await inPod(
            'cd /data/app/up && stat -c "%u:%g %a %n" . run.sh private.txt shared.txt && ./run.sh && echo more >> shared.txt && echo changed >> private.txt && rm private.txt && echo deleted',
          )
          expect(seen.code, seen.stderr).toBe(0)
          expect(seen.stdout).toBe(
            '1000:1000 775 .\n1000:1000 755 run.sh\n1000:1000 600 private.txt\n1000:1000 664 shared.txt\nran\ndeleted\n',
          )
          expect(statSync(join(host, 'app', 'up', 'shared.txt'))).toMatchObject({ uid: 1000, gid: 1000 })
        })

        it('upload into a fresh disk (root, 0755) goes through a root helper with three capabilities and keeps the modes', async () => {
          const claimName = `fresh-${kind}`
          const host = await freshClaim(claimName)
          expect(statSync(host)).toMatchObject({ uid: 0, mode: expect.any(Number) })
          expect(statSync(host).mode & 0o7777).toBe(0o755)
          const helpers = helperSpecs()
          const up = await pv(['upload', claimName, localTree('fresh'), '--verify', '--image', image, '-v', '1'])
          expect(up.code, up.stderr).toBe(0)
          expect(up.stderr).toMatch(/the volume root belongs to root: moving to a helper pod that runs as root/)
          expect(helpers).toEqual([
            { uid: 65534, caps: { drop: ['ALL'] } },
            { uid: 0, caps: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER'] } },
          ])
          for (const [file, mode] of [
            ['run.sh', 0o755],
            ['private.txt', 0o600],
            ['shared.txt', 0o664],
          ] as const)
            expect(statSync(join(host, 'up', file)), file).toMatchObject({ uid: 0, gid: 0, mode: 0o100000 | mode })
        })

        it('download of a root 0600 file reads it through a root helper and keeps its mode', async () => {
          const claimName = `private-${kind}`
          const host = await freshClaim(claimName)
          mkdirSync(join(host, 'keys'))
          writeFileSync(join(host, 'keys', 'public.txt'), 'anyone\n', { mode: 0o644 })
          writeFileSync(join(host, 'keys', 'root.key'), 'root only\n', { mode: 0o600 })
          const target = join(work, `${kind}-private-down`)
          const down = await pv(['download', claimName, 'keys', target, '--verify', '--image', image])
          expect(down.code, down.stderr).toBe(0)
          expect(readFileSync(join(target, 'keys', 'root.key'), 'utf8')).toBe('root only\n')
          expect(statSync(join(target, 'keys', 'root.key')).mode & 0o777).toBe(0o600)
        })
      },
    )

    describe.runIf(ROOT)(`${image} helper pods in a namespace whose PodSecurity is restricted`, () => {
      const LOCKED = `restricted-${kind}`
      const claimIn = async (name: string): Promise<string> => {
        const applied = await kubectl(admin, ['apply', '-f', '-'], {
          input: [
            {
              apiVersion: 'v1',
              kind: 'Namespace',
              metadata: {
                name: LOCKED,
                labels: {
                  'pod-security.kubernetes.io/enforce': 'restricted',
                  'pod-security.kubernetes.io/enforce-version': 'latest',
                },
              },
            },
            {
              apiVersion: 'v1',
              kind: 'PersistentVolumeClaim',
              metadata: { name, namespace: LOCKED },
              spec: {
                accessModes: ['ReadWriteOnce'],
                storageClassName: 'standard',
                resources: { requests: { storage: '1Gi' } },
              },
            },
          ]
            .map((o) => stringify(o))
            .join('---\n'),
        })
        expect(applied.code, applied.stderr).toBe(0)
        let pvName = ''
        await until(`${name} bound`, () => {
          const claimed = sim.store.get('persistentvolumeclaims', LOCKED, name)
          pvName = (claimed?.spec as { volumeName?: string } | undefined)?.volumeName ?? ''
          return (claimed?.status as { phase?: string } | undefined)?.phase === 'Bound'
        })
        return join(sim.dataDir, 'volumes', pvName)
      }
      const helpersLeft = (): string[] =>
        [...sim.store.all('pods', LOCKED)]
          .filter((p) => p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-pvclaim')
          .map((p) => p.metadata.name)
      const pvIn = (argv: string[]) => pv([...argv, '-n', LOCKED, '--image', image])

      it('upload into a fresh disk (root, 0755): one line naming PodSecurity and the fixes, exit 6, nothing left', async () => {
        const host = await claimIn('fresh')
        const source = join(work, `${kind}-restricted-up`, 'up')
        mkdirSync(source, { recursive: true })
        writeFileSync(join(source, 'a.txt'), 'a\n')
        const up = await pvIn(['upload', 'fresh', source])
        expect(up.code, up.stderr).toBe(EXIT_CODES.forbidden)
        expect(up.stderr).toMatch(
          /^error: cannot upload into the volume root of persistentvolumeclaim "fresh": it belongs to root and only root may write there, and namespace "restricted-\w+" refuses a root helper pod \(PodSecurity "restricted:latest"\)\nhint: give the workload's pods an fsGroup/,
        )
        expect(up.stderr.split('\n').filter((l) => l !== '')).toHaveLength(2)
        expect(readdirSync(host)).toEqual([])
        expect(helpersLeft()).toEqual([])
      })

      it('upload into a root folder anyone may write (0777): done as nobody, with a warning saying whose the files are', async () => {
        const host = await claimIn('open')
        chmodSync(host, 0o777)
        const source = join(work, `${kind}-restricted-open`, 'up')
        mkdirSync(source, { recursive: true })
        writeFileSync(join(source, 'a.txt'), 'a\n', { mode: 0o664 })
        chmodSync(join(source, 'a.txt'), 0o664)
        const up = await pvIn(['upload', 'open', source, '--verify'])
        expect(up.code, up.stderr).toBe(0)
        expect(up.stderr).toMatch(
          /refuses a root helper pod \(PodSecurity "restricted:latest"\): the uploaded files belong to uid 65534 gid 65534, not to root, the owner of the volume root/,
        )
        expect(statSync(join(host, 'up', 'a.txt'))).toMatchObject({ uid: 65534, gid: 65534, mode: 0o100664 })
        expect(helpersLeft()).toEqual([])
      })

      it("upload into an fsGroup's folder (root, group 2000, 2775): done as nobody in that group, with a warning", async () => {
        const host = await claimIn('grouped')
        chownSync(host, 0, 2000)
        chmodSync(host, 0o2775)
        const source = join(work, `${kind}-restricted-grouped`, 'up')
        mkdirSync(source, { recursive: true })
        writeFileSync(join(source, 'a.txt'), 'a\n')
        const up = await pvIn(['upload', 'grouped', source])
        expect(up.code, up.stderr).toBe(0)
        expect(up.stderr).toMatch(/the uploaded files belong to uid 65534 gid 2000, not to root/)
        expect(statSync(join(host, 'up', 'a.txt'))).toMatchObject({ uid: 65534, gid: 2000 })
        expect(helpersLeft()).toEqual([])
      })

      it('download of a 0600 file of uid 1000 goes through a helper that runs as 1000, which the namespace admits', async () => {
        const host = await claimIn('theirs')
        mkdirSync(join(host, 'notes'))
        writeFileSync(join(host, 'notes', 'mine.txt'), 'for 1000 only\n', { mode: 0o600 })
        chownSync(join(host, 'notes', 'mine.txt'), 1000, 1000)
        const target = join(work, `${kind}-restricted-theirs`)
        const down = await pvIn(['download', 'theirs', 'notes', target, '--verify', '-v', '1'])
        expect(down.code, down.stderr).toBe(0)
        expect(down.stderr).toMatch(/started helper pod \S+ as uid 1000 gid 1000/)
        expect(readFileSync(join(target, 'notes', 'mine.txt'), 'utf8')).toBe('for 1000 only\n')
        expect(helpersLeft()).toEqual([])
      })

      it('download of a root 0600 file names it, says why and what to do, exit 6, and brings nothing', async () => {
        const host = await claimIn('keys')
        mkdirSync(join(host, 'keys'))
        writeFileSync(join(host, 'keys', 'public.txt'), 'anyone\n', { mode: 0o644 })
        writeFileSync(join(host, 'keys', 'root.key'), 'root only\n', { mode: 0o600 })
        const target = join(work, `${kind}-restricted-down`)
        const down = await pvIn(['download', 'keys', 'keys', target])
        expect(down.code, down.stderr).toBe(EXIT_CODES.forbidden)
        expect(down.stderr).toMatch(
          /^error: cannot read a file of persistentvolumeclaim "keys": "keys\/root.key" \(uid 0, mode 0600\); only their owners may, and namespace "restricted-\w+" refuses a root helper pod \(PodSecurity "restricted:latest"\)\nhint: /,
        )
        expect(existsSync(target)).toBe(false)
        expect(helpersLeft()).toEqual([])
      })
    })

    describe(`a helper pod of ${image} that may not write`, () => {
      it('an upload into a folder its owner (uid 1000) may not write says so, and leaves nothing', async () => {
        const bare = `bare-${kind}`
        const spec = sim.store.get('persistentvolumeclaims', NS, bare)?.spec as { volumeName?: string } | undefined
        const bareVolume = join(sim.dataDir, 'volumes', spec?.volumeName ?? '')
        mkdirSync(join(bareVolume, 'locked'), { recursive: true })
        // Not root's: a root helper would write anyway (DAC override), as root does in a real container.
        chownSync(join(bareVolume, 'locked'), 1000, 1000)
        chmodSync(join(bareVolume, 'locked'), 0o555)
        const source = join(work, `${kind}-locked-up`)
        mkdirSync(source, { recursive: true })
        writeFileSync(join(source, 'a.txt'), 'x\n')
        try {
          const result = await pv(['upload', bare, source, 'locked/inner', '--image', image])
          expect(result.code).toBe(EXIT_CODES.invalid)
          expect(result.stderr).toMatch(
            /^error: cannot write into locked\/inner in the volume: .*\nhint: the helper pod runs as uid 1000 gid 1000 \(the owner/,
          )
          expect(readdirSync(join(bareVolume, 'locked'))).toEqual([])
        } finally {
          chmodSync(join(bareVolume, 'locked'), 0o755)
        }
      })
    })

    describe(`kubectl exec and cp into real ${kind} pods (${image})`, () => {
      it('a missing binary is an error of the runtime, not exit code 127 of a shell', async () => {
        const result = await kubectl(admin, ['exec', `consumer-${kind}`, '--', 'nosuch', '--flag'])
        expect(result.code).not.toBe(0)
        expect(result.stderr).toContain('exec: "nosuch": executable file not found in $PATH')
        expect(result.stderr).not.toContain('exit code 127')
      })

      it('exit codes come through as they are', async () => {
        const result = await kubectl(admin, [
          'exec',
          `consumer-${kind}`,
          '--',
          'sh',
          '-c',
          'echo out; echo err >&2; exit 3',
        ])
        expect(result.code).toBe(3)
        expect(result.stdout).toBe('out\n')
        expect(result.stderr).toContain('err\n')
      })

      it('stdin streams through and closes, so cat ends', async () => {
        const input = Buffer.alloc(3 * 1024 * 1024, 'x')
        const result = await kubectl(admin, ['exec', '-i', `consumer-${kind}`, '--', 'sh', '-c', 'wc -c'], { input })
        expect(result.code, result.stderr).toBe(0)
        expect(result.stdout.trim()).toBe(String(input.length))
      })

      it('kubectl cp brings awkward names out of the pod, but turns a backslash into a folder', async () => {
        const target = join(work, `${kind}-kubectl-cp`)
        const result = await kubectl(admin, ['cp', `${NS}/consumer-${kind}:/data/names`, target])
        expect(result.code, result.stderr).toBe(0)
        // Real kubectl's own behaviour (what our transfer code must do better): "back\\slash.txt" → back/slash.txt.
        const others = AWKWARD.filter((n) => !n.includes('\\'))
        expect(readdirSync(target).sort()).toEqual([...others, 'back'].sort())
        expect(readFileSync(join(target, 'back', 'slash.txt'), 'utf8')).toBe(
          `content of ${JSON.stringify('back\\slash.txt')}\n`,
        )
      })

      it('kubectl cp writes the second name of a hard link as an empty file (what pvclaim download does better)', async () => {
        mkdirSync(join(volume, 'cp-hard'), { recursive: true })
        writeFileSync(join(volume, 'cp-hard', 'a.txt'), 'same inode\n')
        linkSync(join(volume, 'cp-hard', 'a.txt'), join(volume, 'cp-hard', 'b.txt'))
        const target = join(work, `${kind}-kubectl-cp-hard`)
        const result = await kubectl(admin, ['cp', `${NS}/consumer-${kind}:/data/cp-hard`, target])
        expect(result.code, result.stderr).toBe(0)
        const sizes = ['a.txt', 'b.txt'].map((n) => statSync(join(target, n)).size).sort()
        expect(sizes).toEqual([0, 11])
      })

      it('the pod sees only its own processes, its hostname, and root; busybox lacks what busybox lacks', async () => {
        const result = await kubectl(admin, [
          'exec',
          `consumer-${kind}`,
          '--',
          'sh',
          '-c',
          'hostname; id -u; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; command -v python3 || echo no python3',
        ])
        expect(result.code, result.stderr).toBe(0)
        const [hostname, uid, namespace, python] = result.stdout.trim().split('\n')
        expect(hostname).toBe(`consumer-${kind}`)
        expect(uid).toBe('0')
        expect(namespace).toBe(NS)
        expect(python).toBe(kind === 'gnu' ? '/usr/bin/python3' : 'no python3')
      })
    })
  })
}

describe('pvclaim through a consumer pod that lacks the tools', () => {
  it('a distroless consumer is probed once, said at -v 1, and a helper pod moves the files instead', async () => {
    const claim = 'distroless-data'
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
        metadata: { name: 'consumer-distroless', namespace: NS },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'gcr.io/distroless/static:nonroot',
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
        },
      },
    ]
    const applied = await kubectl(admin, ['apply', '-f', '-'], {
      input: objects.map((o) => stringify(o)).join('---\n'),
    })
    expect(applied.code, applied.stderr).toBe(0)
    await until('consumer-distroless running', () => phase('consumer-distroless') === 'Running')
    const source = join(work, 'distroless-up', 'up')
    mkdirSync(source, { recursive: true })
    writeFileSync(join(source, 'a.txt'), 'no tar there\n')
    const up = await pv(['upload', claim, source, '--verify', '-v', '1'])
    expect(up.code, up.stderr).toBe(0)
    expect(up.stderr).toMatch(
      /pod consumer-distroless mounts distroless-data but cannot run a shell there .*; using a helper pod instead/,
    )
    expect(up.stderr).toMatch(/through helper pod pvclaim-helper-distroless-data-[0-9a-f]+ \(deleted\)/)
    const target = join(work, 'distroless-down')
    const down = await pv(['download', claim, 'up', target, '--verify', '-v', '1'])
    expect(down.code, down.stderr).toBe(0)
    expect(down.stderr).toMatch(/using a helper pod instead/)
    expect(readFileSync(join(target, 'up', 'a.txt'), 'utf8')).toBe('no tar there\n')
  })
})

describe('the exec protocol as the API server speaks it', () => {
  beforeAll(async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'two-containers', namespace: NS },
      spec: {
        containers: [
          { name: 'app', image: 'busybox:1.36', command: ['sleep', 'infinity'] },
          { name: 'sidecar', image: 'busybox:1.36', command: ['sleep', 'infinity'] },
        ],
      },
    }
    const applied = await kubectl(admin, ['apply', '-f', '-'], { input: stringify(pod) })
    expect(applied.code, applied.stderr).toBe(0)
    await until('two-containers running', () => phase('two-containers') === 'Running')
  })

  /** One exec over WebSocket (v5): the HTTP status of a refused upgrade, or the frames of each channel. */
  function exec(
    pod: string,
    argv: string[],
    container?: string,
  ): Promise<{ http?: number; body?: string; channels: Map<number, Buffer> }> {
    const cert = sim.issueCert('admin')
    const query = new URLSearchParams([
      ...argv.map((a) => ['command', a]),
      ['stdout', 'true'],
      ['stderr', 'true'],
      ...(container === undefined ? [] : [['container', container]]),
    ])
    const url = `wss://127.0.0.1:${sim.port}/api/v1/namespaces/${NS}/pods/${pod}/exec?${query}`
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, ['v5.channel.k8s.io'], { ca: sim.pki.caCert, cert: cert.cert, key: cert.key })
      const channels = new Map<number, Buffer>()
      ws.on('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ http: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), channels }))
      })
      ws.on('message', (data: Buffer) => {
        const channel = data[0] as number
        channels.set(channel, Buffer.concat([channels.get(channel) ?? Buffer.alloc(0), data.subarray(1)]))
      })
      ws.on('close', () => resolve({ channels }))
      ws.on('error', reject)
    })
  }

  it('exec without container= on a two-container pod is a 400 naming the containers', async () => {
    const result = await exec('two-containers', ['true'])
    expect(result.http).toBe(400)
    expect(JSON.parse(result.body ?? '{}')).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'BadRequest',
      code: 400,
      message: 'a container name must be specified for pod two-containers, choose one of: [app sidecar]',
    })
  })

  it('a missing binary is an InternalError Status with no exit code cause', async () => {
    const result = await exec('two-containers', ['nosuch'], 'app')
    const status = JSON.parse(result.channels.get(3)?.toString() ?? '{}')
    expect(status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 })
    expect(status.message).toMatch(
      /^Internal error occurred: error executing command in container: failed to exec in container: .*exec: "nosuch": executable file not found in \$PATH/,
    )
    expect(JSON.stringify(status.details)).not.toContain('ExitCode')
  })

  it('a non-zero exit is NonZeroExitCode with the code as its cause; zero is Success', async () => {
    const failed = JSON.parse(
      (await exec('two-containers', ['sh', '-c', 'exit 7'], 'sidecar')).channels.get(3)?.toString() ?? '{}',
    )
    expect(failed).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c exit 7], exit code 7',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    })
    const ok = JSON.parse((await exec('two-containers', ['true'], 'app')).channels.get(3)?.toString() ?? '{}')
    expect(ok).toEqual({ metadata: {}, status: 'Success' })
  })

  it('closing the exec stream kills the exec sandbox', async () => {
    const cert = sim.issueCert('admin')
    const marker = `marker-${process.pid}-${Date.now()}`
    const query = new URLSearchParams([
      ['command', 'sh'],
      ['command', '-c'],
      ['command', 'echo ready; sleep 1000'],
      ['command', marker],
      ['container', 'app'],
      ['stdout', 'true'],
    ])
    const ws = new WebSocket(
      `wss://127.0.0.1:${sim.port}/api/v1/namespaces/${NS}/pods/two-containers/exec?${query}`,
      ['v5.channel.k8s.io'],
      { ca: sim.pki.caCert, cert: cert.cert, key: cert.key },
    )
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        if (data[0] === 1 && data.subarray(1).toString().includes('ready')) resolve()
      })
      ws.on('error', reject)
    })
    const running = (): string => spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout.trim()
    await until('the exec process to show', () => running() !== '')
    ws.terminate()
    await until('the exec process gone', () => running() === '')
  })

  it('deleting the pod kills its processes', async () => {
    const deleted = await kubectl(admin, ['delete', 'pod', 'two-containers', '--wait=true'])
    expect(deleted.code, deleted.stderr).toBe(0)
    await until('the sandboxes gone', () => {
      const ps = spawnSync('pgrep', ['-f', 'hostname two-containers'], { encoding: 'utf8' })
      return ps.stdout.trim() === ''
    })
  })
})

describe('what the kubelet gives a container', () => {
  it('secret and configMap volumes with their modes, env from them and the downward API, workingDir', async () => {
    const objects = [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'app-creds', namespace: NS },
        stringData: { user: 'alice', password: 's3cr3t' },
      },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: NS }, data: { mode: 'fast' } },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'configured', namespace: NS, labels: { app: 'configured' } },
        spec: {
          volumes: [
            {
              name: 'creds',
              secret: {
                secretName: 'app-creds',
                defaultMode: 0o400,
                items: [{ key: 'password', path: 'db/password' }],
              },
            },
            { name: 'config', configMap: { name: 'app-config' } },
            { name: 'scratch', emptyDir: {} },
          ],
          containers: [
            {
              name: 'main',
              image: 'debian:12',
              workingDir: '/scratch/work',
              env: [
                { name: 'DB_USER', valueFrom: { secretKeyRef: { name: 'app-creds', key: 'user' } } },
                { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'mode' } } },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
              ],
              volumeMounts: [
                { name: 'creds', mountPath: '/etc/creds', readOnly: true },
                { name: 'config', mountPath: '/etc/config' },
                { name: 'scratch', mountPath: '/scratch' },
              ],
            },
          ],
        },
      },
    ]
    const applied = await kubectl(admin, ['apply', '-f', '-'], {
      input: objects.map((o) => stringify(o)).join('---\n'),
    })
    expect(applied.code, applied.stderr).toBe(0)
    await until('configured running', () => phase('configured') === 'Running')
    const result = await kubectl(admin, [
      'exec',
      'configured',
      '--',
      'sh',
      '-c',
      'pwd; echo $DB_USER $MODE $POD_NAME $APP; cat /etc/creds/db/password; echo; stat -L -c %a /etc/creds/db/password; ls /etc/creds; cat /etc/config/mode; echo; touch /etc/config/x 2>/dev/null || echo read-only',
    ])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe('/scratch/work\nalice fast configured configured\ns3cr3t\n400\ndb\nfast\nread-only\n')
    await kubectl(admin, ['delete', 'pod', 'configured', '--wait=false'])
  })

  it('a missing secret in env is CreateContainerConfigError until the secret exists', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'needs-secret', namespace: NS },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'busybox:1.36',
            env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'late-secret', key: 'token' } } }],
          },
        ],
      },
    }
    const applied = await kubectl(admin, ['apply', '-f', '-'], { input: stringify(pod) })
    expect(applied.code, applied.stderr).toBe(0)
    const waiting = (): { reason?: string; message?: string } | undefined =>
      (
        sim.store.get('pods', NS, 'needs-secret')?.status as
          | { containerStatuses?: { state: { waiting?: { reason?: string; message?: string } } }[] }
          | undefined
      )?.containerStatuses?.[0]?.state.waiting
    await until('CreateContainerConfigError', () => waiting()?.reason === 'CreateContainerConfigError')
    expect(waiting()?.message).toBe('secret "late-secret" not found')
    expect(phase('needs-secret')).toBe('Pending')
    const secret = await kubectl(admin, ['apply', '-f', '-'], {
      input: stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'late-secret', namespace: NS },
        stringData: { token: 't0k3n' },
      }),
    })
    expect(secret.code, secret.stderr).toBe(0)
    await until('needs-secret running', () => phase('needs-secret') === 'Running')
    expect((await kubectl(admin, ['exec', 'needs-secret', '--', 'sh', '-c', 'echo $TOKEN'])).stdout).toBe('t0k3n\n')
    await kubectl(admin, ['delete', 'pod', 'needs-secret', '--wait=false'])
  })

  it('an image that maps to nothing waits in ErrImagePull, then ImagePullBackOff, and the pod stays Pending', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'unpullable', namespace: NS },
      spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] },
    }
    const applied = await kubectl(admin, ['apply', '-f', '-'], { input: stringify(pod) })
    expect(applied.code, applied.stderr).toBe(0)
    const waiting = (): string | undefined =>
      (
        sim.store.get('pods', NS, 'unpullable')?.status as
          | { containerStatuses?: { state: { waiting?: { reason: string } } }[] }
          | undefined
      )?.containerStatuses?.[0]?.state.waiting?.reason
    await until('ErrImagePull', () => waiting() === 'ErrImagePull' || waiting() === 'ImagePullBackOff')
    await until('ImagePullBackOff', () => waiting() === 'ImagePullBackOff')
    expect(phase('unpullable')).toBe('Pending')
    const logs = await kubectl(admin, ['logs', 'unpullable'])
    expect(logs.stderr).toContain(
      'container "main" in pod "unpullable" is waiting to start: trying and failing to pull image',
    )
    const events = await kubectl(admin, [
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=unpullable',
      '-o',
      'jsonpath={.items[*].message}',
    ])
    expect(events.stdout).toContain(
      'Failed to pull image "nginx:1.27": failed to pull and unpack image "docker.io/library/nginx:1.27"',
    )
    await kubectl(admin, ['delete', 'pod', 'unpullable', '--wait=false'])
  })
})

describe('kubectl logs of real processes', () => {
  it('--timestamps, --tail, --limit-bytes, --since-time, and --previous after a restart', async () => {
    const podYaml = stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'flaky', namespace: NS },
      spec: {
        restartPolicy: 'OnFailure',
        volumes: [{ name: 'state', emptyDir: {} }],
        containers: [
          {
            name: 'main',
            image: 'busybox:1.36',
            command: ['sh', '-c'],
            args: [
              'n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; echo "run $n line 1"; echo "run $n line 2"; [ $n -ge 2 ] && sleep infinity; exit 1',
            ],
            volumeMounts: [{ name: 'state', mountPath: '/state' }],
          },
        ],
      },
    })
    const applied = await kubectl(admin, ['apply', '-f', '-'], { input: podYaml })
    expect(applied.code, applied.stderr).toBe(0)
    await until('flaky restarted and running', () => {
      const status = sim.store.get('pods', NS, 'flaky')?.status as
        | { containerStatuses?: { restartCount: number; state: { running?: unknown } }[] }
        | undefined
      const c = status?.containerStatuses?.[0]
      return c?.restartCount === 1 && c.state.running !== undefined
    })
    let current = await kubectl(admin, ['logs', 'flaky'])
    for (let i = 0; i < 100 && current.stdout !== 'run 2 line 1\nrun 2 line 2\n'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      current = await kubectl(admin, ['logs', 'flaky'])
    }
    expect(current.stdout).toBe('run 2 line 1\nrun 2 line 2\n')
    const previous = await kubectl(admin, ['logs', 'flaky', '--previous'])
    expect(previous.stdout).toBe('run 1 line 1\nrun 1 line 2\n')
    const stamped = await kubectl(admin, ['logs', 'flaky', '--timestamps'])
    const lines = stamped.stdout.trim().split('\n')
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual(['run 2 line 1', 'run 2 line 2'])
    const times = lines.map((l) => l.split(' ')[0] as string)
    expect(times.every((t) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/.test(t))).toBe(true)
    expect((await kubectl(admin, ['logs', 'flaky', '--tail', '1'])).stdout).toBe('run 2 line 2\n')
    expect((await kubectl(admin, ['logs', 'flaky', '--limit-bytes', '5'])).stdout).toBe('run 2')
    // kubectl sends sinceTime in whole seconds (metav1.Time), so compare with times well apart.
    const at = (ms: number) => new Date(Date.parse(times[0] as string) + ms).toISOString()
    expect((await kubectl(admin, ['logs', 'flaky', `--since-time=${at(-3_600_000)}`])).stdout).toBe(current.stdout)
    expect((await kubectl(admin, ['logs', 'flaky', `--since-time=${at(3_600_000)}`])).stdout).toBe('')
    await kubectl(admin, ['delete', 'pod', 'flaky', '--wait=false'])
  })
})

describe('the known-failure list', () => {
  it('names only tests of this file, so a renamed or fixed-and-removed test cannot leave a stale entry', () => {
    expect(Object.keys(KNOWN_FAILURES).filter((key) => !usedKnownFailures.has(key))).toEqual([])
  })
})
