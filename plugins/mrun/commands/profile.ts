import { outputArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError, usageError } from '../../../shared/errors.ts'
import { parseOutputFormat, printsDocument, printView } from '../../../shared/output/index.ts'
import { BUILDERS, convertMrunnerContext, type MrunContext } from '../model.ts'
import { loadProfiles, mrunnerConfigPath, readMrunnerConfig, saveProfiles } from '../profiles.ts'
import { renderProfiles } from '../profiles-render.ts'
import { ACCESS_MODES, profileProblems } from '../profiles-schema.ts'
import { PROFILE_COMPLETION } from './_shared.ts'

const FORMATS = ['table', 'wide', 'json', 'yaml', 'name'] as const

/** The flag of `profile add` that sets each profile field, for error lines that name what the user typed. */
const FLAG_OF: Record<string, string> = {
  kube_context: '--kube-context',
  namespace: '--namespace',
  storage_dir: '--storage-dir',
  storage_size: '--storage-size',
  storage_class: '--storage-class',
  storage_access_mode: '--access-mode',
  registry: '--registry',
  builder: '--builder',
  kaniko_image: '--kaniko-image',
  registry_auth_file: '--registry-auth-file',
  image_pull_secret: '--image-pull-secret',
  'resources.cpu': '--cpu',
  'resources.mem': '--mem',
  'resources.gpu': '--gpu',
  'resources.tpu': '--tpu',
  'limits.cpu': '--limit-cpu',
  'limits.mem': '--limit-mem',
  tpu_accelerator: '--tpu-accelerator',
  tpu_topology: '--tpu-topology',
  node_selector: '--node-selector',
  'neptune.project': '--neptune-project',
}

const profileArg = {
  type: 'positional',
  required: true,
  names: 'nonempty',
  description: 'Profile name',
  complete: PROFILE_COMPLETION,
} as const

const add = defineSuiteCommand({
  meta: {
    name: 'add',
    description: 'Add or replace an mrun profile (and make it current if it is the first)',
    examples: [
      [
        'A profile for the team namespace, with a registry and default resources',
        'kubectl mrun profile add lab -n ml-team --registry ghcr.io/team --cpu 2 --mem 8Gi --access-mode ReadWriteMany',
      ],
    ],
  },
  args: {
    name: { type: 'positional', required: true, names: 'nonempty', description: 'Profile name' },
    'kube-context': { type: 'string', description: 'Kubeconfig context to use (default: the current one)' },
    namespace: { type: 'string', alias: 'n', description: 'Namespace the runs go to' },
    project: { type: 'string', hidden: true, description: 'Same as --namespace (mrunner called it project)' },
    'storage-dir': {
      type: 'string',
      description: 'Where the storage claim is mounted (STORAGE_DIR), default /storage',
    },
    'storage-size': { type: 'string', description: 'Size of the storage claim, default 40Gi' },
    'storage-class': { type: 'string', description: 'StorageClass of the claim (default: the cluster default)' },
    'access-mode': {
      type: 'string',
      choices: ACCESS_MODES,
      description: `Access mode of the storage claim: ${ACCESS_MODES.join(' or ')}`,
    },
    'storage-access-mode': { type: 'string', hidden: true, description: 'Same as --access-mode' },
    registry: { type: 'string', description: 'Registry and repository prefix images are pushed to, e.g. ghcr.io/team' },
    builder: {
      type: 'string',
      choices: BUILDERS,
      description: `How images are built: ${BUILDERS.join(', ')} (default docker)`,
    },
    'kaniko-image': { type: 'string', description: 'Image of the in-cluster builder' },
    'registry-auth-file': { type: 'string', description: 'docker config.json with the registry credentials' },
    'image-pull-secret': { type: 'string', description: 'An existing pull Secret to use instead of mrun-registry' },
    cpu: { type: 'string', description: 'Default CPU request per pod (and limit, unless --limit-cpu)' },
    mem: { type: 'string', description: 'Default memory request per pod (and limit, unless --limit-mem)' },
    gpu: { type: 'string', description: 'Default GPUs per pod' },
    tpu: { type: 'string', description: 'Default TPU chips per pod' },
    'limit-cpu': { type: 'string', description: 'Default CPU limit per pod, when it differs from the request' },
    'limit-mem': { type: 'string', description: 'Default memory limit per pod, when it differs from the request' },
    'tpu-accelerator': { type: 'string', description: 'cloud.google.com/gke-tpu-accelerator node selector' },
    'tpu-topology': { type: 'string', description: 'cloud.google.com/gke-tpu-topology node selector' },
    'node-selector': { type: 'string', multiple: true, description: 'key=value node selector; repeat for more' },
    'neptune-project': {
      type: 'string',
      description: 'Neptune project (the token comes from NEPTUNE_API_TOKEN at run time)',
    },
  },
  run: (ctx) => {
    const { args, io, log } = ctx
    const loaded = loadProfiles(io.env, (line) => io.err.write(`${line}\n`))
    const nodeSelector: Record<string, string> = {}
    for (const pair of args.nodeSelector) {
      const eq = pair.indexOf('=')
      if (eq <= 0) throw usageError(`--node-selector "${pair}" is not key=value`)
      nodeSelector[pair.slice(0, eq)] = pair.slice(eq + 1)
    }
    const pick = <T extends Record<string, string | undefined>>(values: T): Partial<T> =>
      Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>
    const resources = pick({ cpu: args.cpu, mem: args.mem, gpu: args.gpu, tpu: args.tpu })
    const limits = pick({ cpu: args.limitCpu, mem: args.limitMem })
    const profile: Record<string, unknown> = {
      ...pick({
        kube_context: args.kubeContext,
        namespace: args.namespace ?? args.project,
        storage_dir: args.storageDir,
        storage_size: args.storageSize,
        storage_class: args.storageClass,
        storage_access_mode: args.accessMode ?? args.storageAccessMode,
        registry: args.registry,
        builder: args.builder,
        kaniko_image: args.kanikoImage,
        registry_auth_file: args.registryAuthFile,
        image_pull_secret: args.imagePullSecret,
        tpu_accelerator: args.tpuAccelerator,
        tpu_topology: args.tpuTopology,
      }),
      ...(Object.keys(resources).length === 0 ? {} : { resources }),
      ...(Object.keys(limits).length === 0 ? {} : { limits }),
      ...(Object.keys(nodeSelector).length === 0 ? {} : { node_selector: nodeSelector }),
      ...(args.neptuneProject === undefined ? {} : { neptune: { project: args.neptuneProject } }),
    }
    // The flags go through the file's schema: what add accepts, a later read accepts too.
    const problems = profileProblems(args.name, profile)
    if (problems.length > 0) {
      const lines = problems.map((p) => {
        const field = p.path.replace(`profiles.${args.name}.`, '')
        // A resource value's problem starts with its key: `cpu "-1" must be more than 0`.
        const value = /^(cpu|mem|gpu|tpu) (.*)$/.exec(p.message)
        if ((field === 'resources' || field === 'limits') && value !== null)
          return `${field === 'limits' ? '--limit-' : '--'}${value[1]} ${value[2]}`
        return `${FLAG_OF[field] ?? field} ${p.message}`
      })
      throw new SuiteError('usage', lines.join('\n'))
    }
    const { file, path } = loaded
    const replaced = file.profiles[args.name] !== undefined
    file.profiles[args.name] = profile as MrunContext
    file.current_profile ??= args.name
    saveProfiles(path, file)
    log.info(`${replaced ? 'replaced' : 'added'} profile "${args.name}" in ${path}`)
    io.out.write(`profile/${args.name} ${replaced ? 'configured' : 'created'}\n`)
  },
})

const list = defineSuiteCommand({
  meta: { name: 'list', description: 'The mrun profiles; * marks the current one', alias: ['ls'] },
  args: { ...outputArgs(FORMATS) },
  run: ({ args, io }) => {
    const format = parseOutputFormat(args.output, FORMATS, args)
    const { file } = loadProfiles(io.env, (line) => io.err.write(`${line}\n`))
    if (Object.keys(file.profiles).length === 0 && !printsDocument(format)) {
      io.err.write('No mrun profiles; add one with kubectl mrun profile add NAME, or profile import\n')
      return
    }
    printView(io, renderProfiles(file), format, { noHeaders: args.noHeaders === true })
  },
})

function requireProfile(name: string, path: string, known: string[]): never {
  throw new SuiteError('not-found', `mrun profile "${name}" is not defined in ${path}`, {
    hint:
      known.length === 0 ? 'add one with kubectl mrun profile add NAME' : `known profiles: ${known.sort().join(', ')}`,
  })
}

const use = defineSuiteCommand({
  meta: { name: 'use', description: 'Make a profile the current one' },
  args: { name: profileArg },
  run: ({ args, io }) => {
    const { file, path } = loadProfiles(io.env, (line) => io.err.write(`${line}\n`))
    if (file.profiles[args.name] === undefined) requireProfile(args.name, path, Object.keys(file.profiles))
    file.current_profile = args.name
    saveProfiles(path, file)
    io.out.write(`Switched to mrun profile "${args.name}".\n`)
  },
})

const remove = defineSuiteCommand({
  meta: { name: 'remove', description: 'Remove a profile (nothing in the cluster changes)', alias: ['rm', 'delete'] },
  args: { name: profileArg },
  run: ({ args, io }) => {
    const { file, path } = loadProfiles(io.env, (line) => io.err.write(`${line}\n`))
    if (file.profiles[args.name] === undefined) requireProfile(args.name, path, Object.keys(file.profiles))
    delete file.profiles[args.name]
    if (file.current_profile === args.name) delete file.current_profile
    saveProfiles(path, file)
    io.out.write(`profile/${args.name} deleted\n`)
  },
})

const importCommand = defineSuiteCommand({
  meta: {
    name: 'import',
    description: "Make profiles of mrunner's contexts (default ~/.config/mrunner/config.yaml)",
  },
  args: {
    file: { type: 'positional', required: false, valueHint: 'path', description: 'mrunner config.yaml' },
    overwrite: { type: 'boolean', description: 'Replace mrun profiles of the same name' },
  },
  run: ({ args, io, log }) => {
    // mrunner's own rule (click.get_app_dir on Linux): $XDG_CONFIG_HOME/mrunner, else ~/.config/mrunner.
    const source = args.file ?? mrunnerConfigPath(io.env)
    const mrunner = readMrunnerConfig(source)
    const loaded = loadProfiles(io.env, (line) => io.err.write(`${line}\n`))
    const { file, path } = loaded
    let imported = 0
    for (const entry of mrunner.contexts) {
      const converted = convertMrunnerContext(entry)
      if ('skip' in converted) {
        log.warn(`skipped ${converted.skip}`)
        continue
      }
      const problems = profileProblems(converted.name, converted.context)
      if (problems.length > 0) {
        log.warn(
          `skipped context "${converted.name}": ${problems.map((p) => `${p.path.replace(/^profiles\.[^.]*\./, '')} ${p.message}`).join('; ')}`,
        )
        continue
      }
      if (file.profiles[converted.name] !== undefined && args.overwrite !== true) {
        log.warn(`skipped context "${converted.name}": profile "${converted.name}" exists (--overwrite replaces it)`)
        continue
      }
      file.profiles[converted.name] = converted.context
      io.out.write(`profile/${converted.name} imported\n`)
      imported++
    }
    if (file.current_profile === undefined && mrunner.current !== undefined && file.profiles[mrunner.current])
      file.current_profile = mrunner.current
    if (imported > 0) saveProfiles(path, file)
    if (imported === 0) io.err.write(`no contexts imported from ${source}\n`)
  },
})

export default defineSuiteCommand({
  meta: { name: 'profile', description: 'Manage mrun profiles: add, list, use, remove, import' },
  default: 'list',
  subCommands: { add, list, use, remove, import: importCommand },
})
