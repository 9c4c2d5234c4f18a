import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { missingPrerequisites, PREREQUISITES } from './preflight.ts'

describe('test preflight', () => {
  it('finds nothing missing on this machine (.ci/run installs it all)', () => {
    expect(missingPrerequisites().map((p) => p.program)).toEqual([])
  })

  it('names each program a PATH lacks', () => {
    const empty = mkdtempSync(join(tmpdir(), 'preflight-'))
    try {
      const missing = missingPrerequisites(
        PREREQUISITES.filter((p) => !p.program.startsWith('/')),
        empty,
      ).map((p) => p.program)
      expect(missing).toEqual(['kubectl', 'openssl', 'ssh-keygen', 'bwrap'])
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it('says in one line per program why the tests cannot run, and fails', () => {
    const result = spawnSync(process.execPath, [join(import.meta.dirname, 'preflight.ts')], {
      env: { PATH: '/nonexistent' },
      encoding: 'utf8',
    })
    expect(result.status).toBe(1)
    const lines = result.stderr.trim().split('\n')
    expect(lines[0]).toBe(
      'error: kubectl is not installed, and the end-to-end tests (real kubectl plugin dispatch) cannot run without it: install kubectl (.ci/run does)',
    )
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })
})
