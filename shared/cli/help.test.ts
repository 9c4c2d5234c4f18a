import { describe, expect, it } from 'vitest'
import { kubeArgs } from './args.ts'
import { positionalUsage, renderGlobalOptions, renderHelp } from './help.ts'

describe('renderHelp', () => {
  const defs = {
    claim: { type: 'positional', required: false, neededByCommand: true, usageName: 'NAME' },
    path: { type: 'positional', required: false },
    files: { type: 'positional', required: false, multiple: true },
    force: { type: 'boolean', alias: 'f', description: 'Do it anyway' },
    size: { type: 'string', description: 'How big' },
    ...kubeArgs,
  } as const

  it('shows required arguments bare and optional ones in brackets', () => {
    expect(positionalUsage(defs)).toEqual(['NAME', '[PATH]', '[FILES...]'])
  })

  it('prints description, Examples, Options, Usage and the options pointer, in kubectl’s order', () => {
    const text = renderHelp({
      path: 'kubectl pvclaim upload',
      plugin: 'kubectl pvclaim',
      meta: { description: 'Copy files in', examples: [['Copy a folder', 'kubectl pvclaim upload results ./data']] },
      defs,
      subCommands: [],
      runs: true,
    })
    expect(text).toBe(
      [
        'Copy files in',
        '',
        'Examples:',
        '  # Copy a folder',
        '  kubectl pvclaim upload results ./data',
        '',
        'Options:',
        '    -f, --force=false:',
        '\tDo it anyway',
        '',
        "    --size='':",
        '\tHow big',
        '',
        'Usage:',
        '  kubectl pvclaim upload NAME [PATH] [FILES...] [flags] [options]',
        '',
        'Use "kubectl pvclaim options" for a list of global command-line options (applies to all commands).',
        '',
      ].join('\n'),
    )
  })
})

describe('renderGlobalOptions', () => {
  it('lists kubectl’s global flags as `kubectl options` does, hidden ones left out', () => {
    const text = renderGlobalOptions()
    expect(text).toMatch(/^The following options can be passed to any command:\n\n/)
    expect(text).toContain("    -n, --namespace='':\n\t")
    expect(text).toContain("    --kubeconfig='':\n\t")
    expect(text).not.toContain('match-server-version')
  })
})
