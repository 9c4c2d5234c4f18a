import { describe, expect, it } from 'vitest'
import type { Kube } from '../kube/connect.ts'
import type { Transport } from '../kube/transport.ts'
import { kubeArgs } from './args.ts'
import { createMemoryIo } from './memory-io.ts'
import { defineSuiteCommand, lazyCommand, runPlugin } from './run.ts'

/**
 * The completion protocol in-process, on a command tree shaped like the suite's plugins: a default subcommand,
 * a lazy one, enum and live-name flags. Live names come from a fake cluster that records what was listed.
 */
const list = defineSuiteCommand({
  meta: { name: 'list', description: 'List runs' },
  args: {
    name: {
      type: 'positional',
      required: false,
      description: 'Run',
      complete: { plural: 'jobs', group: 'batch', version: 'v1', namespaced: true, labelSelector: 'app=mrun' },
    },
    state: { type: 'enum', options: ['running', 'done'], description: 'Only runs in this state' },
    mine: { type: 'boolean', description: 'Only my runs' },
    ...kubeArgs,
  },
  run: () => {},
})

const root = defineSuiteCommand({
  meta: { name: 'kubectl demo', description: 'Demo' },
  default: 'list',
  subCommands: {
    list,
    logs: lazyCommand({ name: 'logs', description: 'Follow logs' }, async () => list),
    secret: lazyCommand({ name: 'secret', description: 'Hidden', hidden: true }, async () => list),
  },
})

async function completeWith(words: string[], noDesc = false) {
  const requests: string[] = []
  const fakeKube = {
    namespace: 'team-a',
    transport: {
      json: async (req: { path: string; query: Record<string, unknown> }) => {
        requests.push(`${req.path}?labelSelector=${String(req.query.labelSelector)}`)
        return { items: [{ metadata: { name: 'run-2' } }, { metadata: { name: 'run-1' } }], metadata: {} }
      },
    } as unknown as Transport,
    describe: () => 'fake',
    close: async () => {},
  } as unknown as Kube
  const io = createMemoryIo()
  const code = await runPlugin(root, {
    name: 'kubectl demo',
    version: '1.0.0',
    io,
    argv: [noDesc ? '__completeNoDesc' : '__complete', ...words],
    connect: async (flags) => ({ ...fakeKube, namespace: flags.namespace ?? fakeKube.namespace }),
  })
  return { code, lines: io.stdout().trimEnd().split('\n'), requests }
}

describe('__complete', () => {
  it.each([
    { words: [''], expected: ['list\tList runs', 'logs\tFollow logs', 'run-1', 'run-2', ':4'] },
    { words: ['l'], expected: ['list\tList runs', 'logs\tFollow logs', ':4'] },
    { words: ['list', '--state', ''], expected: ['running', 'done', ':4'] },
    { words: ['list', '--state=r'], expected: ['--state=running', ':4'] },
    { words: ['--mi'], expected: ['--mine\tOnly my runs', ':4'] },
    { words: ['list', 'run-1', ''], expected: [':4'] },
  ])('$words → $expected', async ({ words, expected }) => {
    const { code, lines } = await completeWith(words)
    expect(code).toBe(0)
    expect(lines).toEqual(expected)
  })

  it('lists live names in the namespace of -n with the declared group and label selector', async () => {
    const { lines, requests } = await completeWith(['logs', '-n', 'team-b', 'run-'])
    expect(lines).toEqual(['run-1', 'run-2', ':4'])
    expect(requests).toEqual(['/apis/batch/v1/namespaces/team-b/jobs?labelSelector=app=mrun'])
  })

  it('__completeNoDesc leaves descriptions out', async () => {
    const { lines } = await completeWith(['lo'], true)
    expect(lines).toEqual(['logs', ':4'])
  })

  it('hidden subcommands are not offered', async () => {
    const { lines } = await completeWith(['s'])
    expect(lines).toEqual([':4'])
  })
})
