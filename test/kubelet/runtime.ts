import { createHash } from 'node:crypto'
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { type ImageConfig, resolveImage } from './images.ts'
import { ContainerLog } from './logs.ts'
import { busyboxTree, gnuEtcBinds, minimalTree, prepareContainerRoot } from './rootfs.ts'
import {
  type Bind,
  containerCapabilities,
  realIdentity,
  type SandboxProcess,
  type SandboxSpec,
  spawnSandbox,
} from './sandbox.ts'

/**
 * The kubelet's container runtime for the test beds: given a pod spec whose volumes are already resolved to host
 * folders, it runs every container as a real process in a bubblewrap sandbox (sandbox.ts), on the root file system
 * its image maps to (images.ts), with the volumes bound at their mount paths. It keeps each container's log, restarts
 * containers by the pod's restartPolicy with the kubelet's back-off, reports status changes, runs exec commands in
 * sibling sandboxes (same root, binds, env and working dir; not the container's PID namespace), and kills everything
 * when a pod is stopped or the runtime closes. It knows nothing of an API server or a store.
 */
export interface VolumeMount {
  /** Name of an entry in PodRuntimeSpec.volumes. */
  volume: string
  mountPath: string
  readOnly?: boolean
  subPath?: string
}

export interface ContainerSpec {
  name: string
  image: string
  command?: readonly string[]
  args?: readonly string[]
  workingDir?: string
  /** Already resolved (value, valueFrom): in order, later names win. */
  env: Readonly<Record<string, string>>
  mounts: readonly VolumeMount[]
  runAsUser?: number
  runAsGroup?: number
  /** securityContext.capabilities: what a root container has (the runtime default, less drop, plus add). */
  capabilities?: { add?: readonly string[]; drop?: readonly string[] }
}

export interface PodRuntimeSpec {
  uid: string
  namespace: string
  name: string
  /** HOSTNAME and the UTS name: spec.hostname, else the pod's name (cut to 63 characters as the kubelet does). */
  hostname: string
  restartPolicy: 'Always' | 'OnFailure' | 'Never'
  initContainers: readonly ContainerSpec[]
  containers: readonly ContainerSpec[]
  /** Volume name → host folder (claim data, emptyDir folder, projected files). */
  volumes: Readonly<Record<string, RuntimeVolume>>
  /** securityContext.supplementalGroups: every container's process has them. */
  supplementalGroups?: readonly number[]
  /**
   * securityContext.fsGroup: every container's process has it as a supplementary group, and the pod's emptyDir and
   * claim volumes are given to it before any container starts (see {@link applyFsGroup}).
   */
  fsGroup?: number
  /** securityContext.fsGroupChangePolicy: OnRootMismatch leaves a volume whose top already has the group and modes. */
  fsGroupChangePolicy?: 'Always' | 'OnRootMismatch'
}

export interface RuntimeVolume {
  hostPath: string
  readOnly?: boolean
  /**
   * What the folder is, for what the kubelet does to it: an emptyDir is made 0777 (anyone may write, as the
   * kubelet's), and emptyDir and claim volumes get the pod's fsGroup; a hostPath or projected volume is left as is.
   */
  kind?: 'emptyDir' | 'persistentVolumeClaim' | 'hostPath' | 'projected'
}

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number
        reason: string
        message?: string
        startedAt: string
        finishedAt: string
        containerID?: string
      }
    }

export interface ContainerStatus {
  name: string
  image: string
  imageID: string
  containerID?: string
  state: ContainerState
  lastState: ContainerState | Record<string, never>
  ready: boolean
  started: boolean
  restartCount: number
}

export interface PodRuntimeStatus {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed'
  initContainerStatuses: ContainerStatus[]
  containerStatuses: ContainerStatus[]
}

export interface ContainerStats {
  name: string
  /** CPU time used by the sandbox's processes, nanoseconds (time on CPU from schedstat, else utime + stime). */
  cpuNanos: bigint
  /** Resident memory of the sandbox's processes, bytes. */
  memoryBytes: number
}

export type ExecResult = { process: SandboxProcess } | { error: string }

export interface PodSandbox {
  readonly spec: PodRuntimeSpec
  status(): PodRuntimeStatus
  /** The container's log; undefined when there is none (`previous` without a restart). */
  logs(
    container: string,
    options?: { previous?: boolean; timestamps?: boolean; sinceNanos?: bigint },
  ): string | undefined
  /** Called on every new log line of the container's current run. */
  onLog(container: string, listener: () => void): () => void
  /** Starts argv in a sibling sandbox of the container; `error` when the runtime cannot run it at all. */
  exec(container: string, argv: readonly string[]): ExecResult
  stats(): ContainerStats[]
  /** Resolves when the pod has ended (Succeeded/Failed), been stopped, or cannot start (no such image). */
  readonly done: Promise<void>
  /** Kills every process of the pod and waits until they are gone. */
  stop(): Promise<void>
}

export interface RuntimeOptions {
  /** Where container roots and the busybox tree live. */
  dir: string
  /** Folder of images "pushed" by the fake builders (registryFolderName → build context). */
  registryDir?: string
  clock?: () => Date
  /** First restart back-off (the kubelet's is 10 s, doubling to 5 min). */
  backoffMs?: number
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const timestampOf = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z')
const sha = (text: string): string => createHash('sha256').update(text).digest('hex')

interface Run {
  spec: ContainerSpec
  init: boolean
  image: ImageConfig | undefined
  status: ContainerStatus
  log: ContainerLog
  previous?: ContainerLog
  process?: SandboxProcess
  /** The container's current run ended and will not be restarted. */
  final: boolean
  /** It has run at least once. */
  ran: boolean
}

export class Runtime {
  private readonly pods = new Map<string, PodSandboxImpl>()
  private readonly clock: () => Date
  readonly options: RuntimeOptions
  constructor(options: RuntimeOptions) {
    this.options = options
    this.clock = options.clock ?? (() => new Date())
    mkdirSync(options.dir, { recursive: true })
    if (options.registryDir !== undefined) mkdirSync(options.registryDir, { recursive: true })
  }

  /**
   * Starts a pod: images, then init containers one by one, then all containers. `onStatus` gets every change. With
   * `start: false` nothing runs (a pod whose state a scenario declares), but exec and logs still work.
   */
  runPod(
    spec: PodRuntimeSpec,
    onStatus: (status: PodRuntimeStatus) => void = () => {},
    options: { start?: boolean } = {},
  ): PodSandbox {
    const existing = this.pods.get(spec.uid)
    if (existing !== undefined) return existing
    prepareVolumes(spec)
    const pod = new PodSandboxImpl(this, spec, onStatus, this.clock)
    this.pods.set(spec.uid, pod)
    void pod.done.then(() => {})
    if (options.start !== false) pod.start()
    return pod
  }

  get(uid: string): PodSandbox | undefined {
    return this.pods.get(uid)
  }

  /** Stops a pod and removes its folders. */
  async removePod(uid: string): Promise<void> {
    const pod = this.pods.get(uid)
    if (pod === undefined) return
    await pod.stop()
    this.pods.delete(uid)
    rmSync(this.podDir(uid), { recursive: true, force: true })
  }

  async close(): Promise<void> {
    await Promise.all([...this.pods.keys()].map((uid) => this.removePod(uid)))
  }

  podDir(uid: string): string {
    return join(this.options.dir, 'pods', uid)
  }

  image(name: string): ImageConfig | undefined {
    return resolveImage(name, this.options.registryDir)
  }

  /** The sandbox of one container: its root folder (made on first use), the image's binds, the volumes. */
  sandboxSpec(pod: PodRuntimeSpec, container: ContainerSpec, image: ImageConfig, argv: readonly string[]): SandboxSpec {
    const root = join(this.podDir(pod.uid), 'containers', container.name, 'root')
    const hostname = podHostname(pod.hostname)
    if (!existsSync(join(root, 'etc', 'hostname'))) {
      prepareContainerRoot(root, image.rootfs, hostname)
      for (const f of image.files ?? []) {
        mkdirSync(dirname(join(root, f.path)), { recursive: true })
        writeFileSync(join(root, f.path), f.content)
        chmodSync(join(root, f.path), f.mode)
      }
      if (image.context !== undefined)
        cpSync(image.context.hostPath, join(root, image.context.path), { recursive: true, verbatimSymlinks: true })
    }
    const binds: Bind[] = []
    if (image.rootfs === 'busybox') for (const b of busyboxTree(this.options.dir)) binds.push({ ...b, readOnly: true })
    else if (image.rootfs === 'minimal')
      for (const b of minimalTree(this.options.dir)) binds.push({ ...b, readOnly: true })
    else {
      binds.push({ hostPath: '/usr', path: '/usr', readOnly: true })
      for (const b of gnuEtcBinds()) binds.push({ ...b, readOnly: true })
    }
    if (image.localBin !== undefined) binds.push({ ...localBin(this.options.dir, image.localBin), readOnly: true })
    for (const b of image.binds ?? []) binds.push(b)
    const mounts = [...container.mounts].sort((a, b) => a.mountPath.split('/').length - b.mountPath.split('/').length)
    for (const m of mounts) {
      const volume = pod.volumes[m.volume]
      if (volume === undefined) continue
      let hostPath = volume.hostPath
      if (m.subPath !== undefined && m.subPath !== '') {
        hostPath = join(volume.hostPath, m.subPath)
        if (!existsSync(hostPath)) mkdirSync(hostPath, { recursive: true })
      }
      binds.push({
        hostPath,
        path: m.mountPath.replace(/\/+$/, '') || '/',
        readOnly: m.readOnly === true || volume.readOnly === true,
      })
    }
    const home = (container.runAsUser ?? 0) === 0 ? '/root' : '/'
    // As containerd: supplementalGroups, then fsGroup, as the process's supplementary groups.
    const groups = [
      ...new Set([...(pod.supplementalGroups ?? []), ...(pod.fsGroup === undefined ? [] : [pod.fsGroup])]),
    ]
    return {
      root,
      binds,
      env: { PATH, HOSTNAME: hostname, HOME: home, ...image.env, ...container.env },
      cwd: container.workingDir ?? image.workingDir ?? '/',
      hostname,
      uid: container.runAsUser ?? 0,
      gid: container.runAsGroup ?? 0,
      groups,
      capabilities: containerCapabilities(container.capabilities),
      argv,
    }
  }
}

/**
 * What the kubelet does to a pod's volumes before its containers start: an emptyDir folder is 0777 (the kubelet makes
 * it so, whatever the umask: any container user may write there), and with an fsGroup every emptyDir and claim volume
 * is given to that group ({@link applyFsGroup}). A hostPath or projected volume is left as it is. Only a root runtime
 * can change owners; without root, the user namespace makes every file the container's anyway.
 */
export function prepareVolumes(spec: PodRuntimeSpec): void {
  for (const volume of Object.values(spec.volumes)) {
    if (volume.kind === 'emptyDir') chmodSync(volume.hostPath, 0o777)
    if (
      spec.fsGroup !== undefined &&
      realIdentity() &&
      (volume.kind === 'emptyDir' || volume.kind === 'persistentVolumeClaim')
    )
      applyFsGroup(volume.hostPath, spec.fsGroup, volume.readOnly === true, spec.fsGroupChangePolicy)
  }
}

/**
 * The kubelet's volume ownership for fsGroup (fsGroupChangePolicy Always, or OnRootMismatch when the volume's top is
 * not yet as it would make it): every file and folder under `dir` gets the
 * group, and the group may read and write it (read only, on a read-only volume); a folder, and a file its owner may
 * run, is also the group's to search or run; folders get the setgid bit so what is made in them later is the
 * group's too. Symlinks get the group and nothing else (their mode means nothing).
 */
export function applyFsGroup(
  dir: string,
  gid: number,
  readOnly: boolean,
  policy: 'Always' | 'OnRootMismatch' = 'Always',
): void {
  if (policy === 'OnRootMismatch') {
    // The kubelet looks at the top only: the group, setgid, and the group's read/write (and search) bits.
    const top = lstatSync(dir)
    const wanted = 0o2000 | (readOnly ? 0o440 : 0o660) | 0o110
    if (top.gid === gid && (top.mode & wanted) === wanted) return
  }
  const walk = (path: string): void => {
    const info = lstatSync(path)
    if (info.isSymbolicLink()) {
      lchownSync(path, info.uid, gid)
      return
    }
    chownSync(path, info.uid, gid)
    let mode = info.mode & 0o7777
    mode |= readOnly ? 0o440 : 0o660
    if (info.isDirectory() || (mode & 0o100) !== 0) mode |= 0o110
    if (info.isDirectory()) mode |= 0o2000
    chmodSync(path, mode)
    if (info.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry))
  }
  walk(dir)
}

/**
 * The kubelet cuts a hostname longer than 63 characters (a UTS name holds 64 bytes with its NUL) and trims a trailing
 * '-' or '.' (pkg/kubelet/kubelet_pods.go truncatePodHostnameIfNeeded): a pod named like a Deployment's pod with a long
 * prefix still starts, where sethostname would refuse the whole name.
 */
export function podHostname(hostname: string): string {
  return hostname.length <= 63 ? hostname : hostname.slice(0, 63).replace(/[-.]+$/, '')
}

/** What a container runs: command+args, else the image's entrypoint + args, else entrypoint + CMD. */
export function containerArgv(container: ContainerSpec, image: ImageConfig): string[] {
  if (container.command !== undefined && container.command.length > 0)
    return [...container.command, ...(container.args ?? [])]
  if (container.args !== undefined && container.args.length > 0) return [...(image.entrypoint ?? []), ...container.args]
  return [...(image.entrypoint ?? []), ...image.defaultCommand]
}

class PodSandboxImpl implements PodSandbox {
  readonly done: Promise<void>
  private resolveDone!: () => void
  private readonly runs: Run[]
  private stopped = false
  private phase: PodRuntimeStatus['phase'] = 'Pending'
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly execs = new Set<SandboxProcess>()
  private readonly runtime: Runtime
  readonly spec: PodRuntimeSpec
  private readonly onStatus: (status: PodRuntimeStatus) => void
  private readonly clock: () => Date

  constructor(runtime: Runtime, spec: PodRuntimeSpec, onStatus: (status: PodRuntimeStatus) => void, clock: () => Date) {
    this.runtime = runtime
    this.spec = spec
    this.onStatus = onStatus
    this.clock = clock
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve
    })
    const make = (c: ContainerSpec, init: boolean): Run => ({
      spec: c,
      init,
      image: runtime.image(c.image),
      log: new ContainerLog(clock),
      final: false,
      ran: false,
      status: {
        name: c.name,
        image: c.image,
        imageID: '',
        state: { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } },
        lastState: {},
        ready: false,
        started: false,
        restartCount: 0,
      },
    })
    this.runs = [...spec.initContainers.map((c) => make(c, true)), ...spec.containers.map((c) => make(c, false))]
  }

  private now(): string {
    return timestampOf(this.clock())
  }

  status(): PodRuntimeStatus {
    return {
      phase: this.phase,
      initContainerStatuses: this.runs.filter((r) => r.init).map((r) => structuredClone(r.status)),
      containerStatuses: this.runs.filter((r) => !r.init).map((r) => structuredClone(r.status)),
    }
  }

  private report(): void {
    if (!this.stopped) this.onStatus(this.status())
  }

  start(): void {
    const missing = this.runs.filter((r) => r.image === undefined)
    if (missing.length > 0) {
      for (const r of missing)
        r.status.state = {
          waiting: {
            reason: 'ErrImagePull',
            message: `failed to pull and unpack image "${qualified(r.spec.image)}": failed to resolve reference "${qualified(r.spec.image)}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
          },
        }
      this.report()
      this.resolveDone()
      this.later(1000, () => {
        for (const r of missing)
          r.status.state = {
            waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${r.spec.image}"` },
          }
        this.report()
      })
      return
    }
    for (const r of this.runs) r.status.imageID = `${qualified(r.spec.image)}@sha256:${sha(r.spec.image)}`
    void this.runInits()
  }

  private later(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      if (!this.stopped) work()
    }, ms)
    this.timers.add(timer)
  }

  private async runInits(): Promise<void> {
    for (const r of this.runs.filter((x) => x.init)) {
      for (;;) {
        const code = await this.runOnce(r)
        if (this.stopped) return
        if (code === 0) break
        if (this.spec.restartPolicy === 'Never') {
          r.final = true
          this.phase = 'Failed'
          this.report()
          this.finish()
          return
        }
        await this.backoff(r)
        if (this.stopped) return
      }
      r.final = true
    }
    this.phase = 'Running'
    for (const r of this.runs.filter((x) => !x.init)) void this.supervise(r)
  }

  private async supervise(r: Run): Promise<void> {
    for (;;) {
      const code = await this.runOnce(r)
      if (this.stopped) return
      const restart = this.spec.restartPolicy === 'Always' || (this.spec.restartPolicy === 'OnFailure' && code !== 0)
      if (!restart) break
      await this.backoff(r)
      if (this.stopped) return
    }
    r.final = true
    const mains = this.runs.filter((x) => !x.init)
    if (mains.every((x) => x.final)) {
      const failed = mains.some((x) => 'terminated' in x.status.state && x.status.state.terminated.exitCode !== 0)
      this.phase = failed ? 'Failed' : 'Succeeded'
      this.report()
      this.finish()
    } else this.report()
  }

  private finish(): void {
    this.resolveDone()
  }

  private backoff(r: Run): Promise<void> {
    const base = this.runtime.options.backoffMs ?? 10_000
    const delay = Math.min(base * 2 ** Math.max(0, r.status.restartCount), 300_000)
    r.status.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${r.spec.name} pod=${this.spec.name}_${this.spec.namespace}(${this.spec.uid})`,
      },
    }
    r.status.ready = false
    r.status.started = false
    this.report()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        resolve()
      }, delay)
      this.timers.add(timer)
    })
  }

  /** One run of a container, to its end; the exit code (128 when it could not start). */
  private async runOnce(r: Run): Promise<number> {
    const image = r.image as ImageConfig
    // A new run gets a new log. During the back-off before it, the run that ended is both the current log and the
    // previous one (terminated() made it `previous`): the kubelet serves `--previous` from lastState's container and
    // a waiting container's log from it too (pkg/kubelet/kubelet_pods.go validateContainerLogStatus).
    if (r.ran) r.log = new ContainerLog(this.clock)
    r.ran = true
    const startedAt = this.now()
    const containerID = `containerd://${sha(`${this.spec.uid}/${r.spec.name}/${r.status.restartCount}/${startedAt}`)}`
    const argv = containerArgv(r.spec, image)
    let sandbox: SandboxProcess
    try {
      sandbox = spawnSandbox(this.runtime.sandboxSpec(this.spec, r.spec, image, argv))
    } catch (error) {
      return this.terminated(r, 128, 'StartError', startedAt, containerID, (error as Error).message)
    }
    r.process = sandbox
    sandbox.stdin.end()
    sandbox.stdout.on('data', (chunk: Buffer) => r.log.write('stdout', chunk))
    sandbox.stderr.on('data', (chunk: Buffer) => r.log.write('stderr', chunk))
    r.status.containerID = containerID
    r.status.state = { running: { startedAt } }
    r.status.started = true
    r.status.ready = !r.init
    this.report()
    const result = await sandbox.exited
    await Promise.all([ended(sandbox.stdout), ended(sandbox.stderr)])
    r.log.end()
    r.process = undefined
    if (this.stopped) return result.code
    if (result.startError !== undefined)
      return this.terminated(
        r,
        128,
        'StartError',
        startedAt,
        containerID,
        `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${result.startError}: unknown`,
      )
    return this.terminated(r, result.code, result.code === 0 ? 'Completed' : 'Error', startedAt, containerID)
  }

  private terminated(
    r: Run,
    exitCode: number,
    reason: string,
    startedAt: string,
    containerID: string,
    message?: string,
  ): number {
    r.status.state = {
      terminated: {
        exitCode,
        reason,
        ...(message === undefined ? {} : { message }),
        startedAt,
        finishedAt: this.now(),
        containerID,
      },
    }
    r.status.ready = false
    r.status.started = false
    const willRestart =
      this.spec.restartPolicy === 'Always' ||
      (this.spec.restartPolicy === 'OnFailure' && exitCode !== 0) ||
      (r.init && exitCode !== 0 && this.spec.restartPolicy !== 'Never')
    if (willRestart) {
      r.status.lastState = r.status.state
      r.status.restartCount++
      r.previous = r.log
    }
    return exitCode
  }

  logs(
    container: string,
    options: { previous?: boolean; timestamps?: boolean; sinceNanos?: bigint } = {},
  ): string | undefined {
    const r = this.runs.find((x) => x.spec.name === container)
    if (r === undefined) return undefined
    const log = options.previous === true ? r.previous : r.log
    return log?.text({
      ...(options.timestamps === undefined ? {} : { timestamps: options.timestamps }),
      ...(options.sinceNanos === undefined ? {} : { sinceNanos: options.sinceNanos }),
    })
  }

  onLog(container: string, listener: () => void): () => void {
    const r = this.runs.find((x) => x.spec.name === container)
    if (r === undefined) return () => {}
    let current = r.log
    let off = current.onChange(listener)
    // A restart swaps the log: follow the new one.
    const poll = setInterval(() => {
      if (r.log !== current) {
        off()
        current = r.log
        off = current.onChange(listener)
        listener()
      }
    }, 200)
    return () => {
      clearInterval(poll)
      off()
    }
  }

  exec(container: string, argv: readonly string[]): ExecResult {
    const r = this.runs.find((x) => x.spec.name === container)
    if (r === undefined) return { error: `container ${container} is not valid for pod ${this.spec.name}` }
    if (r.image === undefined) return { error: `container ${container} has no image to run in` }
    const spec = this.runtime.sandboxSpec(this.spec, r.spec, r.image, argv)
    const process = spawnSandbox(spec)
    this.execs.add(process)
    void process.exited.then(() => this.execs.delete(process))
    return { process }
  }

  stats(): ContainerStats[] {
    const children = processTree()
    return this.runs
      .filter((r) => !r.init)
      .map((r) => {
        let cpuNanos = 0n
        let memoryBytes = 0
        const pid = r.process?.pid
        if (pid !== undefined && pid > 0) {
          for (const p of descendants(children, pid)) {
            const usage = processUsage(p)
            cpuNanos += usage.cpuNanos
            memoryBytes += usage.memoryBytes
          }
        }
        return { name: r.spec.name, cpuNanos, memoryBytes }
      })
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    const processes = [...this.execs, ...this.runs.flatMap((r) => (r.process === undefined ? [] : [r.process]))]
    for (const p of processes) p.kill()
    await Promise.all(processes.map((p) => p.exited))
    this.resolveDone()
  }
}

/** A shared folder of symlinks bound at /usr/local/bin. */
function localBin(runtimeDir: string, links: Record<string, string>): { hostPath: string; path: string } {
  const dir = join(runtimeDir, 'images', `local-bin-${sha(JSON.stringify(links)).slice(0, 12)}`)
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true })
    for (const [name, target] of Object.entries(links)) symlinkSync(target, join(dir, name))
  }
  return { hostPath: dir, path: '/usr/local/bin' }
}

function ended(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    const s = stream as NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean }
    if (s.readableEnded === true || s.destroyed === true) return resolve()
    s.once('end', () => resolve())
    s.once('close', () => resolve())
    s.once('error', () => resolve())
  })
}

/** docker.io/library/busybox:1.36 for busybox:1.36, as containerd names what it pulls. */
function qualified(image: string): string {
  const withTag = /[:@][^/]*$/.test(image) ? image : `${image}:latest`
  const first = withTag.split('/')[0] as string
  if (!withTag.includes('/')) return `docker.io/library/${withTag}`
  if (!first.includes('.') && !first.includes(':') && first !== 'localhost') return `docker.io/${withTag}`
  return withTag
}

function processTree(): Map<number, number[]> {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(entry))
      children.set(ppid, list)
    } catch {
      // gone meanwhile
    }
  }
  return children
}

function descendants(children: Map<number, number[]>, pid: number): number[] {
  const result: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    const p = queue.shift() as number
    result.push(p)
    queue.push(...(children.get(p) ?? []))
  }
  return result
}

/**
 * CPU time and resident memory of one process. CPU time comes from /proc/<pid>/schedstat (nanoseconds on CPU) when the
 * kernel has it: /proc/<pid>/stat counts in 10 ms ticks, so a mostly idle container reads 0, and metrics-server drops
 * a pod any of whose containers reports 0 CPU (kubectl top pod then says the metrics are not available).
 */
function processUsage(pid: number): { cpuNanos: bigint; memoryBytes: number } {
  try {
    const rssPages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1] ?? '0')
    let cpuNanos: bigint
    try {
      cpuNanos = BigInt(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0] ?? '0')
    } catch {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ticks = BigInt(fields[11] ?? '0') + BigInt(fields[12] ?? '0')
      cpuNanos = (ticks * 1_000_000_000n) / 100n
    }
    return { cpuNanos, memoryBytes: rssPages * 4096 }
  } catch {
    return { cpuNanos: 0n, memoryBytes: 0 }
  }
}
