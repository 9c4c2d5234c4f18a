import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveImage } from './images.ts'
import {
  type ContainerSpec,
  type PodRuntimeSpec,
  type PodRuntimeStatus,
  type PodSandbox,
  prepareVolumes,
  Runtime,
} from './runtime.ts'
import { bwrapArgs, containerCapabilities, realIdentity, type SandboxProcess, SETUID_PATH } from './sandbox.ts'
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
        {
          items: [
            { key: 'password', path: 'auth/password', mode: 0o400 },
            { key: 'user', path: 'auth/user', mode: 0o444 },
          ],
          defaultMode: 0o440,
        },
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
      'id -u; cat /etc/creds/auth/user; echo; cat /etc/creds/auth/password 2>/dev/null || echo denied; ls /etc/creds; stat -c %a /etc/creds/..data/auth/password; touch /etc/creds/x 2>/dev/null || echo read-only',
    ])
    // The secret's files are root's (no fsGroup): uid 1000 reads the 0444 one and not the 0400 one, as on a node.
    expect(result.stdout).toBe(`1000\nalice\n${realIdentity() ? 'denied' : 's3cr3t'}\nauth\n400\nread-only\n`)
    expect(statSync(join(shared, 'part')).isDirectory()).toBe(true)
  })

  describe.runIf(realIdentity())('real identities (the runtime runs as root, as in CI)', () => {
    const sh = (script: string): string[] => ['sh', '-c', script]

    it('a non-root container is that uid on the host: its files are its own, a root 0755 folder refuses it', async () => {
      const data = join(dir, 'data')
      mkdirSync(data, { mode: 0o755 })
      const mine = join(data, 'mine')
      mkdirSync(mine)
      chownSync(mine, 1000, 1000)
      writeFileSync(join(data, 'secret'), 'root only\n', { mode: 0o600 })
      const sandbox = runtime.runPod(
        pod(
          'uid',
          [
            {
              name: 'main',
              command: ['sleep', 'infinity'],
              mounts: [{ volume: 'data', mountPath: '/data' }],
              runAsUser: 1000,
              runAsGroup: 3000,
            },
          ],
          { volumes: { data: { hostPath: data, kind: 'persistentVolumeClaim' } }, supplementalGroups: [4000] },
        ),
      )
      const result = await execIn(
        sandbox,
        'main',
        sh(
          'id -u; id -g; id -G; echo x > /data/mine/f && echo wrote; touch /data/top 2>/dev/null || echo refused; cat /data/secret 2>/dev/null || echo unreadable',
        ),
      )
      expect(result.stdout).toBe('1000\n3000\n3000 4000\nwrote\nrefused\nunreadable\n')
      // The host sees the container's uid and gid, not root's (a user namespace would have made it 0:0).
      expect(statSync(join(mine, 'f'))).toMatchObject({ uid: 1000, gid: 3000 })
      expect(existsSync(join(data, 'top'))).toBe(false)
    })

    it('root is real root with the default capabilities; dropping them all takes its DAC override away', async () => {
      const data = join(dir, 'data')
      mkdirSync(data)
      const theirs = join(data, 'theirs')
      mkdirSync(theirs, { mode: 0o700 })
      chownSync(theirs, 1000, 1000)
      const sandbox = runtime.runPod(
        pod(
          'root',
          [
            { name: 'full', command: ['sleep', 'infinity'], mounts: [{ volume: 'data', mountPath: '/data' }] },
            {
              name: 'bare',
              command: ['sleep', 'infinity'],
              mounts: [{ volume: 'data', mountPath: '/data' }],
              capabilities: { drop: ['ALL'], add: ['CHOWN'] },
            },
          ],
          { volumes: { data: { hostPath: data } } },
        ),
      )
      const script =
        'id -u; touch /data/theirs/f 2>/dev/null && echo wrote || echo refused; echo 1 > /proc/sys/vm/overcommit_memory 2>/dev/null || echo sysctl-read-only'
      expect((await execIn(sandbox, 'full', sh(script))).stdout).toBe('0\nwrote\nsysctl-read-only\n')
      expect((await execIn(sandbox, 'bare', sh(script))).stdout).toBe('0\nrefused\nsysctl-read-only\n')
      expect(statSync(join(theirs, 'f'))).toMatchObject({ uid: 0, gid: 0 })
    })

    it('emptyDir is 0777 and fsGroup gives the pod its claim and emptyDir: group, g+rwX, setgid folders', async () => {
      const claim = join(dir, 'claim')
      mkdirSync(join(claim, 'sub'), { recursive: true, mode: 0o755 })
      writeFileSync(join(claim, 'sub', 'run.sh'), '#!/bin/sh\n', { mode: 0o744 })
      writeFileSync(join(claim, 'notes'), 'n\n', { mode: 0o600 })
      const scratch = join(dir, 'scratch')
      mkdirSync(scratch, { mode: 0o755 })
      const host = join(dir, 'host')
      mkdirSync(host, { mode: 0o755 })
      const sandbox = runtime.runPod(
        pod(
          'fsgroup',
          [
            {
              name: 'main',
              command: ['sleep', 'infinity'],
              mounts: [
                { volume: 'claim', mountPath: '/claim' },
                { volume: 'scratch', mountPath: '/scratch' },
                { volume: 'host', mountPath: '/host' },
              ],
              runAsUser: 1000,
              runAsGroup: 1000,
            },
          ],
          {
            volumes: {
              claim: { hostPath: claim, kind: 'persistentVolumeClaim' },
              scratch: { hostPath: scratch, kind: 'emptyDir' },
              host: { hostPath: host, kind: 'hostPath' },
            },
            fsGroup: 2000,
          },
        ),
      )
      const result = await execIn(
        sandbox,
        'main',
        sh(
          'id -G; stat -c "%a %g" /claim /claim/sub /claim/sub/run.sh /claim/notes /scratch /host; echo x > /claim/new && stat -c "%u %g" /claim/new; touch /host/x 2>/dev/null || echo host-refused',
        ),
      )
      expect(result.stdout).toBe(
        '1000 2000\n2775 2000\n2775 2000\n774 2000\n660 2000\n2777 2000\n755 0\n1000 2000\nhost-refused\n',
      )
    })

    it('fsGroupChangePolicy OnRootMismatch leaves a volume whose top already has the group as it is', () => {
      const claim = join(dir, 'claim')
      mkdirSync(claim, { mode: 0o755 })
      writeFileSync(join(claim, 'private'), 'p\n', { mode: 0o600 })
      const spec = (name: string, policy: 'Always' | 'OnRootMismatch') =>
        pod(name, [{ name: 'main', command: ['true'], runAsUser: 1000 }], {
          volumes: { claim: { hostPath: claim, kind: 'persistentVolumeClaim' } },
          fsGroup: 2000,
          fsGroupChangePolicy: policy,
        })
      prepareVolumes(spec('first', 'OnRootMismatch'))
      expect(statSync(join(claim, 'private')).mode & 0o7777).toBe(0o660)
      chmodSync(join(claim, 'private'), 0o600)
      prepareVolumes(spec('second', 'OnRootMismatch'))
      expect(statSync(join(claim, 'private')).mode & 0o7777).toBe(0o600)
      prepareVolumes(spec('third', 'Always'))
      expect(statSync(join(claim, 'private')).mode & 0o7777).toBe(0o660)
    })

    it('runs commands through the setuid program only when the identity changes, and names a missing command as before', async () => {
      const base = { root: '/r', binds: [], env: {}, cwd: '/', hostname: 'h', argv: ['true'] }
      const user = bwrapArgs({ ...base, uid: 1000, gid: 1000 }, { setuid: '/cache/setuid' })
      expect(user).not.toContain('--unshare-user')
      expect(user.slice(user.indexOf('--') + 1)).toEqual([SETUID_PATH, '1000', '1000', '-', '--', 'true'])
      const root = bwrapArgs({ ...base, uid: 0, gid: 0, capabilities: containerCapabilities({ drop: ['ALL'] }) }, {})
      expect(root.slice(root.indexOf('--') + 1)).toEqual(['true'])
      expect(root.filter((a) => a.startsWith('CAP_'))).toEqual([])
      const sandbox = runtime.runPod(
        pod('missing', [{ name: 'main', command: ['no-such-program'], runAsUser: 1000, runAsGroup: 1000 }]),
      )
      await sandbox.done
      const state = sandbox.status().containerStatuses[0]?.state
      expect(state).toMatchObject({
        terminated: { reason: 'StartError', message: expect.stringContaining('executable file not found in $PATH') },
      })
    })
  })
})
