import { describe, expect, it } from 'vitest'
import { useDemoE2e } from '../support/e2e-demo.ts'
import { existingPlugins } from '../support/plugins.ts'
import { kubectl } from '../support/run.ts'

/**
 * --help through real kubectl plugin dispatch, in the shape of kubectl's own help: description, Examples,
 * (Available Commands), Options, Usage, then one line pointing at `kubectl <plugin> options` for the global flags.
 */
const bed = useDemoE2e()

const SECTIONS = /^(Examples|Available Commands|Options|Usage):$/

/** The section headings in order, and the last line. */
function shape(help: string): { sections: string[]; last: string } {
  const lines = help.trimEnd().split('\n')
  return { sections: lines.filter((line) => SECTIONS.test(line)), last: lines.at(-1) ?? '' }
}

/** kubectl's order of the sections it prints. */
const ORDER = ['Examples:', 'Available Commands:', 'Options:', 'Usage:']

function inKubectlOrder(sections: string[]): boolean {
  const positions = sections.map((section) => ORDER.indexOf(section))
  return positions.every((position, i) => position >= 0 && (i === 0 || position > (positions[i - 1] as number)))
}

async function help(words: string[]): Promise<string> {
  const result = await kubectl(bed.admin, [...words, '--help'], { env: bed.env })
  expect(result.code, result.stderr).toBe(0)
  expect(result.stderr).toBe('')
  return result.stdout
}

/** Every command of a plugin, read from its root's Available Commands. */
function commandsOf(rootHelp: string): string[] {
  const block = rootHelp.split('Available Commands:\n')[1]?.split('\n\n')[0] ?? ''
  return block.split('\n').map((line) => line.trim().split(/\s+/)[0] as string)
}

/** Examples that only read, run against the demo cluster to keep them honest. */
const READ_ONLY =
  /^(?!.*--watch)kubectl (usage (nodes|pods)|ae-sessions (--mine|list|info|nodes)|pvclaim (list|describe)|secretview (db-credentials|-n|check)|mrun list -A)\b/

describe('--help through kubectl', () => {
  it('kubectl get --help has the shape we copy', async () => {
    const { sections, last } = shape(await help(['get']))
    expect(sections).toEqual(['Examples:', 'Options:', 'Usage:'])
    expect(last).toBe('Use "kubectl options" for a list of global command-line options (applies to all commands).')
  })

  it.each(existingPlugins().map((plugin) => plugin.name))(
    'every command of kubectl %s prints its help in kubectl’s shape, with examples that work',
    async (plugin) => {
      const root = await help([plugin])
      const pointer = `Use "kubectl ${plugin} options" for a list of global command-line options (applies to all commands).`
      expect(shape(root).last).toBe(pointer)
      expect(inKubectlOrder(shape(root).sections)).toBe(true)
      expect(root).toContain(`Use "kubectl ${plugin} <command> --help" for more information about a given command.`)
      const commands = commandsOf(root)
      expect(commands).toContain('options')
      const examples: string[] = []
      for (const command of commands.filter((c) => c !== 'options')) {
        const text = await help([plugin, command])
        const { sections, last } = shape(text)
        expect(last, `${plugin} ${command}`).toBe(pointer)
        expect(inKubectlOrder(sections), `${plugin} ${command}: ${sections.join(' ')}`).toBe(true)
        expect(sections[sections.length - 1]).toBe('Usage:')
        // kubectl's globals are behind the pointer, not before every command's own flags.
        expect(text, `${plugin} ${command}`).not.toContain('--kubeconfig')
        expect(text).not.toMatch(/\[[A-Z]+\] .*--help/)
        if (!text.includes('Available Commands:')) expect(sections[0], `${plugin} ${command}`).toBe('Examples:')
        const lines = text.split('\n')
        lines.forEach((line, i) => {
          if (lines[i - 1]?.startsWith('  # ')) examples.push(line.trim())
        })
      }
      for (const example of examples.filter((line) => READ_ONLY.test(line))) {
        const words = example.split(' ').slice(1)
        const result = await kubectl(bed.admin, words, { env: bed.env })
        // secretview check exits 10 when it finds something, which the demo cluster is made to have.
        expect(result.code, `${example}\n${result.stderr}`).toBe(example.includes(' check ') ? 10 : 0)
      }
    },
    120_000,
  )

  it('shows required arguments as required and optional ones in brackets', async () => {
    expect(await help(['pvclaim', 'describe'])).toContain('Usage:\n  kubectl pvclaim describe NAME [options]\n')
    expect(await help(['pvclaim', 'download'])).toContain('kubectl pvclaim download NAME [PATH] [DIR] [flags]')
    expect(await help(['mrun', 'status'])).toContain('kubectl mrun status RUN [flags] [options]')
    expect(await help(['secretview', 'diff'])).toContain('kubectl secretview diff NAME (FILE | OTHER) [flags]')
  })

  it('kubectl <plugin> options prints the global flags', async () => {
    const result = await kubectl(bed.admin, ['usage', 'options'], { env: bed.env })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^The following options can be passed to any command:\n/)
    expect(result.stdout).toContain("    -n, --namespace='':\n")
    expect(result.stdout).toContain("    --kubeconfig='':\n")
  })
})
