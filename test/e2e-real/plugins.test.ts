import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { itKnown } from '../support/known-failures.ts'
import { dispatchName, PLUGINS } from '../support/plugins.ts'
import { opensslCertificate } from '../support/secrets.ts'
import { type Bed, type BedKind, eventually, startBed } from '../support/testBed.ts'
import { USAGE_CASES } from '../support/usage-cases.ts'

/**
 * Every plugin through real kubectl plugin dispatch, on the simulator and on the real Kubernetes control plane, with
 * the same assertions: what the plugins print is checked against what real kubectl prints on the same cluster
 * (`describe node`, `top`, `cp`, `get`). One real control plane serves every plugin (it is the expensive bed: ~20 s
 * to start, ~500 MB), so the real-bed scenarios live in this one file. Sim-only checks (faults, the store, request
 * counts) stay in test/e2e.
 */
const BEDS: BedKind[] = ['sim', 'real']
const AE5 = 'anaconda-enterprise'
const WORK = 'e2e'

/** NAME → the word in the STATUS column of a table printed with headers. */
function statusByName(stdout: string, nameHeader: string): Map<string, string> {
  const [header = '', ...rows] = stdout.trimEnd().split('\n')
  const columns = header.split(/ {2,}/)
  const nameAt = columns.indexOf(nameHeader)
  const statusAt = columns.indexOf('STATUS')
  return new Map(
    rows
      .map((row) => row.trim().split(/ +/))
      .filter((cells) => !/^[<*Σ]/.test(cells[nameAt] ?? ''))
      .map((cells) => [cells[nameAt] ?? '', cells[statusAt] ?? '']),
  )
}

const sleeper = (name: string, ns: string, extra: { labels?: Record<string, string>; env?: object[] } = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: extra.labels ?? {} },
  spec: {
    terminationGracePeriodSeconds: 1,
    containers: [
      {
        name: 'main',
        image: 'busybox',
        command: ['sleep', '3600'],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
        ...(extra.env === undefined ? {} : { env: extra.env }),
      },
    ],
  },
})

/** The seed both beds get through kubectl apply: namespaces, AE5-labelled pods, secrets, a broken reference. */
function seed(kind: BedKind): object[] {
  const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
  const tls = opensslCertificate('api.e2e.example', ['DNS:api.e2e.example'], 90, new Date(Date.now() - 80 * 86400_000))
  const objects: object[] = [
    ns(WORK),
    ns(AE5),
    sleeper(`anaconda-session-${'a'.repeat(32)}-5d8f7c9b6-abcde`, AE5, {
      labels: { 'anaconda-session-id': 'a'.repeat(32), 'anaconda-owner': 'alice' },
    }),
    sleeper(`anaconda-app-${'b'.repeat(32)}-6f7c8d9e1-fghij`, AE5, {
      labels: { 'anaconda-app-id': 'b'.repeat(32), 'anaconda-owner': 'alice' },
    }),
    sleeper(`anaconda-session-${'c'.repeat(32)}-7a8b9c0d1-klmno`, AE5, {
      labels: { 'anaconda-session-id': 'c'.repeat(32), 'anaconda-owner': 'bob' },
    }),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'api-tls', namespace: WORK },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': Buffer.from(tls.cert).toString('base64'), 'tls.key': Buffer.from(tls.key).toString('base64') },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'blobs', namespace: WORK },
      type: 'Opaque',
      data: { 'blob.bin': Buffer.from([0, 159, 146, 150, 255, 1, 2]).toString('base64') },
    },
    sleeper('needs-secret', WORK, {
      env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'no-such-secret', key: 'password' } } }],
    }),
  ]
  // The simulator's policy already lets alice read the AE5 namespace; a real cluster needs RBAC for it.
  if (kind === 'real')
    objects.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'ae5-reader', namespace: AE5 },
        rules: [
          { apiGroups: [''], resources: ['pods', 'pods/log', 'events'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: ['get', 'list'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'alice-ae5-reader', namespace: AE5 },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ae5-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
      },
    )
  return objects
}

describe.each(BEDS)('plugins on the %s bed', (kind) => {
  const title = `plugins on the ${kind} bed`
  let bed: Bed
  let work: string

  beforeAll(async () => {
    bed = await startBed(kind)
    work = mkdtempSync(join(tmpdir(), `e2e-${kind}-`))
    await bed.apply(seed(kind))
    const wait = await bed.kubectl(['wait', '--for=condition=Ready', 'pod', '--all', '-n', AE5, '--timeout=90s'], {
      timeoutMs: 100_000,
    })
    expect(wait.code, wait.stderr).toBe(0)
  }, 300_000)

  afterAll(async () => {
    await bed?.stop()
  }, 60_000)

  // The usage checks every bed runs (also test/e2e/usage.test.ts on a generated cluster).
  for (const c of USAGE_CASES)
    itKnown(
      title,
      c.name,
      () =>
        c.run((args) => bed.kubectl(args), {
          metricsForEveryNode: true,
          pods: { scope: ['-n', AE5], atLeast: 3 },
          settleMs: 60_000,
        }),
      c.timeoutMs,
    )

  itKnown(title, 'ae-sessions --mine shows alice her session and deployment, not bob’s', async () => {
    const result = await bed.kubectl(['ae-sessions', '--mine', '-n', AE5], { user: 'alice' })
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^KIND +ID +OWNER +PHASE +READY +RESTARTS +CPU +CPU% +MEMORY +MEM% +GPU +NODE +AGE$/)
    const rows = lines.slice(1).map((line) => line.split(/\s{2,}/))
    // AE5 ids: a1- for sessions, a2- for deployments.
    expect(rows.map((r) => `${r[0]} ${r[1]} ${r[2]} ${r[3]}`).sort()).toEqual([
      `deployment a2-${'b'.repeat(32)} alice Running`,
      `session a1-${'a'.repeat(32)} alice Running`,
    ])
  })

  itKnown(title, 'secretview check -A finds the expiring certificate and the missing secret', async () => {
    const result = await bed.kubectl(['secretview', 'check', '-A'])
    expect(result.code, result.stderr).toBe(10)
    expect(result.stdout).toMatch(/^NAMESPACE +SECRET +KEY +FINDING +DETAIL\n/)
    expect(result.stdout).toMatch(/^e2e +api-tls +tls\.crt +expiring +CN=api\.e2e\.example expires in (9|10)d /m)
    expect(result.stdout).toMatch(
      /^e2e +no-such-secret +- +missing +referenced by pod\/needs-secret \(env PASSWORD of main\), does not exist$/m,
    )
  })

  itKnown(title, 'kubectl plugin list finds every plugin without warnings', async () => {
    const result = await bed.kubectl(['plugin', 'list'])
    expect(result.stderr).toBe('')
    for (const plugin of PLUGINS) expect(result.stdout).toContain(`/${dispatchName(plugin.name)}\n`)
  })

  itKnown(
    title,
    'usage nodes -o wide and ae-sessions nodes print the node STATUS kubectl get nodes prints',
    async () => {
      const theirs = await bed.kubectl(['get', 'nodes'])
      expect(theirs.code, theirs.stderr).toBe(0)
      const expected = statusByName(theirs.stdout, 'NAME')
      expect([...expected.values()]).toEqual(['Ready', 'Ready'])
      const usage = await bed.kubectl(['usage', 'nodes', '-o', 'wide'])
      expect(usage.code, usage.stderr).toBe(0)
      expect(statusByName(usage.stdout, 'NODE')).toEqual(expected)
      const sessions = await bed.kubectl(['ae-sessions', 'nodes'])
      expect(sessions.code, sessions.stderr).toBe(0)
      expect(statusByName(sessions.stdout, 'NODE')).toEqual(expected)
    },
  )

  itKnown(
    title,
    'ae-sessions exits with the forbidden code and one line when the user may not read the namespace',
    async () => {
      const result = await bed.kubectl(['ae-sessions', '-n', 'kube-system'], { user: 'bob' })
      expect(result.code).toBe(6)
      expect(result.stderr.split('\n')[0]).toMatch(/^error: pods is forbidden: User "bob" cannot list/)
    },
  )

  itKnown(title, 'secretview lists secrets with notes and no values, prints a binary value byte for byte', async () => {
    const listed = await bed.kubectl(['secretview', '--all', '-n', WORK])
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).toMatch(/^NAME +TYPE +KEYS +AGE +NOTES\n/)
    expect(listed.stdout).toMatch(/^api-tls +kubernetes\.io\/tls +2 +\S+ +cert expires in (9|10)d/m)
    expect(listed.stdout).not.toContain('BEGIN')
    const value = await bed.kubectl(['secretview', 'blobs', 'blob.bin', '-n', WORK])
    expect(value.code, value.stderr).toBe(0)
    expect(value.stdoutBytes).toEqual(Buffer.from([0, 159, 146, 150, 255, 1, 2]))
    const missing = await bed.kubectl(['secretview', 'nope', '-n', WORK])
    expect(missing.code).toBe(7)
    expect(missing.stderr.split('\n')[0]).toBe(`error: secret "nope" not found in namespace "${WORK}"`)
  })

  itKnown(
    title,
    'pvclaim create, list, upload, download, resize and delete a claim of the standard class',
    async () => {
      const k = (args: string[]) => bed.kubectl(['pvclaim', ...args, '-n', WORK], { timeoutMs: 180_000 })
      const created = await k(['create', 'data', '--size', '1Gi', '--storage-class', 'standard', '--wait'])
      expect(created.code, created.stderr).toBe(0)
      const listed = await k(['list'])
      expect(listed.code, listed.stderr).toBe(0)
      expect(listed.stdout).toMatch(/^data +Bound +1Gi/m)
      const source = join(work, 'upload')
      mkdirSync(join(source, 'sub'), { recursive: true })
      writeFileSync(join(source, 'a.txt'), 'alpha\n')
      writeFileSync(join(source, 'sub', 'b.bin'), Buffer.from([0, 1, 2, 255]))
      const uploaded = await k(['upload', 'data', source, 'in'])
      expect(uploaded.code, uploaded.stderr).toBe(0)
      const down = join(work, 'download')
      const downloaded = await k(['download', 'data', 'in', down])
      expect(downloaded.code, downloaded.stderr).toBe(0)
      const base = join(down, 'in', 'upload')
      expect(readFileSync(join(base, 'a.txt'), 'utf8')).toBe('alpha\n')
      expect(readFileSync(join(base, 'sub', 'b.bin'))).toEqual(Buffer.from([0, 1, 2, 255]))
      // Byte for byte what kubectl cp copies out of a pod that mounts the claim.
      await bed.apply([
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'data-browser', namespace: WORK },
          spec: {
            terminationGracePeriodSeconds: 1,
            volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
            containers: [
              {
                name: 'main',
                image: 'busybox',
                command: ['sleep', '3600'],
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
              },
            ],
          },
        },
      ])
      const ready = await bed.kubectl([
        'wait',
        '--for=condition=Ready',
        'pod/data-browser',
        '-n',
        WORK,
        '--timeout=60s',
      ])
      expect(ready.code, ready.stderr).toBe(0)
      const theirs = join(work, 'theirs')
      const copied = await bed.kubectl(['cp', `${WORK}/data-browser:/data/in/upload`, theirs])
      expect(copied.code, copied.stderr).toBe(0)
      for (const file of ['a.txt', 'sub/b.bin'])
        expect(readFileSync(join(base, file))).toEqual(readFileSync(join(theirs, file)))
      const resized = await k(['resize', 'data', '--size', '2Gi'])
      expect(resized.code, resized.stderr).toBe(0)
      expect(resized.stdout).toBe('persistentvolumeclaim/data resized to 2Gi (was 1Gi)\n')
      const spec = await bed.kubectl([
        'get',
        'pvc',
        'data',
        '-n',
        WORK,
        '-o',
        'jsonpath={.spec.resources.requests.storage}',
      ])
      expect(spec.stdout).toBe('2Gi')
      // The volume grows too (on the real bed through the provisioner acting as the external resizer).
      await eventually(
        'claim capacity 2Gi',
        async () => {
          const r = await bed.kubectl(['get', 'pvc', 'data', '-n', WORK, '-o', 'jsonpath={.status.capacity.storage}'])
          return r.stdout === '2Gi' ? true : undefined
        },
        30_000,
      )
      // Without --force a mounted claim is refused; with it the claim waits (Terminating) for its pod to go.
      const refused = await k(['delete', 'data'])
      expect(refused.code).not.toBe(0)
      expect(refused.stderr).toContain('data-browser')
      const deleted = await k(['delete', 'data', '--force'])
      expect(deleted.code, deleted.stderr).toBe(0)
      expect(deleted.stdout).toBe('persistentvolumeclaim/data deleted\n')
      const held = await bed.kubectl(['get', 'pvc', 'data', '-n', WORK, '--no-headers'])
      expect(held.stdout).toMatch(/^data +Terminating +pvc-/)
      const finalizers = await bed.kubectl(['get', 'pvc', 'data', '-n', WORK, '-o', 'jsonpath={.metadata.finalizers}'])
      expect(finalizers.stdout).toBe('["kubernetes.io/pvc-protection"]')
      const podGone = await bed.kubectl(['delete', 'pod', 'data-browser', '-n', WORK, '--wait=true'])
      expect(podGone.code, podGone.stderr).toBe(0)
      await eventually(
        'claim gone',
        async () => ((await bed.kubectl(['get', 'pvc', 'data', '-n', WORK])).code === 1 ? true : undefined),
        60_000,
      )
    },
    240_000,
  )

  itKnown(
    title,
    'pvclaim create of a ReadWriteMany claim on the ReadWriteOnce class reports why it stays Pending',
    async () => {
      const result = await bed.kubectl(
        [
          'pvclaim',
          'create',
          'rwx',
          '--size',
          '1Gi',
          '--storage-class',
          'standard',
          '--access-mode',
          'RWX',
          '--wait',
          '--timeout',
          '5',
          '-n',
          WORK,
        ],
        { timeoutMs: 60_000 },
      )
      expect(result.code).not.toBe(0)
      expect(result.stderr).toBe(
        'error: persistentvolumeclaim/rwx is still Pending\nhint: see why with kubectl pvclaim describe rwx\n',
      )
      const described = await bed.kubectl(['pvclaim', 'describe', 'rwx', '-n', WORK])
      expect(described.code, described.stderr).toBe(0)
      expect(described.stdout).toMatch(/Pending/)
      expect(described.stdout).toMatch(/ProvisioningFailed/)
      expect(described.stdout).toMatch(/access mode ReadWriteMany is not supported by this class/)
      const phase = await bed.kubectl(['get', 'pvc', 'rwx', '-n', WORK, '-o', 'jsonpath={.status.phase}'])
      expect(phase.stdout).toBe('Pending')
    },
    90_000,
  )

  itKnown(
    title,
    'mrun runs a real command, lists it, shows status and logs, fetches its output and deletes it',
    async () => {
      const m = (args: string[], timeoutMs = 180_000) => bed.kubectl(['mrun', ...args], { timeoutMs })
      const added = await m([
        'profile',
        'add',
        `e2e-${kind}`,
        '-n',
        'mrun-e2e',
        '--storage-class',
        'shared',
        '--storage-size',
        '1Gi',
      ])
      expect(added.code, added.stderr).toBe(0)
      const run = await m([
        'run',
        '--image',
        'python:3.12',
        '--wait',
        '--',
        'sh',
        '-c',
        'echo hello from mrun; mkdir -p "$MRUN_OUTPUT_DIR"; echo 42 > "$MRUN_OUTPUT_DIR/answer.txt"',
      ])
      expect(run.code, `${run.stdout}${run.stderr}`).toBe(0)
      const name = /job\.batch\/(\S+)/.exec(run.stdout)?.[1] ?? ''
      expect(name).toMatch(/^sh-[a-z][a-z0-9]{5}$/)
      const listed = await m(['list'])
      expect(listed.stdout).toMatch(new RegExp(`${name}\\s+sh\\s+<none>\\s+succeeded`))
      const status = await m(['status', name])
      expect(status.code, status.stderr).toBe(0)
      expect(status.stdout).toMatch(new RegExp(`^${name}-[a-z0-9]{5} +Succeeded +node-[ab] +0`, 'm'))
      const logs = await m(['logs', name])
      expect(logs.code, logs.stderr).toBe(0)
      expect(logs.stdout).toContain('hello from mrun\n')
      const into = join(work, 'fetched')
      const fetched = await m(['fetch', name, into])
      expect(fetched.code, fetched.stderr).toBe(0)
      expect(readFileSync(join(into, 'answer.txt'), 'utf8')).toBe('42\n')
      const jobs = await bed.kubectl([
        'get',
        'jobs',
        '-n',
        'mrun-e2e',
        '-l',
        'app.kubernetes.io/managed-by=kubectl-mrun',
        '-o',
        'name',
      ])
      expect(jobs.stdout).toBe(`job.batch/${name}\n`)
      const deleted = await m(['delete', name])
      expect(deleted.stdout).toBe(`job.batch/${name} deleted\n`)
      // --follow prints the job's name and then the run's log, ending with its exit.
      const followed = await m(['run', '--image', 'busybox', '--follow', '--', 'sh', '-c', 'echo hello'])
      expect(followed.stdout).toMatch(/^job\.batch\/sh-[a-z][a-z0-9]{5} created\nhello\n$/)
      expect(followed.code, followed.stderr).toBe(0)
      // A sweep: an Indexed Job whose pods start through sh /etc/mrun/grid/select.sh from the sweep's ConfigMap.
      const sweep = await m([
        'run',
        '--image',
        'busybox',
        '--grid',
        'n=1,2',
        '--wait',
        '--',
        'sh',
        '-c',
        'mkdir -p "$MRUN_OUTPUT_DIR"; echo "point $MRUN_PARAM_N"; echo "$MRUN_PARAMS" > "$MRUN_OUTPUT_DIR/point-$MRUN_PARAM_N.json"',
      ])
      expect(sweep.code, `${sweep.stdout}${sweep.stderr}`).toBe(0)
      const sweepName = /job\.batch\/(\S+)/.exec(sweep.stdout)?.[1] ?? ''
      const sweepLogs = await m(['logs', sweepName])
      expect(sweepLogs.code, sweepLogs.stderr).toBe(0)
      expect(sweepLogs.stdout).toContain('point 1')
      expect(sweepLogs.stdout).toContain('point 2')
      const sweepInto = join(work, 'sweep')
      const sweepFetched = await m(['fetch', sweepName, sweepInto])
      expect(sweepFetched.code, sweepFetched.stderr).toBe(0)
      // Each point keeps its outputs in a folder of its own, named by its index.
      expect(readFileSync(join(sweepInto, '0', 'point-1.json'), 'utf8')).toBe('{"n":1}\n')
      expect(readFileSync(join(sweepInto, '1', 'point-2.json'), 'utf8')).toBe('{"n":2}\n')
      // A Python sweep whose points report metrics: two in metrics.json on the claim, one on its log.
      const python = [
        'import json, os',
        'p = json.loads(os.environ["MRUN_PARAMS"])',
        'm = {"loss": round(1 / (1 + 100 * p["lr"]), 4)}',
        'os.makedirs(os.environ["MRUN_OUTPUT_DIR"], exist_ok=True)',
        'if p["lr"] == 0.001: print(json.dumps(m))',
        'else: json.dump(m, open(os.path.join(os.environ["MRUN_OUTPUT_DIR"], "metrics.json"), "w"))',
      ].join('\n')
      const pySweep = await m([
        'run',
        '--image',
        'python:3.12',
        '--name',
        'py-sweep',
        '--grid',
        'lr=0.1,0.01,0.001',
        '--wait',
        '--',
        // python3 or python: both beds run python images with python3 and the image's python link on PATH.
        'python3',
        '-c',
        python,
      ])
      const pyLogs = pySweep.code === 0 ? '' : (await m(['logs', 'py-sweep'])).stdout
      expect(pySweep.code, `${pySweep.stdout}${pySweep.stderr}${pyLogs}`).toBe(0)
      const results = await m(['results', 'py-sweep', '-o', 'json'])
      expect(results.code, results.stderr).toBe(0)
      const items = (JSON.parse(results.stdout) as { items: Record<string, unknown>[] }).items
      expect(items.map((i) => [i.index, i.params, i.state, i.metrics, i.source])).toEqual([
        [0, { lr: 0.1 }, 'succeeded', { loss: 0.0909 }, 'metrics.json'],
        [1, { lr: 0.01 }, 'succeeded', { loss: 0.5 }, 'metrics.json'],
        [2, { lr: 0.001 }, 'succeeded', { loss: 0.9091 }, 'log'],
      ])
      const table = await m(['results', 'py-sweep', '--sort-by', 'loss', '--desc'])
      expect(table.stdout.split('\n')[0]).toMatch(/^INDEX +lr +STATE +DURATION +loss$/)
      expect(
        table.stdout
          .split('\n')
          .slice(1, 4)
          .map((l) => l.trim().split(/ +/)[0]),
      ).toEqual(['2', '1', '0'])
      const unknown = await m(['status', 'nope', '-n', 'mrun-e2e'])
      expect(unknown.code).toBe(7)
      expect(unknown.stderr.split('\n')[0]).toBe(
        'error: run "nope" not found in namespace "mrun-e2e" (as a job, a run id or an experiment)',
      )
    },
    300_000,
  )
})
