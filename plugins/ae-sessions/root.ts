import { defineCommand } from 'citty'
import pkg from '../../package.json' with { type: 'json' }
import { lazyCommand, optionsCommand } from '../../shared/cli/run.ts'

/** kubectl ae-sessions: a data-science platform's sessions, deployments and job runs, with live usage. */
export const aeSessionsRoot = defineCommand({
  meta: {
    name: 'kubectl ae-sessions',
    version: pkg.version,
    description: 'Sessions, deployments and job runs of an Anaconda Enterprise style platform, with live usage',
  },
  default: 'list',
  subCommands: {
    list: lazyCommand(
      {
        name: 'list',
        description: 'Sessions, deployments and runs with owner, phase and live usage (the default)',
        alias: ['ls'],
      },
      () => import('./commands/list.ts').then((m) => m.default),
    ),
    info: lazyCommand(
      { name: 'info', description: 'One workload in detail, with its containers', alias: ['describe'] },
      () => import('./commands/info.ts').then((m) => m.default),
    ),
    logs: lazyCommand(
      { name: 'logs', description: "Logs of a workload's pod by platform id (-f to follow)", alias: ['log'] },
      () => import('./commands/logs.ts').then((m) => m.default),
    ),
    nodes: lazyCommand(
      {
        name: 'nodes',
        description: 'Per-node capacity, usage and workload counts, without names or owners',
        alias: ['node'],
      },
      () => import('./commands/nodes.ts').then((m) => m.default),
    ),
    options: optionsCommand,
  },
})
