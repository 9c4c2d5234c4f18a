import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { INTERRUPT_EXIT_CODES } from '../shared/cli/run.ts'
import { BROKEN_PIPE_EXIT, EXIT_CODES } from '../shared/errors.ts'
import { REPO_ROOT } from './support/plugins.ts'

/** The README's exit-code table lists exactly the codes the plugins end with, no more. */
describe('README exit codes', () => {
  it('match EXIT_CODES, the signal codes and the broken-pipe code', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
    const section = readme.slice(
      readme.indexOf('## Exit codes'),
      readme.indexOf('\n## ', readme.indexOf('## Exit codes') + 1),
    )
    const documented = [...section.matchAll(/^\| (\d+) +\|/gm)].map((m) => Number(m[1])).sort((a, b) => a - b)
    const used = [
      ...new Set([0, ...Object.values(EXIT_CODES), ...Object.values(INTERRUPT_EXIT_CODES), BROKEN_PIPE_EXIT]),
    ].sort((a, b) => a - b)
    expect(documented).toEqual(used)
  })
})
