import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Grid, gridPoint } from '../../plugins/mrun/model.ts'
import { jsonConventionProblems } from '../../shared/output/index.ts'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { type MrunHarness, mrunHarness } from '../support/mrun.ts'
import { kubectl } from '../support/run.ts'

/**
 * kubectl mrun end to end against the simulated cluster, whose pods run real processes: ready images on busybox, and
 * images the fake builders "push" into the simulator's registry run the user's Python code on the host's python3.
 */
let sim: Sim
let kubeconfig: string
let h: MrunHarness
const NS = 'mrun-test'

type Obj = {
  kind?: string
  metadata: { name: string; labels?: Record<string, string> }
  spec?: Record<string, unknown>
}
const jobs = (ns = NS): Obj[] => [...sim.store.all('jobs', ns)] as unknown as Obj[]
const jobNamed = (name: string): Obj | undefined => jobs().find((j) => j.metadata.name === name)
const createdName = (stdout: string): string => /job\.batch\/(\S+)/.exec(stdout)?.[1] ?? ''

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: true })
  kubeconfig = sim.writeKubeconfig({ user: 'admin' })
  h = mrunHarness(kubeconfig, { registryDir: sim.registryDir })
  writeFileSync(join(h.project, 'train.py'), 'print("training")\n')
  writeFileSync(join(h.project, 'requirements.txt'), 'numpy==2.1.0\n')
  mkdirSync(join(h.project, 'data'))
  writeFileSync(join(h.project, 'data/checkpoint.bin'), 'big')
  mkdirSync(join(h.project, '.git'))
  writeFileSync(join(h.project, '.git/HEAD'), 'ref: main')
  writeFileSync(join(h.project, '.mrunignore'), 'data/\n*.log\n')
  writeFileSync(join(h.project, 'debug.log'), 'noise')
  const added = await h.mrun(['profile', 'add', 'lab', '-n', NS, '--registry', 'reg.example.com/team', '--cpu', '100m'])
  expect(added.stderr).toBe('')
  expect(added.code).toBe(0)
})

afterAll(async () => {
  await sim.stop()
  h.cleanup()
})

describe('kubectl mrun run with a local builder', () => {
  it('builds with docker from the filtered context, pushes, ensures namespace and claim, and the Job succeeds', async () => {
    const result = await h.mrun(['run', '--wait', '--tag', 'baseline', '--', 'train.py', '--', '--epochs', '3'])
    expect(result.stderr).toContain('namespace/mrun-test created')
    expect(result.stderr).toContain('persistentvolumeclaim/mrun-storage created')
    expect(result.code, result.stderr).toBe(0)
    const name = createdName(result.stdout)
    expect(name).toMatch(/^train-[a-z][a-z0-9]{5}$/)
    const calls = readFileSync(h.fakeLog, 'utf8').trim().split('\n')
    const image = /--tag (\S+)/.exec(calls.find((c) => c.startsWith('docker build')) ?? '')?.[1] ?? ''
    expect(image).toMatch(/^reg\.example\.com\/team\/mrun-test:ctx-[0-9a-f]{16}$/)
    expect(calls.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual([
      'docker image',
      'docker build',
      'docker push',
    ])
    expect(calls[1]).toMatch(
      new RegExp(`^docker build --tag ${image.replaceAll('.', '\\.')} --file (\\S+)/Dockerfile \\1$`),
    )
    expect(readFileSync(`${h.fakeLog}.context`, 'utf8').trim().split('\n')).toEqual([
      './Dockerfile',
      './requirements.txt',
      './train.py',
    ])
    expect(readFileSync(`${h.fakeLog}.dockerfile`, 'utf8')).toBe(
      [
        'FROM python:3.12',
        'WORKDIR /experiment',
        'COPY requirements.txt /experiment/requirements.txt',
        'RUN pip install --no-cache-dir -r /experiment/requirements.txt',
        'COPY . /experiment',
        '',
      ].join('\n'),
    )
    const job = jobNamed(name) as Obj
    expect(job.metadata.labels).toMatchObject({ 'mrun/experiment': 'train', 'mrun.tag/baseline': 'true' })
    const container = (job.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec
      .containers[0]
    expect(container).toMatchObject({
      image,
      command: ['python', 'train.py'],
      args: ['--epochs', '3'],
      resources: { requests: { cpu: '100m' }, limits: { cpu: '100m' } },
    })
    const logs = await h.mrun(['logs', name])
    expect(logs.stdout).toBe('training\n') // train.py itself ran, in the image built from the context
  })

  it('re-running the same code reuses the image and the namespace and claim, and makes a new run', async () => {
    const before = jobs().length
    const result = await h.mrun(['run', '--', 'train.py'])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('namespace/mrun-test exists')
    expect(result.stderr).toContain('persistentvolumeclaim/mrun-storage exists')
    expect(result.stderr).toContain('already built from this code; not rebuilding')
    expect(jobs().length).toBe(before + 1)
    expect(readFileSync(h.fakeLog, 'utf8').match(/docker build/g)?.length).toBe(1)
  })

  it("runs the user's Python code for real: it reads its arguments and its outputs are there for fetch", async () => {
    writeFileSync(
      join(h.project, 'train.py'),
      [
        'import json, os, sys',
        'args = sys.argv[1:]',
        'lr = float(args[args.index("--lr") + 1])',
        'out = os.environ["MRUN_OUTPUT_DIR"]',
        'os.makedirs(out, exist_ok=True)',
        'json.dump({"lr": lr, "loss": round(1 / (1 + lr), 4), "cwd": os.getcwd()}, open(os.path.join(out, "metrics.json"), "w"))',
        'print(f"trained with lr={lr}")',
        '',
      ].join('\n'),
    )
    const result = await h.mrun(['run', '--wait', '--', 'train.py', '--', '--lr', '0.1'])
    expect(result.code, result.stderr).toBe(0)
    const name = createdName(result.stdout)
    expect((await h.mrun(['logs', name])).stdout).toBe('trained with lr=0.1\n')
    const target = join(h.configHome, 'fetched-python')
    const fetched = await h.mrun(['fetch', name, target])
    expect(fetched.code, fetched.stderr).toBe(0)
    expect(JSON.parse(readFileSync(join(target, 'metrics.json'), 'utf8'))).toEqual({
      lr: 0.1,
      loss: 0.9091,
      cwd: '/experiment',
    })
    writeFileSync(join(h.project, 'train.py'), 'print("training")\n')
  })

  it.each(['podman', 'buildah'])('%s gets the same context with its own command lines', async (builder) => {
    writeFileSync(h.fakeLog, '')
    writeFileSync(join(h.project, 'train.py'), `print("${builder}")\n`)
    const result = await h.mrun(['run', '--builder', builder, '--dry-run', '--', 'train.py'])
    expect(result.code).toBe(0)
    expect(readFileSync(h.fakeLog, 'utf8')).toBe('') // a dry run builds nothing
    const real = await h.mrun(['run', '--builder', builder, '--', 'train.py'])
    expect(real.code).toBe(0)
    const calls = readFileSync(h.fakeLog, 'utf8').trim().split('\n')
    const verbs =
      builder === 'podman' ? ['image exists', 'build --tag', 'push'] : ['inspect --type', 'build --tag', 'push']
    expect(
      calls.map((c) =>
        c
          .split(' ')
          .slice(1, 1 + (verbs[calls.indexOf(c)] ?? '').split(' ').length)
          .join(' '),
      ),
    ).toEqual(verbs)
    expect(readFileSync(`${h.fakeLog}.context`, 'utf8')).toContain('./train.py')
  })
})

describe('a failed build', () => {
  it('leaves no namespace, claim, Secret or Job behind: the image is built before anything is created', async () => {
    const project = join(h.configHome, 'failing-project')
    mkdirSync(project, { recursive: true })
    writeFileSync(join(project, 'train.py'), 'print("never built")\n')
    await h.mrun(['profile', 'add', 'failbuild', '-n', 'mrun-failbuild', '--registry', 'reg.example.com/team'])
    const result = await h.mrun(['run', '--profile', 'failbuild', '--', 'train.py'], {
      cwd: project,
      env: { FAKE_BUILD_EXIT: '1' },
    })
    expect(result.code).not.toBe(0)
    expect(result.stderr).not.toContain('namespace/mrun-failbuild')
    expect(sim.store.get('namespaces', undefined, 'mrun-failbuild')).toBeUndefined()
    expect([...sim.store.all('persistentvolumeclaims', 'mrun-failbuild')]).toEqual([])
    expect([...sim.store.all('jobs', 'mrun-failbuild')]).toEqual([])
  })
})

describe('runs by experiment name', () => {
  it('logs, status and fetch take the experiment name for its newest run; delete takes only a run', async () => {
    const first = await h.mrun([
      'run',
      '--wait',
      '--image',
      'busybox',
      '--name',
      'resnet',
      '--',
      'sh',
      '-c',
      'echo first',
    ])
    expect(first.code, first.stderr).toBe(0)
    // Creation times have a one-second resolution: the second run must be visibly newer.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const second = await h.mrun([
      'run',
      '--wait',
      '--image',
      'busybox',
      '--name',
      'resnet',
      '--',
      'sh',
      '-c',
      'echo second',
    ])
    expect(second.code, second.stderr).toBe(0)
    const logs = await h.mrun(['logs', 'resnet'])
    expect(logs.code, logs.stderr).toBe(0)
    expect(logs.stdout).toBe('second\n')
    const status = await h.mrun(['status', 'resnet'])
    expect(status.stderr + status.stdout).toContain(createdName(second.stdout))
    const deleted = await h.mrun(['delete', 'resnet'])
    expect(deleted.code).toBe(7)
    expect(deleted.stderr.split('\n')[0]).toBe(`error: run "resnet" not found in namespace "${NS}"`)
  })
})

describe('sweeps, status, logs, list and delete', () => {
  let sweep = ''
  it('runs the grid as one Indexed Job; failing points do not stop the others, and fail the run with exit 1', async () => {
    const result = await h.mrun([
      'run',
      '--wait',
      '--image',
      'busybox',
      '--name',
      'lr-sweep',
      '--grid',
      'lr=0.1,0.2',
      '--grid',
      'bs=16,32',
      '--',
      'sh',
      '-c',
      'echo params $MRUN_PARAMS lr $MRUN_PARAM_LR index $MRUN_INDEX; [ $MRUN_INDEX = 0 ] || sleep 2; exit $MRUN_INDEX',
    ])
    sweep = createdName(result.stdout)
    // Per-index backoff: every point ran to its end, index 0 succeeded although 1-3 failed.
    expect(result.stderr).toContain(`error: run ${sweep} failed (FailedIndexes: index 1-3 of 4 failed)`)
    expect(result.code).toBe(1)
    const job = jobNamed(sweep) as Obj
    expect(job.spec).toMatchObject({
      completionMode: 'Indexed',
      completions: 4,
      backoffLimitPerIndex: 0,
      maxFailedIndexes: 4,
    })
    // Not sent: the API server's default with per-index backoff is no limit for the sweep as a whole.
    expect(job.spec?.backoffLimit).toBe(2147483647)
  })

  it('status shows each index with node, exit code and reason', async () => {
    const result = await h.mrun(['status', sweep, '-o', 'json'])
    expect(result.code).toBe(0)
    const status = JSON.parse(result.stdout) as {
      run: { phase: string }
      pods: { index: number; phase: string; exitCode: number; node: string; reason: string }[]
    }
    expect(status.run.phase).toBe('failed')
    const index0 = status.pods.find((p) => p.index === 0)
    expect(index0).toMatchObject({ phase: 'Succeeded', exitCode: 0 })
    expect(index0?.node).not.toBe('')
    expect(status.pods.map((p) => [p.index, p.phase, p.exitCode, p.reason])).toEqual([
      [0, 'Succeeded', 0, ''],
      [1, 'Failed', 1, 'Error'],
      [2, 'Failed', 2, 'Error'],
      [3, 'Failed', 3, 'Error'],
    ])
    const table = await h.mrun(['status', sweep])
    expect(table.stdout.split('\n')[0]).toMatch(/^INDEX\s+POD\s+PHASE\s+NODE\s+EXIT\s+REASON$/)
    expect(table.stderr).toContain(`run ${sweep} in ${NS}: failed (FailedIndexes)`)
  })

  it('logs of one index carry that index and its parameters', async () => {
    const one = await h.mrun(['logs', sweep, '--index', '0'])
    // Each pod gets its own point (from the sweep's ConfigMap), not the whole grid.
    expect(one.stdout).toBe('params {"lr":0.1,"bs":16} lr 0.1 index 0\n')
    const all = await h.mrun(['logs', sweep])
    expect(all.stdout).toMatch(/^\[0\] params .* index 0$/m)
    const bad = await h.mrun(['logs', sweep, '--index', '9'])
    expect(bad.code).toBe(2)
  })

  it('status names the scheduler message of an unschedulable run', async () => {
    const result = await h.mrun(['run', '--image', 'busybox', '--cpu', '500', '--', 'sh', '-c', 'echo never'])
    const name = createdName(result.stdout)
    await sim.idle()
    const status = await h.mrun(['status', name])
    expect(status.stdout).toMatch(
      /Pending\s+<none>\s+-\s+Unschedulable: 0\/\d+ nodes are available: .*Insufficient cpu/,
    )
    await h.mrun(['delete', name])
  })

  it('logs -f streams a running pod until the run ends', async () => {
    const started = await h.mrun(['run', '--image', 'busybox', '--', 'sh', '-c', 'echo start; sleep 1; echo done'])
    const name = createdName(started.stdout)
    const follow = await h.mrun(['logs', name, '-f'])
    expect(follow.code).toBe(0)
    expect(follow.stdout).toBe('start\ndone\n')
  })

  it('run --follow streams every index of a sweep, prefixed', async () => {
    const result = await h.mrun([
      'run',
      '--follow',
      '--image',
      'busybox',
      '--grid',
      'x=a,b',
      '--',
      'sh',
      '-c',
      'sleep 1; echo x is $MRUN_INDEX',
    ])
    expect(result.code).toBe(0)
    expect(
      result.stdout
        .split('\n')
        .filter((l) => l.startsWith('['))
        .sort(),
    ).toEqual(['[0] x is 0', '[1] x is 1'])
  })

  it('list and status -o json keep the suite JSON convention; jsonpath reads them', async () => {
    const list = await h.mrun(['list', '-A', '-o', 'json'])
    const doc = JSON.parse(list.stdout) as { items: { name: string }[] }
    expect(jsonConventionProblems(doc)).toEqual([])
    const status = await h.mrun(['status', sweep, '-o', 'json'])
    expect(jsonConventionProblems(JSON.parse(status.stdout))).toEqual([])
    const names = await h.mrun(['list', '-A', '-o', 'jsonpath={.items[*].name}'])
    expect(names.stdout).toBe(doc.items.map((i) => i.name).join(' '))
    const pods = await h.mrun(['status', sweep, '-o', 'custom-columns=POD:.pod,PHASE:.phase'])
    expect(pods.stdout.split('\n')[0]).toMatch(/^POD +PHASE$/)
  })

  it('list -A shows runs with experiment, tags, status counts', async () => {
    const result = await h.mrun(['list', '-A', '-o', 'json'])
    expect(result.code).toBe(0)
    const runs = (
      JSON.parse(result.stdout) as { items: { name: string; phase: string; counts?: string; tags: string[] }[] }
    ).items
    expect(runs.find((r) => r.name === sweep)).toMatchObject({
      phase: 'failed',
      counts: expect.stringMatching(/^\d\/4$/),
    })
    expect(runs.some((r) => r.tags.includes('baseline') && r.phase === 'succeeded')).toBe(true)
    const table = await h.mrun(['list'])
    expect(table.stdout.split('\n')[0]).toMatch(/^RUN\s+EXPERIMENT\s+TAGS\s+STATUS\s+DURATION\s+AGE$/)
    expect(table.stdout).toMatch(new RegExp(`${sweep}\\s+lr-sweep\\s+<none>\\s+failed \\d/4 \\(\\d failed\\)`))
  })

  it('delete removes the Job and its pods but never the storage; --with-storage needs --yes', async () => {
    const result = await h.mrun(['delete', sweep])
    expect(result.stdout).toBe(`job.batch/${sweep} deleted\n`)
    expect(jobNamed(sweep)).toBeUndefined()
    expect([...sim.store.all('pods', NS)].filter((p) => p.metadata.name.startsWith(sweep))).toEqual([])
    const finished = await h.mrun(['delete', '--all-finished'])
    expect(finished.code).toBe(0)
    expect(jobs().filter((j) => j.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-mrun')).toEqual([])
    expect(sim.store.get('persistentvolumeclaims', NS, 'mrun-storage')).toBeDefined()
    const unconfirmed = await h.mrun(['delete', '--with-storage'])
    expect(unconfirmed.code).toBe(2)
    expect(sim.store.get('persistentvolumeclaims', NS, 'mrun-storage')).toBeDefined()
    const missing = await h.mrun(['delete', 'no-such-run'])
    expect(missing.code).toBe(7)
  })
})

describe('fetch', () => {
  it("downloads a finished run's outputs from the storage claim through a helper pod, which is gone afterwards", async () => {
    const started = await h.mrun([
      'run',
      '--image',
      'busybox',
      '--wait',
      '--',
      'sh',
      '-c',
      'mkdir -p $MRUN_OUTPUT_DIR/plots && echo 0.93 > $MRUN_OUTPUT_DIR/accuracy.txt && echo png > $MRUN_OUTPUT_DIR/plots/loss.png',
    ])
    expect(started.code, started.stderr).toBe(0)
    const name = createdName(started.stdout)
    const target = join(h.configHome, 'fetched')
    const fetched = await h.mrun(['fetch', name, target, '--verify'])
    expect(fetched.code, fetched.stderr).toBe(0)
    expect(readFileSync(join(target, 'accuracy.txt'), 'utf8')).toBe('0.93\n')
    expect(readFileSync(join(target, 'plots', 'loss.png'), 'utf8')).toBe('png\n')
    expect(fetched.stderr).toMatch(/2 files, .* verified by sha256 of every file, through helper pod \S+ \(deleted\)/)
    const helpers = [...sim.store.all('pods', NS)].filter(
      (p) =>
        p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-mrun' &&
        p.metadata.name.startsWith('pvclaim-helper'),
    )
    expect(helpers).toEqual([])
  })

  it('says so when a run wrote no outputs', async () => {
    const started = await h.mrun(['run', '--image', 'busybox', '--wait', '--', 'sh', '-c', 'echo nothing kept'])
    const fetched = await h.mrun(['fetch', createdName(started.stdout), join(h.configHome, 'none')])
    expect(fetched.code).toBe(7)
    expect(fetched.stderr).toMatch(/^error: "runs\/[a-z0-9]{6}" does not exist in persistentvolumeclaim "mrun-storage"/)
  })
})

describe('the in-cluster builder', () => {
  it('creates the build Job with the context, follows it, removes it, then runs the built image', async () => {
    writeFileSync(
      join(h.configHome, 'docker-config.json'),
      '{"auths":{"reg.example.com":{"auth":"c2VjcmV0LXVzZXI6czNjcjN0"}}}',
    )
    const added = await h.mrun([
      'profile',
      'add',
      'incluster',
      '-n',
      'mrun-build',
      '--registry',
      'reg.example.com/team',
      '--builder',
      'cluster',
      '--registry-auth-file',
      join(h.configHome, 'docker-config.json'),
    ])
    expect(added.code).toBe(0)
    const start = sim.requests.length
    const result = await h.mrun(['run', '--profile', 'incluster', '--wait', '--', 'train.py'], {
      env: { PATH: '/usr/bin:/bin' }, // no docker needed
    })
    expect(result.stderr).toContain('building reg.example.com/team/mrun-build:ctx-')
    expect(result.stderr).toMatch(
      /kaniko \(recording fake\): \/kaniko\/executor --context=tar:\/\/\/workspace\/context\.tar\.gz --dockerfile=Dockerfile --destination=reg\.example\.com\/team\/mrun-build:ctx-/,
    )
    expect(result.code).toBe(0)
    const posts = sim.requests
      .slice(start)
      .filter((r) => r.method === 'POST')
      .map((r) => r.path)
    // The build comes before the claim and the run's Job: kaniko needs only the namespace and the registry Secret.
    expect(posts).toEqual([
      '/api/v1/namespaces',
      '/api/v1/namespaces/mrun-build/secrets',
      '/api/v1/namespaces/mrun-build/configmaps',
      '/apis/batch/v1/namespaces/mrun-build/jobs',
      '/api/v1/namespaces/mrun-build/persistentvolumeclaims',
      '/apis/batch/v1/namespaces/mrun-build/jobs',
    ])
    const left = [...sim.store.all('jobs', 'mrun-build'), ...sim.store.all('configmaps', 'mrun-build')].filter((o) =>
      o.metadata.name.startsWith('mrun-build-'),
    )
    expect(left).toEqual([])
    expect([...sim.store.all('pods', 'mrun-build')].filter((p) => p.metadata.name.startsWith('mrun-build-'))).toEqual(
      [],
    )
    const secret = sim.store.get('secrets', 'mrun-build', 'mrun-registry') as { type?: string }
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson')
    expect(result.stdout + result.stderr).not.toContain('c2VjcmV0LXVzZXI6czNjcjN0')
  })
})

describe('credentials', () => {
  it('the Neptune token becomes a Secret referenced by secretKeyRef, never a plain value or output', async () => {
    const token = 'nep-token-value-123'
    await h.mrun(['profile', 'add', 'neptune', '-n', 'mrun-nep', '--neptune-project', 'org/proj'])
    const result = await h.mrun(['run', '--profile', 'neptune', '--image', 'busybox', '--', 'sh', '-c', 'echo hi'], {
      env: { NEPTUNE_API_TOKEN: token },
    })
    expect(result.code).toBe(0)
    expect(result.stdout + result.stderr).not.toContain(token)
    const job = [...sim.store.all('jobs', 'mrun-nep')][0] as unknown as Obj
    const text = JSON.stringify(job)
    expect(text).not.toContain(token)
    expect(text).not.toContain(Buffer.from(token).toString('base64'))
    expect(text).toContain('"secretKeyRef":{"name":"mrun-neptune","key":"token"}')
    const dry = await h.mrun(['run', '--profile', 'neptune', '--dry-run', '-o', 'yaml', '--image', 'b', '--', 'x'], {
      env: { NEPTUNE_API_TOKEN: token },
    })
    expect(dry.stdout + dry.stderr).not.toContain(token)
    expect(dry.stdout + dry.stderr).not.toContain(Buffer.from(token).toString('base64'))
  })
})

describe('conflicts are errors, never skipped', () => {
  it('an existing claim with other access modes stops the run before the Job', async () => {
    await h.mrun(['profile', 'add', 'rwo', '-n', 'mrun-rwo'])
    sim.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mrun-rwo' } })
    sim.store.create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'mrun-storage', namespace: 'mrun-rwo' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    })
    const result = await h.mrun([
      'run',
      '--profile',
      'rwo',
      '--access-mode',
      'ReadWriteMany',
      '--image',
      'busybox',
      '--',
      'sh',
      '-c',
      'echo hi',
    ])
    expect(result.stderr).toContain(
      'error: claim "mrun-storage" in namespace "mrun-rwo" exists with access modes ReadWriteOnce, not ReadWriteMany',
    )
    expect(result.code).toBe(8)
    expect([...sim.store.all('jobs', 'mrun-rwo')]).toEqual([])
  })

  it('a Secret of our name that mrun did not create is not overwritten', async () => {
    await h.mrun(['profile', 'add', 'theirs', '-n', 'mrun-theirs', '--neptune-project', 'o/p'])
    sim.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mrun-theirs' } })
    sim.store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'mrun-neptune', namespace: 'mrun-theirs' },
      data: { token: Buffer.from('theirs').toString('base64') },
    })
    const result = await h.mrun(['run', '--profile', 'theirs', '--image', 'busybox', '--', 'sh', '-c', 'echo hi'], {
      env: { NEPTUNE_API_TOKEN: 'ours' },
    })
    expect(result.code).toBe(8)
    const secret = sim.store.get('secrets', 'mrun-theirs', 'mrun-neptune') as unknown as { data: { token: string } }
    expect(secret.data.token).toBe(Buffer.from('theirs').toString('base64'))
    expect([...sim.store.all('jobs', 'mrun-theirs')]).toEqual([])
  })
})

describe('bad input: one line, an exit code, nothing created', () => {
  it.each([
    [
      'unknown profile',
      ['run', '--profile', 'nope', '--', 'train.py'],
      3,
      'mrun profile "nope" (from --profile) is not defined',
    ],
    ['missing script', ['run', '--', 'missing.py'], 2, 'script missing.py does not exist'],
    [
      'missing requirements',
      ['run', '--requirements', 'nope.txt', '--', 'train.py'],
      2,
      'requirements file nope.txt does not exist',
    ],
    ['invalid quantity', ['run', '--mem', '8Gii', '--', 'train.py'], 2, '--mem "8Gii" is not a quantity'],
    ['grid without values', ['run', '--grid', 'lr=', '--', 'train.py'], 2, '--grid "lr=" has no values'],
    ['registry unset', ['run', '--profile', 'noreg', '--', 'train.py'], 3, 'no registry to push the image to'],
    ['builder missing', ['run', '--builder', 'podman', '--', 'train.py'], 3, 'builder podman is not installed'],
    ['no command', ['run'], 2, 'no command to run'],
  ])('%s', async (_label, args, code, message) => {
    await h.mrun(['profile', 'add', 'noreg', '-n', 'mrun-noreg'])
    const requests = sim.requests.length
    const result = await h.mrun(args, _label === 'builder missing' ? { env: { PATH: '/usr/bin:/bin' } } : {})
    expect(result.stderr.split('\n')[0]).toContain(message)
    expect(result.stderr).not.toContain('    at ')
    expect(result.code).toBe(code)
    expect(sim.requests.slice(requests).filter((r) => r.method !== 'GET')).toEqual([])
    expect(sim.store.get('namespaces', undefined, 'mrun-noreg')).toBeUndefined()
  })
})

describe('dry run', () => {
  it('prints the Namespace, claim and Job as golden YAML, and the server accepts exactly those objects', async () => {
    await h.mrun(['profile', 'add', 'golden', '-n', 'mrun-golden', '--gpu', '1', '--mem', '2Gi', '--cpu', '1'])
    const result = await h.mrun([
      'run',
      '--profile',
      'golden',
      '--dry-run',
      '-o',
      'yaml',
      '--image',
      'busybox:1.36',
      '--tag',
      'nightly',
      '--grid',
      'lr=0.1,0.01',
      '--parallelism',
      '1',
      '--retries',
      '2',
      '--',
      'train.py',
      '--',
      '--epochs',
      '3',
    ])
    expect(result.code).toBe(0)
    const runId = /mrun\/run-id: (\S+)/.exec(result.stdout)?.[1] ?? 'missing'
    const yaml = result.stdout.replaceAll(runId, 'RUNID')
    const golden = join(import.meta.dirname, '../../plugins/mrun/testdata/golden/run.dry-run.yaml')
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, yaml)
    expect(yaml).toBe(readFileSync(golden, 'utf8'))
    expect(sim.store.get('namespaces', undefined, 'mrun-golden')).toBeUndefined()
    const file = join(h.configHome, 'dry.yaml')
    writeFileSync(file, result.stdout)
    const created = await kubectl(kubeconfig, ['create', '-f', file])
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
  })
})

describe('--ttl is a duration', () => {
  it.each([
    ['48h', 172_800],
    ['90m', 5400],
    ['30', 30],
    ['0', 0],
    ['2000h', 7_200_000],
  ])('--ttl %s keeps a finished run %i seconds', async (ttl, seconds) => {
    const result = await h.mrun(['run', '--dry-run', '-o', 'json', '--image', 'busybox', '--ttl', ttl, '--', 'true'])
    expect(result.code, result.stderr).toBe(0)
    const job = (JSON.parse(result.stdout) as { items: Obj[] }).items.find((o) => o.kind === 'Job')
    expect(job?.spec?.ttlSecondsAfterFinished).toBe(seconds)
  })

  it.each(['-1h', '3 days', 'forever'])('--ttl %s is refused with exit 2', async (ttl) => {
    const result = await h.mrun(['run', '--dry-run', '--image', 'busybox', '--ttl', ttl, '--', 'true'])
    expect(result.code).toBe(2)
    expect(result.stderr.split('\n')[0]).toMatch(new RegExp(`^error: invalid --ttl "${ttl}": `))
  })
})

describe('experiment file', () => {
  it('takes name, project, tags and parameters; lists become the sweep, --grid overrides a key', async () => {
    const file = join(h.project, 'experiment.yaml')
    writeFileSync(
      file,
      [
        'name: resnet',
        'project: vision',
        'tags: [big, gpu]',
        'parameters:',
        '  lr: [0.1, 0.01]',
        '  opt: [adam, sgd]',
        '  epochs: 3',
        '',
      ].join('\n'),
    )
    const result = await h.mrun([
      'run',
      '--config',
      file,
      '--grid',
      'opt=lion',
      '--dry-run',
      '-o',
      'json',
      '--image',
      'b',
      '--',
      'train.py',
    ])
    expect(result.code).toBe(0)
    const items = (JSON.parse(result.stdout) as { items: Obj[] }).items
    const job = items.find((o) => o.kind === 'Job') as Obj & { metadata: { annotations: Record<string, string> } }
    const gridMap = items.find((o) => o.kind === 'ConfigMap') as Obj & { data: Record<string, string> }
    expect(job.metadata.name).toMatch(/^resnet-[a-z][a-z0-9]{5}$/)
    expect(gridMap.metadata.name).toBe(`${job.metadata.name}-grid`)
    expect(job.metadata.labels).toMatchObject({
      'mrun/project': 'vision',
      'mrun.tag/big': 'true',
      'mrun.tag/gpu': 'true',
    })
    expect(job.metadata.annotations['mrun/points']).toBe('2')
    const grid = JSON.parse(gridMap.data['grid.json'] ?? '') as Grid
    expect([gridPoint(grid, 0), gridPoint(grid, 1)]).toEqual([
      { epochs: 3, lr: 0.1, opt: 'lion' },
      { epochs: 3, lr: 0.01, opt: 'lion' },
    ])
    expect(job.spec).toMatchObject({ completions: 2, completionMode: 'Indexed' })
  })
})

describe('profile import', () => {
  it('converts an mrunner config: names, storage, registry, resources with mrunner sizes', async () => {
    const mrunnerDir = join(h.configHome, 'mrunner')
    mkdirSync(mrunnerDir, { recursive: true })
    writeFileSync(
      join(mrunnerDir, 'config.yaml'),
      [
        'contexts:',
        '  gke:',
        '    context_name: gke',
        '    backend_type: kubernetes',
        '    storage_dir: /storage',
        '    registry_url: https://gcr.io',
        '    google_project_id: my-gcp',
        '    resources: "cpu=4 mem=8G gpu=1"',
        '    neptune: true',
        '    default_pvc_size: 100G',
        '    project: My Project',
        '  slurm:',
        '    context_name: slurm',
        '    backend_type: slurm',
        'current_context: gke',
        '',
      ].join('\n'),
    )
    const result = await h.mrun(['profile', 'import'])
    expect(result.stdout).toBe('profile/gke imported\n')
    expect(result.stderr).toContain('skipped context "slurm" uses backend slurm')
    expect(result.code).toBe(0)
    const listed = await h.mrun(['profile', 'list', '-o', 'json'])
    const config = JSON.parse(listed.stdout) as { profiles: Record<string, unknown> }
    expect(config.profiles.gke).toEqual({
      namespace: 'my-project',
      storage_dir: '/storage',
      registry: 'gcr.io/my-gcp',
      resources: { cpu: '4', mem: '8Gi', gpu: '1' },
      storage_size: '100Gi',
      neptune: {},
    })
  })
})
