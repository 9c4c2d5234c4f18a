import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { existingPlugins, pluginBinDir, pluginPath } from './support/plugins.ts'
import { shellQuote } from './support/run.ts'
import { startSimChild } from './support/sim-child.ts'

/**
 * `npm run demo`: starts the built-in simulated cluster and runs each existing plugin through real kubectl plugin
 * dispatch (kubectl finds kubectl-<name> on PATH), printing what a user would see.
 */
const DEMO_COMMANDS: Record<string, { user: string; args: string[] }[]> = {
  usage: [
    { user: 'admin', args: ['usage', 'nodes'] },
    { user: 'admin', args: ['usage', 'pods', '-n', 'ml-team'] },
  ],
  'ae-sessions': [
    { user: 'alice', args: ['ae-sessions', '--mine', '-n', 'anaconda-enterprise'] },
    { user: 'admin', args: ['ae-sessions', 'nodes'] },
  ],
  secretview: [{ user: 'admin', args: ['secretview', '-n', 'ml-team', '--all'] }],
  mrun: [
    {
      user: 'admin',
      args: [
        'mrun',
        'run',
        '-n',
        'ml-team',
        '--image',
        'busybox',
        '--grid',
        'lr=0.1,0.01',
        '--follow',
        '--',
        'sh',
        '-c',
        'echo training with $MRUN_PARAMS at index $MRUN_INDEX',
      ],
    },
    { user: 'admin', args: ['mrun', 'list', '-A'] },
  ],
  pvclaim: [{ user: 'admin', args: ['pvclaim', 'list', '-A'] }],
}

const admin = await startSimChild(['--user', 'admin'])
const bin = pluginBinDir()
const exported = admin.kubeconfigs.admin ?? admin.kubeconfig
const env = { ...process.env, PATH: pluginPath(bin), KUBECONFIG: exported }
/**
 * Prints the command so it can be pasted (quoted, with its KUBECONFIG when it is not the one exported above), then
 * lets kubectl write to our own stdout and stderr, so its output and messages appear in the order they happened.
 */
const show = (args: string[], kubeconfig?: string): void => {
  const prefix = kubeconfig === undefined || kubeconfig === exported ? '' : `KUBECONFIG=${kubeconfig} `
  process.stdout.write(`\n$ ${prefix}kubectl ${args.map(shellQuote).join(' ')}\n`)
  spawnSync('kubectl', args, {
    env: { ...env, KUBECONFIG: kubeconfig ?? exported },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
}
try {
  process.stdout.write(`simulated cluster at ${admin.url}\nexport KUBECONFIG=${exported}\n`)
  show(['get', 'nodes'])
  show(['top', 'nodes'])
  const plugins = existingPlugins()
  show(['plugin', 'list'])
  for (const plugin of plugins) {
    for (const command of DEMO_COMMANDS[plugin.name] ?? []) show(command.args, admin.kubeconfigs[command.user])
  }
  if (plugins.length === 0)
    process.stdout.write('\n(no plugin is built yet: the demo shows the simulated cluster only)\n')
} finally {
  await admin.stop()
  rmSync(bin, { recursive: true, force: true })
}
