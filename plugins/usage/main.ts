#!/usr/bin/env node
import { defineCommand } from 'citty'
import pkg from '../../package.json' with { type: 'json' }
import { lazyCommand, optionsCommand, runPlugin } from '../../shared/cli/run.ts'

/** kubectl usage: per-node and per-pod allocatable, requests, limits and live usage, equal to kubectl's numbers. */
const root = defineCommand({
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

// No top-level await: the bundle is CommonJS, where Node built-ins load only when the module needing them runs.
void runPlugin(root, { name: 'kubectl usage', version: pkg.version }).then((code) => {
  process.exitCode = code
})
