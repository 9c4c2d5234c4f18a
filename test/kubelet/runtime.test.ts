import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveImage } from './images.ts'
import { type ContainerSpec, type PodRuntimeSpec, type PodRuntimeStatus, type PodSandbox, Runtime } from './runtime.ts'
import type { SandboxProcess } from './sandbox.ts'
import { projectionFiles, writeProjected } from './volumes.ts'

/** The kubelet runtime on its own: real processes in bubblewrap, no API server or store. */
let dir: string
let runtime: Runtime

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubelet-runtime-'))
  runtime = new Runtime({ dir: join(dir, 'kubelet'), registryDir: join(dir, 'registry'), backoffMs: 100 })
})

afterEach(async () => {
  await runtime.close()
  rmSync(dir, { recursive: true, force: true })
})

function pod(
  name: string,
  containers: (Partial<ContainerSpec> & { name: string })[],
  extra: Partial<PodRuntimeSpec> = {},
): PodRuntimeSpec {
  return {
    uid: `uid-${name}`,
    namespace: 'ns',
    name,
    hostname: name,
    restartPolicy: 'Never',
    initContainers: [],
    containers: containers.map((c) => ({ image: 'busybox:1.36', env: {}, mounts: [], ...c })),
    volumes: {},
    ...extra,
  }
}

async function output(p: SandboxProcess): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: Buffer[] = []
  const err: Buffer[] = []
  p.stdout.on('data', (c: Buffer) => out.push(c))
  p.stderr.on('data', (c: Buffer) => err.push(c))
  const result = await p.exited
  return { code: result.code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }
}

function execIn(sandbox: PodSandbox, container: string, argv: string[], input?: string) {
  const started = sandbox.exec(container, argv)
  if ('error' in started) throw new Error(started.error)
  started.process.stdin.end(input)
  return output(started.process)
}

describe('kubelet runtime', () => {
  it('maps image names to root file systems, and unknown images to nothing', () => {
    expect(resolveImage('busybox:1.36', undefined)?.rootfs).toBe('busybox')
    expect(resolveImage('docker.io/library/alpine:3.20', undefined)?.rootfs).toBe('busybox')
    expect(resolveImage('debian:12', undefined)?.rootfs).toBe('gnu')
    expect(resolveImage('python:3.12-slim', undefined)).toMatchObject({
      rootfs: 'gnu',
      localBin: { python: '/usr/bin/python3' },
    })
    expect(resolveImage('registry.example.com/app:1.0', undefined)?.rootfs).toBe('busybox')
    expect(resolveImage('cgr.dev/chainguard/kaniko:latest', undefined)?.entrypoint).toEqual(['/kaniko/executor'])
    expect(resolveImage('nginx:1.27', undefined)).toBeUndefined()
  })

  it('runs a container to its end with env, hostname and volumes; the log has what it wrote, stamped', async () => {
    const data = join(dir, 'data')
    mkdirSync(data)
    writeFileSync(join(data, 'in.txt'), 'from the volume\n')
    const statuses: PodRuntimeStatus[] = []
    const sandbox = runtime.runPod(
      pod(
        'job',
        [
          {
            name: 'main',
            command: [
              'sh',
              '-c',
              'echo "$GREETING from $(hostname)"; cat /data/in.txt; echo oops >&2; echo out > /data/out.txt; exit 3',
            ],
            env: { GREETING: 'hello' },
            mounts: [{ volume: 'data', mountPath: '/data' }],
          },
        ],
        { volumes: { data: { hostPath: data } } },
      ),
      (s) => statuses.push(s),
    )
    await sandbox.done
    expect(statuses.at(-1)?.phase).toBe('Failed')
    expect(statuses.at(-1)?.containerStatuses[0]?.state).toMatchObject({ terminated: { exitCode: 3, reason: 'Error' } })
    expect(sandbox.logs('main')).toBe('hello from job\nfrom the volume\noops\n')
    const stamped = (sandbox.logs('main', { timestamps: true }) ?? '').split('\n').filter(Boolean)
    expect(stamped.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /.test(l))).toBe(true)
    expect([...stamped].sort()).toEqual(stamped)
    expect(readFileSync(join(data, 'out.txt'), 'utf8')).toBe('out\n')
  })

  it('busybox images have only busybox; GNU images have the host userland with python3', async () => {
    const sandbox = runtime.runPod(
      pod('both', [
        { name: 'bb', command: ['sleep', 'infinity'] },
        { name: 'gnu', image: 'debian:12', command: ['sleep', 'infinity'] },
      ]),
    )
    const probe = 'command -v python3 || echo none; readlink /bin/ls || echo regular'
    expect((await execIn(sandbox, 'bb', ['sh', '-c', probe])).stdout).toBe('none\n/bin/busybox\n')
    expect((await execIn(sandbox, 'gnu', ['sh', '-c', probe])).stdout).toBe('/usr/bin/python3\nregular\n')
    expect((await execIn(sandbox, 'gnu', ['sha256sum', '--version'])).stdout).toContain('GNU coreutils')
  })

  it('an unknown image waits in ErrImagePull; a missing binary is a StartError with the runtime message', async () => {
    const pulled: PodRuntimeStatus[] = []
    const nothing = runtime.runPod(pod('nothing', [{ name: 'main', image: 'nginx:1.27' }]), (s) => pulled.push(s))
    await nothing.done
    expect(pulled.at(-1)).toMatchObject({
      phase: 'Pending',
      containerStatuses: [{ state: { waiting: { reason: 'ErrImagePull' } } }],
    })
    const missing = runtime.runPod(pod('missing', [{ name: 'main', command: ['nosuch'] }]))
    await missing.done
    expect(missing.status().containerStatuses[0]?.state).toMatchObject({
      terminated: {
        exitCode: 128,
        reason: 'StartError',
        message: expect.stringContaining('exec: "nosuch": executable file not found in $PATH'),
      },
    })
  })

  it('a pod name longer than 63 characters runs with the hostname cut as the kubelet cuts it', async () => {
    // 65 characters, like an AE5 session pod; the 63rd is '-', which the kubelet trims too.
    const name = `anaconda-session-${'a'.repeat(32)}-${'b'.repeat(12)}-yy`
    expect(name.length).toBe(65)
    const sandbox = runtime.runPod(pod(name, [{ name: 'main', command: ['sh', '-c', 'hostname; echo $HOSTNAME'] }]))
    await sandbox.done
    const cut = name.slice(0, 62)
    expect(sandbox.status().containerStatuses[0]?.state).toMatchObject({ terminated: { exitCode: 0 } })
    expect(sandbox.logs('main')).toBe(`${cut}\n${cut}\n`)
  })

  it('during the back-off the run that ended is the previous log (lastState), as the kubelet serves --previous', async () => {
    const slow = new Runtime({ dir: join(dir, 'slow'), backoffMs: 60_000 })
    try {
      let last: PodRuntimeStatus | undefined
      const sandbox = slow.runPod(
        pod('crash', [{ name: 'main', command: ['sh', '-c', 'echo run 1; exit 2'] }], { restartPolicy: 'Always' }),
        (status) => {
          last = status
        },
      )
      for (let i = 0; i < 100 && !('waiting' in (last?.containerStatuses[0]?.state ?? {})); i++)
        await new Promise((resolve) => setTimeout(resolve, 50))
      const main = last?.containerStatuses[0]
      expect(main?.state).toMatchObject({ waiting: { reason: 'CrashLoopBackOff' } })
      expect(main?.lastState).toMatchObject({ terminated: { exitCode: 2 } })
      expect(main?.restartCount).toBe(1)
      expect(sandbox.logs('main', { previous: true })).toBe('run 1\n')
      expect(sandbox.logs('main')).toBe('run 1\n')
    } finally {
      await slow.close()
    }
  })

  it('restarts by restartPolicy with back-off; the last run is the previous log', async () => {
    const counter = join(dir, 'counter')
    mkdirSync(counter)
    const sandbox = runtime.runPod(
      pod(
        'flaky',
        [
          {
            name: 'main',
            command: [
              'sh',
              '-c',
              'n=$(cat /c/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /c/n; echo run $n; [ $n -ge 3 ]',
            ],
            mounts: [{ volume: 'c', mountPath: '/c' }],
          },
        ],
        { restartPolicy: 'OnFailure', volumes: { c: { hostPath: counter } } },
      ),
    )
    await sandbox.done
    expect(sandbox.status().phase).toBe('Succeeded')
    expect(sandbox.status().containerStatuses[0]?.restartCount).toBe(2)
    expect(sandbox.logs('main')).toBe('run 3\n')
    expect(sandbox.logs('main', { previous: true })).toBe('run 2\n')
  })

  it('exec streams stdin to EOF and reports the exit code; stop kills every process', async () => {
    const sandbox = runtime.runPod(pod('svc', [{ name: 'main', command: ['sleep', 'infinity'] }]))
    const result = await execIn(sandbox, 'main', ['sh', '-c', 'wc -c; exit 5'], 'x'.repeat(100_000))
    expect(result).toEqual({ code: 5, stdout: '100000\n', stderr: '' })
    const started = sandbox.exec('main', ['sleep', '1000'])
    if ('error' in started) throw new Error(started.error)
    await runtime.removePod('uid-svc')
    expect((await started.process.exited).code).toBe(137)
    expect(spawnSync('pgrep', ['-f', 'hostname svc '], { encoding: 'utf8' }).stdout).toBe('')
  })

  it('projects secret files with their modes, binds read-only mounts read-only, honours subPath and runAsUser', async () => {
    const secret = join(dir, 'secret')
    writeProjected(
      secret,
      projectionFiles(
        { user: Buffer.from('alice'), password: Buffer.from('s3cr3t') },
        { items: [{ key: 'password', path: 'auth/password', mode: 0o400 }], defaultMode: 0o440 },
      ),
    )
    const shared = join(dir, 'shared')
    mkdirSync(shared)
    const sandbox = runtime.runPod(
      pod(
        'mounts',
        [
          {
            name: 'main',
            command: ['sleep', 'infinity'],
            mounts: [
              { volume: 'secret', mountPath: '/etc/creds' },
              { volume: 'shared', mountPath: '/sub', subPath: 'part' },
            ],
            runAsUser: 1000,
            runAsGroup: 1000,
          },
        ],
        { volumes: { secret: { hostPath: secret, readOnly: true }, shared: { hostPath: shared } } },
      ),
    )
    const result = await execIn(sandbox, 'main', [
      'sh',
      '-c',
      'id -u; cat /etc/creds/auth/password; echo; ls /etc/creds; stat -c %a /etc/creds/..data/auth/password; touch /etc/creds/x 2>/dev/null || echo read-only',
    ])
    expect(result.stdout).toBe('1000\ns3cr3t\nauth\n400\nread-only\n')
    expect(statSync(join(shared, 'part')).isDirectory()).toBe(true)
  })
})
