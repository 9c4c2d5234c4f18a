import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  buildGrid,
  checkGridSize,
  GRID_SCRIPT,
  type Grid,
  GridError,
  gridConfigMapObject,
  gridPoint,
  gridSize,
  jobObject,
  type KubeObject,
  MAX_SWEEP_POINTS,
  paramEnvName,
  type RunSpec,
} from './model.ts'

/**
 * Sweeps as a grid definition: never expanded, each pod's point picked by a POSIX sh script from the ConfigMap.
 * The script is run here by the real shells a pod may have: dash (Debian's /bin/sh) and busybox's ash.
 */
const spec = (grid: Grid): RunSpec => ({
  runId: 'bcd234',
  project: 'p',
  experiment: 'exp',
  namespace: 'ml',
  image: 'reg/ml:1',
  command: ['python', 'train.py'],
  args: ['--epochs', '3'],
  grid,
  tags: [],
  resources: {},
  retries: 0,
  parallelism: undefined,
  ttlSeconds: 60,
  storageDir: '/storage',
  nodeSelector: {},
  tolerations: [],
  tpu: {},
  pullSecret: undefined,
  neptuneProject: undefined,
  neptuneToken: false,
})

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** Writes the ConfigMap's files as the kubelet projects them, and runs select.sh for one index with `shell`. */
function runPoint(configMap: KubeObject, shell: string[], index: number): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'mrun-grid-'))
  dirs.push(dir)
  const grid = join(dir, 'grid')
  mkdirSync(grid)
  for (const [key, value] of Object.entries(configMap.data as Record<string, string>))
    writeFileSync(join(grid, key), value)
  const result = spawnSync(shell[0] as string, [...shell.slice(1), join(grid, 'select.sh'), 'env'], {
    env: { PATH: '/usr/bin:/bin', MRUN_INDEX: String(index), MRUN_OUTPUT_DIR: '/storage/runs/bcd234' },
    encoding: 'utf8',
  })
  expect(result.status, result.stderr).toBe(0)
  return Object.fromEntries(
    result.stdout
      .split('\n')
      .filter((line) => line.startsWith('MRUN_'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  )
}

const awkward = buildGrid(
  { epochs: 3, note: 'it\'s a "test" $HOME `x`' },
  [
    ['lr', [0.1, 0.01, 1e-5]],
    ['opt', ['adam', 'sgd momentum']],
    ['name', ['ünïcode ✓', 'b']],
    ['flag', [true, false]],
  ],
  ['name', 'flag'],
)

const shells = [
  ['dash (/bin/sh)', ['/bin/sh']],
  ['busybox ash', ['/bin/busybox', 'sh']],
].filter(([, argv]) => existsSync((argv as string[])[0] as string)) as [string, string[]][]

describe('sweep grids', () => {
  it('counts 10^8 points without expanding them, and refuses more than an Indexed Job runs', () => {
    const values = Array.from({ length: 100 }, (_, i) => i)
    const huge = buildGrid({}, [
      ['a', values],
      ['b', values],
      ['c', values],
      ['d', values],
    ])
    expect(gridSize(huge)).toBe(100_000_000)
    expect(gridPoint(huge, 99_999_999)).toEqual({ a: 99, b: 99, c: 99, d: 99 })
    expect(() => checkGridSize(huge)).toThrow(
      new GridError(
        'the sweep has 100,000,000 points; an Indexed Job runs at most 100,000: vary fewer values, or split it into several runs',
      ),
    )
    expect(() =>
      checkGridSize(buildGrid({}, [['a', Array.from({ length: MAX_SWEEP_POINTS }, (_, i) => i)]])),
    ).not.toThrow()
  })

  it('puts the grid in a ConfigMap and starts every pod through select.sh, never copying the grid into pods', () => {
    const job = jobObject(spec(awkward))
    const text = JSON.stringify(job)
    expect(text).not.toContain('sgd momentum')
    const pod = (job.spec as { template: { spec: { containers: Record<string, unknown>[]; volumes: unknown[] } } })
      .template.spec
    expect(pod.containers[0]?.command).toEqual(['sh', GRID_SCRIPT])
    expect(pod.containers[0]?.args).toEqual(['python', 'train.py', '--epochs', '3'])
    expect(pod.volumes).toContainEqual({ name: 'grid', configMap: { name: `${job.metadata.name}-grid` } })
    expect(job.metadata.annotations).toMatchObject({ 'mrun/grid': `${job.metadata.name}-grid`, 'mrun/points': '12' })
  })

  it.each(shells)(
    'select.sh under %s exports each point as MRUN_PARAMS and MRUN_PARAM_<NAME>, with its own output folder',
    (_name, shell) => {
      const configMap = gridConfigMapObject(spec(awkward), 'exp-bcd234')
      for (let index = 0; index < gridSize(awkward); index++) {
        const env = runPoint(configMap, shell, index)
        const point = gridPoint(awkward, index)
        expect(JSON.parse(env.MRUN_PARAMS as string)).toEqual(point)
        for (const [key, value] of Object.entries(point)) expect(env[paramEnvName(key)]).toBe(String(value))
        // A folder per point, so two points' metrics.json never overwrite each other.
        expect(env.MRUN_OUTPUT_DIR).toBe(`/storage/runs/bcd234/${index}`)
      }
    },
  )

  it('refuses values that do not fit a ConfigMap, naming the size', () => {
    const big = buildGrid({}, [['blob', ['x'.repeat(400_000), 'y'.repeat(400_000)]]])
    expect(() => gridConfigMapObject(spec(big), 'exp-bcd234')).toThrow(/more than a ConfigMap holds \(1 MiB\)/)
  })

  it('a single run gets its parameters in its own environment, with no ConfigMap', () => {
    const job = jobObject(spec(buildGrid({ lr: 0.1, 'batch-size': 8 }, [])))
    const container = (
      job.spec as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }
    ).template.spec.containers[0]
    expect(container?.env).toContainEqual({ name: 'MRUN_PARAMS', value: '{"lr":0.1,"batch-size":8}' })
    expect(container?.env).toContainEqual({ name: 'MRUN_PARAM_BATCH_SIZE', value: '8' })
    expect(JSON.stringify(job)).not.toContain('select.sh')
  })
})
