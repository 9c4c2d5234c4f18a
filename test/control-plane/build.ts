import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Builds the real control plane's binaries from Go modules, once per version set, into a cache outside the repo:
 * `${KUBECTL_SUITE_CACHE:-~/.cache/kubectl-suite}/control-plane/<key>/bin/`. The key names every version and the Go
 * version plus a hash of our go.mod/go.sum files and build flags, so changing any of them builds afresh. A stamp
 * file is written only after every binary is in place, so a build cut short is never taken as finished.
 *
 *   node test/control-plane/build.ts        build if needed, print the bin folder
 */
export const KUBERNETES_VERSION = 'v1.33.13'
// kubeadm 1.33 defaults to etcd 3.5.21, but the 3.5 line needs the older server module layout; 3.6.14 is what the
// proxy serves, declares go 1.25 and builds with Go 1.26, and speaks the same v3 API the apiserver uses.
export const ETCD_VERSION = 'v3.6.14'
export const METRICS_SERVER_VERSION = 'v0.8.0'
const MINIMUM_GO = [1, 24] as const

const goDir = join(dirname(fileURLToPath(import.meta.url)), 'go')

export interface Component {
  name: 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'etcd' | 'metrics-server'
  module: string
  pkg: string
  ldflags: string
}

function kubernetesLdflags(): string {
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.')
  // Without these the binaries report v0.0.0-master and the apiserver's emulation version follows gitVersion.
  const vars = {
    gitVersion: KUBERNETES_VERSION,
    gitMajor: major,
    gitMinor: minor,
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
  }
  const x = Object.entries(vars).flatMap(([k, v]) => [
    `-X k8s.io/component-base/version.${k}=${v}`,
    `-X k8s.io/client-go/pkg/version.${k}=${v}`,
  ])
  return ['-s', '-w', ...x].join(' ')
}

export const COMPONENTS: Component[] = [
  ...(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const).map((name) => ({
    name,
    module: 'kubernetes',
    pkg: `k8s.io/kubernetes/cmd/${name}`,
    ldflags: kubernetesLdflags(),
  })),
  { name: 'etcd', module: 'etcd', pkg: 'go.etcd.io/etcd/server/v3', ldflags: '-s -w' },
  {
    name: 'metrics-server',
    module: 'metrics-server',
    pkg: 'sigs.k8s.io/metrics-server/cmd/metrics-server',
    ldflags: '-s -w',
  },
]

/** Components of one Go module with the same link flags, in COMPONENTS order: each group is one `go build`. */
export function buildGroups(): Component[][] {
  const groups = new Map<string, Component[]>()
  for (const c of COMPONENTS) {
    const key = `${c.module} ${c.ldflags}`
    groups.set(key, [...(groups.get(key) ?? []), c])
  }
  return [...groups.values()]
}

/** Tags and flags as Kubernetes' own hack/lib/golang.sh uses them; cgo is not needed by any component. */
const BUILD_TAGS = 'selinux,notest'

export class BuildError extends Error {}

interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

function exec(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(command, args, { ...options, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 127
      resolve({ code, stdout, stderr: stderr || (error?.message ?? '') })
    })
  })
}

function lastLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '')
  return lines.at(-1)?.trim() ?? '(no output)'
}

/**
 * The Go named by $GO, else the one on PATH, else the usual /usr/local/go install; its version must be ≥ 1.24
 * (k8s 1.33's go.mod).
 */
export async function findGo(): Promise<{ go: string; version: string }> {
  const candidates = process.env.GO ? [process.env.GO] : ['go', '/usr/local/go/bin/go']
  for (const go of candidates) {
    const result = await exec(go, ['env', 'GOVERSION'], {})
    if (result.code !== 0) continue
    const version = result.stdout.trim()
    const match = /^go(\d+)\.(\d+)/.exec(version)
    if (match === null) continue
    const [major, minor] = [Number(match[1]), Number(match[2])]
    if (major < MINIMUM_GO[0] || (major === MINIMUM_GO[0] && minor < MINIMUM_GO[1])) {
      throw new BuildError(
        `control plane build: ${go} is ${version}, Kubernetes ${KUBERNETES_VERSION} needs Go >= ${MINIMUM_GO.join('.')} (https://go.dev/dl/)`,
      )
    }
    return { go, version }
  }
  if (process.env.GO) {
    throw new BuildError(
      `control plane build: GO=${process.env.GO} does not run as Go; install Go >= ${MINIMUM_GO.join('.')} from https://go.dev/dl/`,
    )
  }
  throw new BuildError(
    `control plane build: Go not found on PATH; install Go >= ${MINIMUM_GO.join('.')} from https://go.dev/dl/ (or apt-get install golang-go on a recent Debian)`,
  )
}

export function cacheRoot(): string {
  return process.env.KUBECTL_SUITE_CACHE ?? join(homedir(), '.cache', 'kubectl-suite')
}

function buildKey(goVersion: string): string {
  const hash = createHash('sha256')
  for (const module of ['kubernetes', 'etcd', 'metrics-server']) {
    for (const file of ['go.mod', 'go.sum']) hash.update(readFileSync(join(goDir, module, file)))
  }
  for (const c of COMPONENTS) hash.update(`${c.pkg} ${c.ldflags} ${BUILD_TAGS}`)
  return [
    `k8s-${KUBERNETES_VERSION}`,
    `etcd-${ETCD_VERSION}`,
    `metrics-server-${METRICS_SERVER_VERSION}`,
    goVersion,
    hash.digest('hex').slice(0, 10),
  ].join('_')
}

export interface Binaries {
  binDir: string
  path: (name: Component['name']) => string
  /** True when this call compiled; false when the cache was reused. */
  built: boolean
  seconds: number
}

const STAMP = 'complete.stamp'

/** Returns the cached binaries, building them first if any is missing or the last build never finished. */
export async function ensureControlPlaneBinaries(options: { log?: (line: string) => void } = {}): Promise<Binaries> {
  const started = performance.now()
  const log = options.log ?? (() => {})
  const { go, version } = await findGo()
  const root = join(cacheRoot(), 'control-plane', buildKey(version))
  const binDir = join(root, 'bin')
  const path = (name: Component['name']): string => join(binDir, name)
  const complete = existsSync(join(root, STAMP)) && COMPONENTS.every((c) => existsSync(path(c.name)))
  if (!complete) {
    rmSync(join(root, STAMP), { force: true })
    mkdirSync(binDir, { recursive: true })
    const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false -mod=readonly' }
    for (const group of buildGroups()) {
      const groupStarted = performance.now()
      const names = group.map((c) => c.name).join(', ')
      const first = group[0] as Component
      log(`building ${names} (${group.map((c) => c.pkg).join(' ')})`)
      // Several main packages of one module in one invocation: go schedules their compiles and links together, so
      // one binary links while the next one's packages compile (two cores kept busy), and the build graph is
      // loaded and hashed once instead of once per binary. Binaries are written to a scratch folder and renamed into
      // place, so an interrupted build never leaves a truncated binary under a final name.
      // Per process, so two test runs building at once do not remove each other's output.
      const scratch = join(root, `bin.partial-${process.pid}`)
      rmSync(scratch, { recursive: true, force: true })
      mkdirSync(scratch, { recursive: true })
      const output = group.length === 1 ? join(scratch, first.name) : `${scratch}/`
      const args = [
        'build',
        '-trimpath',
        `-tags=${BUILD_TAGS}`,
        `-ldflags=${first.ldflags}`,
        '-o',
        output,
        ...group.map((c) => c.pkg),
      ]
      const result = await exec(go, args, { cwd: join(goDir, first.module), env })
      if (result.code !== 0) {
        rmSync(scratch, { recursive: true, force: true })
        // Go's last line for a download failure does not say which module; its progress lines before it do.
        const downloading = [...result.stderr.matchAll(/^go: downloading (.+)$/gm)].at(-1)?.[1]
        const context =
          downloading !== undefined && !result.stderr.includes('.go:') ? ` (downloading ${downloading})` : ''
        throw new BuildError(`control plane build: ${names} failed: ${lastLine(result.stderr)}${context}`)
      }
      // go build -o dir/ names each binary after its package path's last element (kube-apiserver, …).
      for (const c of group)
        renameSync(join(scratch, group.length === 1 ? c.name : posix.basename(c.pkg)), path(c.name))
      rmSync(scratch, { recursive: true, force: true })
      log(`built ${names} in ${((performance.now() - groupStarted) / 1000).toFixed(0)}s`)
    }
    writeFileSync(join(root, STAMP), `${new Date().toISOString()} ${version}\n`)
  }
  return { binDir, path, built: !complete, seconds: (performance.now() - started) / 1000 }
}

async function main(): Promise<void> {
  try {
    const result = await ensureControlPlaneBinaries({ log: (line) => process.stderr.write(`${line}\n`) })
    process.stderr.write(
      `control plane binaries ${result.built ? 'built' : 'cached'} in ${result.seconds.toFixed(1)}s: ${result.binDir}\n`,
    )
    process.stdout.write(`${result.binDir}\n`)
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`)
    process.exit(1)
  }
}

if (import.meta.main) await main()
