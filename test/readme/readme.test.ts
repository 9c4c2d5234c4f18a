import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/plugins.ts'
import { readmeBlocks, rewriteReadme, runTour, TOUR } from './tour.ts'

/**
 * The README's examples are real output: each generated block is run again on the demo cluster (through kubectl,
 * as `npm run readme` runs it) and must equal what README.md shows, so an example never goes stale.
 */
const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')

describe('README examples', () => {
  it('every block of the tour is marked in README.md, and every marked block has its commands', () => {
    expect([...readmeBlocks(readme).keys()].sort()).toEqual(Object.keys(TOUR).sort())
  })

  it('the tour shows jsonpath, custom-columns and the help style', () => {
    const text = [...readmeBlocks(readme).values()].join('\n')
    expect(text).toMatch(/^\$ kubectl .* -o 'jsonpath=\{range /m)
    expect(text).toMatch(/^\$ kubectl .* -o custom-columns=/m)
    expect(text).toMatch(/^\$ kubectl .* --help\n[^\n]+\n\nExamples:\n/m)
    expect(text).toContain('Use "kubectl pvclaim options" for a list of global command-line options')
  })

  it('each generated block is what its commands print now (refresh with `npm run readme`)', {
    timeout: 180_000,
  }, async () => {
    const texts = await runTour()
    const stale = [...texts].filter(([id, text]) => readmeBlocks(readme).get(id) !== text).map(([id]) => id)
    // The whole README compared, so a failure shows the lines that differ; the message names the fix.
    expect(readme, `README.md blocks ${stale.join(', ')} are stale: run \`npm run readme\` and commit README.md`).toBe(
      rewriteReadme(readme, texts),
    )
  })

  it('rewriting replaces only the text between the markers', () => {
    const text = 'a\n<!-- generated: x -->\n```console\nold\n```\n<!-- end generated -->\nb\n'
    expect(rewriteReadme(text, new Map([['x', '$ kubectl new\n']]))).toBe(
      'a\n<!-- generated: x -->\n```console\n$ kubectl new\n```\n<!-- end generated -->\nb\n',
    )
    expect(rewriteReadme(text, new Map())).toBe(text)
  })
})
