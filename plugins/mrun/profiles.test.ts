import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SuiteError } from '../../shared/errors.ts'
import { legacyConfigPath, loadProfiles, profilesPath, selectProfile } from './profiles.ts'
import { parseProfiles } from './profiles-schema.ts'

let homes: string[] = []
function home(): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'mrun-profiles-test-'))
  homes.push(dir)
  return { XDG_CONFIG_HOME: dir, HOME: dir }
}
afterEach(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true })
  homes = []
})

const problemsOf = (data: unknown): string[] => {
  const result = parseProfiles(data)
  return 'problems' in result ? result.problems.map((p) => `${p.path}: ${p.message}`) : []
}

describe('the profiles schema: one problem per bad field', () => {
  it.each([
    {
      what: 'a profile that is a number',
      data: { profiles: { lab: 5 } },
      problems: ['profiles.lab: must be a mapping of settings, not 5'],
    },
    {
      what: 'tolerations given as text',
      data: { profiles: { lab: { tolerations: 'abc' } } },
      problems: ['profiles.lab.tolerations: must be a list of tolerations, not "abc"'],
    },
    {
      what: 'a namespace that is a number',
      data: { profiles: { lab: { namespace: 5 } } },
      problems: ['profiles.lab.namespace: must be a namespace name, not 5'],
    },
    {
      what: 'a namespace that is not a DNS label',
      data: { profiles: { lab: { namespace: 'ML_Team' } } },
      problems: [
        'profiles.lab.namespace: must be a namespace name (lower-case letters, digits and -, 63 at most), not "ML_Team"',
      ],
    },
    {
      what: 'a misspelt setting, with the closest real one',
      data: { profiles: { lab: { namspace: 'ml' } } },
      problems: ['profiles.lab.namspace: is not a profile setting; did you mean namespace?'],
    },
    {
      what: 'an access mode outside the two',
      data: { profiles: { lab: { storage_access_mode: 'ReadOnlyMany' } } },
      problems: ['profiles.lab.storage_access_mode: must be ReadWriteOnce or ReadWriteMany, not "ReadOnlyMany"'],
    },
    {
      what: 'a negative CPU and a malformed memory, each named',
      data: { profiles: { lab: { resources: { cpu: '-1', mem: '8GB' } } } },
      problems: [
        'profiles.lab.resources: cpu "-1" must be more than 0; use e.g. 4 or 500m',
        'profiles.lab.resources: mem "8GB" is not a quantity; use e.g. 8Gi',
      ],
    },
    {
      what: 'a toleration with an unknown effect',
      data: { profiles: { lab: { tolerations: [{ key: 'gpu', effect: 'Never' }] } } },
      problems: ['profiles.lab.tolerations.0.effect: must be NoSchedule, PreferNoSchedule or NoExecute, not "Never"'],
    },
    {
      what: 'several bad fields in several profiles, all at once',
      data: { profiles: { a: { builder: 'kaniko', storage_dir: 'storage' }, b: { registry: '' } }, extra: 1 },
      problems: [
        'extra: is not a setting of this file (it has current_profile and profiles)',
        'profiles.a.storage_dir: must be an absolute path such as /storage, not "storage"',
        'profiles.a.builder: must be one of docker, podman, buildah, cluster, not "kaniko"',
        'profiles.b.registry: must be a registry and repository prefix such as ghcr.io/team, not empty',
      ],
    },
    {
      what: 'a current profile that is not defined',
      data: { current_profile: 'gone', profiles: { lab: {} } },
      problems: ['current_profile: names profile "gone", which is not defined'],
    },
  ])('refuses $what', ({ data, problems }) => {
    expect(problemsOf(data)).toEqual(problems)
  })

  it('accepts a full profile; numbers YAML reads for quantities and selector values are kept as text', () => {
    const result = parseProfiles({
      current_profile: 'lab',
      profiles: {
        lab: {
          kube_context: 'gke',
          namespace: 'ml-team',
          storage_dir: '/storage',
          storage_size: '100Gi',
          storage_class: 'filestore-rwx',
          storage_access_mode: 'ReadWriteMany',
          registry: 'ghcr.io/team',
          builder: 'cluster',
          resources: { cpu: 4, mem: '16Gi', gpu: 1 },
          limits: { cpu: 8, mem: '32Gi' },
          node_selector: { pool: 'a100', spot: true },
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
          neptune: { project: 'org/proj' },
        },
      },
    })
    expect(result).toEqual({
      file: {
        current_profile: 'lab',
        profiles: {
          lab: expect.objectContaining({
            resources: { cpu: '4', mem: '16Gi', gpu: '1' },
            limits: { cpu: '8', mem: '32Gi' },
            node_selector: { pool: 'a100', spot: 'true' },
          }),
        },
      },
    })
  })

  it('an empty file has no profiles', () => {
    expect(parseProfiles(null)).toEqual({ file: { profiles: {} } })
  })
})

describe('loading profiles', () => {
  it('a bad file is a config error (exit 3) with a line per bad field, and nothing is chosen', () => {
    const env = home()
    mkdirSync(join(env.XDG_CONFIG_HOME as string, 'kubectl-mrun'))
    writeFileSync(profilesPath(env), 'profiles:\n  lab: 5\n  other:\n    namespace: 5\n    tolerations: abc\n')
    const error = (() => {
      try {
        loadProfiles(env)
      } catch (e) {
        return e
      }
    })() as SuiteError
    expect(error).toBeInstanceOf(SuiteError)
    expect(error.exitCode).toBe(3)
    expect(error.message).toBe(
      [
        `${profilesPath(env)} has 3 bad fields:`,
        '  profiles.lab: must be a mapping of settings, not 5',
        '  profiles.other.namespace: must be a namespace name, not 5',
        '  profiles.other.tolerations: must be a list of tolerations, not "abc"',
      ].join('\n'),
    )
  })

  it('moves the old config.yaml (contexts) to profiles.yaml once, with one note, and leaves the old file', () => {
    const env = home()
    mkdirSync(join(env.XDG_CONFIG_HOME as string, 'kubectl-mrun'))
    const old =
      'current_context: lab\ncontexts:\n  lab:\n    namespace: ml-team\n    storage_access_mode: ReadWriteOnce\n'
    writeFileSync(legacyConfigPath(env), old)
    const notes: string[] = []
    const first = loadProfiles(env, (line) => notes.push(line))
    expect(first.file).toEqual({
      current_profile: 'lab',
      profiles: { lab: { namespace: 'ml-team', storage_access_mode: 'ReadWriteOnce' } },
    })
    expect(notes).toEqual([
      `note: moved 1 mrun context from ${legacyConfigPath(env)} to ${profilesPath(env)}; they are profiles now (--profile NAME), and --context names a kubeconfig context, as in kubectl`,
    ])
    expect(readFileSync(legacyConfigPath(env), 'utf8')).toBe(old)
    expect(existsSync(profilesPath(env))).toBe(true)
    loadProfiles(env, (line) => notes.push(line))
    expect(notes).toHaveLength(1)
  })

  it('an old file with a bad field is not moved, and the error names its old keys', () => {
    const env = home()
    mkdirSync(join(env.XDG_CONFIG_HOME as string, 'kubectl-mrun'))
    writeFileSync(legacyConfigPath(env), 'contexts:\n  lab: 5\n')
    expect(() => loadProfiles(env)).toThrow(
      `${legacyConfigPath(env)} has 1 bad field:\n  contexts.lab: must be a mapping of settings, not 5`,
    )
    expect(existsSync(profilesPath(env))).toBe(false)
  })
})

describe('choosing the profile', () => {
  const loaded = {
    path: '/p.yaml',
    file: { current_profile: 'a', profiles: { a: { namespace: 'na' }, b: { namespace: 'nb' } } },
  }
  it.each([
    { request: {}, name: 'a' },
    { request: { env: 'b' }, name: 'b' },
    { request: { flag: 'a', env: 'b' }, name: 'a' },
    { request: { flag: '', env: 'b' }, name: 'b' },
  ])('$request picks $name (--profile, then MRUN_PROFILE, then the current one)', ({ request, name }) => {
    expect(selectProfile(loaded, request)?.name).toBe(name)
  })

  it('an unknown name says where it came from and lists the known ones', () => {
    expect(() => selectProfile(loaded, { env: 'c' })).toThrow(
      'mrun profile "c" (from MRUN_PROFILE) is not defined in /p.yaml',
    )
  })

  it('no profile at all means every setting at its default', () => {
    expect(selectProfile({ path: '/p.yaml', file: { profiles: {} } }, {})).toBeUndefined()
  })
})
