import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { V1Secret } from '@kubernetes/client-node'
import { dryRunArgs, dryRunMode, kubeArgs } from '../../../shared/cli/args.ts'
import type { Io } from '../../../shared/cli/io.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { isDnsSubdomain } from '../../../shared/names.ts'
import { renderDocument, renderJson, renderYaml } from '../../../shared/output/index.ts'
import { findSecret, writeSecret } from '../collect.ts'
import { diffValues, secretValues } from '../model.ts'
import { promptValue } from '../prompt.ts'
import { secretOutputArg, templateOutput } from './_shared.ts'

const FORMATS = ['json', 'yaml', 'name'] as const

// The apiserver's rule for data keys (IsConfigMapKey).
const VALID_KEY = /^[-._a-zA-Z0-9]+$/

const TYPE_ALIASES: Record<string, string> = {
  generic: 'Opaque',
  opaque: 'Opaque',
  tls: 'kubernetes.io/tls',
  'docker-registry': 'kubernetes.io/dockerconfigjson',
  'basic-auth': 'kubernetes.io/basic-auth',
  'ssh-auth': 'kubernetes.io/ssh-auth',
}

// Keys the apiserver insists on for typed secrets; checked here so a bad create fails before anything is sent.
const REQUIRED_KEYS: Record<string, string[][]> = {
  'kubernetes.io/tls': [['tls.crt'], ['tls.key']],
  'kubernetes.io/dockerconfigjson': [['.dockerconfigjson']],
  'kubernetes.io/dockercfg': [['.dockercfg']],
  'kubernetes.io/basic-auth': [['username', 'password']],
  'kubernetes.io/ssh-auth': [['ssh-privatekey']],
}

function checkedKey(key: string, from: string): string {
  if (!VALID_KEY.test(key) || key === '.' || key === '..')
    throw new SuiteError('usage', `invalid key "${key}" from ${from}`, {
      hint: "a key may hold only letters, digits, '-', '_' and '.'",
    })
  return key
}

function readSource(path: string, flag: string): Buffer {
  try {
    return readFileSync(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new SuiteError(
      'usage',
      `cannot read ${path} given to ${flag}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}`,
      {
        hint: 'check the path',
      },
    )
  }
}

/** kubectl's env-file format: KEY=VALUE lines, # comments and blank lines skipped, values taken literally. */
export function parseEnvFile(text: string, path: string): [string, Buffer][] {
  const entries: [string, Buffer][] = []
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/^\s+/, '')
    if (line === '' || line.startsWith('#')) continue
    const equals = line.indexOf('=')
    if (equals <= 0)
      throw new SuiteError('usage', `${path} line ${index + 1} is not KEY=VALUE`, {
        hint: 'write one KEY=VALUE per line',
      })
    entries.push([
      checkedKey(line.slice(0, equals), `${path} line ${index + 1}`),
      Buffer.from(line.slice(equals + 1), 'utf8'),
    ])
  }
  return entries
}

async function readAllStdin(io: Io): Promise<Buffer> {
  const chunks: Buffer[] = []
  if (io.stdin === undefined) return Buffer.alloc(0)
  for await (const chunk of io.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))
  return Buffer.concat(chunks)
}

export default defineSuiteCommand({
  meta: {
    examples: [
      [
        'Create a secret, asking for the value without echo',
        'kubectl secretview create api-key -n ml-team --prompt token',
      ],
      [
        'See what would be created, sending nothing',
        'kubectl secretview create api-key -n ml-team --from-literal token=abc --dry-run=client -o yaml',
      ],
    ],
    name: 'create',
    description:
      'Create a secret from literals, files, env files or values typed without echo; --overwrite shows which keys change',
  },
  args: {
    name: {
      type: 'positional',
      required: false,
      names: 'object',
      neededByCommand: true,
      description: 'Name of the secret',
    },
    'from-literal': {
      type: 'string',
      multiple: true,
      description: 'KEY=VALUE (lands in shell history: prefer --prompt)',
    },
    'from-file': {
      type: 'string',
      multiple: true,
      description: '[KEY=]PATH: a file (key = its name) or every file of a folder',
    },
    'from-env-file': { type: 'string', multiple: true, description: 'A file of KEY=VALUE lines' },
    prompt: {
      type: 'string',
      multiple: true,
      description: 'KEY: type its value without echo (from stdin when not a terminal)',
    },
    type: {
      type: 'string',
      description:
        'Secret type: Opaque (default), kubernetes.io/tls, kubernetes.io/dockerconfigjson … or generic, tls, docker-registry, basic-auth, ssh-auth',
      choices: [
        'Opaque',
        'kubernetes.io/basic-auth',
        'kubernetes.io/dockerconfigjson',
        'kubernetes.io/ssh-auth',
        'kubernetes.io/tls',
        'generic',
        'tls',
        'docker-registry',
        'basic-auth',
        'ssh-auth',
      ],
    },
    ...dryRunArgs,
    overwrite: {
      type: 'boolean',
      description: 'Replace the secret if it exists (the keys that change are listed, never their values)',
    },
    ...secretOutputArg(FORMATS),
    ...kubeArgs,
  },
  run: async ({ args, io, kube }) => {
    const name = args.name
    if (name === undefined || name === '')
      throw new SuiteError('usage', 'create needs the secret NAME', {
        hint: 'e.g. kubectl secretview create db --prompt password',
      })
    if (!isDnsSubdomain(name))
      throw new SuiteError('usage', `invalid secret name "${name}"`, {
        hint: "use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
      })
    const dryRun = dryRunMode(args.dryRun)
    const type = TYPE_ALIASES[args.type ?? 'generic'] ?? args.type ?? 'Opaque'

    const values = new Map<string, Buffer>()
    const put = (key: string, value: Buffer, from: string): void => {
      if (values.has(key))
        throw new SuiteError('usage', `key "${key}" is given twice (again by ${from})`, { hint: 'give every key once' })
      values.set(checkedKey(key, from), value)
    }
    for (const literal of args.fromLiteral) {
      const equals = literal.indexOf('=')
      if (equals <= 0)
        throw new SuiteError('usage', 'invalid --from-literal: expected KEY=VALUE', {
          hint: 'e.g. --from-literal user=admin',
        })
      put(literal.slice(0, equals), Buffer.from(literal.slice(equals + 1), 'utf8'), '--from-literal')
    }
    for (const source of args.fromFile) {
      const equals = source.indexOf('=')
      const [key, path] = equals > 0 ? [source.slice(0, equals), source.slice(equals + 1)] : [undefined, source]
      let isDirectory = false
      try {
        isDirectory = statSync(path).isDirectory()
      } catch {
        // readSource reports the missing file
      }
      if (isDirectory && key === undefined) {
        for (const entry of readdirSync(path, { withFileTypes: true }))
          if (entry.isFile()) put(entry.name, readSource(join(path, entry.name), '--from-file'), `--from-file ${path}`)
      } else put(key ?? basename(path), readSource(path, '--from-file'), `--from-file ${source}`)
    }
    for (const path of args.fromEnvFile)
      for (const [key, value] of parseEnvFile(readSource(path, '--from-env-file').toString('utf8'), path))
        put(key, value, path)
    if (args.prompt.length > 1 && !io.inIsTTY)
      throw new SuiteError('usage', 'several --prompt keys need a terminal', {
        hint: 'pipe one value per command, or use --from-env-file',
      })
    for (const key of args.prompt) {
      checkedKey(key, '--prompt')
      // Not a terminal: the value is the whole of stdin, byte for byte (no trailing newline added or removed).
      const value = io.inIsTTY ? Buffer.from(await promptValue(key, io), 'utf8') : await readAllStdin(io)
      put(key, value, '--prompt')
    }
    for (const alternatives of REQUIRED_KEYS[type] ?? [])
      if (!alternatives.some((k) => values.has(k)))
        throw new SuiteError('usage', `a ${type} secret needs the key ${alternatives.join(' or ')}`, {
          hint: `add it, e.g. --from-file ${alternatives[0]}=PATH`,
        })

    const cluster = await kube()
    const namespace = args.namespace ?? cluster.namespace
    const secret: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace },
      type,
      data: Object.fromEntries([...values].map(([k, v]) => [k, v.toString('base64')])),
    }
    const printed = (object: V1Secret): void => {
      const template = templateOutput(args.output, FORMATS)
      if (template !== undefined) io.out.write(renderDocument(object, template))
      else if (args.output === 'json') io.out.write(renderJson(object))
      else if (args.output === 'yaml') io.out.write(renderYaml(object))
      else if (args.output === 'name') io.out.write(`secret/${name}\n`)
    }
    if (dryRun === 'client') {
      printed(secret)
      if (args.output === undefined) io.out.write(`secret/${name} created (dry run)\n`)
      return
    }
    const existing = await findSecret(cluster, namespace, name)
    if (existing !== undefined && args.overwrite !== true)
      throw new SuiteError('conflict', `secret "${name}" already exists in namespace "${namespace}"`, {
        hint: 'pass --overwrite to replace it (the keys that change are listed), or choose another name',
      })
    if (existing !== undefined) {
      if ((existing.type ?? 'Opaque') !== type)
        throw new SuiteError(
          'invalid',
          `secret "${name}" is of type ${existing.type ?? 'Opaque'}, and a secret's type cannot change`,
          {
            hint: `pass --type ${existing.type ?? 'Opaque'}, or delete the secret first`,
          },
        )
      const changes = diffValues(secretValues(existing).values, values).filter((c) => c.change !== 'unchanged')
      const byChange = (change: string): string[] => changes.filter((c) => c.change === change).map((c) => c.key)
      const parts = ['added', 'changed', 'removed']
        .map((c) => [c, byChange(c)] as const)
        .filter(([, keys]) => keys.length > 0)
      io.err.write(
        parts.length === 0
          ? `secret/${name}: no key changes\n`
          : `secret/${name}: ${parts.map(([c, keys]) => `${c} ${keys.join(', ')}`).join('; ')}\n`,
      )
      // Keep what others put on the object (labels, annotations, owners); the resourceVersion makes this optimistic.
      secret.metadata = { ...existing.metadata, name, namespace }
    }
    const stored = await writeSecret(cluster, secret, {
      replace: existing !== undefined,
      serverDryRun: dryRun === 'server',
    })
    printed(stored)
    if (args.output === undefined)
      io.out.write(
        `secret/${name} ${existing === undefined ? 'created' : 'replaced'}${dryRun === 'server' ? ' (server dry run)' : ''}\n`,
      )
  },
})
