import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from '../support/plugins.ts'
import { readmeBlocks, rewriteReadme, runTour } from './tour.ts'

/**
 * `npm run readme`: runs the README's examples on the demo cluster (test/readme/tour.ts) and writes what they print
 * into README.md's generated blocks. `npm run readme -- usage-nodes pvclaim` refreshes only those blocks.
 */
const path = join(REPO_ROOT, 'README.md')
const readme = readFileSync(path, 'utf8')
const wanted = process.argv.slice(2)
const marked = [...readmeBlocks(readme).keys()]
const blocks = wanted.length > 0 ? wanted : marked
for (const id of blocks)
  if (!marked.includes(id)) {
    process.stderr.write(`error: README.md has no generated block ${id} (marked: ${marked.join(', ')})\n`)
    process.exit(2)
  }
const texts = await runTour(blocks)
const next = rewriteReadme(readme, texts)
if (next === readme) process.stdout.write(`README.md is up to date (${blocks.length} blocks)\n`)
else {
  writeFileSync(path, next)
  const changed = blocks.filter((id) => readmeBlocks(readme).get(id) !== texts.get(id))
  process.stdout.write(`README.md: rewrote ${changed.join(', ')}\n`)
}
