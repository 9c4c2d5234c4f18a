import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SuiteError } from '../../shared/errors.ts'
import { configFromFile, loadPlatformConfig } from './config.ts'
import { DEFAULT_CONFIG } from './platform.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function configDir(text: string | undefined): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'ae-sessions-config-'))
  dirs.push(dir)
  if (text !== undefined) {
    const folder = join(dir, 'kubectl-ae-sessions')
    mkdirSync(folder)
    writeFileSync(join(folder, 'config.yaml'), text)
  }
  return { XDG_CONFIG_HOME: dir }
}

describe('loadPlatformConfig', () => {
  it('uses the documented defaults when no file, env or flag says otherwise', () => {
    expect(loadPlatformConfig({}, configDir(undefined))).toEqual(DEFAULT_CONFIG)
  })

  it('takes flags over environment over the file', () => {
    const env = {
      ...configDir('ownerKeys: [label:file-owner]\nprojectKeys: [label:file-project]\nnamespaces: [from-file]\n'),
      AE_SESSIONS_OWNER_KEYS: 'annotation:env-owner',
      AE_SESSIONS_NAMESPACES: 'from-env',
    }
    const config = loadPlatformConfig({ ownerKeys: 'flag-owner' }, env)
    expect(config.ownerKeys).toEqual([{ source: 'any', key: 'flag-owner' }])
    expect(config.projectKeys).toEqual([{ source: 'label', key: 'file-project' }])
    expect(config.namespaces).toEqual(['from-env'])
  })

  it('reads kind rules from the file and label lists from flags', () => {
    const env = configDir(
      'kinds:\n  session:\n    labels: [ws-id]\n    namePrefix: ws-\n  run:\n    jobNamePrefix: run-\n',
    )
    const config = loadPlatformConfig({ deploymentLabels: 'svc-id,app-id' }, env)
    expect(config.kinds.session).toMatchObject({ idLabels: ['ws-id'], namePrefix: 'ws-' })
    expect(config.kinds.run.prefixedLabels.every((p) => p.valuePrefix === 'run-')).toBe(true)
    expect(config.kinds.deployment.idLabels).toEqual(['svc-id', 'app-id'])
  })

  it.each([
    ['an unknown key', 'ownerkeys: [x]\n', /unknown key "ownerkeys"/],
    ['a wrong type', 'namespaces: ae\n', /namespaces must be a list of strings/],
    ['an unknown kind', 'kinds:\n  notebook: {labels: [x]}\n', /unknown kind "notebook"/],
    ['broken YAML', 'ownerKeys: [\n', /not valid YAML/],
  ])('refuses a file with %s as a config error', (_case, text, message) => {
    let caught: unknown
    try {
      configFromFile(text, '/etc/ae.yaml')
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(SuiteError)
    expect((caught as SuiteError).kind).toBe('config')
    expect((caught as SuiteError).message).toMatch(message)
  })

  it('fails when a named config file is missing, but not when the default one is', () => {
    expect(() => loadPlatformConfig({ config: '/nonexistent/ae.yaml' }, {})).toThrow(
      /cannot read the ae-sessions config file/,
    )
    expect(() => loadPlatformConfig({}, configDir(undefined))).not.toThrow()
  })
})
