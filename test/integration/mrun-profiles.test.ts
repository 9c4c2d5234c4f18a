import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { type MrunHarness, mrunHarness, suspendedMrunJob } from '../support/mrun.ts'

/**
 * mrun's flags and settings as a kubectl user expects them: --context is a kubeconfig context, mrun's own named
 * settings are profiles (--profile, MRUN_PROFILE, the current one), a bad profiles file stops every command before
 * any request, and the config file of before profiles keeps working.
 */
let sim: Sim
let h: MrunHarness
let kubeconfig: string
let profiles: string
let legacy: string

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: false })
  // Two kubeconfig contexts on one cluster: `sim` (current, namespace default) and `team-cluster` (ml-team).
  const first = sim.writeKubeconfig({ user: 'admin', contextName: 'sim' })
  const second = sim.writeKubeconfig({ user: 'admin', contextName: 'team-cluster', namespace: 'ml-team' })
  kubeconfig = `${first}:${second}`
  h = mrunHarness(kubeconfig)
  profiles = join(h.configHome, 'kubectl-mrun', 'profiles.yaml')
  legacy = join(h.configHome, 'kubectl-mrun', 'config.yaml')
  for (const [namespace, name, experiment] of [
    ['default', 'home-run-aaaaaa', 'home'],
    ['ml-team', 'team-run-bbbbbb', 'team'],
  ] as const)
    sim.store.create(suspendedMrunJob(namespace, name, experiment))
})

afterAll(async () => {
  await sim.stop()
  h.cleanup()
})

beforeEach(() => {
  rmSync(join(h.configHome, 'kubectl-mrun'), { recursive: true, force: true })
})

const runs = (stdout: string): string[] =>
  stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/ +/)[0] as string)

describe('--context is the kubeconfig context, as in kubectl', () => {
  it('picks the kubeconfig context and its namespace', async () => {
    expect(runs((await h.mrun(['list'])).stdout)).toEqual(['home-run-aaaaaa'])
    const other = await h.mrun(['list', '--context', 'team-cluster'])
    expect(other.code, other.stderr).toBe(0)
    expect(runs(other.stdout)).toEqual(['team-run-bbbbbb'])
  })

  it("a profile's kube_context applies through --profile and MRUN_PROFILE; --context still wins", async () => {
    expect((await h.mrun(['profile', 'add', 'team', '--kube-context', 'team-cluster'])).code).toBe(0)
    expect((await h.mrun(['profile', 'add', 'home'])).code).toBe(0)
    // The first profile added is the current one.
    expect(runs((await h.mrun(['list'])).stdout)).toEqual(['team-run-bbbbbb'])
    expect(runs((await h.mrun(['list', '--profile', 'home'])).stdout)).toEqual(['home-run-aaaaaa'])
    expect(runs((await h.mrun(['list'], { env: { MRUN_PROFILE: 'home' } })).stdout)).toEqual(['home-run-aaaaaa'])
    expect(runs((await h.mrun(['list', '--context', 'sim'])).stdout)).toEqual(['home-run-aaaaaa'])
  })

  it("--help shows --profile among the command's own flags (kubectl's hidden --profile is a profiling switch)", async () => {
    const help = await h.mrun(['status', '--help'])
    expect(help.stdout).toContain(
      "    --profile='':\n\tmrun profile to use instead of $MRUN_PROFILE or the current one\n",
    )
    expect(help.stdout).not.toContain('--context')
  })

  it('--context with the name of a profile says to use --profile (exit 3)', async () => {
    expect((await h.mrun(['profile', 'add', 'lab', '-n', 'ml-team'])).code).toBe(0)
    const result = await h.mrun(['list', '--context', 'lab'])
    expect(result.code).toBe(3)
    expect(result.stderr).toBe(
      'error: context "lab" does not exist\nhint: "lab" is an mrun profile: pass --profile lab (--context names a kubeconfig context, as in kubectl)\n',
    )
  })
})

describe('a bad profiles file stops every command before any request', () => {
  it.each([
    ['list', ['list']],
    ['run', ['run', '--image', 'busybox', '--', 'true']],
    ['status', ['status', 'home-run-aaaaaa']],
  ])('%s: exit 3, one line per bad field, nothing sent', async (_name, args) => {
    mkdirSync(join(h.configHome, 'kubectl-mrun'), { recursive: true })
    writeFileSync(
      profiles,
      'current_profile: lab\nprofiles:\n  lab: 5\n  gpu:\n    namespace: 5\n    tolerations: abc\n    namspace: ml\n',
    )
    const before = sim.requests.length
    const result = await h.mrun(args)
    expect(result.code).toBe(3)
    expect(result.stderr).toBe(
      [
        `error: ${profiles} has 4 bad fields:`,
        '  profiles.gpu.namspace: is not a profile setting; did you mean namespace?',
        '  profiles.lab: must be a mapping of settings, not 5',
        '  profiles.gpu.namespace: must be a namespace name, not 5',
        '  profiles.gpu.tolerations: must be a list of tolerations, not "abc"',
        'hint: fix them in the file (nothing was run), or set them again with kubectl mrun profile add NAME --help',
        '',
      ].join('\n'),
    )
    expect(sim.requests.length).toBe(before)
  })
})

describe('profile add checks its flags with the same schema', () => {
  it('a bad value is exit 2 naming the flag; the file is not written', async () => {
    const result = await h.mrun(['profile', 'add', 'lab', '-n', 'ML_Team', '--cpu', '-1', '--access-mode', 'RWX'])
    expect(result.code).toBe(2)
    expect(result.stderr.split('\n').slice(0, 4)).toEqual([
      'error: --namespace must be a namespace name (lower-case letters, digits and -, 63 at most), not "ML_Team"',
      '--access-mode must be ReadWriteOnce or ReadWriteMany, not "RWX"',
      '--cpu "-1" must be more than 0; use e.g. 4 or 500m',
      "See 'kubectl mrun profile add --help' for usage.",
    ])
    expect(existsSync(profiles)).toBe(false)
  })

  it('stores access mode and default requests and limits where run reads them', async () => {
    const added = await h.mrun([
      'profile',
      'add',
      'lab',
      '-n',
      'ml-team',
      '--access-mode',
      'ReadWriteOnce',
      '--cpu',
      '2',
      '--mem',
      '4Gi',
      '--limit-mem',
      '8Gi',
    ])
    expect(added.stdout).toBe('profile/lab created\n')
    const listed = JSON.parse((await h.mrun(['profile', 'list', '-o', 'json'])).stdout)
    expect(listed).toEqual({
      current_profile: 'lab',
      profiles: {
        lab: {
          namespace: 'ml-team',
          storage_access_mode: 'ReadWriteOnce',
          resources: { cpu: '2', mem: '4Gi' },
          limits: { mem: '8Gi' },
        },
      },
    })
  })
})

describe('the config file of before profiles', () => {
  it('is moved to profiles.yaml on first use with one note, then never again; the old file stays', async () => {
    mkdirSync(join(h.configHome, 'kubectl-mrun'), { recursive: true })
    const old =
      'current_context: team\ncontexts:\n  team:\n    kube_context: team-cluster\n    storage_access_mode: ReadWriteMany\n'
    writeFileSync(legacy, old)
    const first = await h.mrun(['list'])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toBe(
      `note: moved 1 mrun context from ${legacy} to ${profiles}; they are profiles now (--profile NAME), and --context names a kubeconfig context, as in kubectl\n`,
    )
    expect(runs(first.stdout)).toEqual(['team-run-bbbbbb'])
    const second = await h.mrun(['list'])
    expect(second.stderr).toBe('')
    expect(readFileSync(legacy, 'utf8')).toBe(old)
    expect(readFileSync(profiles, 'utf8')).toBe(
      'current_profile: team\nprofiles:\n  team:\n    kube_context: team-cluster\n    storage_access_mode: ReadWriteMany\n',
    )
  })

  it('the old command name still works for scripts: mrun context add|list', async () => {
    expect((await h.mrun(['context', 'add', 'lab', '-n', 'ml-team'])).stdout).toBe('profile/lab created\n')
    expect((await h.mrun(['contexts', 'list', '-o', 'name'])).stdout).toBe('profile/lab\n')
  })
})
