import { createHash } from 'node:crypto'
import { dnsLabel, labelValue, shortDnsLabel } from '../../shared/names.ts'
import { isValidQuantity } from '../../shared/quantity.ts'

export { dnsLabel, labelValue }

/**
 * The pure part of kubectl mrun: contexts, parameter grids, names and the Kubernetes objects a run creates. No I/O,
 * no clock: callers pass the run id and the time, so the same input always gives the same objects (golden tests).
 */

export const MANAGED_BY = 'kubectl-mrun'
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by'
export const LABEL_PROJECT = 'mrun/project'
export const LABEL_EXPERIMENT = 'mrun/experiment'
export const LABEL_RUN_ID = 'mrun/run-id'
export const TAG_LABEL_PREFIX = 'mrun.tag/'
export const ANNOTATION_PARAMS = 'mrun/params'
/** On a sweep's Job: the ConfigMap holding its grid, and how many points it has. */
export const ANNOTATION_GRID = 'mrun/grid'
export const ANNOTATION_POINTS = 'mrun/points'
export const ANNOTATION_COMMAND = 'mrun/command'
export const ANNOTATION_IMAGE = 'mrun/image'
export const ANNOTATION_TAGS = 'mrun/tags'
export const REGISTRY_SECRET = 'mrun-registry'
export const NEPTUNE_SECRET = 'mrun-neptune'
export const STORAGE_CLAIM = 'mrun-storage'
export const DEFAULT_STORAGE_SIZE = '40Gi'
export const DEFAULT_STORAGE_DIR = '/storage'
export const DEFAULT_BASE_IMAGE = 'python:3.12'
/** A week: finished runs stay listable for `mrun list`/`logs` long enough, then the cluster cleans up after itself. */
export const DEFAULT_TTL_SECONDS = 604800
/** kaniko is archived by Google; Chainguard keeps a maintained, rebuilt fork. The context's kaniko_image overrides it. */
export const DEFAULT_KANIKO_IMAGE = 'cgr.dev/chainguard/kaniko:latest'

export const BUILDERS = ['docker', 'podman', 'buildah', 'cluster'] as const
export type Builder = (typeof BUILDERS)[number]

export interface Resources {
  cpu?: string
  mem?: string
  gpu?: string
  tpu?: string
}

export interface Toleration {
  key?: string
  operator?: string
  value?: string
  effect?: string
  tolerationSeconds?: number
}

/**
 * The settings of one mrun profile, as the profiles file holds them (snake_case keys, as mrunner's contexts) and as
 * the commands read them. The file's schema is profiles-schema.ts; its output must be assignable to this.
 */
export interface MrunContext {
  kube_context?: string
  namespace?: string
  storage_dir?: string
  storage_size?: string
  storage_class?: string
  /** The storage claim's access mode; `run` decides the default (ReadWriteOnce unless the class provides RWX). */
  storage_access_mode?: 'ReadWriteOnce' | 'ReadWriteMany'
  registry?: string
  builder?: Builder
  kaniko_image?: string
  /** Default requests per pod (and limits, unless `limits` says otherwise); --cpu/--mem/--gpu/--tpu override. */
  resources?: Resources
  /** Default limits where they differ from the requests (cpu, mem); GPUs and TPUs are whole devices, never split. */
  limits?: Pick<Resources, 'cpu' | 'mem'>
  node_selector?: Record<string, string>
  tolerations?: Toleration[]
  /** Name of an existing docker-registry Secret to pull with, instead of the one mrun creates. */
  image_pull_secret?: string
  /** A docker config.json whose auths mrun copies into the registry Secret (pull and in-cluster push). */
  registry_auth_file?: string
  tpu_accelerator?: string
  tpu_topology?: string
  neptune?: { project?: string }
}

export type ParamValue = string | number | boolean
export type Params = Record<string, ParamValue>

/** `key=a,b,c` → ['key', ['a','b','c']]; values that look like numbers or booleans keep that type. */
export function parseGridFlag(flag: string): [string, ParamValue[]] {
  const eq = flag.indexOf('=')
  const key = eq < 0 ? flag : flag.slice(0, eq)
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key))
    throw new GridError(`--grid "${flag}": the key must be a name such as lr or batch_size`)
  const raw = eq < 0 ? '' : flag.slice(eq + 1)
  const values = raw === '' ? [] : raw.split(',').filter((v) => v !== '')
  if (values.length === 0) throw new GridError(`--grid "${flag}" has no values; give them as ${key}=a,b,c`)
  return [key, values.map(typedValue)]
}

export class GridError extends Error {}

export function typedValue(text: string): ParamValue {
  if (/^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(text)) return Number(text)
  if (text === 'true' || text === 'false') return text === 'true'
  return text
}

/**
 * A sweep as its definition, never expanded: the fixed values, and the axes in order (the first varies slowest, as
 * sklearn's ParameterGrid, so point 0 is every key's first value). Each value of an axis sets one key, or several
 * for the `--zip` axis, whose keys vary together. 10^8 points were expanded into an array before (V8 ran out of
 * memory after 94 s); now a point is computed from its index when it is needed.
 */
export interface Grid {
  fixed: Params
  axes: Params[][]
}

/** An Indexed Job runs at most this many completions with per-index backoff (the API server's limit). */
export const MAX_SWEEP_POINTS = 100_000

export function buildGrid(
  fixed: Params,
  grid: readonly [string, ParamValue[]][],
  zipKeys: readonly string[] = [],
): Grid {
  const zipped = grid.filter(([key]) => zipKeys.includes(key))
  for (const key of zipKeys)
    if (!grid.some(([k]) => k === key)) throw new GridError(`--zip ${key}: there is no --grid ${key}=… to zip`)
  const zipLength = zipped[0]?.[1].length ?? 0
  for (const [key, values] of zipped)
    if (values.length !== zipLength)
      throw new GridError(
        `--zip keys need the same number of values: ${zipped[0]?.[0]} has ${zipLength}, ${key} has ${values.length}`,
      )
  const axes: Params[][] = []
  if (zipped.length > 0)
    axes.push(
      Array.from({ length: zipLength }, (_, i) =>
        Object.fromEntries(zipped.map(([key, values]) => [key, values[i] as ParamValue])),
      ),
    )
  for (const [key, values] of grid) if (!zipKeys.includes(key)) axes.push(values.map((v) => ({ [key]: v })))
  return { fixed: { ...fixed }, axes }
}

/** How many points the grid has (a plain number: 10^8 is fine, nothing is expanded). */
export function gridSize(grid: Grid): number {
  return grid.axes.reduce((count, axis) => count * axis.length, 1)
}

/** The parameters of point `index`: each axis's value by mixed-radix digits of the index, the first axis slowest. */
export function gridPoint(grid: Grid, index: number): Params {
  const point: Params = { ...grid.fixed }
  let stride = gridSize(grid)
  for (const axis of grid.axes) {
    stride /= axis.length
    Object.assign(point, axis[Math.floor(index / stride) % axis.length])
  }
  return point
}

/** Every point, for small grids and tests; a run never calls this. */
export function expandGrid(
  fixed: Params,
  grid: readonly [string, ParamValue[]][],
  zipKeys: readonly string[] = [],
): Params[] {
  const built = buildGrid(fixed, grid, zipKeys)
  return Array.from({ length: gridSize(built) }, (_, i) => gridPoint(built, i))
}

/** Refuses a sweep an Indexed Job cannot run, naming the count, before anything is built or created. */
export function checkGridSize(grid: Grid): void {
  const points = gridSize(grid)
  if (points > MAX_SWEEP_POINTS)
    throw new GridError(
      `the sweep has ${points.toLocaleString('en-US')} points; an Indexed Job runs at most ${MAX_SWEEP_POINTS.toLocaleString('en-US')}: vary fewer values, or split it into several runs`,
    )
}

/** The experiment file: project, name, parameters (a list value becomes a sweep axis), tags. */
export interface ExperimentFile {
  project?: string
  name?: string
  parameters?: Record<string, ParamValue | ParamValue[]>
  tags?: string[]
}

export function splitParameters(parameters: ExperimentFile['parameters']): {
  fixed: Params
  grid: [string, ParamValue[]][]
} {
  const fixed: Params = {}
  const grid: [string, ParamValue[]][] = []
  for (const [key, value] of Object.entries(parameters ?? {})) {
    if (Array.isArray(value)) {
      if (value.length === 0) throw new GridError(`parameter "${key}" is an empty list; give it at least one value`)
      grid.push([key, value])
    } else fixed[key] = value
  }
  return { fixed, grid }
}

/**
 * What the container runs. `script.py a b -- --epochs 3` runs `python script.py a b --epochs 3`: a .py first word
 * gets the interpreter, as mrunner did; any other first word is run as given (`-- sh -c '…'`), so images without
 * Python work too. Words after the inner `--` are the script's arguments.
 */
export function containerCommand(words: readonly string[]): { command: string[]; args: string[] } {
  const dash = words.indexOf('--')
  const head = dash < 0 ? [...words] : words.slice(0, dash)
  const tail = dash < 0 ? [] : words.slice(dash + 1)
  if (head.length === 0) return { command: [], args: [] }
  const first = head[0] as string
  if (first.endsWith('.py')) return { command: ['python', ...head], args: tail }
  return { command: head, args: tail }
}

export const RESOURCE_KEYS = ['cpu', 'mem', 'gpu', 'tpu'] as const

/** The first invalid resource value as a one-line problem, or undefined. */
export function resourceProblem(resources: Resources): string | undefined {
  for (const key of RESOURCE_KEYS) {
    const text = resources[key]
    if (text === undefined) continue
    if (!isValidQuantity(text)) return `--${key} "${text}" is not a quantity; use e.g. ${EXAMPLES[key]}`
    // The API server takes a negative or zero request and the pod then never fits anywhere (or, for limits,
    // fails at once): refused here, before anything is built. `--gpu 0` still means no GPU.
    if (
      text.trim().startsWith('-') ||
      ((key === 'cpu' || key === 'mem') && /^[+]?0*(\.0*)?[a-zA-Z]*$/.test(text.trim()))
    )
      return `--${key} "${text}" must be more than 0; use e.g. ${EXAMPLES[key]}`
    if ((key === 'gpu' || key === 'tpu') && !/^\d+$/.test(text))
      return `--${key} "${text}" must be a whole number of devices`
  }
  return undefined
}

const EXAMPLES: Record<(typeof RESOURCE_KEYS)[number], string> = { cpu: '4 or 500m', mem: '8Gi', gpu: '1', tpu: '4' }

export interface RunSpec {
  runId: string
  project: string
  experiment: string
  namespace: string
  image: string
  command: string[]
  args: string[]
  grid: Grid
  tags: string[]
  resources: Resources
  retries: number
  parallelism: number | undefined
  ttlSeconds: number
  storageDir: string
  nodeSelector: Record<string, string>
  tolerations: Toleration[]
  tpu: { accelerator?: string; topology?: string }
  pullSecret: string | undefined
  neptuneProject: string | undefined
  /** Whether a Neptune token Secret exists for the run to reference. */
  neptuneToken: boolean
}

export type KubeObject = {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
  }
  [key: string]: unknown
}

export function managedLabels(extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGED_BY, ...extra }
}

export function namespaceObject(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: managedLabels() } }
}

export function storageClaimObject(
  namespace: string,
  options: { size: string; storageClass?: string | undefined; accessMode: string },
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: STORAGE_CLAIM, namespace, labels: managedLabels() },
    spec: {
      accessModes: [options.accessMode],
      ...(options.storageClass === undefined ? {} : { storageClassName: options.storageClass }),
      resources: { requests: { storage: options.size } },
    },
  }
}

/** The registry Secret: a docker config.json, as kubectl create secret docker-registry makes it. */
export function registrySecretObject(namespace: string, dockerConfigJson: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: REGISTRY_SECRET, namespace, labels: managedLabels() },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(dockerConfigJson).toString('base64') },
  }
}

export function neptuneSecretObject(namespace: string, token: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: NEPTUNE_SECRET, namespace, labels: managedLabels() },
    type: 'Opaque',
    data: { token: Buffer.from(token).toString('base64') },
  }
}

const RUN_ID_FIRST = 'bcdfghjkmnpqrstvwxz'
const RUN_ID_REST = 'bcdfghjkmnpqrstvwxz23456789'

/**
 * A short run id from random bytes: six characters starting with a letter, so it is never all digits or a number
 * like 12e345 (YAML would quote it and tools would read it as a number), and without vowels, so no words.
 */
export function newRunId(random: Uint8Array): string {
  let id = RUN_ID_FIRST[(random[0] ?? 0) % RUN_ID_FIRST.length] as string
  for (let i = 1; i < 6; i++) id += RUN_ID_REST[(random[i] ?? 0) % RUN_ID_REST.length]
  return id
}

/** The run's output folder, relative to the storage claim's root. */
export function runOutputPath(runId: string): string {
  return `runs/${runId}`
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')

/**
 * `<experiment>-<run id>`, short enough for what the Job controller derives from it: an Indexed Job's pods are
 * named and hostnamed `<job>-<index>`, which must be a DNS label (63 characters), so a sweep's name leaves room
 * for `-<last index>`; the API server rejects the Job otherwise, and servers before 1.27 accept it and fail every
 * pod. A long experiment name is shortened with a hash suffix.
 */
export function jobName(experiment: string, runId: string, completions = 1): string {
  const indexRoom = completions > 1 ? String(completions - 1).length + 1 : 0
  const room = 63 - indexRoom - runId.length - 1
  return `${shortDnsLabel(experiment, room, sha256) || 'run'}-${runId}`
}

function resourceLists(spec: RunSpec): { requests: Record<string, string>; limits: Record<string, string> } {
  const both: Record<string, string> = {}
  if (spec.resources.cpu !== undefined) both.cpu = spec.resources.cpu
  if (spec.resources.mem !== undefined) both.memory = spec.resources.mem
  if (spec.resources.gpu !== undefined && spec.resources.gpu !== '0') both['nvidia.com/gpu'] = spec.resources.gpu
  if (spec.resources.tpu !== undefined && spec.resources.tpu !== '0') both['google.com/tpu'] = spec.resources.tpu
  // Requests equal limits: a training run that gets less than it asked for is slower, not cheaper.
  return { requests: { ...both }, limits: { ...both } }
}

function tagLabels(tags: readonly string[]): Record<string, string> {
  return Object.fromEntries(tags.map((tag) => [`${TAG_LABEL_PREFIX}${labelValue(tag) || 'tag'}`, 'true'] as const))
}

/** The environment variable a parameter reaches the code as: `lr` → MRUN_PARAM_LR, `batch-size` → MRUN_PARAM_BATCH_SIZE. */
export function paramEnvName(key: string): string {
  return `MRUN_PARAM_${key.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`
}

/** `export MRUN_PARAM_X='…'` lines and the JSON members (`"x":…`, no braces) of some parameters. */
function paramFiles(params: Params): { env: string; json: string } {
  const entries = Object.entries(params)
  return {
    env: entries.map(([key, value]) => `export ${paramEnvName(key)}=${shellQuote(String(value))}\n`).join(''),
    json: entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(','),
  }
}

/** Where a sweep's ConfigMap is mounted, and the script in it that every pod of the sweep starts through. */
export const GRID_DIR = '/etc/mrun/grid'
export const GRID_SCRIPT = `${GRID_DIR}/select.sh`
/** A ConfigMap holds at most 1 MiB; this leaves room for its metadata. */
const CONFIGMAP_DATA_LIMIT = 1_000_000

export const gridConfigMapName = (job: string): string => `${job}-grid`

/**
 * The ConfigMap of a sweep: the grid's definition (grid.json, for status and results), one env file and one JSON
 * fragment per axis value, and a POSIX sh script that picks this pod's value of each axis from its completion index
 * (mixed-radix digits, strides written into the script), exports MRUN_PARAMS and MRUN_PARAM_<NAME>, and runs the
 * command. The grid was an annotation (256 KiB at most) and copied whole into every pod's environment before.
 */
export function gridConfigMapObject(spec: RunSpec, job: string): KubeObject {
  const data: Record<string, string> = { 'grid.json': JSON.stringify(spec.grid) }
  const fixed = paramFiles(spec.grid.fixed)
  data['fixed.env'] = fixed.env
  data['fixed.json'] = fixed.json
  const lines = [
    "# Written by kubectl mrun: this pod's point of the sweep from its completion index, then the command.",
    'set -e',
    // The files sit next to the script (sh runs it by its path): ${0%/*} is that folder, with no other tool.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    'd=${0%/*}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    'i=${MRUN_INDEX:?MRUN_INDEX is not set}',
    // Each point keeps its outputs (metrics.json for `mrun results`) in a folder of its own: <run>/<index>.
    'MRUN_OUTPUT_DIR="$MRUN_OUTPUT_DIR/$i"',
    'export MRUN_OUTPUT_DIR',
    '. "$d/fixed.env"',
    'p=$(cat "$d/fixed.json")',
  ]
  let stride = gridSize(spec.grid)
  spec.grid.axes.forEach((axis, a) => {
    stride /= axis.length
    axis.forEach((value, v) => {
      const files = paramFiles(value)
      data[`a${a}-${v}.env`] = files.env
      data[`a${a}-${v}.json`] = files.json
    })
    lines.push(
      `v=$(( i / ${stride} % ${axis.length} ))`,
      `. "$d/a${a}-$v.env"`,
      `p="$p\${p:+,}$(cat "$d/a${a}-$v.json")"`,
    )
  })
  lines.push('MRUN_PARAMS="{$p}"', 'export MRUN_PARAMS', 'exec "$@"', '')
  data['select.sh'] = lines.join('\n')
  const bytes = Object.entries(data).reduce((sum, [k, v]) => sum + k.length + Buffer.byteLength(v), 0)
  if (bytes > CONFIGMAP_DATA_LIMIT)
    throw new GridError(
      `the sweep's values take ${bytes.toLocaleString('en-US')} bytes, more than a ConfigMap holds (1 MiB): pass large values as files on the storage claim and sweep over their names`,
    )
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: gridConfigMapName(job),
      namespace: spec.namespace,
      labels: managedLabels({ [LABEL_RUN_ID]: spec.runId }),
    },
    data,
  }
}

/** The Job of a run: one pod, or an Indexed Job over the points of a sweep. */
export function jobObject(spec: RunSpec): KubeObject {
  const points = gridSize(spec.grid)
  const name = jobName(spec.experiment, spec.runId, points)
  const sweep = points > 1
  const labels = managedLabels({
    [LABEL_PROJECT]: labelValue(spec.project),
    [LABEL_EXPERIMENT]: labelValue(spec.experiment),
    [LABEL_RUN_ID]: spec.runId,
    ...tagLabels(spec.tags),
  })
  const gpu = spec.resources.gpu !== undefined && spec.resources.gpu !== '0'
  const tpu = spec.resources.tpu !== undefined && spec.resources.tpu !== '0'
  const nodeSelector = {
    ...spec.nodeSelector,
    ...(tpu && spec.tpu.accelerator !== undefined
      ? { 'cloud.google.com/gke-tpu-accelerator': spec.tpu.accelerator }
      : {}),
    ...(tpu && spec.tpu.topology !== undefined ? { 'cloud.google.com/gke-tpu-topology': spec.tpu.topology } : {}),
  }
  const tolerations = [
    ...spec.tolerations,
    ...(gpu && !spec.tolerations.some((t) => t.key === 'nvidia.com/gpu')
      ? [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]
      : []),
    ...(tpu && !spec.tolerations.some((t) => t.key === 'google.com/tpu')
      ? [{ key: 'google.com/tpu', operator: 'Exists', effect: 'NoSchedule' }]
      : []),
  ]
  const env: Record<string, unknown>[] = [
    { name: 'STORAGE_DIR', value: spec.storageDir },
    // Where a run keeps what `kubectl mrun fetch` brings back: one folder per run on the shared storage claim.
    { name: 'MRUN_OUTPUT_DIR', value: `${spec.storageDir}/${runOutputPath(spec.runId)}` },
    { name: 'MRUN_RUN_ID', value: spec.runId },
    { name: 'MRUN_EXPERIMENT', value: spec.experiment },
  ]
  if (sweep) {
    // Every pod of an Indexed Job has the same template: select.sh reads its point by the completion index.
    env.push({
      name: 'MRUN_INDEX',
      valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } },
    })
  } else {
    const point = gridPoint(spec.grid, 0)
    env.push({ name: 'MRUN_PARAMS', value: JSON.stringify(point) })
    for (const [key, value] of Object.entries(point)) env.push({ name: paramEnvName(key), value: String(value) })
  }
  if (spec.neptuneProject !== undefined) env.push({ name: 'NEPTUNE_PROJECT', value: spec.neptuneProject })
  if (spec.neptuneToken)
    env.push({ name: 'NEPTUNE_API_TOKEN', valueFrom: { secretKeyRef: { name: NEPTUNE_SECRET, key: 'token' } } })
  const resources = resourceLists(spec)
  const hasResources = Object.keys(resources.limits).length > 0
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: spec.namespace,
      labels,
      annotations: {
        ...(sweep
          ? { [ANNOTATION_GRID]: gridConfigMapName(name), [ANNOTATION_POINTS]: String(points) }
          : { [ANNOTATION_PARAMS]: JSON.stringify(gridPoint(spec.grid, 0)) }),
        [ANNOTATION_COMMAND]: [...spec.command, ...spec.args].join(' '),
        [ANNOTATION_IMAGE]: spec.image,
        ...(spec.tags.length > 0 ? { [ANNOTATION_TAGS]: spec.tags.join(',') } : {}),
      },
    },
    spec: {
      backoffLimit: spec.retries,
      ...(sweep
        ? {
            completionMode: 'Indexed',
            completions: points,
            parallelism: Math.min(spec.parallelism ?? points, MAX_SWEEP_POINTS),
          }
        : {}),
      ttlSecondsAfterFinished: spec.ttlSeconds,
      // A node drain or preemption is not the experiment's fault, so it must not use up a retry.
      podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          ...(spec.pullSecret === undefined ? {} : { imagePullSecrets: [{ name: spec.pullSecret }] }),
          ...(Object.keys(nodeSelector).length > 0 ? { nodeSelector } : {}),
          ...(tolerations.length > 0 ? { tolerations } : {}),
          containers: [
            {
              name: 'main',
              image: spec.image,
              ...(sweep
                ? { command: ['sh', GRID_SCRIPT], args: [...spec.command, ...spec.args] }
                : { command: spec.command, ...(spec.args.length > 0 ? { args: spec.args } : {}) }),
              env,
              ...(hasResources ? { resources } : {}),
              volumeMounts: [
                { name: 'storage', mountPath: spec.storageDir },
                ...(sweep ? [{ name: 'grid', mountPath: GRID_DIR, readOnly: true }] : []),
              ],
            },
          ],
          volumes: [
            { name: 'storage', persistentVolumeClaim: { claimName: STORAGE_CLAIM } },
            ...(sweep ? [{ name: 'grid', configMap: { name: gridConfigMapName(name) } }] : []),
          ],
        },
      },
    },
  }
}

/** The Dockerfile of a build: requirements in their own layer before the code, so code changes reuse the pip layer. */
export function dockerfile(options: { baseImage: string; requirements: boolean }): string {
  const lines = [`FROM ${options.baseImage}`, 'WORKDIR /experiment']
  if (options.requirements)
    lines.push(
      'COPY requirements.txt /experiment/requirements.txt',
      'RUN pip install --no-cache-dir -r /experiment/requirements.txt',
    )
  lines.push('COPY . /experiment', '')
  return lines.join('\n')
}

// --- reading runs back -------------------------------------------------------------------------------------------

export interface JobLike {
  metadata?: {
    name?: string
    namespace?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    creationTimestamp?: string
  }
  spec?: { completions?: number; completionMode?: string; parallelism?: number }
  status?: {
    active?: number
    succeeded?: number
    failed?: number
    startTime?: string
    completionTime?: string
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[]
  }
}

export type RunPhase = 'pending' | 'running' | 'succeeded' | 'failed'

export interface RunSummary {
  namespace: string
  name: string
  runId: string
  project: string
  experiment: string
  tags: string[]
  image: string
  phase: RunPhase
  /** `3/4` for sweeps: succeeded of completions. */
  counts: string | undefined
  failed: number
  active: number
  succeeded: number
  completions: number
  startTime: string | undefined
  endTime: string | undefined
  createdAt: string | undefined
  reason: string | undefined
}

export function finishedCondition(
  job: JobLike,
): { type: 'Complete' | 'Failed'; time?: string; reason?: string } | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')
      return {
        type: c.type,
        ...(c.lastTransitionTime === undefined ? {} : { time: c.lastTransitionTime }),
        ...(c.reason === undefined ? {} : { reason: c.reason }),
      }
  }
  return undefined
}

export function summarizeRun(job: JobLike): RunSummary {
  const labels = job.metadata?.labels ?? {}
  const annotations = job.metadata?.annotations ?? {}
  const finished = finishedCondition(job)
  const active = job.status?.active ?? 0
  const succeeded = job.status?.succeeded ?? 0
  const failed = job.status?.failed ?? 0
  const completions = job.spec?.completions ?? 1
  const phase: RunPhase =
    finished?.type === 'Complete'
      ? 'succeeded'
      : finished?.type === 'Failed'
        ? 'failed'
        : active > 0 && job.status?.startTime !== undefined
          ? 'running'
          : 'pending'
  const tags = annotations[ANNOTATION_TAGS]
  return {
    namespace: job.metadata?.namespace ?? '',
    name: job.metadata?.name ?? '',
    runId: labels[LABEL_RUN_ID] ?? '',
    project: labels[LABEL_PROJECT] ?? '',
    experiment: labels[LABEL_EXPERIMENT] ?? '',
    tags: tags === undefined || tags === '' ? [] : tags.split(','),
    image: annotations[ANNOTATION_IMAGE] ?? '',
    phase,
    counts: job.spec?.completionMode === 'Indexed' ? `${succeeded}/${completions}` : undefined,
    failed,
    active,
    succeeded,
    completions,
    startTime: job.status?.startTime,
    endTime: finished?.time ?? job.status?.completionTime,
    createdAt: job.metadata?.creationTimestamp,
    reason: finished?.type === 'Failed' ? finished.reason : undefined,
  }
}

export interface PodLike {
  metadata?: { name?: string; annotations?: Record<string, string>; creationTimestamp?: string }
  spec?: { nodeName?: string }
  status?: {
    phase?: string
    conditions?: { type: string; status: string; reason?: string; message?: string }[]
    containerStatuses?: {
      name: string
      restartCount?: number
      state?: {
        waiting?: { reason?: string; message?: string }
        terminated?: { exitCode?: number; reason?: string; message?: string }
        running?: object
      }
    }[]
  }
}

export interface PodStatusRow {
  index: number | undefined
  pod: string
  phase: string
  node: string
  exitCode: number | undefined
  /** Why it is not running or why it failed: OOMKilled, ErrImagePull, Unschedulable: <scheduler's message>. */
  reason: string
}

export function podIndex(pod: PodLike): number | undefined {
  const text = pod.metadata?.annotations?.['batch.kubernetes.io/job-completion-index']
  return text === undefined ? undefined : Number(text)
}

export function podStatusRow(pod: PodLike): PodStatusRow {
  const main = pod.status?.containerStatuses?.find((c) => c.name === 'main') ?? pod.status?.containerStatuses?.[0]
  const terminated = main?.state?.terminated
  const waiting = main?.state?.waiting
  const unschedulable = pod.status?.conditions?.find(
    (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  )
  let reason = ''
  if (unschedulable !== undefined) reason = `Unschedulable: ${unschedulable.message ?? ''}`.trim()
  else if (waiting?.reason !== undefined)
    reason = waiting.message === undefined ? waiting.reason : `${waiting.reason}: ${waiting.message}`
  else if (terminated !== undefined && terminated.reason !== 'Completed')
    reason = terminated.reason ?? (terminated.exitCode === 0 ? '' : 'Error')
  return {
    index: podIndex(pod),
    pod: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Pending',
    node: pod.spec?.nodeName ?? '',
    exitCode: terminated?.exitCode,
    reason,
  }
}

/** Rows by index, then by creation (retries of one index in order). */
export function sortPodRows(rows: PodStatusRow[]): PodStatusRow[] {
  return [...rows].sort((a, b) => (a.index ?? -1) - (b.index ?? -1) || a.pod.localeCompare(b.pod))
}

/** `1h2m`, `45s`: how kubectl prints durations in get jobs. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`
  const h = Math.floor(m / 60)
  if (h < 48) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`
  return `${Math.floor(h / 24)}d`
}

/** mrunner wrote memory and claim sizes such as "8G" meaning GiB (it appended "i"); keep that meaning on import. */
export function mrunnerSize(text: string): string {
  return /^\d+(\.\d+)?[KMGTPE]$/.test(text) ? `${text}i` : text
}

export interface MrunnerContext {
  context_name?: string
  name?: string
  backend_type?: string
  type?: string
  storage_dir?: string
  storage?: string
  registry_url?: string
  resources?: string | Record<string, string | number>
  neptune?: unknown
  google_project_id?: string
  default_pvc_size?: string
  project?: string
}

/** One mrunner context → an mrun context, or the reason it cannot be one. */
export function convertMrunnerContext(
  source: MrunnerContext,
): { name: string; context: MrunContext } | { skip: string } {
  const name = source.context_name ?? source.name
  const type = source.backend_type ?? source.type
  if (name === undefined || name === '') return { skip: 'a context without context_name' }
  if (type !== undefined && type !== 'kubernetes')
    return { skip: `context "${name}" uses backend ${type}; kubectl mrun runs on Kubernetes only` }
  const context: MrunContext = {}
  if (source.project !== undefined) context.namespace = dnsLabel(source.project)
  const storage = source.storage_dir ?? source.storage
  if (storage !== undefined) context.storage_dir = storage
  if (source.registry_url !== undefined) {
    const host = source.registry_url.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '')
    // mrunner pushed GCR images under the Google project id, not the mrunner project.
    context.registry =
      /^(\w+\.)?gcr\.io$/.test(host) && source.google_project_id !== undefined
        ? `${host}/${source.google_project_id}`
        : host
  }
  const resources =
    typeof source.resources === 'string'
      ? Object.fromEntries(
          source.resources
            .split(/[\s,]+/)
            .filter((p) => p.includes('='))
            .map((p) => p.split('=') as [string, string]),
        )
      : (source.resources ?? {})
  const converted: Resources = {}
  for (const [key, raw] of Object.entries(resources)) {
    const text = String(raw)
    if (key === 'cpu') converted.cpu = text
    else if (key === 'mem' || key === 'memory') converted.mem = mrunnerSize(text)
    else if (key === 'gpu') converted.gpu = text
    else if (key === 'tpu') converted.tpu = text
  }
  if (Object.keys(converted).length > 0) context.resources = converted
  if (source.default_pvc_size !== undefined) context.storage_size = mrunnerSize(source.default_pvc_size)
  if (source.neptune !== undefined && source.neptune !== false) context.neptune = {}
  return { name, context }
}
