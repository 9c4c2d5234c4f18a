import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bed, type BedKind, eventually, startBed } from '../support/testBed.ts'

/**
 * Uploads into a folder a non-root workload owns, through a helper pod, in a namespace that enforces PodSecurity
 * `restricted` (on the real control plane the API server's own admission decides; the simulator models it), and the
 * workload, running as uid 1000 with fsGroup 1000, then changes the uploaded files. Real kubectl plugin dispatch,
 * real busybox pods, real host uids (the beds' runtime runs containers as their uid when the tests run as root).
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
        // A fresh disk is root's (0755): the kubelet gives it to this group, so the workload may write at its top.
        fsGroup: 1000,
        // As most workloads with big volumes set it: the kubelet does not walk (and re-mode) the files every start.
        fsGroupChangePolicy: 'OnRootMismatch',
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
  /** The names of pvclaim's helper pods still in the namespace: none once a transfer has ended, however it ended. */
  const helperPodsLeft = async (): Promise<string> =>
    (await bed.kubectl(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/managed-by=kubectl-pvclaim', '-o', 'name']))
      .stdout
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
      ...['data', 'fresh'].map((name) => ({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name, namespace: NS },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'standard',
          resources: { requests: { storage: '1Gi' } },
        },
      })),
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

  it('a helper pod the namespace admits uploads into the folder as its owner, modes kept, and the uid-1000 workload changes the files', async () => {
    // The workload makes its folder (uid 1000, group 1000 from the fsGroup's setgid bit) and ends, so no running pod
    // mounts the claim.
    const prepared = await runWorkload('prepare', 'mkdir -m 755 /data/work && stat -c "%u %g %a" /data /data/work')
    // With real uids the kubelet gave the fresh disk (root's, 0755) to the fsGroup; under a user namespace (tests not
    // run as root) every file looks like the pod's own.
    if (process.getuid?.() === 0) expect(prepared).toBe('0 1000 2775\n1000 1000 755\n')
    const source = join(work, 'up')
    mkdirSync(source, { recursive: true })
    writeFileSync(join(source, 'a.txt'), 'alpha\n')
    writeFileSync(join(source, 'b.txt'), 'beta\n')
    writeFileSync(join(source, 'run.sh'), '#!/bin/sh\necho ran\n')
    writeFileSync(join(source, 'private.txt'), 'mine\n')
    chmodSync(join(source, 'a.txt'), 0o664)
    chmodSync(join(source, 'run.sh'), 0o755)
    chmodSync(join(source, 'private.txt'), 0o600)
    const uploaded = await bed.kubectl(['pvclaim', 'upload', 'data', source, 'work', '-n', NS, '-v', '1', '--verify'], {
      timeoutMs: 180_000,
    })
    expect(uploaded.code, uploaded.stderr).toBe(0)
    // Every helper this upload started was admitted under restricted: nobody, then the folder's owner.
    const helpers = [...uploaded.stderr.matchAll(/started helper pod (\S+).* as uid (\d+) gid (\d+)/g)]
    expect(
      helpers.map(([, , uid, gid]) => `${uid}:${gid}`),
      uploaded.stderr,
    ).toEqual(['65534:65534', '1000:1000'])
    expect(uploaded.stderr).toMatch(/^4 files, 35 B in .*through helper pod pvclaim-helper-data-\S+ \(deleted\)$/m)
    const changed = await runWorkload(
      'change',
      [
        'cd /data/work/up',
        'stat -c "%u:%g %a %n" a.txt run.sh private.txt',
        './run.sh',
        'echo more >> a.txt',
        'echo changed >> private.txt',
        'rm b.txt',
        'touch c.txt',
        'cat a.txt',
        'ls',
      ].join(' && '),
    )
    // Real uids: the uploaded files are the folder owner's (not nobody's, not root's), with their local modes.
    expect(changed).toBe(
      '1000:1000 664 a.txt\n1000:1000 755 run.sh\n1000:1000 600 private.txt\nran\nalpha\nmore\na.txt\nc.txt\nprivate.txt\nrun.sh\n',
    )
    expect(await helperPodsLeft()).toBe('')
  }, 300_000)

  // Needs real uids (tests run as root): under a user namespace the helper sees every folder as its own.
  it.runIf(process.getuid?.() === 0)(
    'an upload into a fresh disk (root, 0755) in the restricted namespace: one line naming PodSecurity and the fixes, exit 6',
    async () => {
      const source = join(work, 'fresh-up')
      mkdirSync(source, { recursive: true })
      writeFileSync(join(source, 'a.txt'), 'alpha\n')
      const uploaded = await bed.kubectl(['pvclaim', 'upload', 'fresh', source, '-n', NS], { timeoutMs: 180_000 })
      expect(uploaded.code, uploaded.stderr).toBe(6)
      expect(uploaded.stderr).toMatch(
        /^error: cannot upload into the volume root of persistentvolumeclaim "fresh": it belongs to root and only root may write there, and namespace "owned" refuses a root helper pod \(PodSecurity "restricted:latest"\)\nhint: give the workload's pods an fsGroup[^\n]*\n$/,
      )
      expect(await helperPodsLeft()).toBe('')
    },
    300_000,
  )
})
