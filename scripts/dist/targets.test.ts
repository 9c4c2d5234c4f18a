import { describe, expect, it } from 'vitest'
import { parseTargets, targetKey } from './targets.ts'

describe('build targets', () => {
  it('a default build and release cover every platform whose Node 26 the npm registry has, macOS on Intel included', () => {
    expect(parseTargets(undefined).map(targetKey)).toEqual([
      'linux-amd64',
      'linux-arm64',
      'windows-amd64',
      'darwin-amd64',
    ])
  })

  it('darwin-arm64 is built only on request (npm has no Node past 18 for it)', () => {
    expect(parseTargets('all').map(targetKey)).toContain('darwin-arm64')
    expect(parseTargets('darwin-arm64').map(targetKey)).toEqual(['darwin-arm64'])
  })

  it('an unknown target names the known ones', () => {
    expect(() => parseTargets('darwin-ppc')).toThrow(/unknown target darwin-ppc; known: linux-amd64, .*darwin-arm64/)
  })
})
