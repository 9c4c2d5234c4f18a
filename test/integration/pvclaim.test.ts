import { createHash, randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import {
  chmodSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { pvclaimRoot } from '../../plugins/pvclaim/root.ts'
import { createMemoryIo } from '../../shared/cli/memory-io.ts'
import { runPlugin } from '../../shared/cli/run.ts'
import { EXIT_CODES } from '../../shared/errors.ts'
import { jsonConventionProblems } from '../../shared/output/index.ts'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { kubectl } from '../support/run.ts'

/**
 * kubectl pvclaim against the simulated cluster: claims that pass validation and bind, usage from kubelet stats,
 * round trips through pod exec with sha256 compared both ways, helper pods that never outlive the command, and
 * bad input that leaves nothing behind.
 */
const ML = 'ml-team'
let sim: Sim
let admin: string
let work: string

interface Result {
  code: number
  stdout: string
  stderr: string
}

async function pv(argv: string[], kubeconfig = admin, interrupts?: EventEmitter): Promise<Result> {
  const io = createMemoryIo({ env: { KUBECONFIG: kubeconfig } })
  const code = await runPlugin(pvclaimRoot, {
    name: 'kubectl pvclaim',
    version: '0.0.0',
    io,
    argv,
    ...(interrupts === undefined ? {} : { interrupts }),
  })
  return { code, stdout: io.stdout(), stderr: io.stderr() }
}

const helperPods = (): string[] =>
  [...sim.store.all('pods')]
    .filter((p) => p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-pvclaim')
    .map((p) => p.metadata.name)

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}

/** Every regular file under a folder with its sha256, keyed by relative path. */
async function tree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const visit = async (dir: string): Promise<void> => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await visit(path)
      else if (entry.isFile()) out[relative(root, path)] = await sha256(path)
    }
  }
  await visit(root)
  return out
}

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: true })
  admin = sim.writeKubeconfig({ user: 'admin', namespace: ML })
  work = mkdtempSync(join(tmpdir(), 'pvclaim-it-'))
})

afterAll(async () => {
  await sim.stop()
  rmSync(work, { recursive: true, force: true })
})

describe('create', () => {
  it('through a storage class, waiting until it is bound', async () => {
    const result = await pv(['create', 'scratch-2', '--size', '2Gi', '--storage-class', 'standard', '--wait'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe('persistentvolumeclaim/scratch-2 created\n')
    expect(result.stderr).toMatch(/^persistentvolumeclaim\/scratch-2 bound to \S+ \(2Gi\)\n$/)
  })

  it('an NFS volume and claim bound to each other; --dry-run -o yaml prints both and creates nothing', async () => {
    const dry = await pv([
      'create',
      'shared',
      '--size',
      '10Ti',
      '--nfs',
      'nfs.example.com:/exports/shared',
      '--dry-run',
      '-o',
      'yaml',
    ])
    expect(dry.code, dry.stderr).toBe(0)
    const list = parse(dry.stdout) as { items: { kind: string }[] }
    expect(list.items.map((i) => i.kind)).toEqual(['PersistentVolume', 'PersistentVolumeClaim'])
    expect(sim.store.get('persistentvolumeclaims', ML, 'shared')).toBeUndefined()
    const real = await pv([
      'create',
      'shared',
      '--size',
      '10Ti',
      '--nfs',
      'nfs.example.com:/exports/shared',
      '--read-only',
      '--wait',
    ])
    expect(real.code, real.stderr).toBe(0)
    const claim = await kubectl(admin, ['get', 'pvc', 'shared', '-o', 'jsonpath={.status.phase} {.spec.volumeName}'])
    expect(claim.stdout).toBe('Bound nfs-ml-team-shared')
    const volume = await kubectl(admin, [
      'get',
      'pv',
      'nfs-ml-team-shared',
      '-o',
      'jsonpath={.spec.nfs.server}:{.spec.nfs.path} {.spec.persistentVolumeReclaimPolicy} {.spec.claimRef.name}',
    ])
    expect(volume.stdout).toBe('nfs.example.com:/exports/shared Retain shared')
  })

  it.each([
    [
      'a size that is not a quantity',
      ['create', 'x', '--size', '10GB'],
      EXIT_CODES.usage,
      /^error: invalid --size "10GB": not a positive quantity/,
    ],
    [
      'a malformed NFS target',
      ['create', 'x', '--size', '1Gi', '--nfs', 'nfs.example.com/exports'],
      EXIT_CODES.usage,
      /^error: invalid --nfs "nfs.example.com\/exports"\nhint: use SERVER:\/EXPORT\/PATH/,
    ],
    [
      'a bad access mode',
      ['create', 'x', '--size', '1Gi', '--access-mode', 'RW'],
      EXIT_CODES.usage,
      /invalid --access-mode "RW"/,
    ],
  ])('refuses %s and creates nothing', async (_case, argv, code, message) => {
    const result = await pv(argv)
    expect(result.code).toBe(code)
    expect(result.stderr).toMatch(message)
    expect(sim.store.get('persistentvolumeclaims', ML, 'x')).toBeUndefined()
  })
})

describe('list and describe', () => {
  it('list -o json keeps the suite JSON convention; jsonpath and custom-columns read it', async () => {
    const result = await pv(['list', '-o', 'json'])
    const doc = JSON.parse(result.stdout) as { items: { name: string; capacity: { bytes: number } | null }[] }
    expect(jsonConventionProblems(doc)).toEqual([])
    expect(doc.items.some((i) => Number.isSafeInteger(i.capacity?.bytes))).toBe(true)
    const names = await pv(['list', '-o', 'jsonpath={.items[*].name}'])
    expect(names.stdout).toBe(doc.items.map((i) => i.name).join(' '))
    const columns = await pv(['list', '-o', 'custom-columns=NAME:.name,BYTES:.capacity.bytes'])
    expect(columns.stdout.split('\n')[0]).toMatch(/^NAME +BYTES$/)
    const dry = await pv(['create', 'tpl', '--size', '1Gi', '--dry-run=client', '-o', 'jsonpath={.spec.resources}'])
    expect(dry.stdout).toBe('{"requests":{"storage":"1Gi"}}')
  })

  it('shows usage from the kubelet stats API for claims that a running pod mounts, "-" for the others', async () => {
    const result = await pv(['list', '-o', 'json'])
    expect(result.code, result.stderr).toBe(0)
    const items = (
      JSON.parse(result.stdout) as {
        items: {
          name: string
          pods: string[]
          usage: { used: { bytes: number }; capacity: { bytes: number } } | null
        }[]
      }
    ).items
    const results = items.find((i) => i.name === 'results')
    const raw = await kubectl(admin, ['get', '--raw', '/api/v1/nodes/worker-1/proxy/stats/summary'])
    const summary = JSON.parse(raw.stdout) as {
      pods: { volume?: { pvcRef?: { name: string }; usedBytes: number }[] }[]
    }
    const fromKubelet = summary.pods.flatMap((p) => p.volume ?? []).find((v) => v.pvcRef?.name === 'results')
    expect(results?.usage?.used.bytes).toBe(fromKubelet?.usedBytes)
    expect(results?.pods).toEqual(['results-browser'])
    expect(items.find((i) => i.name === 'scratch')?.usage).toBeNull()
    const table = await pv(['list'])
    expect(table.stdout).toMatch(
      /^NAME +STATUS +CAPACITY +USED +AVAIL +USE% +INODES% +ACCESS MODES +STORAGECLASS +VOLUME +PODS +AGE\n/,
    )
  })

  it('describe names the NFS server and path of the volume', async () => {
    const result = await pv(['describe', 'shared'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('Source:         NFS nfs.example.com:/exports/shared (read-only)')
    expect(result.stdout).toContain('Reclaim Policy: Retain')
  })
})

describe('download and upload', () => {
  let source: string
  beforeAll(() => {
    source = join(work, 'tree')
    mkdirSync(join(source, 'nested/deeper'), { recursive: true })
    writeFileSync(join(source, 'empty.txt'), '')
    writeFileSync(join(source, 'ünïcødé 名前.txt'), 'grüße\n')
    writeFileSync(join(source, 'nested/binary.bin'), randomBytes(70_000))
    writeFileSync(join(source, 'nested/deeper/big.bin'), randomBytes(101 * 1024 * 1024))
  })

  it('round-trips a tree with binary, empty, nested, unicode and 100 MB files, sha256 equal both ways, through a helper pod', async () => {
    const up = await pv(['upload', 'scratch-2', source, 'incoming', '--verify'])
    expect(up.code, up.stderr).toBe(0)
    expect(up.stderr).toMatch(
      /^4 files, 101\.\d MiB in [\d.]+s .* → incoming\/tree; verified by sha256 of every file, through helper pod pvclaim-helper-scratch-2-[0-9a-f]+ \(deleted\)\n$/,
    )
    const target = join(work, 'back')
    const down = await pv(['download', 'scratch-2', 'incoming/tree', target, '--verify'])
    expect(down.code, down.stderr).toBe(0)
    expect(await tree(join(target, 'tree'))).toEqual(await tree(source))
    expect(helperPods()).toEqual([])
    expect(readdirSync(target)).toEqual(['tree'])
  }, 60_000)

  it('uses a running pod that already mounts the claim, and refuses to replace local files without --overwrite', async () => {
    const target = join(work, 'results')
    const first = await pv(['download', 'results', '.', target])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toContain('through pod results-browser')
    expect(readFileSync(join(target, 'README.txt'), 'utf8')).toBe('experiment results\n')
    const again = await pv(['download', 'results', '.', target])
    expect(again.code).toBe(EXIT_CODES.conflict)
    expect(readdirSync(target).filter((n) => n.startsWith('.pvclaim'))).toEqual([])
    expect((await pv(['download', 'results', '.', target, '--overwrite'])).code).toBe(0)
  })

  it('deletes the helper pod and leaves no partial file when interrupted with Ctrl-C', async () => {
    const interrupts = new EventEmitter()
    const target = join(work, 'interrupted')
    const running = pv(['download', 'scratch-2', 'incoming/tree', target], admin, interrupts)
    // Wait until files are arriving in the hidden staging folder: the interrupt lands mid-transfer.
    const started = Date.now()
    const arriving = (): boolean => {
      const staging = existsSync(target)
        ? readdirSync(target).find((n) => n.startsWith('.pvclaim-partial-'))
        : undefined
      return staging !== undefined && existsSync(join(target, staging, 'tree', 'nested'))
    }
    while (!arriving() && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 5))
    expect(helperPods()).toHaveLength(1)
    interrupts.emit('SIGINT')
    const result = await running
    expect(result.code).toBe(EXIT_CODES.interrupted)
    expect(helperPods()).toEqual([])
    expect(existsSync(join(target, 'tree'))).toBe(false)
    expect(existsSync(target)).toBe(false)
  }, 30_000)

  it('an upload interrupted with Ctrl-C leaves no .pvclaim-upload-* staging in the volume and no helper pod', async () => {
    const claim = sim.store.get('persistentvolumeclaims', ML, 'scratch-2')
    const volumeDir = join(
      sim.dataDir,
      'volumes',
      (claim?.spec as { volumeName?: string } | undefined)?.volumeName ?? '',
    )
    const source = join(work, 'sigint-upload')
    mkdirSync(source, { recursive: true })
    writeFileSync(join(source, 'big.bin'), Buffer.alloc(64 * 1024 * 1024, 9))
    const interrupts = new EventEmitter()
    const running = pv(['upload', 'scratch-2', source, 'sigint'], admin, interrupts)
    const parent = join(volumeDir, 'sigint')
    const staged = (): boolean =>
      existsSync(parent) &&
      readdirSync(parent).some(
        (n) => n.startsWith('.pvclaim-upload-') && existsSync(join(parent, n, 'sigint-upload', 'big.bin')),
      )
    const started = Date.now()
    while (!staged() && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 5))
    expect(staged()).toBe(true)
    interrupts.emit('SIGINT')
    const result = await running
    expect(result.code).toBe(EXIT_CODES.interrupted)
    expect(helperPods()).toEqual([])
    expect(existsSync(parent)).toBe(false)
  }, 30_000)

  it('deletes the helper pod on error, and keeps nothing', async () => {
    const target = join(work, 'missing')
    const result = await pv(['download', 'scratch-2', 'no/such/path', target])
    expect(result.code).toBe(EXIT_CODES['not-found'])
    expect(result.stderr).toMatch(
      /^error: "no\/such\/path" does not exist in persistentvolumeclaim "scratch-2"\nhint: /,
    )
    expect(helperPods()).toEqual([])
    expect(existsSync(target)).toBe(false)
  })

  it('skips a symlink in the volume that points outside, with a warning, and never follows it', async () => {
    const claim = sim.store.get('persistentvolumeclaims', ML, 'scratch-2')
    const volumeDir = join(
      sim.dataDir,
      'volumes',
      (claim?.spec as { volumeName?: string } | undefined)?.volumeName ?? '',
    )
    mkdirSync(join(volumeDir, 'trap'), { recursive: true })
    symlinkSync('/etc', join(volumeDir, 'trap', 'escape'))
    const target = join(work, 'trap')
    const result = await pv(['download', 'scratch-2', 'trap', target])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(
      /^Warning: skipped 1 symlink pointing outside the folder \(not copied, never followed\): "trap\/escape → \/etc"\n/,
    )
    expect(readdirSync(join(target, 'trap'))).toEqual([])
  })

  it('says so when the local folder is not writable, before starting anything', async () => {
    const locked = join(work, 'locked')
    mkdirSync(locked)
    chmodSync(locked, 0o500)
    const result = await pv(['download', 'results', '.', join(locked, 'x')])
    chmodSync(locked, 0o700)
    // root ignores permissions; then the download simply succeeds, which is also fine.
    if (process.getuid?.() !== 0) expect(result.stderr).toMatch(/cannot (create|write)/)
    expect(helperPods()).toEqual([])
  })

  it('names the verb and namespace when exec is forbidden, and leaves no pod', async () => {
    const viewer = sim.writeKubeconfig({ user: 'viewer', namespace: ML })
    const result = await pv(['download', 'results', '.', join(work, 'viewer')], viewer)
    expect(result.code).toBe(EXIT_CODES.forbidden)
    expect(result.stderr).toMatch(
      /^error: pods "results-browser" is forbidden: User "viewer" cannot create resource "pods\/exec"/,
    )
    expect(helperPods()).toEqual([])
  })

  it('refuses a missing claim with the claims to look at', async () => {
    const result = await pv(['download', 'nope'])
    expect(result.code).toBe(EXIT_CODES['not-found'])
    expect(result.stderr).toMatch(
      /^error: persistentvolumeclaim "nope" not found in namespace "ml-team"\nhint: list the claims/,
    )
  })
})

describe('resize and delete', () => {
  it('grows a claim whose class allows it, refuses to shrink and where the class does not', async () => {
    const grown = await pv(['resize', 'scratch-2', '--size', '4Gi'])
    expect(grown.code, grown.stderr).toBe(0)
    expect(grown.stdout).toBe('persistentvolumeclaim/scratch-2 resized to 4Gi (was 2Gi)\n')
    const shrink = await pv(['resize', 'scratch-2', '--size', '1Gi'])
    expect(shrink.code).toBe(EXIT_CODES.invalid)
    expect(shrink.stderr).toMatch(/^error: cannot shrink scratch-2 from 4Gi to 1Gi: volumes only grow/)
    const nfs = await pv(['resize', 'shared', '--size', '20Ti'])
    expect(nfs.stderr).toMatch(/has no storage class, so its volume cannot be expanded/)
  })

  it('refuses to delete a mounted claim without --force, and says what happens to the data', async () => {
    const refused = await pv(['delete', 'results'])
    expect(refused.code).toBe(EXIT_CODES.conflict)
    expect(refused.stderr).toMatch(
      /^error: persistentvolumeclaim "results" is mounted by results-browser\nhint: stop those pods first, or pass --force \(persistentvolume pvc-results has reclaim policy Delete: the volume and ALL ITS DATA are deleted\)/,
    )
    expect(sim.store.get('persistentvolumeclaims', ML, 'results')).toBeDefined()
    const deleted = await pv(['delete', 'shared'])
    expect(deleted.code, deleted.stderr).toBe(0)
    expect(deleted.stderr).toContain('reclaim policy Retain: the data is kept')
  })
})
