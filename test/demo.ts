import { spawnSync } from 'node:child_process'
import { existingPlugins, pluginBinDir, pluginPath } from './support/plugins.ts'
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
const env = { ...process.env, PATH: pluginPath(bin), KUBECONFIG: admin.kubeconfig }
const show = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): void => {
  process.stdout.write(`\n$ kubectl ${args.join(' ')}\n`)
  const result = spawnSync('kubectl', args, { env: { ...env, ...extraEnv }, encoding: 'utf8' })
  process.stdout.write(result.stdout)
  process.stdout.write(result.stderr)
}
try {
  process.stdout.write(`simulated cluster at ${admin.url} (KUBECONFIG=${admin.kubeconfig})\n`)
  show(['get', 'nodes'])
  show(['top', 'nodes'])
  const plugins = existingPlugins()
  show(['plugin', 'list'])
  for (const plugin of plugins) {
    for (const command of DEMO_COMMANDS[plugin.name] ?? [])
      show(command.args, { KUBECONFIG: admin.kubeconfigs[command.user] })
  }
  if (plugins.length === 0)
    process.stdout.write('\n(no plugin is built yet: the demo shows the simulated cluster only)\n')
} finally {
  await admin.stop()
}
