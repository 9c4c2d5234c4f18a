import { defineCommand } from 'citty'
import pkg from '../../package.json' with { type: 'json' }
import { lazyCommand, optionsCommand } from '../../shared/cli/run.ts'

/** kubectl mrun: run experiments and parameter sweeps as Jobs, and follow, inspect and clean them up. */
export const mrunRoot = defineCommand({
  meta: { name: 'kubectl mrun', version: pkg.version, description: 'Run ML experiments and parameter sweeps as Jobs' },
  subCommands: {
    run: lazyCommand(
      { name: 'run', description: 'Build the code into an image and run it (or a sweep) as a Job' },
      () => import('./commands/run.ts').then((m) => m.default),
    ),
    list: lazyCommand({ name: 'list', description: 'Runs with their status, duration and age', alias: ['ls'] }, () =>
      import('./commands/list.ts').then((m) => m.default),
    ),
    status: lazyCommand({ name: 'status', description: 'Per pod (or sweep index) status of a run, with reasons' }, () =>
      import('./commands/status.ts').then((m) => m.default),
    ),
    logs: lazyCommand({ name: 'logs', description: 'Logs of a run or of one sweep index; -f follows' }, () =>
      import('./commands/logs.ts').then((m) => m.default),
    ),
    fetch: lazyCommand(
      { name: 'fetch', description: "Download a run's outputs from the storage claim, verified" },
      () => import('./commands/fetch.ts').then((m) => m.default),
    ),
    delete: lazyCommand({ name: 'delete', description: 'Delete runs and their pods (storage only when asked)' }, () =>
      import('./commands/delete.ts').then((m) => m.default),
    ),
    results: lazyCommand(
      { name: 'results', description: 'One row per sweep point: parameters, state, duration and reported metrics' },
      () => import('./commands/results.ts').then((m) => m.default),
    ),
    profile: lazyCommand(
      { name: 'profile', description: 'Manage mrun profiles: add, list, use, remove, import', alias: ['profiles'] },
      () => import('./commands/profile.ts').then((m) => m.default),
    ),
    // The name before profiles, kept for scripts; not shown (--context now names a kubeconfig context).
    context: lazyCommand(
      { name: 'context', description: 'Old name of profile', alias: ['contexts'], hidden: true },
      () => import('./commands/profile.ts').then((m) => m.default),
    ),
    options: optionsCommand,
  },
})
