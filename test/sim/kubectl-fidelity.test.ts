import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kubectl } from '../support/run.ts'
import { demoScenario } from './scenario/demo.ts'
import { type Sim, startSim } from './sim.ts'

/**
 * The simulator is only useful if it answers like a real API server, so the real kubectl (v1.32) is the judge:
 * every command a user or our tests rely on must work against it as against a real cluster.
 */
let sim: Sim
let admin: string

function podsOf(namespace?: string): number {
  return [...sim.store.all('pods', namespace)].length
}

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario() })
  await sim.idle()
  admin = sim.writeKubeconfig({ user: 'admin' })
})

afterAll(async () => {
  await sim.stop()
})

describe('kubectl against the simulated cluster', () => {
  it('get nodes prints every node with its status', async () => {
    const result = await kubectl(admin, ['get', 'nodes'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const lines = result.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/)
    expect(lines.length - 1).toBe(sim.store.count('nodes'))
    expect(result.stdout).toMatch(/NotReady,SchedulingDisabled|Ready,SchedulingDisabled/)
  })

  it('get pods -A pages with --chunk-size and finds every pod', async () => {
    const result = await kubectl(admin, ['get', 'pods', '-A', '--chunk-size=3', '-o', 'name'])
    expect(result.code).toBe(0)
    expect(result.stdout.trim().split('\n')).toHaveLength(podsOf())
    const listRequests = sim.requests.filter((r) => r.path === '/api/v1/pods' && r.query.includes('limit=3'))
    expect(listRequests.length).toBeGreaterThan(1)
  })

  it('label and field selectors filter as on a real cluster', async () => {
    const running = await kubectl(admin, [
      'get',
      'pods',
      '-A',
      '--field-selector',
      'status.phase=Running',
      '-o',
      'name',
    ])
    const expected = [...sim.store.all('pods')].filter((p) => (p.status as { phase?: string }).phase === 'Running')
    expect(running.stdout.trim().split('\n')).toHaveLength(expected.length)
    const bad = await kubectl(admin, ['get', 'pods', '-A', '--field-selector', 'spec.bogus=1'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('field label not supported: spec.bogus')
    const set = await kubectl(admin, ['get', 'pods', '-A', '-l', 'anaconda-session-id', '-o', 'name'])
    expect(set.code).toBe(0)
    expect(set.stdout).toContain('anaconda-session-')
  })

  it('describe node prints the Allocated resources block', async () => {
    const node = [...sim.store.all('nodes')].find((n) => !n.metadata.labels?.['node-role.kubernetes.io/control-plane'])
    const result = await kubectl(admin, ['describe', 'node', node?.metadata.name ?? ''])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Allocated resources:')
    expect(result.stdout).toMatch(/cpu\s+\d+m? \(\d+%\)\s+\d+m? \(\d+%\)/)
    expect(result.stdout).toContain('Non-terminated Pods:')
  })

  it('top node and top pod read the metrics API', async () => {
    const nodes = await kubectl(admin, ['top', 'node'])
    expect(nodes.code).toBe(0)
    expect(nodes.stdout).toMatch(/^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)/)
    const pods = await kubectl(admin, ['top', 'pod', '-A', '--containers'])
    expect(pods.code).toBe(0)
    expect(pods.stdout).toMatch(/\d+m\s+\d+Mi/)
  })

  it('auth whoami names the certificate user and groups', async () => {
    const result = await kubectl(sim.writeKubeconfig({ user: 'alice' }), ['auth', 'whoami', '-o', 'json'])
    expect(result.code).toBe(0)
    const review = JSON.parse(result.stdout) as { status: { userInfo: { username: string; groups: string[] } } }
    expect(review.status.userInfo.username).toBe('alice')
    expect(review.status.userInfo.groups).toContain('data-science')
  })

  it('token and basic auth work, a wrong token is 401', async () => {
    expect((await kubectl(sim.writeKubeconfig({ user: 'viewer', auth: 'token' }), ['get', 'ns'])).code).toBe(0)
    expect((await kubectl(sim.writeKubeconfig({ user: 'admin', auth: 'basic' }), ['get', 'ns'])).code).toBe(0)
    const wrong = await kubectl(sim.writeKubeconfig({ user: 'viewer', auth: 'token' }), [
      'get',
      'ns',
      '--token',
      'not-a-token',
    ])
    expect(wrong.code).toBe(1)
  })

  it('RBAC answers 403 with the apiserver wording', async () => {
    const alice = sim.writeKubeconfig({ user: 'alice' })
    const result = await kubectl(alice, ['get', 'pods', '-n', 'kube-system'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "kube-system"',
    )
    expect((await kubectl(alice, ['get', 'pods', '-n', 'ml-team'])).code).toBe(0)
  })

  it('create -f validates, stores, and refuses duplicates and bad quantities', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fidelity-'))
    const manifest = join(dir, 'pod.yaml')
    writeFileSync(
      manifest,
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: created-by-kubectl\n  namespace: ml-team\nspec:\n  containers:\n  - name: main\n    image: busybox\n    command: ["sh", "-c", "echo created; sleep 3600"]\n    resources:\n      requests: {cpu: 10m, memory: 16Mi}\n',
    )
    const created = await kubectl(admin, ['create', '-f', manifest])
    expect(created.stderr).toBe('')
    expect(created.stdout.trim()).toBe('pod/created-by-kubectl created')
    const again = await kubectl(admin, ['create', '-f', manifest])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('pods "created-by-kubectl" already exists')
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8').replace('created-by-kubectl', 'bad-quantity').replace('cpu: 10m', 'cpu: ten'),
    )
    const invalid = await kubectl(admin, ['create', '-f', manifest])
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toContain('quantities must match the regular expression')
  })

  it('logs shows what a finished container printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fidelity-'))
    const manifest = join(dir, 'job.yaml')
    writeFileSync(
      manifest,
      'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: hello\n  namespace: ml-team\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: busybox\n        command: ["sh", "-c", "echo hello from the job; echo done"]\n',
    )
    expect((await kubectl(admin, ['create', '-f', manifest])).code).toBe(0)
    await sim.idle()
    const wait = await kubectl(admin, [
      'wait',
      '--for=condition=complete',
      'job/hello',
      '-n',
      'ml-team',
      '--timeout=20s',
    ])
    expect(wait.stdout).toBe('job.batch/hello condition met\n')
    const jobs = await kubectl(admin, ['get', 'jobs', '-n', 'ml-team', 'hello'])
    expect(jobs.stdout).toMatch(/hello\s+Complete\s+1\/1/)
    const logs = await kubectl(admin, ['logs', 'job/hello', '-n', 'ml-team'])
    expect(logs.code).toBe(0)
    expect(logs.stdout).toBe('hello from the job\ndone\n')
  })

  it('exec runs commands in the pod with stdin, stdout and exit codes', async () => {
    const pod = 'created-by-kubectl'
    await sim.idle()
    const echo = await kubectl(admin, [
      'exec',
      '-n',
      'ml-team',
      pod,
      '--',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 3',
    ])
    expect(echo.stdout).toBe('out\n')
    expect(echo.stderr).toContain('err')
    expect(echo.code).toBe(3)
    const cat = await kubectl(admin, ['exec', '-i', '-n', 'ml-team', pod, '--', 'cat'], { input: 'piped through\n' })
    expect(cat.stdout).toBe('piped through\n')
  })

  it('cp copies a tree into a pod volume and back byte for byte', async () => {
    const claimPod = [...sim.store.all('pods')].find(
      (p) =>
        (p.status as { phase?: string }).phase === 'Running' &&
        ((p.spec as { volumes?: { persistentVolumeClaim?: unknown }[] }).volumes ?? []).some(
          (v) => v.persistentVolumeClaim !== undefined,
        ),
    )
    expect(claimPod).toBeDefined()
    const ns = claimPod?.metadata.namespace ?? ''
    const name = claimPod?.metadata.name ?? ''
    const spec = (claimPod?.spec ?? { containers: [] }) as { containers: { volumeMounts?: { mountPath: string }[] }[] }
    const mount = spec.containers[0]?.volumeMounts?.[0]?.mountPath ?? '/data'
    const dir = mkdtempSync(join(tmpdir(), 'fidelity-cp-'))
    mkdirSync(join(dir, 'tree/nested'), { recursive: true })
    writeFileSync(join(dir, 'tree/nested/binary.bin'), Buffer.from([0, 1, 2, 255, 254]))
    writeFileSync(join(dir, 'tree/ünïcode.txt'), 'héllo\n')
    const up = await kubectl(admin, ['cp', join(dir, 'tree'), `${ns}/${name}:${mount}/copied`])
    expect(up.stderr).toBe('')
    expect(up.code).toBe(0)
    const down = await kubectl(admin, ['cp', `${ns}/${name}:${mount}/copied`, join(dir, 'back')])
    expect(down.code).toBe(0)
    expect(readFileSync(join(dir, 'back/nested/binary.bin'))).toEqual(Buffer.from([0, 1, 2, 255, 254]))
    expect(readFileSync(join(dir, 'back/ünïcode.txt'), 'utf8')).toBe('héllo\n')
  })

  it('get -w streams objects created after the list', async () => {
    const watching = kubectl(admin, ['get', 'configmaps', '-n', 'ml-team', '-w', '-o', 'name', '--request-timeout=3s'])
    await new Promise((resolve) => setTimeout(resolve, 800))
    sim.store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'created-while-watching', namespace: 'ml-team' },
      data: {},
    })
    const result = await watching
    expect(result.stdout).toContain('configmap/trainer-config')
    expect(result.stdout).toContain('configmap/created-while-watching')
  })

  it('an expired client certificate is rejected with 401', async () => {
    const expired = sim.issueCert('admin', ['system:masters'], {
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2020-06-01T00:00:00Z'),
      fileName: 'expired-admin',
    })
    const byFile = sim.writeKubeconfig({ user: 'admin', embed: false })
    const result = await kubectl(byFile, [
      'get',
      'ns',
      '--client-certificate',
      expired.certPath,
      '--client-key',
      expired.keyPath,
    ])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/Unauthorized|must be logged in/)
  })
})

describe('pvc-protection, as the real control plane answers (test/e2e-real)', () => {
  it('keeps a deleted claim Terminating while a pod mounts it, and removes it once the pod is gone', async () => {
    const manifest = [
      'apiVersion: v1',
      'kind: PersistentVolumeClaim',
      'metadata: {name: held, namespace: default}',
      'spec: {accessModes: [ReadWriteOnce], storageClassName: standard, resources: {requests: {storage: 1Gi}}}',
      '---',
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: holder, namespace: default}',
      'spec:',
      '  terminationGracePeriodSeconds: 1',
      '  volumes: [{name: d, persistentVolumeClaim: {claimName: held}}]',
      '  containers: [{name: main, image: busybox, command: [sleep, "3600"], volumeMounts: [{name: d, mountPath: /d}]}]',
      '',
    ].join('\n')
    expect((await kubectl(admin, ['apply', '-f', '-'], { input: manifest })).code).toBe(0)
    const ready = await kubectl(admin, ['wait', '--for=condition=Ready', 'pod/holder', '--timeout=30s'])
    expect(ready.code, ready.stderr).toBe(0)
    const deleted = await kubectl(admin, ['delete', 'pvc', 'held', '--wait=false'])
    expect(deleted.stdout).toBe('persistentvolumeclaim "held" deleted\n')
    const held = await kubectl(admin, ['get', 'pvc', 'held', '--no-headers'])
    expect(held.stdout).toMatch(/^held +Terminating +pvc-/)
    const claim = sim.store.get('persistentvolumeclaims', 'default', 'held')
    expect(claim?.metadata.finalizers).toEqual(['kubernetes.io/pvc-protection'])
    expect(claim?.metadata.deletionTimestamp).toBeDefined()
    expect((await kubectl(admin, ['delete', 'pod', 'holder'])).code).toBe(0)
    await sim.idle()
    expect(sim.store.get('persistentvolumeclaims', 'default', 'held')).toBeUndefined()
  })
})
