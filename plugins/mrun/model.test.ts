import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  containerCommand,
  convertMrunnerContext,
  dnsLabel,
  expandGrid,
  formatDuration,
  GridError,
  jobName,
  mrunnerSize,
  newRunId,
  parseGridFlag,
  podStatusRow,
  resourceProblem,
  splitParameters,
  summarizeRun,
} from './model.ts'

describe('parseGridFlag', () => {
  it.each([
    ['lr=0.1,0.01', ['lr', [0.1, 0.01]]],
    ['opt=adam,sgd', ['opt', ['adam', 'sgd']]],
    ['flag=true,false', ['flag', [true, false]]],
    ['n=1', ['n', [1]]],
  ])('%s', (flag, expected) => {
    expect(parseGridFlag(flag)).toEqual(expected)
  })
  it.each(['lr=', 'lr', '=1,2', 'bad key=1'])('rejects %s', (flag) => {
    expect(() => parseGridFlag(flag)).toThrow(GridError)
  })
})

describe('expandGrid', () => {
  it('crosses keys with the first varying slowest and keeps fixed values', () => {
    expect(
      expandGrid({ epochs: 3 }, [
        ['lr', [1, 2]],
        ['bs', [8, 16]],
      ]),
    ).toEqual([
      { epochs: 3, lr: 1, bs: 8 },
      { epochs: 3, lr: 1, bs: 16 },
      { epochs: 3, lr: 2, bs: 8 },
      { epochs: 3, lr: 2, bs: 16 },
    ])
  })
  it('varies zipped keys together', () => {
    expect(
      expandGrid(
        {},
        [
          ['a', [1, 2]],
          ['b', [3, 4]],
          ['c', ['x', 'y']],
        ],
        ['a', 'b'],
      ),
    ).toEqual([
      { a: 1, b: 3, c: 'x' },
      { a: 1, b: 3, c: 'y' },
      { a: 2, b: 4, c: 'x' },
      { a: 2, b: 4, c: 'y' },
    ])
  })
  it('is one combination without a grid', () => {
    expect(expandGrid({ a: 1 }, [])).toEqual([{ a: 1 }])
  })
  it.each([
    [
      [
        ['a', [1, 2]],
        ['b', [3]],
      ],
      ['a', 'b'],
      'same number of values',
    ],
    [[['a', [1]]], ['z'], 'no --grid z'],
  ] as const)('rejects bad zips %#', (grid, zip, message) => {
    expect(() =>
      expandGrid(
        {},
        grid.map(([k, v]) => [k, [...v]]),
        zip,
      ),
    ).toThrow(message)
  })
  it('experiment file lists become axes', () => {
    expect(splitParameters({ lr: [0.1, 0.2], epochs: 3 })).toEqual({ fixed: { epochs: 3 }, grid: [['lr', [0.1, 0.2]]] })
    expect(() => splitParameters({ lr: [] })).toThrow('empty list')
  })
})

describe('containerCommand', () => {
  it.each([
    [
      ['train.py', '--', '--epochs', '3'],
      ['python', 'train.py'],
      ['--epochs', '3'],
    ],
    [['train.py'], ['python', 'train.py'], []],
    [['sh', '-c', 'echo hi'], ['sh', '-c', 'echo hi'], []],
    [['bin/run', 'a', '--', 'b'], ['bin/run', 'a'], ['b']],
  ])('%j', (words, command, args) => {
    expect(containerCommand(words)).toEqual({ command, args })
  })
})

describe('names and quantities', () => {
  it.each([
    ['My Experiment_v2', 'my-experiment-v2'],
    ['--x--', 'x'],
    ['org/proj', 'org-proj'],
  ])('dnsLabel(%s)', (text, label) => {
    expect(dnsLabel(text)).toBe(label)
  })
  const sha6 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 6)
  it.each([
    ['a short name is kept', 'resnet', 1, 'resnet-abc123'],
    [
      'a long name is shortened with a hash, to 63 with the run id',
      'a'.repeat(80),
      1,
      `${'a'.repeat(49)}-${sha6('a'.repeat(80))}-abc123`,
    ],
    [
      'a sweep of 100 points leaves room for -99',
      'b'.repeat(60),
      100,
      `${'b'.repeat(46)}-${sha6('b'.repeat(60))}-abc123`,
    ],
    ['a name that fits exactly is not hashed', 'c'.repeat(56), 1, `${'c'.repeat(56)}-abc123`],
    [
      'a cut never ends on a dash',
      `${'d'.repeat(48)}-x${'e'.repeat(20)}`,
      1,
      `${'d'.repeat(48)}-${sha6(`${'d'.repeat(48)}-x${'e'.repeat(20)}`)}-abc123`,
    ],
  ])('jobName: %s', (_case, experiment, completions, name) => {
    const job = jobName(experiment, 'abc123', completions)
    expect(job).toBe(name)
    // What the Job controller names pods and hostnames: the Job itself, or `<job>-<last index>` for a sweep.
    expect(completions > 1 ? `${job}-${completions - 1}` : job).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/)
  })
  it('two long names that share their first 60 characters give different Jobs', () => {
    const stem = 'x'.repeat(60)
    expect(jobName(`${stem}-lr`, 'abc123')).not.toBe(jobName(`${stem}-wd`, 'abc123'))
  })
  it.each([
    [{ cpu: '4', mem: '8Gi', gpu: '1' }, undefined],
    [{ mem: '8Gii' }, '--mem "8Gii" is not a quantity'],
    [{ gpu: '0.5' }, '--gpu "0.5" must be a whole number of devices'],
    [{ cpu: '-1' }, '--cpu "-1" must be more than 0'],
    [{ mem: '0Gi' }, '--mem "0Gi" must be more than 0'],
    [{ cpu: '0.5' }, undefined],
    [{ gpu: '0' }, undefined],
    [{ gpu: '-1' }, '--gpu "-1" must be more than 0'],
    [{ mem: '12Q' }, '--mem "12Q" is not a quantity'],
  ])('resourceProblem %j', (resources, problem) => {
    expect(resourceProblem(resources)?.split(';')[0]).toBe(problem)
  })
  it.each([
    ['8G', '8Gi'],
    ['8Gi', '8Gi'],
    ['40G', '40Gi'],
    ['512', '512'],
  ])('mrunner size %s means %s', (text, size) => {
    expect(mrunnerSize(text)).toBe(size)
  })
  it.each([
    [5_000, '5s'],
    [125_000, '2m5s'],
    [3_600_000, '1h'],
    [3 * 86_400_000, '3d'],
  ])('formatDuration(%i)', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})

describe('convertMrunnerContext', () => {
  it('skips other backends and keeps both key spellings', () => {
    expect(convertMrunnerContext({ context_name: 'x', backend_type: 'slurm' })).toHaveProperty('skip')
    expect(convertMrunnerContext({ name: 'y', type: 'kubernetes', storage: '/data' })).toEqual({
      name: 'y',
      context: { storage_dir: '/data' },
    })
  })
  it('keeps a non-GCR registry host and dict resources', () => {
    expect(
      convertMrunnerContext({
        context_name: 'z',
        registry_url: 'https://registry.example.com/',
        resources: { cpu: 2, mem: '4G' },
      }),
    ).toEqual({ name: 'z', context: { registry: 'registry.example.com', resources: { cpu: '2', mem: '4Gi' } } })
  })
})

describe('summarizeRun and podStatusRow', () => {
  it.each([
    [{ status: {} }, 'pending'],
    [{ status: { active: 1, startTime: 't' } }, 'running'],
    [{ status: { conditions: [{ type: 'Complete', status: 'True' }] } }, 'succeeded'],
    [{ status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] } }, 'failed'],
  ])('phase of %j', (job, phase) => {
    expect(summarizeRun(job).phase).toBe(phase)
  })
  it('counts sweeps', () => {
    const run = summarizeRun({
      spec: { completionMode: 'Indexed', completions: 4 },
      status: { succeeded: 3, failed: 1 },
    })
    expect(run.counts).toBe('3/4')
  })
  it.each([
    [
      {
        status: {
          phase: 'Pending',
          conditions: [
            { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' },
          ],
        },
      },
      'Unschedulable: 0/3 nodes are available',
    ],
    [
      {
        status: {
          phase: 'Pending',
          containerStatuses: [{ name: 'main', state: { waiting: { reason: 'ErrImagePull', message: 'not found' } } }],
        },
      },
      'ErrImagePull: not found',
    ],
    [
      {
        status: {
          phase: 'Failed',
          containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
        },
      },
      'OOMKilled',
    ],
    [
      {
        status: {
          phase: 'Succeeded',
          containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        },
      },
      '',
    ],
  ])('reason %#', (pod, reason) => {
    expect(podStatusRow(pod).reason).toBe(reason)
  })
})

describe('newRunId', () => {
  it('is six characters, starts with a letter and never reads as a number', () => {
    for (let i = 0; i < 500; i++) {
      const id = newRunId(randomBytes(6))
      expect(id).toMatch(/^[a-z][a-z0-9]{5}$/)
      expect(Number.isNaN(Number(id))).toBe(true)
    }
    expect(newRunId(new Uint8Array([0, 0, 0, 0, 0, 0]))).toBe('bbbbbb')
  })
})
