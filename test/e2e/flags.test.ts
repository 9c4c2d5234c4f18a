import { describe, expect, it } from 'vitest'
import { useDemoE2e } from '../support/e2e-demo.ts'
import { kubectl } from '../support/run.ts'

/** The same flag means the same thing in every plugin: -l, --field-selector and -A on every list, sent to the server. */
const bed = useDemoE2e()

/** The list requests a command sent, from its -v 6 log. */
async function requests(words: string[]): Promise<string[]> {
  const result = await kubectl(bed.admin, [...words, '-v', '6'], { env: bed.env })
  expect(result.code, result.stderr).toBe(0)
  return result.stderr.split('\n').filter((line) => / GET \S+\?/.test(line))
}

describe('selectors on every list, applied by the server like kubectl', () => {
  it.each([
    { words: ['pvclaim', 'list', '-A'], plural: 'persistentvolumeclaims' },
    { words: ['mrun', 'list', '-A'], plural: 'jobs' },
    { words: ['usage', 'nodes', '--no-metrics'], plural: 'nodes' },
    { words: ['usage', 'pods', '-A', '--no-metrics'], plural: 'pods' },
    { words: ['ae-sessions', 'list', '-A', '--no-metrics'], plural: 'pods' },
    { words: ['secretview', '--all', '-A'], plural: 'secrets' },
    { words: ['secretview', 'check', '-A'], plural: 'secrets' },
  ])('$words sends -l and --field-selector with its $plural list', async ({ words, plural }) => {
    const sent = await requests([...words, '-l', 'tier=web', '--field-selector', 'metadata.name=x']).catch(
      async () => [],
    )
    // secretview check exits 10 on findings; take the log either way.
    const log =
      sent.length > 0
        ? sent
        : (
            await kubectl(bed.admin, [...words, '-l', 'tier=web', '--field-selector', 'metadata.name=x', '-v', '6'], {
              env: bed.env,
            })
          ).stderr
            .split('\n')
            .filter((line) => / GET \S+\?/.test(line))
    const list = log.filter((line) => line.includes(`/${plural}?`))
    expect(list.length, log.join('\n')).toBeGreaterThan(0)
    for (const line of list) {
      expect(line).toMatch(/labelSelector=[^& ]*tier%3Dweb/)
      expect(line).toMatch(/fieldSelector=[^& ]*metadata.name%3Dx/)
    }
  })

  it('pvclaim list --field-selector lists what kubectl get pvc lists', async () => {
    const ours = await kubectl(
      bed.admin,
      ['pvclaim', 'list', '-A', '--field-selector', 'metadata.name=results', '-o', 'name'],
      {
        env: bed.env,
      },
    )
    const theirs = await kubectl(bed.admin, [
      'get',
      'pvc',
      '-A',
      '--field-selector',
      'metadata.name=results',
      '-o',
      'name',
    ])
    expect(ours.code, ours.stderr).toBe(0)
    expect(ours.stdout).toBe(theirs.stdout)
  })

  it('secretview --all --field-selector type=… keeps only that type, as kubectl get secrets does', async () => {
    const ours = await kubectl(
      bed.admin,
      ['secretview', '--all', '--field-selector', 'type=kubernetes.io/tls', '-o', 'name'],
      {
        env: bed.env,
      },
    )
    const theirs = await kubectl(bed.admin, [
      'get',
      'secrets',
      '--field-selector',
      'type=kubernetes.io/tls',
      '-o',
      'name',
    ])
    expect(ours.code, ours.stderr).toBe(0)
    expect(
      ours.stdout
        .trim()
        .split('\n')
        .map((line) => line.replace(/^.*\//, '')),
    ).toEqual(
      theirs.stdout
        .trim()
        .split('\n')
        .map((line) => line.replace(/^.*\//, '')),
    )
  })

  it.each([['usage'], ['ae-sessions']])('%s nodes accepts -A as kubectl get nodes does', async (plugin) => {
    const result = await kubectl(bed.admin, [plugin, 'nodes', '-A', '--no-metrics', '-o', 'name'], { env: bed.env })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('gpu-1')
  })
})

describe('secretview NAME --all', () => {
  it.each([['--all'], ['-A']])('refuses NAME with %s: exit 2, the error and one hint', async (flag) => {
    const result = await kubectl(bed.admin, ['secretview', 'db-credentials', flag], { env: bed.env })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    const lines = result.stderr.trimEnd().split('\n')
    expect(lines[0]).toBe('error: a secret NAME ("db-credentials") cannot be combined with --all or -A')
    expect(lines[1]).toMatch(/^hint: drop --all to see every key of db-credentials/)
  })
})
