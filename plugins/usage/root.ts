import { defineCommand } from 'citty'
import pkg from '../../package.json' with { type: 'json' }
import { lazyCommand, optionsCommand } from '../../shared/cli/run.ts'

/** kubectl usage: per-node and per-pod allocatable, requests, limits and live usage, equal to kubectl's numbers. */
export const usageRoot = defineCommand({
  meta: {
    name: 'kubectl usage',
    version: pkg.version,
    description: 'Node and pod capacity, requests, limits and live usage',
  },
  subCommands: {
    nodes: lazyCommand(
      {
        name: 'nodes',
        description: 'Allocatable, requests, limits and usage per node, with a cluster total',
        alias: ['node', 'no'],
      },
      () => import('./commands/nodes.ts').then((m) => m.default),
    ),
    pods: lazyCommand(
      { name: 'pods', description: 'Requests, limits and usage per pod or container', alias: ['pod', 'po'] },
      () => import('./commands/pods.ts').then((m) => m.default),
    ),
    options: optionsCommand,
  },
})
