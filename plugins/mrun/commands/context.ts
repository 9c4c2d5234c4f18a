import { homedir } from 'node:os'
import { outputArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError, usageError } from '../../../shared/errors.ts'
import { parseOutputFormat, printsDocument, printView } from '../../../shared/output/index.ts'
import { configPath, loadConfig, readMrunnerConfig, saveConfig } from '../config.ts'
import {
  BUILDERS,
  type Builder,
  convertMrunnerContext,
  type MrunContext,
  type Resources,
  resourceProblem,
} from '../model.ts'
import { renderContexts } from '../render.ts'

const FORMATS = ['table', 'wide', 'json', 'yaml', 'name'] as const

const add = defineSuiteCommand({
  meta: { name: 'add', description: 'Add or replace an mrun context (and make it current if it is the first)' },
  args: {
    name: { type: 'positional', required: true, names: 'nonempty', description: 'Context name' },
    'kube-context': { type: 'string', description: 'Kubeconfig context to use (default: the current one)' },
    project: { type: 'string', description: 'Namespace the runs go to (same as -n)' },
    namespace: { type: 'string', alias: 'n', description: 'Namespace the runs go to' },
    'storage-dir': {
      type: 'string',
      description: 'Where the storage claim is mounted (STORAGE_DIR), default /storage',
    },
    'storage-size': { type: 'string', description: 'Size of the storage claim, default 40Gi' },
    'storage-class': { type: 'string', description: 'StorageClass of the claim (default: the cluster default)' },
    'storage-access-mode': { type: 'string', description: 'ReadWriteMany (default) or ReadWriteOnce' },
    registry: { type: 'string', description: 'Registry and repository prefix images are pushed to, e.g. ghcr.io/team' },
    builder: { type: 'string', description: `How images are built: ${BUILDERS.join(', ')} (default docker)` },
    'kaniko-image': { type: 'string', description: 'Image of the in-cluster builder' },
    'registry-auth-file': { type: 'string', description: 'docker config.json with the registry credentials' },
    'image-pull-secret': { type: 'string', description: 'An existing pull Secret to use instead of mrun-registry' },
    cpu: { type: 'string', description: 'Default CPU per pod' },
    mem: { type: 'string', description: 'Default memory per pod' },
    gpu: { type: 'string', description: 'Default GPUs per pod' },
    tpu: { type: 'string', description: 'Default TPU chips per pod' },
    'tpu-accelerator': { type: 'string', description: 'cloud.google.com/gke-tpu-accelerator node selector' },
    'tpu-topology': { type: 'string', description: 'cloud.google.com/gke-tpu-topology node selector' },
    'node-selector': { type: 'string', multiple: true, description: 'key=value node selector; repeat for more' },
    'neptune-project': {
      type: 'string',
      description: 'Neptune project (the token comes from NEPTUNE_API_TOKEN at run time)',
    },
  },
  run: ({ args, io, log }) => {
    const path = configPath(io.env)
    const config = loadConfig(path)
    if (args.builder !== undefined && !BUILDERS.includes(args.builder as Builder))
      throw usageError(`--builder "${args.builder}" is not a builder`, `use one of ${BUILDERS.join(', ')}`)
    const resources: Resources = {}
    for (const key of ['cpu', 'mem', 'gpu', 'tpu'] as const) if (args[key] !== undefined) resources[key] = args[key]
    const problem = resourceProblem(resources)
    if (problem !== undefined) throw new SuiteError('usage', problem)
    const nodeSelector: Record<string, string> = {}
    for (const pair of args.nodeSelector) {
      const eq = pair.indexOf('=')
      if (eq <= 0) throw usageError(`--node-selector "${pair}" is not key=value`)
      nodeSelector[pair.slice(0, eq)] = pair.slice(eq + 1)
    }
    const context: MrunContext = {
      ...(args.kubeContext === undefined ? {} : { kube_context: args.kubeContext }),
      ...((args.project ?? args.namespace) === undefined ? {} : { namespace: args.project ?? args.namespace }),
      ...(args.storageDir === undefined ? {} : { storage_dir: args.storageDir }),
      ...(args.storageSize === undefined ? {} : { storage_size: args.storageSize }),
      ...(args.storageClass === undefined ? {} : { storage_class: args.storageClass }),
      ...(args.storageAccessMode === undefined ? {} : { storage_access_mode: args.storageAccessMode }),
      ...(args.registry === undefined ? {} : { registry: args.registry }),
      ...(args.builder === undefined ? {} : { builder: args.builder as Builder }),
      ...(args.kanikoImage === undefined ? {} : { kaniko_image: args.kanikoImage }),
      ...(args.registryAuthFile === undefined ? {} : { registry_auth_file: args.registryAuthFile }),
      ...(args.imagePullSecret === undefined ? {} : { image_pull_secret: args.imagePullSecret }),
      ...(Object.keys(resources).length === 0 ? {} : { resources }),
      ...(args.tpuAccelerator === undefined ? {} : { tpu_accelerator: args.tpuAccelerator }),
      ...(args.tpuTopology === undefined ? {} : { tpu_topology: args.tpuTopology }),
      ...(Object.keys(nodeSelector).length === 0 ? {} : { node_selector: nodeSelector }),
      ...(args.neptuneProject === undefined ? {} : { neptune: { project: args.neptuneProject } }),
    }
    const replaced = config.contexts[args.name] !== undefined
    config.contexts[args.name] = context
    config.current_context ??= args.name
    saveConfig(path, config)
    log.info(`${replaced ? 'replaced' : 'added'} context "${args.name}" in ${path}`)
    io.out.write(`context/${args.name} ${replaced ? 'configured' : 'created'}\n`)
  },
})

const list = defineSuiteCommand({
  meta: { name: 'list', description: 'The mrun contexts; * marks the current one' },
  args: { ...outputArgs(FORMATS) },
  run: ({ args, io }) => {
    const format = parseOutputFormat(args.output, FORMATS, args)
    const config = loadConfig(configPath(io.env))
    if (Object.keys(config.contexts).length === 0 && !printsDocument(format)) {
      io.err.write('No mrun contexts; add one with kubectl mrun context add NAME or context import\n')
      return
    }
    printView(io, renderContexts(config), format, { noHeaders: args.noHeaders === true })
  },
})

function requireContext(name: string, path: string, known: string[]): never {
  throw new SuiteError('not-found', `mrun context "${name}" is not defined in ${path}`, {
    hint: known.length === 0 ? 'add one with kubectl mrun context add NAME' : `known contexts: ${known.join(', ')}`,
  })
}

const use = defineSuiteCommand({
  meta: { name: 'use', description: 'Make a context the current one' },
  args: { name: { type: 'positional', required: true, names: 'nonempty', description: 'Context name' } },
  run: ({ args, io }) => {
    const path = configPath(io.env)
    const config = loadConfig(path)
    if (config.contexts[args.name] === undefined) requireContext(args.name, path, Object.keys(config.contexts))
    config.current_context = args.name
    saveConfig(path, config)
    io.out.write(`Switched to mrun context "${args.name}".\n`)
  },
})

const remove = defineSuiteCommand({
  meta: { name: 'remove', description: 'Remove a context (nothing in the cluster changes)', alias: ['rm', 'delete'] },
  args: { name: { type: 'positional', required: true, names: 'nonempty', description: 'Context name' } },
  run: ({ args, io }) => {
    const path = configPath(io.env)
    const config = loadConfig(path)
    if (config.contexts[args.name] === undefined) requireContext(args.name, path, Object.keys(config.contexts))
    delete config.contexts[args.name]
    if (config.current_context === args.name) delete config.current_context
    saveConfig(path, config)
    io.out.write(`context/${args.name} deleted\n`)
  },
})

const importCommand = defineSuiteCommand({
  meta: { name: 'import', description: "Convert mrunner's contexts (default ~/.config/mrunner/config.yaml)" },
  args: {
    file: { type: 'positional', required: false, description: 'mrunner config.yaml' },
    overwrite: { type: 'boolean', description: 'Replace mrun contexts of the same name' },
  },
  run: ({ args, io, log }) => {
    // mrunner's own rule (click.get_app_dir on Linux): $XDG_CONFIG_HOME/mrunner, else ~/.config/mrunner.
    const source = args.file ?? configPath({ ...io.env, HOME: io.env.HOME ?? homedir() }, 'mrunner')
    const mrunner = readMrunnerConfig(source)
    const path = configPath(io.env)
    const config = loadConfig(path)
    let imported = 0
    for (const entry of mrunner.contexts) {
      const converted = convertMrunnerContext(entry)
      if ('skip' in converted) {
        log.warn(`skipped ${converted.skip}`)
        continue
      }
      if (config.contexts[converted.name] !== undefined && args.overwrite !== true) {
        log.warn(`skipped context "${converted.name}": it already exists (--overwrite replaces it)`)
        continue
      }
      config.contexts[converted.name] = converted.context
      io.out.write(`context/${converted.name} imported\n`)
      imported++
    }
    if (config.current_context === undefined && mrunner.current !== undefined && config.contexts[mrunner.current])
      config.current_context = mrunner.current
    if (imported > 0) saveConfig(path, config)
    if (imported === 0) io.err.write(`no contexts imported from ${source}\n`)
  },
})

export default defineSuiteCommand({
  meta: { name: 'context', description: 'Manage mrun contexts' },
  default: 'list',
  subCommands: { add, list, use, remove, import: importCommand },
})
