import { defineCommand } from 'citty'
import pkg from '../../package.json' with { type: 'json' }
import { lazyCommand, optionsCommand } from '../../shared/cli/run.ts'

/** kubectl pvclaim: create claims, see how full they are, move data in and out. */
export const pvclaimRoot = defineCommand({
  meta: {
    name: 'kubectl pvclaim',
    version: pkg.version,
    description: 'Create PersistentVolumeClaims (storage class or NFS), see how full they are, move data in and out',
  },
  default: 'list',
  subCommands: {
    list: lazyCommand(
      { name: 'list', description: 'Claims with usage from the kubelets (the default)', alias: ['ls'] },
      () => import('./commands/list.ts').then((m) => m.default),
    ),
    describe: lazyCommand({ name: 'describe', description: 'A claim, its volume, usage, pods and events' }, () =>
      import('./commands/describe.ts').then((m) => m.default),
    ),
    create: lazyCommand(
      { name: 'create', description: 'A claim through a storage class, or an NFS volume and claim' },
      () => import('./commands/create.ts').then((m) => m.default),
    ),
    download: lazyCommand({ name: 'download', description: 'Copy files out of a claim, verified' }, () =>
      import('./commands/download.ts').then((m) => m.default),
    ),
    upload: lazyCommand({ name: 'upload', description: 'Copy files into a claim, verified' }, () =>
      import('./commands/upload.ts').then((m) => m.default),
    ),
    resize: lazyCommand({ name: 'resize', description: 'Grow a claim where its storage class allows' }, () =>
      import('./commands/resize.ts').then((m) => m.default),
    ),
    delete: lazyCommand({ name: 'delete', description: 'Delete a claim, saying what happens to its data' }, () =>
      import('./commands/delete.ts').then((m) => m.default),
    ),
    options: optionsCommand,
  },
})
