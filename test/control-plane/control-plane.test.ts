import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { stringify } from 'yaml'
import { kubectl, type RunResult } from '../support/run.ts'
import { eventually } from '../support/testBed.ts'
import { ensureControlPlaneBinaries, KUBERNETES_VERSION } from './build.ts'
import { type ControlPlane, startControlPlane } from './launch.ts'
import { LIMITS_REQUIRED_NAMESPACE, RESTRICTED_NAMESPACE } from './scenario.ts'

/**
 * The real Kubernetes control plane, driven with the real kubectl: what the simulator imitates, checked against
 * the real thing. The first run compiles the binaries (20+ minutes on 2 cores); later runs reuse the cache.
 */
let plane: ControlPlane
let admin: string
let work: string

const k = (args: string[], options: { input?: string; timeoutMs?: number; user?: string } = {}): Promise<RunResult> =>
  kubectl(options.user === undefined ? admin : plane.kubeconfig(options.user), args, {
    ...(options.input === undefined ? {} : { input: options.input }),
    timeoutMs: options.timeoutMs ?? 60_000,
  })

const ok = async (args: string[], options: { input?: string; timeoutMs?: number; user?: string } = {}) => {
  const result = await k(args, options)
  expect(result.stderr, `kubectl ${args.join(' ')}`).toBe(result.code === 0 ? result.stderr : '')
  expect(result.code).toBe(0)
  return result
}

const pod = (name: string, spec: object, namespace = 'default') =>
  stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec })

beforeAll(async () => {
  const build = await ensureControlPlaneBinaries({ log: (line) => console.log(line) })
  console.log(`control plane binaries ${build.built ? 'built' : 'cached'} in ${build.seconds.toFixed(1)}s`)
  plane = await startControlPlane()
  console.log(`control plane ready in ${plane.readySeconds.toFixed(1)}s at ${plane.url}`)
  admin = plane.kubeconfig('admin')
  work = mkdtempSync(join(tmpdir(), 'control-plane-test-'))
  await ok(['apply', '-f', '-'], {
    input: pod('hello', {
      containers: [
        {
          name: 'main',
          image: 'busybox',
          command: ['sh', '-c', 'echo "hello from $HOSTNAME"; exec sleep 3600'],
        },
      ],
      terminationGracePeriodSeconds: 5,
    }),
  })
  await ok(['wait', '--for=condition=Ready', 'pod/hello', '--timeout=60s'], { timeoutMs: 70_000 })
}, 60 * 60_000)

afterAll(async () => {
  await plane?.stop()
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
}, 60_000)

describe('real control plane', () => {
  it('is Kubernetes v1.33.13 with every node Ready', async () => {
    const version = JSON.parse((await ok(['version', '-o', 'json'])).stdout)
    expect(version.serverVersion.gitVersion).toBe(KUBERNETES_VERSION)
    const nodes = JSON.parse((await ok(['get', 'nodes', '-o', 'json'])).stdout).items
    expect(nodes.map((n: { metadata: { name: string } }) => n.metadata.name).sort()).toEqual(plane.nodes.sort())
    for (const node of nodes) {
      const ready = node.status.conditions.find((c: { type: string }) => c.type === 'Ready')
      expect(ready.status).toBe('True')
    }
    const table = await ok(['get', 'nodes'])
    expect(table.stdout).toMatch(/node-a\s+Ready/)
    const describeNode = await ok(['describe', 'node', 'node-b'])
    expect(describeNode.stdout).toContain('Allocatable:')
    expect(describeNode.stdout).toContain('node-role.kubernetes.io/worker')
  })

  it('schedules a pod with the real scheduler and runs a real process whose output kubectl logs shows', async () => {
    const hello = JSON.parse((await ok(['get', 'pod', 'hello', '-o', 'json'])).stdout)
    expect(plane.nodes).toContain(hello.spec.nodeName)
    expect(hello.status.phase).toBe('Running')
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=hello', '-o', 'json'])
    const scheduled = JSON.parse(events.stdout).items.find((e: { reason: string }) => e.reason === 'Scheduled')
    expect(scheduled.source?.component ?? scheduled.reportingComponent).toBe('default-scheduler')
    const started = await eventually(
      'Started event',
      async () => {
        const r = await ok([
          'get',
          'events',
          '--field-selector',
          'involvedObject.name=hello,reason=Started',
          '-o',
          'json',
        ])
        return JSON.parse(r.stdout).items[0]
      },
      10_000,
    )
    expect(started.source.component).toBe('kubelet')
    expect(started.involvedObject.fieldPath).toBe('spec.containers{main}')
    const logs = await eventually(
      'log line',
      async () => {
        const r = await ok(['logs', 'hello'])
        return r.stdout.includes('hello from') ? r.stdout : undefined
      },
      20_000,
    )
    expect(logs).toBe('hello from hello\n')
  })

  it('passes exec exit codes and stdout through the real API server', async () => {
    const result = await k(['exec', 'hello', '--', 'sh', '-c', 'echo hi; exit 3'])
    expect(result.stdout).toBe('hi\n')
    expect(result.code).toBe(3)
  })

  it('answers exec of a missing program with an InternalError from the node, as a runtime would', async () => {
    const result = await k(['exec', 'hello', '--', 'no-such-program'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /error executing command in container: .*"no-such-program": executable file not found/,
    )
  })

  it('copies files into and out of a pod with kubectl cp', async () => {
    const local = join(work, 'upload.txt')
    writeFileSync(local, 'copied in\n')
    await ok(['cp', local, 'default/hello:/tmp/upload.txt'])
    expect((await ok(['exec', 'hello', '--', 'cat', '/tmp/upload.txt'])).stdout).toBe('copied in\n')
    const back = join(work, 'download.txt')
    await ok(['cp', 'default/hello:/tmp/upload.txt', back])
    expect(readFileSync(back, 'utf8')).toBe('copied in\n')
  })

  it('refuses exec without a container on a 2-container pod (the API server, not kubectl, decides)', async () => {
    await ok(['apply', '-f', '-'], {
      input: pod('two', {
        containers: [
          { name: 'first', image: 'busybox', command: ['sleep', '3600'] },
          { name: 'second', image: 'busybox', command: ['sleep', '3600'] },
        ],
        terminationGracePeriodSeconds: 1,
      }),
    })
    await ok(['wait', '--for=condition=Ready', 'pod/two', '--timeout=60s'], { timeoutMs: 70_000 })
    // kubectl itself picks the first container when -c is missing, so ask the API directly as a client would.
    const config = readFileSync(admin, 'utf8')
    const data = (key: string) => Buffer.from(new RegExp(`${key}: (\\S+)`).exec(config)?.[1] ?? '', 'base64')
    const url = `${plane.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/two/exec?command=true&stdout=true`
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
        ca: data('certificate-authority-data'),
        cert: data('client-certificate-data'),
        key: data('client-key-data'),
      })
      ws.on('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (c: Buffer) => {
          body += c.toString()
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      ws.on('open', () => reject(new Error('exec without a container was accepted')))
      ws.on('error', () => {})
    })
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.body).message).toBe(
      'a container name must be specified for pod two, choose one of: [first second]',
    )
    const defaulted = await k(['exec', 'two', '--', 'true'])
    expect(defaulted.code).toBe(0)
    expect(defaulted.stderr).toContain('Defaulted container "first" out of: first, second')
  }, 90_000)

  it('serves kubectl top node and top pod through the real metrics-server', async () => {
    const nodes = await eventually(
      'kubectl top node',
      async () => {
        const r = await k(['top', 'node'])
        return r.code === 0 && plane.nodes.every((n) => r.stdout.includes(n)) ? r.stdout : undefined
      },
      90_000,
    )
    expect(nodes).toMatch(/NAME\s+CPU\(cores\)\s+CPU(%|\(%\))\s+MEMORY\(bytes\)/)
    const pods = await eventually(
      'kubectl top pod',
      async () => {
        const r = await k(['top', 'pod', 'hello'])
        return r.code === 0 ? r.stdout : undefined
      },
      90_000,
    )
    expect(pods).toMatch(/hello\s+\d+m\s+\d+Mi/)
  }, 200_000)

  it('provisions ReadWriteOnce claims of the default class and fails ReadWriteMany ones like a block-storage driver', async () => {
    const claim = (name: string, mode: string, storageClassName?: string) =>
      stringify({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name },
        spec: {
          accessModes: [mode],
          resources: { requests: { storage: '1Gi' } },
          ...(storageClassName === undefined ? {} : { storageClassName }),
        },
      })
    await ok(['apply', '-f', '-'], {
      input: [
        claim('rwo', 'ReadWriteOnce'),
        claim('rwx', 'ReadWriteMany'),
        claim('nfs', 'ReadWriteMany', 'shared'),
      ].join('---\n'),
    })
    await ok(['wait', '--for=jsonpath={.status.phase}=Bound', 'pvc/rwo', 'pvc/nfs', '--timeout=60s'], {
      timeoutMs: 70_000,
    })
    const rwo = JSON.parse((await ok(['get', 'pvc', 'rwo', '-o', 'json'])).stdout)
    expect(rwo.spec.storageClassName).toBe('standard')
    const failure = await eventually(
      'ProvisioningFailed',
      async () => {
        const r = await ok(['get', 'events', '--field-selector', 'involvedObject.name=rwx', '-o', 'json'])
        return JSON.parse(r.stdout).items.find((e: { reason: string }) => e.reason === 'ProvisioningFailed')
      },
      30_000,
    )
    expect(failure.type).toBe('Warning')
    expect(failure.message).toContain('ReadWriteMany')
    expect(JSON.parse((await ok(['get', 'pvc', 'rwx', '-o', 'json'])).stdout).status.phase).toBe('Pending')

    // The bound volume is a real folder mounted into the pod.
    await ok(['apply', '-f', '-'], {
      input: pod('writer', {
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', 'echo stored > /data/file; exec sleep 3600'],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'rwo' } }],
        terminationGracePeriodSeconds: 1,
      }),
    })
    await ok(['wait', '--for=condition=Ready', 'pod/writer', '--timeout=60s'], { timeoutMs: 70_000 })
    const stored = await eventually(
      'file on the volume',
      async () => {
        const r = await k(['exec', 'writer', '--', 'cat', '/data/file'])
        return r.code === 0 ? r.stdout : undefined
      },
      10_000,
    )
    expect(stored).toBe('stored\n')

    // Volume usage as pvclaim reads it: the kubelet's stats/summary through the API server's nodes/proxy.
    const node = JSON.parse((await ok(['get', 'pod', 'writer', '-o', 'json'])).stdout).spec.nodeName
    const summary = JSON.parse((await ok(['get', '--raw', `/api/v1/nodes/${node}/proxy/stats/summary`])).stdout)
    const writer = summary.pods.find((p: { podRef: { name: string } }) => p.podRef.name === 'writer')
    const volume = writer.volume.find((v: { pvcRef?: { name: string } }) => v.pvcRef?.name === 'rwo')
    expect(volume.usedBytes).toBeGreaterThan(0)
    expect(volume.capacityBytes).toBeGreaterThan(volume.usedBytes)
  }, 150_000)

  it('enforces the restricted Pod Security Standard and a quota that requires limits', async () => {
    const root = await k(['apply', '-f', '-'], {
      input: pod(
        'root',
        { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1'] }] },
        RESTRICTED_NAMESPACE,
      ),
    })
    expect(root.code).toBe(1)
    expect(root.stderr).toContain('violates PodSecurity "restricted:latest"')
    const unlimited = await k(['apply', '-f', '-'], {
      input: pod(
        'unlimited',
        { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1'] }] },
        LIMITS_REQUIRED_NAMESPACE,
      ),
    })
    expect(unlimited.code).toBe(1)
    expect(unlimited.stderr).toContain(
      'failed quota: compute: must specify limits.cpu for: main; limits.memory for: main',
    )
  })

  it('lets the read-only user read pods and logs but not exec', async () => {
    await ok(['get', 'pods'], { user: 'viewer' })
    await ok(['logs', 'hello'], { user: 'viewer' })
    const exec = await k(['exec', 'hello', '--', 'true'], { user: 'viewer' })
    expect(exec.code).toBe(1)
    expect(exec.stderr).toContain('pods "hello" is forbidden: User "viewer" cannot create resource "pods/exec"')
  })

  it('runs a Job to completion with the real Job controller', async () => {
    await ok(['create', 'job', 'once', '--image=busybox', '--', 'sh', '-c', 'echo done'])
    await ok(['wait', '--for=condition=Complete', 'job/once', '--timeout=60s'], { timeoutMs: 70_000 })
    expect((await ok(['logs', 'job/once'])).stdout).toBe('done\n')
  }, 90_000)

  it("follows a running container's log until it exits", async () => {
    const script = 'for i in 1 2 3 4 5; do echo tick $i; sleep 1; done'
    await ok(['run', 'ticker', '--image=busybox', '--restart=Never', '--', 'sh', '-c', script])
    // Once the container has started, logs -f streams what is printed and ends when the process exits.
    const followed = await eventually(
      'kubectl logs -f',
      async () => {
        const r = await k(['logs', '-f', 'ticker'], { timeoutMs: 30_000 })
        return r.code === 0 ? r.stdout : undefined
      },
      30_000,
    )
    expect(followed).toBe('tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n')
  }, 90_000)

  it("restarts a failing container, shows CrashLoopBackOff and keeps the previous run's log", async () => {
    await ok(['run', 'crash', '--image=busybox', '--', 'sh', '-c', 'echo "run at $(date +%s) $RANDOM"; exit 2'])
    const status = await eventually(
      'CrashLoopBackOff',
      async () => {
        const r = await ok(['get', 'pod', 'crash', '-o', 'json'])
        const container = JSON.parse(r.stdout).status.containerStatuses?.[0]
        return container?.restartCount >= 1 && container.state.waiting?.reason === 'CrashLoopBackOff'
          ? container
          : undefined
      },
      30_000,
    )
    expect(status.lastState.terminated.exitCode).toBe(2)
    expect((await ok(['logs', 'crash', '--previous'])).stdout).toMatch(/^run at \d+ \d+\n$/)
    // Between runs (the table can catch a run in its few milliseconds, hence eventually).
    await eventually(
      'CrashLoopBackOff in the table',
      async () => {
        const r = await ok(['get', 'pod', 'crash'])
        return /crash\s+0\/1\s+CrashLoopBackOff/.test(r.stdout) ? true : undefined
      },
      20_000,
    )
  }, 60_000)

  it('finishes graceful deletion: the pod object goes away once its process has stopped', async () => {
    const started = Date.now()
    await ok(['delete', 'pod', 'two', '--wait=true', '--timeout=30s'], { timeoutMs: 40_000 })
    expect(Date.now() - started).toBeLessThan(30_000)
    const gone = await k(['get', 'pod', 'two'])
    expect(gone.stderr).toContain('pods "two" not found')
  }, 60_000)
})
