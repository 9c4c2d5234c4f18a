import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LIMITS_REQUIRED_NAMESPACE, RESTRICTED_NAMESPACE } from '../control-plane/scenario.ts'
import { run } from '../support/run.ts'
import { type Bed, type BedKind, startBed } from '../support/testBed.ts'

/**
 * `kubectl mrun run` on the real Kubernetes control plane (kube-apiserver with its admission plugins, the Job
 * controller, kube-scheduler, the PV controller with the test provisioner's classes `standard` (ReadWriteOnce only)
 * and `shared` (ReadWriteMany too), node agents running pods for real). What only a real API server and real
 * controllers do: PodSecurity, ResourceQuota, per-index backoff, FailedCreate and ProvisioningFailed events, the
 * scheduler's Unschedulable message. What the simulator also models runs on both beds with the same assertions; the
 * namespace policies (PodSecurity, ResourceQuota admission) only on the real one.
 */
const BEDS: BedKind[] = ['sim', 'real']

describe.each(BEDS)('kubectl mrun run on the %s bed', (kind) => {
  let bed: Bed
  const mrun = (args: readonly string[], timeoutMs = 120_000) => bed.kubectl(['mrun', ...args], { timeoutMs })

  async function get<T>(args: readonly string[]): Promise<T> {
    const result = await bed.kubectl(['get', ...args, '-o', 'json'])
    expect(result.code, result.stderr).toBe(0)
    return JSON.parse(result.stdout) as T
  }

  const createdName = (stdout: string): string => /job\.batch\/(\S+)/.exec(stdout)?.[1] ?? ''
  const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '')

  beforeAll(async () => {
    bed = await startBed(kind)
  }, 300_000)

  afterAll(async () => {
    await bed?.stop()
  })

  describe('the storage claim', () => {
    it('asks for ReadWriteOnce by default, which the default class binds, and the run succeeds', async () => {
      const result = await mrun(['run', '-n', 'mrun-rwo', '--image', 'busybox', '--wait', '--', 'sh', '-c', 'echo ok'])
      expect(result.code, result.stderr).toBe(0)
      const claim = await get<{ spec: { accessModes: string[]; storageClassName: string }; status: { phase: string } }>(
        ['pvc', 'mrun-storage', '-n', 'mrun-rwo'],
      )
      expect(claim.spec.accessModes).toEqual(['ReadWriteOnce'])
      expect(claim.spec.storageClassName).toBe('standard')
      expect(claim.status.phase).toBe('Bound')
    })

    it('ReadWriteMany on a class without it stops with the provisioner event and the fix; nothing is left', async () => {
      const rwxOnStandard = (ns: string) => [
        'run',
        '-n',
        ns,
        '--storage-class',
        'standard',
        '--access-mode',
        'ReadWriteMany',
        '--image',
        'busybox',
        '--',
        'sh',
        '-c',
        'echo never',
      ]
      await bed.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mrun-rwx-bad' } }])
      const result = await mrun(rwxOnStandard('mrun-rwx-bad'))
      expect(result.code).toBe(3)
      const [error, hint] = lines(result.stderr).filter((l) => /^(error|hint): /.test(l))
      expect(error).toMatch(
        /^error: claim "mrun-storage" \(ReadWriteMany, storage class "standard"\) stays Pending: ProvisioningFailed: failed to provision volume with StorageClass "standard": .*access mode ReadWriteMany is not supported/,
      )
      expect(hint).toMatch(/--storage-class.*--access-mode ReadWriteOnce/)
      // The claim this run made is removed again, and no Job was created.
      const left = await bed.kubectl(['get', 'pvc,jobs', '-n', 'mrun-rwx-bad', '-o', 'name'])
      expect(left.stdout).toBe('')
      // Run again as the hint says: the earlier claim's ProvisioningFailed event (events stay an hour) is not taken
      // for the new claim's.
      const again = await mrun([
        'run',
        '-n',
        'mrun-rwx-bad',
        '--access-mode',
        'ReadWriteOnce',
        '--image',
        'busybox',
        '--wait',
        '--',
        'sh',
        '-c',
        'echo fixed',
      ])
      expect(again.code, again.stderr).toBe(0)
      // A namespace the failed run made goes too (at once on the simulator, Terminating on a real cluster).
      const made = await mrun(rwxOnStandard('mrun-rwx-gone'))
      expect(made.code).toBe(3)
      const phase = await bed.kubectl(['get', 'namespace', 'mrun-rwx-gone', '-o', 'jsonpath={.status.phase}'])
      expect(phase.code === 0 ? phase.stdout : 'gone').toMatch(/^(gone|Terminating)$/)
    })

    it('ReadWriteMany on the shared class binds and runs', async () => {
      const result = await mrun([
        'run',
        '-n',
        'mrun-rwx',
        '--storage-class',
        'shared',
        '--access-mode',
        'ReadWriteMany',
        '--image',
        'busybox',
        '--wait',
        '--',
        'sh',
        '-c',
        'echo shared',
      ])
      expect(result.code, result.stderr).toBe(0)
      const claim = await get<{ spec: { accessModes: string[] }; status: { phase: string } }>([
        'pvc',
        'mrun-storage',
        '-n',
        'mrun-rwx',
      ])
      expect(claim.spec.accessModes).toEqual(['ReadWriteMany'])
      expect(claim.status.phase).toBe('Bound')
    })
  })

  describe.runIf(kind === 'real')('namespace policies', () => {
    it('PodSecurity restricted: the error names the policy and what to change, and the Job is removed', async () => {
      const result = await mrun(['run', '-n', RESTRICTED_NAMESPACE, '--image', 'busybox', '--', 'sh', '-c', 'echo hi'])
      expect(result.code).toBe(6)
      const error = lines(result.stderr).find((l) => l.startsWith('error: ')) ?? ''
      expect(error).toMatch(
        /^error: run sh-[a-z0-9]{6} cannot start its pods: PodSecurity "restricted:latest" of namespace "restricted" refuses them: violates PodSecurity "restricted:latest": .*runAsNonRoot != true/,
      )
      expect(result.stderr).toMatch(
        /hint: .*pod-security\.kubernetes\.io\/enforce level is baseline or privileged.*; the Job was removed$/m,
      )
      const jobs = await bed.kubectl(['get', 'jobs', '-n', RESTRICTED_NAMESPACE, '-o', 'name'])
      expect(jobs.stdout).toBe('')
    })

    it('the in-cluster build refused by PodSecurity says so at once, naming the build job; no helper is left', async () => {
      const project = mkdtempSync(join(tmpdir(), 'mrun-build-project-'))
      writeFileSync(join(project, 'train.py'), 'print("never built")\n')
      const started = Date.now()
      const result = await run(
        'kubectl',
        [
          'mrun',
          'run',
          '-n',
          RESTRICTED_NAMESPACE,
          '--builder',
          'cluster',
          '--registry',
          'reg.example.com/team',
          '--',
          'train.py',
        ],
        { env: { ...process.env, ...bed.env, KUBECONFIG: bed.kubeconfig(), HOME: '/nonexistent' }, cwd: project },
      )
      expect(result.code).toBe(6)
      expect(Date.now() - started).toBeLessThan(30_000)
      expect(lines(result.stderr).find((l) => l.startsWith('error: '))).toMatch(
        /^error: the build job mrun-build-[0-9a-f]{12} cannot start its pods: PodSecurity "restricted:latest" of namespace "restricted" refuses them: violates PodSecurity/,
      )
      const left = await bed.kubectl(['get', 'jobs,configmaps,pods', '-n', RESTRICTED_NAMESPACE, '-o', 'name'])
      expect(left.stdout.split('\n').filter((n) => n.includes('mrun-build-'))).toEqual([])
    })

    it('a quota on limits: runs without --cpu/--mem get requests and limits and succeed', async () => {
      const result = await mrun([
        'run',
        '-n',
        LIMITS_REQUIRED_NAMESPACE,
        '--image',
        'busybox',
        '--wait',
        '--',
        'sh',
        '-c',
        'echo limited',
      ])
      expect(result.code, result.stderr).toBe(0)
      const job = await get<{
        spec: { template: { spec: { containers: { resources: Record<string, Record<string, string>> }[] } } }
      }>(['job', createdName(result.stdout), '-n', LIMITS_REQUIRED_NAMESPACE])
      const resources = job.spec.template.spec.containers[0]?.resources
      expect(Object.keys(resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory'])
      expect(Object.keys(resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory'])
    })

    it('more than the quota: warned at once with the quota named, given up after --timeout with exit 1', async () => {
      const started = Date.now()
      const result = await mrun([
        'run',
        '-n',
        LIMITS_REQUIRED_NAMESPACE,
        '--mem',
        '6Gi',
        '--image',
        'busybox',
        '--wait',
        '--timeout',
        '15s',
        '--',
        'sh',
        '-c',
        'echo never',
      ])
      expect(result.code).toBe(1)
      expect(Date.now() - started).toBeLessThan(60_000)
      expect(result.stderr).toMatch(
        /Warning: ResourceQuota "compute" of namespace "limits-required" refuses the pods for now: exceeded quota: compute, requested: limits\.memory=6Gi/,
      )
      expect(result.stderr).toMatch(/error: run \S+ will not finish: ResourceQuota "compute" .*exceeded quota/)
      expect(result.stderr).toMatch(/hint: gave up after 15s; ask for less with --cpu\/--mem or run fewer points/)
      await mrun(['delete', createdName(result.stdout), '-n', LIMITS_REQUIRED_NAMESPACE])
    })
  })

  describe.runIf(kind === 'real')("fetch's helper pod", () => {
    it('meets PodSecurity restricted and a quota on limits: it fetches from namespaces enforcing both', async () => {
      const ns = 'mrun-fetch-strict'
      const result = await mrun([
        'run',
        '-n',
        ns,
        '--image',
        'busybox',
        '--wait',
        '--',
        'sh',
        '-c',
        'mkdir -p $MRUN_OUTPUT_DIR && echo 0.93 > $MRUN_OUTPUT_DIR/accuracy.txt',
      ])
      expect(result.code, result.stderr).toBe(0)
      // Now the namespace enforces restricted and requires limits, as a locked-down team namespace does.
      const label = await bed.kubectl([
        'label',
        'namespace',
        ns,
        'pod-security.kubernetes.io/enforce=restricted',
        'pod-security.kubernetes.io/enforce-version=latest',
      ])
      expect(label.code, label.stderr).toBe(0)
      await bed.apply([
        {
          apiVersion: 'v1',
          kind: 'ResourceQuota',
          metadata: { name: 'compute', namespace: ns },
          spec: { hard: { 'limits.cpu': '4', 'limits.memory': '4Gi' } },
        },
      ])
      const target = join(mkdtempSync(join(tmpdir(), 'mrun-fetch-')), 'out')
      const fetched = await mrun(['fetch', createdName(result.stdout), target, '-n', ns])
      expect(fetched.code, fetched.stderr).toBe(0)
      expect(readFileSync(join(target, 'accuracy.txt'), 'utf8')).toBe('0.93\n')
    })
  })

  describe('sweeps with per-index backoff', () => {
    it('a point that exits 3 does not stop the others; status lists every index with state and exit code', async () => {
      const result = await mrun([
        'run',
        '-n',
        'mrun-sweep',
        '--name',
        'sweep',
        '--image',
        'busybox',
        '--grid',
        'x=a,b,c',
        '--wait',
        '--',
        'sh',
        '-c',
        '[ "$MRUN_INDEX" = 1 ] && exit 3; sleep 1; echo point $MRUN_PARAM_X',
      ])
      const name = createdName(result.stdout)
      expect(result.stderr).toContain(`error: run ${name} failed (FailedIndexes: index 1 of 3 failed)`)
      expect(result.code).toBe(1)
      const job = await get<{ spec: Record<string, unknown>; status: Record<string, unknown> }>([
        'job',
        name,
        '-n',
        'mrun-sweep',
      ])
      expect(job.spec).toMatchObject({ backoffLimitPerIndex: 0, maxFailedIndexes: 3 })
      expect(job.status).toMatchObject({ completedIndexes: '0,2', failedIndexes: '1', succeeded: 2 })
      const status = await mrun(['status', name, '-n', 'mrun-sweep', '-o', 'json'])
      const doc = JSON.parse(status.stdout) as {
        pods: { index: number; phase: string; exitCode: number; reason: string }[]
      }
      expect(doc.pods.map((p) => [p.index, p.phase, p.exitCode, p.reason])).toEqual([
        [0, 'Succeeded', 0, ''],
        [1, 'Failed', 3, 'Error'],
        [2, 'Succeeded', 0, ''],
      ])
      const table = await mrun(['status', name, '-n', 'mrun-sweep'])
      expect(
        lines(table.stdout).map((l) =>
          l
            .trim()
            .split(/\s+/)
            .filter((_, i) => i !== 1 && i !== 3),
        ),
      ).toEqual([
        ['INDEX', 'PHASE', 'EXIT', 'REASON'],
        ['0', 'Succeeded', '0'],
        ['1', 'Failed', '3', 'Error'],
        ['2', 'Succeeded', '0'],
      ])
      const logs = await mrun(['logs', name, '-n', 'mrun-sweep'])
      expect(lines(logs.stdout).sort()).toEqual(['[0] point a', '[2] point c'])
    })
  })

  describe('run --wait notices what will never finish', () => {
    it("an unschedulable pod: the scheduler's message at once, then exit 1 after --timeout", async () => {
      const result = await mrun([
        'run',
        '-n',
        'mrun-stuck',
        '--cpu',
        '64',
        '--image',
        'busybox',
        '--wait',
        '--timeout',
        '10s',
        '--',
        'sh',
        '-c',
        'echo never',
      ])
      expect(result.code).toBe(1)
      const warning = lines(result.stderr).find((l) => l.startsWith('Warning: ')) ?? ''
      expect(warning).toMatch(
        /^Warning: pod sh-[a-z0-9]{6}-\w+ cannot be scheduled: 0\/2 nodes are available: 2 Insufficient cpu/,
      )
      expect(result.stderr).toMatch(
        /error: run sh-[a-z0-9]{6} will not finish: pod \S+ cannot be scheduled: 0\/2 nodes/,
      )
      expect(result.stderr).toMatch(/hint: gave up after 10s; ask for less \(--cpu, --mem, --gpu\)/)
      await mrun(['delete', createdName(result.stdout), '-n', 'mrun-stuck'])
    })

    // Both beds' kubelets map image names to root file systems with test/kubelet (images.ts): a name that maps to
    // nothing waits in ErrImagePull/ImagePullBackOff, as a registry that does not have it makes a real kubelet do.
    it('an image that cannot be pulled: warned at once, exit 1 after --timeout', async () => {
      const result = await mrun([
        'run',
        '-n',
        'mrun-stuck',
        '--image',
        'registry.invalid/nothing:1',
        '--follow',
        '--timeout',
        '10s',
        '--',
        'sh',
        '-c',
        'echo never',
      ])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/Warning: pod \S+ cannot pull its image \((ErrImagePull|ImagePullBackOff)/)
      expect(result.stderr).toMatch(/error: run \S+ will not finish: pod \S+ cannot pull its image/)
      await mrun(['delete', createdName(result.stdout), '-n', 'mrun-stuck'])
    })
  })
})
