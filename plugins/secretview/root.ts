import { defineCommand } from 'citty'
import pkg from '../../package.json' with { type: 'json' }
import { lazyCommand, optionsCommand } from '../../shared/cli/run.ts'

/** kubectl secretview: read, check and create Secrets without leaking values. */
export const secretviewRoot = defineCommand({
  meta: {
    name: 'kubectl secretview',
    version: pkg.version,
    description:
      'Read, check and create Secrets without leaking values; understands TLS, registry, JWT and Helm secrets',
  },
  default: 'show',
  subCommands: {
    show: lazyCommand(
      {
        name: 'show',
        description: 'A secret’s keys with type-aware summaries, masked (the default); KEY prints one value',
        alias: ['get', 'view'],
      },
      () => import('./commands/show.ts').then((m) => m.default),
    ),
    check: lazyCommand(
      {
        name: 'check',
        description: 'Expiring certificates and tokens, empty, missing and unused secrets (exit 10 if any)',
      },
      () => import('./commands/check.ts').then((m) => m.default),
    ),
    create: lazyCommand(
      {
        name: 'create',
        description: 'Create a secret without values in shell history; --overwrite lists changed keys',
      },
      () => import('./commands/create.ts').then((m) => m.default),
    ),
    diff: lazyCommand(
      {
        name: 'diff',
        description: 'Keys added, removed or changed against a file or another secret (names only unless asked)',
      },
      () => import('./commands/diff.ts').then((m) => m.default),
    ),
    options: optionsCommand,
  },
})
