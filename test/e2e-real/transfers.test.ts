import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bed, type BedKind, eventually, startBed } from '../support/testBed.ts'

/**
 * Uploads into a folder a non-root workload owns, through a helper pod, in a namespace that enforces PodSecurity
 * `restricted` (on the real control plane the API server's own admission decides; the simulator has none), and the
 * workload, running as uid 1000, then changes the uploaded files. Real kubectl plugin dispatch, real busybox pods.
 */
const BEDS: BedKind[] = ['sim', 'real']
const NS = 'owned'

/** A pod spec that PodSecurity `restricted` admits, running as uid and gid 1000, that runs `script` once. */
function workload(name: string, script: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      containers: [
        {
          name: 'main',
          image: 'busybox:1.36',
          command: ['sh', '-c', script],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  }
}

describe.each(BEDS)('uploads for a non-root workload on the %s bed', (kind) => {
  let bed: Bed
  let work: string

  beforeAll(async () => {
    bed = await startBed(kind)
    work = mkdtempSync(join(tmpdir(), `transfers-${kind}-`))
    await bed.apply([
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: NS,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data', namespace: NS },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'standard',
          resources: { requests: { storage: '1Gi' } },
        },
      },
    ])
  }, 300_000)

  afterAll(async () => {
    await bed?.stop()
    rmSync(work, { recursive: true, force: true })
  }, 60_000)

  /** Runs a workload pod to its end; its log. */
  async function runWorkload(name: string, script: string): Promise<string> {
    await bed.apply([workload(name, script)])
    const phase = await eventually(
      `pod ${name} ended`,
      async () => {
        const r = await bed.kubectl(['get', 'pod', name, '-n', NS, '-o', 'jsonpath={.status.phase}'])
        return r.stdout === 'Succeeded' || r.stdout === 'Failed' ? r.stdout : undefined
      },
      120_000,
    )
    const logs = await bed.kubectl(['logs', name, '-n', NS])
    expect(phase, logs.stdout + logs.stderr).toBe('Succeeded')
    return logs.stdout
  }

  it('a helper pod the namespace admits uploads into the folder, and the uid-1000 workload changes the files', async () => {
    // The workload makes its folder (owned by uid 1000, mode 755) and ends, so no running pod mounts the claim.
    await runWorkload('prepare', 'mkdir -m 755 /data/work && stat -c "%u %g %a" /data/work')
    const source = join(work, 'up')
    mkdirSync(source, { recursive: true })
    writeFileSync(join(source, 'a.txt'), 'alpha\n')
    writeFileSync(join(source, 'b.txt'), 'beta\n')
    const uploaded = await bed.kubectl(['pvclaim', 'upload', 'data', source, 'work', '-n', NS, '-v', '1', '--verify'], {
      timeoutMs: 180_000,
    })
    expect(uploaded.code, uploaded.stderr).toBe(0)
    // Every helper this upload started was admitted under restricted, and none ran as root.
    const helpers = [...uploaded.stderr.matchAll(/started helper pod (\S+).* as uid (\d+) gid (\d+)/g)]
    expect(helpers.length, uploaded.stderr).toBeGreaterThan(0)
    for (const [, , uid] of helpers) expect(Number(uid)).not.toBe(0)
    expect(uploaded.stderr).toMatch(/^2 files, 11 B in .*through helper pod pvclaim-helper-data-\S+ \(deleted\)$/m)
    const changed = await runWorkload(
      'change',
      [
        'cd /data/work/up',
        'echo more >> a.txt',
        'rm b.txt',
        'touch c.txt',
        'cat a.txt',
        'ls',
        'stat -c "%u %g" a.txt c.txt ..',
      ].join(' && '),
    )
    // The uploaded file belongs to whoever owns the folder it landed in, as the workload sees both: the owner
    // the workload's own new file gets. (This bed's runtime maps one uid per pod, or none: the owner it shows is
    // that of the workload; on a node with real uids, a helper running as nobody would leave 65534 here.)
    const [text, list, owners] = [
      changed.split('\n').slice(0, 2),
      changed.split('\n').slice(2, 4),
      changed.split('\n').slice(4, 7),
    ]
    expect(text).toEqual(['alpha', 'more'])
    expect(list).toEqual(['a.txt', 'c.txt'])
    expect(new Set(owners).size, changed).toBe(1)
    const left = await bed.kubectl([
      'get',
      'pods',
      '-n',
      NS,
      '-l',
      'app.kubernetes.io/managed-by=kubectl-pvclaim',
      '-o',
      'name',
    ])
    expect(left.stdout).toBe('')
  }, 300_000)
})
