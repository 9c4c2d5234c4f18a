import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { liveDemoScenario } from '../sim/scenario/demo.ts'
import { startSim } from '../sim/sim.ts'
import { pluginBinDir, pluginPath, REPO_ROOT } from '../support/plugins.ts'
import { shellQuote } from '../support/run.ts'

/**
 * The README's examples, as commands run on the demo cluster. Each block is marked in README.md:
 *
 *   <!-- generated: usage-nodes -->
 *   ```console
 *   $ kubectl usage nodes
 *   …what it printed…
 *   ```
 *   <!-- end generated -->
 *
 * `npm run readme` (test/readme/generate.ts) runs every block's commands and rewrites what is between the markers;
 * test/readme/readme.test.ts fails when README.md differs from what they print now. To add an example, put the two
 * markers in README.md and the block's commands here (the mrun section can join the same way).
 *
 * The commands run through real kubectl plugin dispatch against the simulator's demo scenario as `npm run demo`
 * builds it (around the current minute), with the plugins' clock standing still at that minute
 * (test/readme/fixed-clock.ts): every age and days-left figure is then relative to the scenario, as in the demo,
 * and the same on every run and every day. (Not FIXED_NOW: the simulator's CA is made at the real date, and
 * the days left of the certificate it signs would change daily against a clock fixed on 2026-11-22.) A command runs as admin with the kubeconfig `npm run sim` exports (context namespace default), or
 * as the user before its words (`alice:`), with the kubeconfig `npm run sim -- --user alice` exports; the README
 * says so next to the block.
 */
export const TOUR: Readonly<Record<string, readonly (readonly string[])[]>> = {
  'usage-nodes': [['usage', 'nodes']],
  'usage-pods': [['usage', 'pods', '-n', 'ml-team']],
  'ae-sessions': [
    ['alice:', 'ae-sessions', '--mine', '-n', 'anaconda-enterprise'],
    ['ae-sessions', 'nodes'],
  ],
  secretview: [
    ['secretview', '--all', '-n', 'ml-team'],
    ['secretview', 'registry-pull', '-n', 'ml-team'],
  ],
  pvclaim: [
    ['pvclaim', 'list', '-A'],
    ['pvclaim', 'describe', 'results', '-n', 'ml-team'],
  ],
  'output-templates': [
    ['usage', 'nodes', '-o', 'jsonpath={range .items[*]}{.name}{"\\t"}{.resources.cpu.requests}{"\\n"}{end}'],
    ['ae-sessions', '-A', '-o', 'jsonpath={range .items[?(@.kind=="deployment")]}{.owner}{"\\t"}{.id}{"\\n"}{end}'],
    [
      'pvclaim',
      'list',
      '-A',
      '-o',
      'custom-columns=NAMESPACE:.namespace,NAME:.name,BYTES:.capacity.bytes,USED:.usage.used.display',
    ],
  ],
  help: [['pvclaim', 'resize', '--help']],
}

/** One command's transcript: the prompt line, then stdout and stderr in the order they were written. */
function transcript(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  // Both streams into one pipe (`2>&1`), so a warning shows where it happened, as on a terminal.
  const child = spawn('sh', ['-c', 'exec "$@" 2>&1', 'sh', 'kubectl', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const chunks: Buffer[] = []
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      const output = Buffer.concat(chunks).toString('utf8')
      if (code !== 0) reject(new Error(`kubectl ${args.join(' ')} exited with ${code}:\n${output}`))
      // A template without a final "\n" leaves the shell's next prompt on its line; the block ends the line.
      else resolve(`$ kubectl ${args.map(shellQuote).join(' ')}\n${output}${output.endsWith('\n') ? '' : '\n'}`)
    })
  })
}

/** Runs every block of the tour on a fresh demo cluster; block id → the console text between its fences. */
export async function runTour(blocks: readonly string[] = Object.keys(TOUR)): Promise<Map<string, string>> {
  const scenario = liveDemoScenario()
  const now = scenario.now.getTime()
  const sim = await startSim({ scenario, clock: () => new Date(now), runContainers: false })
  const bin = pluginBinDir()
  try {
    const kubeconfigs = {
      admin: sim.writeKubeconfig({ user: 'admin', namespace: 'default' }),
      alice: sim.writeKubeconfig({ user: 'alice', namespace: 'ml-team' }),
    }
    const env: NodeJS.ProcessEnv = {
      PATH: pluginPath(bin),
      HOME: '/nonexistent',
      LANG: 'C.UTF-8',
      NODE_OPTIONS: `--import ${join(REPO_ROOT, 'test/readme/fixed-clock.ts')}`,
      TOUR_NOW: String(now),
    }
    const texts = new Map<string, string>()
    for (const id of blocks) {
      const commands = TOUR[id]
      if (commands === undefined) throw new Error(`README block ${id} has no commands in test/readme/tour.ts`)
      const parts: string[] = []
      for (const words of commands) {
        const user = words[0] === 'alice:' ? 'alice' : 'admin'
        const args = user === 'admin' ? words : words.slice(1)
        parts.push(await transcript(args, { ...env, KUBECONFIG: kubeconfigs[user] }))
      }
      texts.set(id, parts.join('\n'))
    }
    return texts
  } finally {
    rmSync(bin, { recursive: true, force: true })
    await sim.stop()
  }
}

const BLOCK = /<!-- generated: ([\w-]+) -->\n```console\n([\s\S]*?)```\n<!-- end generated -->/g

/** The generated blocks of a README text: id → the text between its fences. */
export function readmeBlocks(readme: string): Map<string, string> {
  return new Map([...readme.matchAll(BLOCK)].map((match) => [match[1] as string, match[2] as string]))
}

/** The README with each generated block's text replaced by `texts`' (blocks not in `texts` stay as they are). */
export function rewriteReadme(readme: string, texts: ReadonlyMap<string, string>): string {
  return readme.replace(BLOCK, (whole, id: string) => {
    const text = texts.get(id)
    return text === undefined
      ? whole
      : `<!-- generated: ${id} -->\n\`\`\`console\n${text}\`\`\`\n<!-- end generated -->`
  })
}
