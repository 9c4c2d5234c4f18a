import { EventEmitter } from 'node:events'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { aeSessionsRoot } from '../../plugins/ae-sessions/root.ts'
import { createMemoryIo } from '../../shared/cli/memory-io.ts'
import { runPlugin } from '../../shared/cli/run.ts'
import { EXIT_CODES } from '../../shared/errors.ts'
import { jsonConventionProblems } from '../../shared/output/index.ts'
import { DEFAULT_POLICY } from '../sim/auth.ts'
import type { KubeObject } from '../sim/object.ts'
import { pod } from '../sim/scenario/builders.ts'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { kubectl } from '../support/run.ts'

/**
 * kubectl ae-sessions against the simulated cluster's demo scenario (an AE5 namespace with sessions, deployments and
 * runs of several owners, both label styles, pending and unscheduled pods, a pod without owner), in process.
 */
const AE5 = 'anaconda-enterprise'
let sim: Sim
let admin: string
let alice: string

interface Result {
  code: number
  stdout: string
  stderr: string
}

async function ae(kubeconfig: string, argv: string[], env: Record<string, string> = {}): Promise<Result> {
  const io = createMemoryIo({ env: { KUBECONFIG: kubeconfig, XDG_CONFIG_HOME: '/nonexistent', ...env } })
  const code = await runPlugin(aeSessionsRoot, { name: 'kubectl ae-sessions', version: '0.0.0', io, argv })
  return { code, stdout: io.stdout(), stderr: io.stderr() }
}

interface Item {
  kind: string
  id: string
  pod: string
  owner: string | null
  namespace: string
  usage: { cpu: { millicores: number; display: string }; memory: { bytes: number; display: string } } | null
  containers: { name: string; usage: { cpu: { millicores: number }; memory: { bytes: number } } | null }[]
}

function items(result: Result): Item[] {
  expect(result.code, result.stderr).toBe(0)
  return (JSON.parse(result.stdout) as { items: Item[] }).items
}

/** The owner as the demo scenario wrote it: label, then annotation, AE5's user-creds- form unwrapped. */
function ownerInStore(pod: KubeObject): string | undefined {
  const raw = pod.metadata.labels?.['anaconda-owner'] ?? pod.metadata.annotations?.['anaconda.com/owner']
  return raw?.replace(/^user-creds-/, '')
}

const phaseOf = (pod: KubeObject): string | undefined => (pod.status as { phase?: string } | undefined)?.phase
const nodeOf = (pod: KubeObject): string | undefined => (pod.spec as { nodeName?: string } | undefined)?.nodeName

const platformPods = (): KubeObject[] =>
  [...sim.store.all('pods', AE5)].filter((p) => /^anaconda-(session|app|job)-/.test(p.metadata.name))

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: true })
  admin = sim.writeKubeconfig({ user: 'admin', namespace: AE5 })
  alice = sim.writeKubeconfig({ user: 'alice', namespace: AE5 })
})

afterAll(async () => {
  await sim.stop()
})

beforeEach(() => sim.resetFaults())

describe('list', () => {
  it('shows every platform pod of the namespace once, in both label styles, and no system pod', async () => {
    const listed = items(await ae(admin, ['-o', 'json']))
    const expected = platformPods().map((p) => p.metadata.name)
    expect(listed.map((i) => i.pod).sort()).toEqual(expected.sort())
    expect(new Set(listed.map((i) => i.kind))).toEqual(new Set(['session', 'deployment', 'run']))
    expect(listed.some((i) => i.pod.startsWith('anaconda-enterprise-'))).toBe(false)
    for (const item of listed) expect(item.id).toMatch(item.kind === 'session' ? /^a1-/ : /^a2-/)
  })

  it('--mine shows exactly the caller’s workloads, named by SelfSubjectReview, and counts the ownerless ones', async () => {
    const result = await ae(alice, ['--mine', '-o', 'json', '-v', '1'])
    const mine = platformPods()
      .filter((p) => ownerInStore(p) === 'alice')
      .map((p) => p.metadata.name)
    expect(
      items(result)
        .map((i) => i.pod)
        .sort(),
    ).toEqual(mine.sort())
    expect(mine.length).toBeGreaterThanOrEqual(5)
    expect(result.stderr).toContain('--mine: you are "alice", from the SelfSubjectReview')
    const ownerless = platformPods().filter((p) => ownerInStore(p) === undefined).length
    expect(ownerless).toBeGreaterThan(0)
    expect(result.stderr).toContain(`${ownerless} platform pod`)
    expect(result.stderr).toContain('not shown')
  })

  it('--mine falls back to the certificate CN when the SelfSubjectReview API is missing', async () => {
    sim.faults.absentResources = ['selfsubjectreviews.authentication.k8s.io']
    const result = await ae(alice, ['--mine', '-o', 'name', '-v', '1'])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(
      'you are "alice", from the client certificate CN (the SelfSubjectReview API is not available',
    )
    expect(result.stdout.trim().split('\n').length).toBe(
      platformPods().filter((p) => ownerInStore(p) === 'alice').length,
    )
  })

  it('--mine falls back to the basic-auth name, then the kubeconfig user, as the configuration allows', async () => {
    sim.faults.absentResources = ['selfsubjectreviews.authentication.k8s.io']
    const basic = sim.writeKubeconfig({ user: 'alice', auth: 'basic', namespace: AE5 })
    const byName = await ae(basic, ['--mine', '-o', 'name', '-v', '1'])
    expect(byName.stderr).toContain('you are "alice", from the basic-auth username')
    expect(byName.stdout).not.toBe('')
    const token = sim.writeKubeconfig({ user: 'alice', auth: 'token', namespace: AE5 })
    const byUser = await ae(token, ['--mine', '-v', '1'])
    // A token names nobody locally: the kubeconfig's user entry is all there is, and -v says so.
    expect(byUser.stderr).toContain('you are "alice@sim", from the kubeconfig user name')
    expect(byUser.code).toBe(0)
  })

  it('--mine falls back when SelfSubjectReview is forbidden, and --as wins over the certificate', async () => {
    const strict = await startSim({
      scenario: demoScenario(),
      runContainers: false,
      policy: DEFAULT_POLICY.filter((rule) => rule.resources === '*' || !rule.resources.includes('selfsubjectreviews')),
    })
    try {
      const config = strict.writeKubeconfig({ user: 'alice', namespace: AE5 })
      const result = await ae(config, ['--mine', '-o', 'name', '-v', '1'])
      expect(result.stderr).toContain('from the client certificate CN (SelfSubjectReview is forbidden for this user)')
      expect(result.code).toBe(0)
      const impersonating = await ae(strict.writeKubeconfig({ user: 'admin', namespace: AE5 }), [
        '--mine',
        '--as',
        'bob',
        '--as-group',
        'data-science',
        '-o',
        'name',
        '-v',
        '1',
      ])
      expect(impersonating.stderr).toContain('you are "bob"')
    } finally {
      await strict.stop()
    }
  })

  it('filters by --kind, --owner and -l, and refuses a bad kind', async () => {
    const runs = items(await ae(admin, ['--kind', 'runs', '-o', 'json']))
    expect(runs.length).toBeGreaterThan(0)
    expect(runs.every((i) => i.kind === 'run')).toBe(true)
    const bobs = items(await ae(admin, ['--owner', 'bob', '-o', 'json']))
    expect(bobs.every((i) => i.owner === 'bob')).toBe(true)
    const newStyle = items(await ae(admin, ['-l', 'session-id', '-o', 'json']))
    expect(newStyle.every((i) => i.kind === 'session')).toBe(true)
    expect(newStyle.length).toBe(platformPods().filter((p) => p.metadata.labels?.['session-id'] !== undefined).length)
    const bad = await ae(admin, ['--kind', 'notebooks'])
    expect(bad.code).toBe(EXIT_CODES.usage)
    expect(bad.stderr).toMatch(/^error: invalid --kind "notebooks"\nhint: use session, deployment or run/)
    const both = await ae(admin, ['--mine', '--owner', 'bob'])
    expect(both.code).toBe(EXIT_CODES.usage)
  })

  it('sums usage over all containers exactly as kubectl top pod does', async () => {
    const listed = items(await ae(admin, ['-o', 'json'])).filter((i) => i.usage !== null)
    expect(listed.length).toBeGreaterThan(5)
    const top = await kubectl(admin, ['top', 'pod', '-n', AE5, '--no-headers'])
    const topContainers = await kubectl(admin, ['top', 'pod', '-n', AE5, '--containers', '--no-headers'])
    expect(top.code, top.stderr).toBe(0)
    const podRows = new Map(
      top.stdout
        .trim()
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .map(([pod = '', cpu = '', mem = '']) => [pod, { cpu, mem }]),
    )
    const containerSums = new Map<string, { cpu: number; mem: number; n: number }>()
    for (const [pod = '', , cpu = '', mem = ''] of topContainers.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/))) {
      const sum = containerSums.get(pod) ?? { cpu: 0, mem: 0, n: 0 }
      containerSums.set(pod, {
        cpu: sum.cpu + Number.parseInt(cpu, 10),
        mem: sum.mem + Number.parseInt(mem, 10),
        n: sum.n + 1,
      })
    }
    for (const item of listed) {
      const row = podRows.get(item.pod)
      expect(row, item.pod).toBeDefined()
      // The pod total is one exact sum, rounded once: equal to kubectl top pod's cell.
      expect(`${item.usage?.cpu.millicores}m`).toBe(row?.cpu)
      expect(`${Math.floor((item.usage?.memory.bytes ?? 0) / 1048576)}Mi`).toBe(row?.mem)
      // Per-container cells are each rounded, so their sum may differ by at most one unit per container.
      const sum = containerSums.get(item.pod)
      expect(sum?.n).toBe(item.containers.length)
      expect(Math.abs((sum?.cpu ?? 0) - (item.usage?.cpu.millicores ?? 0))).toBeLessThanOrEqual(item.containers.length)
    }
  })

  it('shows "-" and one warning when the metrics API is missing or forbidden, never a failure', async () => {
    for (const mode of ['absent', 'forbidden'] as const) {
      sim.faults.metrics = mode
      const result = await ae(admin, [])
      expect(result.code).toBe(0)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr).toMatch(/^Warning: usage columns show "-": the metrics API/)
      expect(result.stdout).toContain('session')
    }
  })

  it('--owner: a metrics API that does not answer in time costs "-" and one warning, like a missing one', async () => {
    sim.faults.metrics = 'slow'
    sim.faults.metricsLatencyMs = 30_000
    const started = performance.now()
    const result = await ae(admin, ['--owner', 'alice', '-o', 'json'])
    expect(performance.now() - started).toBeLessThan(15_000)
    expect(result.stderr).toMatch(/^Warning: usage columns show "-": the metrics API did not answer/)
    const listed = items(result)
    expect(listed.length).toBeGreaterThan(0)
    expect(listed.every((i) => i.usage === null)).toBe(true)
  }, 20_000)

  it('reads one paginated pod list and one metrics list, however many pages', async () => {
    sim.requests.length = 0
    const result = await ae(admin, ['--chunk-size', '3', '-o', 'name'])
    expect(result.code).toBe(0)
    const paths = sim.requests.map((r) => `${r.method} ${r.path}`)
    const podPages = paths.filter((p) => p === `GET /api/v1/namespaces/${AE5}/pods`)
    expect(podPages.length).toBe(Math.ceil([...sim.store.all('pods', AE5)].length / 3))
    expect(paths.filter((p) => p !== `GET /api/v1/namespaces/${AE5}/pods`)).toEqual([
      `GET /apis/metrics.k8s.io/v1beta1/namespaces/${AE5}/pods`,
    ])
  })

  it('--mine asks the server for the caller’s pods by label, and reads only unlabelled pods for the annotation key', async () => {
    // alice owns pods by the anaconda-owner label (also as user-creds-alice) and one session by annotation only.
    sim.requests.length = 0
    const result = await ae(alice, ['--mine', '--chunk-size', '2', '-o', 'name', '-v', '1'])
    expect(result.code, result.stderr).toBe(0)
    const selectors = (path: string): string[] =>
      sim.requests.filter((r) => r.path === path).map((r) => new URLSearchParams(r.query).get('labelSelector') ?? '')
    const owned = 'anaconda-owner in (alice,user-creds-alice)'
    const podSelectors = new Set(selectors(`/api/v1/namespaces/${AE5}/pods`))
    expect([...podSelectors].sort()).toEqual(['!anaconda-owner', owned])
    // The scan keeps the session alice owns by annotation, so the metrics of the unlabelled pods are read too.
    expect(selectors(`/apis/metrics.k8s.io/v1beta1/namespaces/${AE5}/pods`).sort()).toEqual(['!anaconda-owner', owned])
    const listed = sim.requests.filter((r) => r.path === `/api/v1/namespaces/${AE5}/pods`).length
    expect(listed).toBeLessThan(Math.ceil([...sim.store.all('pods', AE5)].length / 2))
    expect(result.stderr).toContain(
      'owner key anaconda.com/owner is an annotation, which the server cannot select on: reading the metadata of every pod without anaconda-owner to check it',
    )
    // The scan reads metadata only, never the unlabelled pods' specs; the pods it finds are then read by name.
    const scanPages = sim.requests.filter(
      (r) =>
        r.path === `/api/v1/namespaces/${AE5}/pods` &&
        new URLSearchParams(r.query).get('labelSelector') === '!anaconda-owner',
    )
    expect(scanPages.length).toBeGreaterThan(1)
    for (const page of scanPages) expect(page.accept).toMatch(/^application\/json;as=PartialObjectMetadataList;/)
    const hers = [...sim.store.all('pods', AE5)].filter((p) => {
      const label = p.metadata.labels?.['anaconda-owner']
      const owner = label ?? p.metadata.annotations?.['anaconda.com/owner']
      return ['alice', 'user-creds-alice'].includes(owner ?? '') && p.metadata.name.startsWith('anaconda-')
    })
    const byAnnotation = hers.filter((p) => p.metadata.labels?.['anaconda-owner'] === undefined)
    expect(byAnnotation.length).toBeGreaterThan(0)
    const gets = sim.requests.filter((r) => r.method === 'GET' && r.path.startsWith(`/api/v1/namespaces/${AE5}/pods/`))
    expect(gets.map((r) => r.path).sort()).toEqual(
      byAnnotation.map((p) => `/api/v1/namespaces/${AE5}/pods/${p.metadata.name}`).sort(),
    )
    expect(result.stderr).toContain(
      `${byAnnotation.length} pod${byAnnotation.length === 1 ? '' : 's'} of alice owned through annotation anaconda.com/owner`,
    )
    expect(result.stdout.trim().split('\n').sort()).toEqual(hers.map((p) => `pod/${p.metadata.name}`).sort())
  })
})

describe('owners by annotation', () => {
  const ownedByAnnotation = (owner: string): KubeObject[] =>
    platformPods().filter((p) => p.metadata.labels?.['anaconda-owner'] === undefined && ownerInStore(p) === owner)

  it('a server without metadata lists sends whole pods: the same rows, and no pod read a second time', async () => {
    const before = await ae(alice, ['--mine', '-o', 'name'])
    sim.faults.metadataLists = false
    sim.requests.length = 0
    const after = await ae(alice, ['--mine', '-o', 'name'])
    expect(after.code, after.stderr).toBe(0)
    expect(after.stdout).toBe(before.stdout)
    expect(ownedByAnnotation('alice').length).toBeGreaterThan(0)
    expect(sim.requests.filter((r) => r.path.startsWith(`/api/v1/namespaces/${AE5}/pods/`))).toEqual([])
  })

  it('--mine starts the scan while the server is still saying who "mine" is', async () => {
    // Only the SelfSubjectReview is slow: a scan that waited for it would finish after it.
    sim.faults.match = (info) => info.resource === 'selfsubjectreviews'
    sim.faults.latencyMs = 600
    sim.requests.length = 0
    const result = await ae(alice, ['--mine', '-o', 'name'])
    expect(result.code, result.stderr).toBe(0)
    const finished = sim.requests.map((r) =>
      r.path.endsWith('/selfsubjectreviews') ? 'whoami' : new URLSearchParams(r.query).get('labelSelector'),
    )
    expect(finished.indexOf('!anaconda-owner')).toBeGreaterThanOrEqual(0)
    expect(finished.indexOf('!anaconda-owner')).toBeLessThan(finished.indexOf('whoami'))
    expect(result.stdout.trim().split('\n').length).toBeGreaterThan(1)
  })

  it('more pods of one owner by annotation than are worth reading one by one: the scan lists them whole', async () => {
    const owner = 'bulk-owner'
    const created = Array.from({ length: 51 }, (_, i) =>
      sim.store.create(
        pod({
          namespace: AE5,
          name: `anaconda-session-bulk${i}-1-x`,
          node: nodeOf(platformPods()[0] as KubeObject) ?? 'worker-1',
          phase: 'Succeeded',
          created: new Date('2026-11-01T00:00:00Z'),
          labels: { 'anaconda-session-id': `bulk${i}` },
          annotations: { 'anaconda.com/owner': owner },
          containers: [{ name: 'editor' }],
        }),
      ),
    )
    try {
      sim.requests.length = 0
      const result = await ae(admin, ['--owner', owner, '-o', 'name', '-v', '1'])
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout.trim().split('\n').sort()).toEqual(created.map((p) => `pod/${p.metadata.name}`).sort())
      expect(result.stderr).toContain(
        `51 pods of ${owner} are owned through annotation anaconda.com/owner: reading the pods without a label owner in full`,
      )
      expect(sim.requests.filter((r) => r.path.startsWith(`/api/v1/namespaces/${AE5}/pods/`))).toEqual([])
      const scans = sim.requests.filter(
        (r) =>
          r.path === `/api/v1/namespaces/${AE5}/pods` &&
          new URLSearchParams(r.query).get('labelSelector') === '!anaconda-owner',
      )
      expect(scans.some((r) => r.accept?.includes('as=PartialObjectMetadataList') !== true)).toBe(true)
    } finally {
      for (const p of created) sim.store.delete('pods', AE5, p.metadata.name)
    }
  })
})

describe('--watch', () => {
  async function watch(tty: boolean): Promise<{ code: number; stdout: string }> {
    const interrupts = new EventEmitter()
    const io = createMemoryIo({ tty, env: { KUBECONFIG: admin, XDG_CONFIG_HOME: '/nonexistent', NO_COLOR: '1' } })
    const running = runPlugin(aeSessionsRoot, {
      name: 'kubectl ae-sessions',
      version: '0.0.0',
      io,
      argv: ['--watch', '--interval', '200ms', '--kind', 'run'],
      interrupts,
    })
    while (io.stdout().split('KIND').length < 3) await new Promise((resolve) => setTimeout(resolve, 20))
    interrupts.emit('SIGINT')
    return { code: await running, stdout: io.stdout() }
  }

  it('redraws in place on a terminal until Ctrl-C', async () => {
    const result = await watch(true)
    expect(result.code).toBe(EXIT_CODES.interrupted)
    expect(result.stdout.startsWith('\u001b[H\u001b[2J')).toBe(true)
    expect(result.stdout).toContain('every 0.2s, Ctrl-C to stop')
  })

  it('appends one table per refresh when piped', async () => {
    const result = await watch(false)
    expect(result.stdout).not.toContain('\u001b[')
    expect(result.stdout.split('\n\n').filter((block) => block.startsWith('KIND')).length).toBeGreaterThanOrEqual(2)
  })

  it('refuses a bad interval before connecting', async () => {
    const result = await ae(admin, ['--watch', '--interval', 'soon'])
    expect(result.code).toBe(EXIT_CODES.usage)
    expect(result.stderr).toMatch(/^error: invalid --interval "soon"/)
  })
})

describe('RBAC', () => {
  it('names what is forbidden when the caller may not list pods in all namespaces nor in any it could find', async () => {
    const elsewhere = sim.writeKubeconfig({ user: 'nobody', namespace: 'default' })
    const result = await ae(elsewhere, ['-A'])
    expect(result.code).toBe(EXIT_CODES.forbidden)
    expect(result.stderr).toMatch(
      /^error: you may not list pods in all namespaces nor in default: pods is forbidden: User "nobody" cannot list resource "pods" in API group "" at the cluster scope .*\nhint: pick a namespace you may read with -n NAMESPACE/,
    )
  })

  it("--mine -A as a namespace-scoped user reads AE5's namespace without flags and says so in one line", async () => {
    // alice may list pods only in ml-team and anaconda-enterprise, and may not list namespaces; her context is
    // default, which she may not read, and no platform namespaces are configured.
    const config = sim.writeKubeconfig({ user: 'alice', namespace: 'default' })
    const result = await ae(config, ['--mine', '-A', '-o', 'json'])
    const listed = items(result)
    expect(listed.length).toBeGreaterThan(0)
    expect(listed.length).toBe(platformPods().filter((p) => ownerInStore(p) === 'alice').length)
    const lines = result.stderr.split('\n').filter((line) => line.includes('namespace'))
    expect(lines).toEqual([
      'Warning: listing pods in all namespaces is forbidden for you: showing namespace anaconda-enterprise only (also forbidden: default)',
    ])
  })

  it('finds every namespace a user may list pods in by SelfSubjectAccessReview when they may list namespaces', async () => {
    // A policy where alice may also list namespaces (but still not pods cluster-wide): the fallback asks the server
    // about each namespace and reads exactly ml-team and anaconda-enterprise.
    const open = await startSim({
      scenario: demoScenario(),
      runContainers: false,
      policy: [
        ...DEFAULT_POLICY,
        { groups: ['data-science'], verbs: ['list'], resources: ['namespaces'], apiGroups: [''] },
      ],
    })
    try {
      const config = open.writeKubeconfig({ user: 'alice', namespace: 'default' })
      const result = await ae(config, ['--mine', '-A', '-o', 'json', '-v', '6'])
      expect(items(result).length).toBe(platformPods().filter((p) => ownerInStore(p) === 'alice').length)
      expect(result.stderr).toContain(
        'Warning: listing pods in all namespaces is forbidden for you: showing namespaces anaconda-enterprise, ml-team only (also forbidden: default)',
      )
      expect(result.stderr).toContain('POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews 201')
      expect(result.stderr).not.toContain('namespaces/kube-system/pods')
    } finally {
      await open.stop()
    }
  })

  it('gives a user their rows from the namespaces they may read, and says which were skipped', async () => {
    const config = sim.writeKubeconfig({ user: 'alice', namespace: 'default' })
    const result = await ae(config, ['-A', '--mine', '-o', 'json'], { AE_SESSIONS_NAMESPACES: `${AE5},ml-team` })
    const listed = items(result)
    expect(listed.length).toBe(platformPods().filter((p) => ownerInStore(p) === 'alice').length)
    expect(result.stderr).toContain(
      'Warning: listing pods in all namespaces is forbidden for you: showing namespaces anaconda-enterprise, ml-team only (also forbidden: default)',
    )
  })

  it('says which namespace and verb are forbidden for a namespace the user may not read', async () => {
    const result = await ae(alice, ['-n', 'kube-system'])
    expect(result.code).toBe(EXIT_CODES.forbidden)
    expect(result.stderr).toContain('cannot list resource "pods" in API group "" in the namespace "kube-system"')
    expect(result.stderr).not.toContain('    at ')
  })

  it('is empty, not an error, in a namespace the user may read that holds no platform pods', async () => {
    const result = await ae(alice, ['-n', 'ml-team'])
    expect(result).toMatchObject({ code: 0, stdout: '' })
    expect(result.stderr).toBe('No resources found in ml-team namespace.\n')
  })
})

describe('info and logs', () => {
  const aliceRun = (): KubeObject => {
    const run = platformPods().find(
      (p) => p.metadata.labels?.['job-name']?.startsWith('anaconda-job-') && ownerInStore(p) === 'alice',
    )
    if (run === undefined) throw new Error('demo has no run of alice')
    return run
  }

  it('info shows the fields and containers of a workload found by a unique id prefix, and no env', async () => {
    const session = platformPods().find(
      (p) => p.metadata.labels?.['anaconda-session-id'] !== undefined && phaseOf(p) === 'Running',
    )
    const slug = session?.metadata.labels?.['anaconda-session-id'] ?? ''
    const result = await ae(admin, ['info', `a1-${slug.slice(0, 8)}`])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`ID:              a1-${slug}`.replace(/ +/, ' ').split(' ')[0])
    expect(result.stdout).toMatch(new RegExp(`^Kind: +session\\nID: +a1-${slug}\\nPod: +${session?.metadata.name}`))
    expect(result.stdout).toMatch(/\nALIAS +CONTAINER +READY/)
    expect(result.stdout).not.toMatch(/env|PASSWORD|TOKEN/i)
  })

  it('logs prints the run’s app container log, byte for byte what kubectl logs prints', async () => {
    const run = aliceRun()
    const id = `a2-${run.metadata.labels?.['job-name']?.slice('anaconda-job-'.length)}`
    const ours = await ae(admin, ['logs', id])
    const theirs = await kubectl(admin, ['logs', '-n', AE5, run.metadata.name, '-c', 'app'])
    expect(ours.code, ours.stderr).toBe(0)
    expect(ours.stdout).toBe(theirs.stdout)
    expect(ours.stdout).not.toBe('')
  })

  it('logs accepts a container alias and names the containers that exist when one is wrong', async () => {
    const session = platformPods().find(
      (p) => p.metadata.labels?.['anaconda-session-id'] !== undefined && phaseOf(p) === 'Running',
    )
    const name = session?.metadata.name ?? ''
    const sync = await ae(admin, ['logs', name, '-c', 'sync'])
    expect(sync.code, sync.stderr).toBe(0)
    const wrong = await ae(admin, ['logs', name, '-c', 'jupyter'])
    expect(wrong.code).toBe(EXIT_CODES['not-found'])
    expect(wrong.stderr).toMatch(
      /has no container "jupyter"\nhint: use one of editor \(editor\), tool-proxy-\w+ \(sync-proxy\)/,
    )
  })

  it.each([
    [
      'an unknown id',
      ['info', 'a1-ffffffffffff'],
      EXIT_CODES['not-found'],
      /^error: no session, deployment or run "a1-ffffffffffff" in namespace "anaconda-enterprise"\nhint: /,
    ],
    ['an ambiguous prefix', ['logs', 'a1-'], EXIT_CODES.usage, /^error: "a1-" matches \d+ workloads: a1-/],
    ['a missing id', ['info'], EXIT_CODES.usage, /^error: info needs the id/],
    ['a bad --tail', ['logs', 'a1-', '--tail', 'many'], EXIT_CODES.usage, /^error: invalid --tail "many"/],
  ])('refuses %s with one line and its exit code', async (_case, argv, code, message) => {
    const result = await ae(admin, argv)
    expect(result.code).toBe(code)
    expect(result.stderr).toMatch(message)
    expect(result.stdout).toBe('')
  })

  it('logs -f streams until Ctrl-C, which ends it cleanly', async () => {
    const run = aliceRun()
    const interrupts = new EventEmitter()
    const io = createMemoryIo({ env: { KUBECONFIG: admin, XDG_CONFIG_HOME: '/nonexistent' } })
    const running = runPlugin(aeSessionsRoot, {
      name: 'kubectl ae-sessions',
      version: '0.0.0',
      io,
      argv: ['logs', run.metadata.name, '-f', '--tail', '1'],
      interrupts,
    })
    while (io.stdout() === '') await new Promise((resolve) => setTimeout(resolve, 20))
    interrupts.emit('SIGINT')
    expect(await running).toBe(EXIT_CODES.interrupted)
    expect(io.stdout().trim().split('\n')).toHaveLength(1)
    expect(io.stderr()).not.toMatch(/error/)
  })
})

describe('JSON convention and templates', () => {
  it('list, info and nodes -o json keep the suite JSON convention', async () => {
    const listed = await ae(admin, ['-o', 'json'])
    const first = items(listed)[0]
    expect(jsonConventionProblems(JSON.parse(listed.stdout))).toEqual([])
    expect(first?.usage?.cpu.millicores).toSatisfy(Number.isSafeInteger)
    const info = await ae(admin, ['info', first?.id ?? '', '-o', 'json'])
    expect(info.code, info.stderr).toBe(0)
    expect(jsonConventionProblems(JSON.parse(info.stdout))).toEqual([])
    const nodes = await ae(admin, ['nodes', '-o', 'json'])
    expect(jsonConventionProblems(JSON.parse(nodes.stdout))).toEqual([])
  })

  it('-o jsonpath and -o custom-columns read the -o json document', async () => {
    const listed = items(await ae(admin, ['-o', 'json']))
    const pods = await ae(admin, ['-o', 'jsonpath={.items[*].pod}'])
    expect(pods.stdout).toBe(listed.map((i) => i.pod).join(' '))
    const columns = await ae(admin, ['-o', 'custom-columns=POD:.pod,CPU:.usage.cpu.millicores'])
    const lines = columns.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^POD +CPU$/)
    expect(lines.slice(1).map((l) => l.split(/ +/)[0])).toEqual(listed.map((i) => i.pod))
    const nodes = await ae(admin, ['nodes', '-o', 'jsonpath={range .items[*]}{.name}{"\\n"}{end}'])
    expect(nodes.code).toBe(0)
    expect(nodes.stdout).toMatch(/^([\w.-]+\n)+$/)
    const bad = await ae(admin, ['-o', 'jsonpath={.items[}'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.split('\n')[0]).toBe('error: error parsing jsonpath {.items[}, unterminated array')
  })
})

describe('nodes', () => {
  it('--sort-by orders by the column (numbers largest first, then by name) and refuses an unknown one', async () => {
    const byPods = await ae(admin, ['nodes', '--sort-by', 'pods', '-o', 'json'])
    expect(byPods.code, byPods.stderr).toBe(0)
    const pods = (JSON.parse(byPods.stdout) as { items: { name: string; pods: number }[] }).items
    const expected = [...pods].sort((a, b) => b.pods - a.pods || a.name.localeCompare(b.name))
    expect(pods.map((n) => n.name)).toEqual(expected.map((n) => n.name))
    expect(pods.map((n) => n.name)).not.toEqual([...pods].map((n) => n.name).sort())
    const bad = await ae(admin, ['nodes', '--sort-by', 'colour'])
    expect(bad.code).toBe(EXIT_CODES.usage)
    expect(bad.stderr.split('\n')[0]).toBe('error: invalid --sort-by "colour": no such column')
  })

  it('prints each column in one unit: CPU in millicores, memory in MiB', async () => {
    const result = await ae(admin, ['nodes'])
    const rows = result.stdout
      .trim()
      .split('\n')
      .slice(1)
      .filter((line) => !line.startsWith('<unscheduled>'))
    for (const row of rows) {
      const [, , , cpu, memory] = row.split(/\s{2,}/)
      expect(cpu).toMatch(/^(\d+m|-)\/\d+m$/)
      expect(memory).toMatch(/^(\d+Mi|-)\/\d+Mi$/)
    }
  })

  it('counts sessions, deployments and runs per node without naming pods or owners', async () => {
    const result = await ae(admin, ['nodes', '-o', 'json'])
    const doc = JSON.parse(result.stdout) as {
      items: { name: string; sessions: number; deployments: number; runs: number }[]
      unscheduled: Record<string, number>
    }
    const live = platformPods().filter((p) => phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed')
    const expectedOn = (node: string, prefix: string): number =>
      live.filter((p) => nodeOf(p) === node && p.metadata.name.startsWith(prefix)).length
    for (const item of doc.items) {
      expect(item.sessions, item.name).toBe(expectedOn(item.name, 'anaconda-session-'))
      expect(item.deployments, item.name).toBe(expectedOn(item.name, 'anaconda-app-'))
      expect(item.runs, item.name).toBe(expectedOn(item.name, 'anaconda-job-'))
    }
    expect(doc.unscheduled.session).toBe(
      live.filter((p) => nodeOf(p) === undefined && p.metadata.name.startsWith('anaconda-session-')).length,
    )
    const table = await ae(admin, ['nodes', '-o', 'wide'])
    for (const pod of platformPods()) expect(table.stdout).not.toContain(pod.metadata.name)
    expect(table.stdout).not.toMatch(/alice|bob|carol/)
  })
})
