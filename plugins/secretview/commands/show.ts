import { dirname, join, resolve } from 'node:path'
import { type CompletionSource, kubeArgs, namespaceArgs, selectorArgs } from '../../../shared/cli/args.ts'
import type { Io } from '../../../shared/cli/io.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { writeFilesAtomic } from '../../../shared/files.ts'
import { noResourcesMessage, printView, renderDocument, renderJson, renderYaml } from '../../../shared/output/index.ts'
import { getSecret, listSecrets } from '../collect.ts'
import { isPrintableText } from '../decode.ts'
import { analyzeSecret, keyList, type SecretView, secretProblems } from '../model.ts'
import { pickKey, pickSecret } from '../prompt.ts'
import { decodedSecretDocument, renderEnv, renderSecretList, renderSecretText } from '../render.ts'
import { secretOutputArg, templateOutput } from './_shared.ts'

/** Shell completion of KEY: the keys of the secret NAME typed before it (names only, never values). */
const SECRET_KEYS: CompletionSource = {
  plural: 'secrets',
  namespaced: true,
  names: async ({ kube, namespace, positionals }) => {
    const name = positionals[0]
    if (name === undefined) return []
    const secret = await getSecret(kube, namespace, name)
    return [...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})]
  },
}

const FORMATS = ['json', 'yaml', 'env', 'dotenv', 'file', 'name', 'wide'] as const

function documentOf(views: readonly SecretView[], single: boolean): unknown {
  if (single && views[0] !== undefined) return decodedSecretDocument(views[0])
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: views.map(decodedSecretDocument) }
}

/**
 * A key as a file name inside --dir: never empty, never '.' or '..', no '/' or NUL, so a key can only name a file
 * in that folder (not the folder itself, nor anything outside it).
 */
function keyFileProblem(key: string): string | undefined {
  if (key === '') return 'an empty key cannot be a file name'
  if (key === '.' || key === '..' || key.includes('/') || key.includes('\0'))
    return `key ${JSON.stringify(key)} cannot be a file name`
  return undefined
}

/**
 * `-o file`: each value into DIR/<key>, mode 0600, all keys or none: every name is checked and every file written
 * before any takes its name (writeFilesAtomic), so a failure leaves no decoded file of this run behind.
 */
function writeKeyFiles(
  views: readonly SecretView[],
  keys: string[] | undefined,
  dir: string,
  overwrite: boolean,
  io: Io,
): void {
  const files: { path: string; bytes: Uint8Array; size: number }[] = []
  const folder = resolve(dir)
  for (const view of views) {
    for (const key of view.keys) {
      if (keys !== undefined && !keys.includes(key.key)) continue
      const problem = keyFileProblem(key.key)
      if (problem !== undefined)
        throw new SuiteError('invalid', `secret "${view.name}": ${problem}; no file was written`, {
          hint: 'read it with KEY to stdout instead',
        })
      const path = join(dir, views.length > 1 ? `${view.name}.${key.key}` : key.key)
      // Defence in depth: the name checks above already keep every path directly inside the folder.
      if (dirname(resolve(path)) !== folder)
        throw new SuiteError('internal', `refusing to write ${path}: it is not inside ${dir}`)
      files.push({ path, bytes: key.bytes, size: key.size })
    }
  }
  writeFilesAtomic(files, { mode: 0o600, overwrite })
  for (const file of files) io.err.write(`wrote ${file.path} (${file.size} bytes, mode 0600)\n`)
}

export default defineSuiteCommand({
  meta: {
    examples: [
      ["A secret's keys with summaries, values masked", 'kubectl secretview db-credentials -n ml-team'],
      ["One key's value, byte for byte", 'kubectl secretview db-credentials password -n ml-team'],
      ['Every secret of the namespace', 'kubectl secretview -n ml-team --all'],
    ],
    name: 'show',
    description:
      'A secret’s type, age and keys with sizes and type-aware summaries, values masked; KEY prints one value raw',
  },
  args: {
    name: {
      type: 'positional',
      required: false,
      names: 'object',
      description: 'Secret name (picked interactively on a terminal when left out)',
      complete: { plural: 'secrets', namespaced: true },
    },
    key: {
      type: 'positional',
      required: false,
      description: 'Print only this key’s decoded value, byte for byte',
      complete: SECRET_KEYS,
    },
    all: { type: 'boolean', description: 'Every secret of the namespace (-A: of every namespace)' },
    reveal: { type: 'boolean', description: 'Show the values in the table (they are masked by default)' },
    dir: { type: 'string', description: 'Folder for -o file (default: the current folder)' },
    overwrite: { type: 'boolean', description: 'With -o file, replace files that exist' },
    quiet: { type: 'boolean', alias: 'q', description: 'No note on stderr when printing one value' },
    ...selectorArgs,
    ...namespaceArgs,
    ...secretOutputArg(FORMATS),
    ...kubeArgs,
  },
  run: async ({ args, io, log, kube, signal }) => {
    const output = args.output
    const template = templateOutput(output, FORMATS)
    if (args.key !== undefined && args.all === true)
      throw new SuiteError('usage', 'a KEY cannot be combined with --all', {
        hint: 'name one secret: kubectl secretview NAME KEY',
      })
    // NAME picks one secret, --all (and -A) every one: together they contradict, and dropping either silently would
    // show something other than what was asked for. (kubectl-view-secret's --all decodes every key of NAME; here
    // that is what NAME alone already does.)
    if (args.name !== undefined && (args.all === true || args.allNamespaces === true))
      throw new SuiteError('usage', `a secret NAME ("${args.name}") cannot be combined with --all or -A`, {
        hint: `drop --all to see every key of ${args.name}, or drop the NAME to list every secret`,
      })
    const cluster = await kube()
    const everywhere = args.allNamespaces === true
    const namespace = args.namespace ?? cluster.namespace
    const now = io.now()

    const selecting = args.selector !== undefined || args.fieldSelector !== undefined
    if (args.all === true || everywhere || (args.name === undefined && selecting)) {
      const secrets = await listSecrets(cluster, {
        namespace: everywhere ? undefined : namespace,
        labelSelector: args.selector,
        fieldSelector: args.fieldSelector,
        signal,
      })
      const views = secrets.map((s) => analyzeSecret(s, now))
      if (template !== undefined && template.kind === 'jsonpath') {
        io.out.write(renderDocument(documentOf(views, false), template))
        return
      }
      if (output === 'json' || output === 'yaml') {
        io.out.write(output === 'json' ? renderJson(documentOf(views, false)) : renderYaml(documentOf(views, false)))
        return
      }
      if (views.length === 0) {
        io.err.write(`${noResourcesMessage(everywhere ? undefined : namespace)}\n`)
        return
      }
      if (template !== undefined) {
        io.out.write(renderDocument(documentOf(views, false), template))
        return
      }
      if (output === 'env' || output === 'dotenv') {
        const { text, skipped } = renderEnv(views, output)
        io.out.write(text)
        if (skipped.length > 0) log.warn(`left out, not usable as environment variables: ${skipped.join(', ')}`)
        return
      }
      if (output === 'file') return writeKeyFiles(views, undefined, args.dir ?? '.', args.overwrite === true, io)
      if (args.reveal === true) {
        io.out.write(views.map((v) => renderSecretText(v, { now, reveal: true })).join('\n'))
        return
      }
      const format = output === 'name' ? 'name' : output === 'wide' ? 'wide' : 'table'
      printView(io, renderSecretList(views, { now, showNamespace: everywhere }), format, {
        noHeaders: args.noHeaders === true,
      })
      return
    }

    let name = args.name
    let key = args.key
    if (name === undefined) {
      // Never prompt without a person at the keyboard: a script gets an error it can act on instead of a hang.
      if (!io.inIsTTY || !io.errIsTTY)
        throw new SuiteError('usage', 'secretview needs a secret NAME (or --all)', {
          hint: 'e.g. kubectl secretview db-credentials, or kubectl secretview --all to list them',
        })
      const secrets = await listSecrets(cluster, { namespace, signal })
      if (secrets.length === 0)
        throw new SuiteError('not-found', `there are no secrets in namespace "${namespace}"`, {
          hint: 'pick another namespace with -n',
        })
      const picked = await pickSecret(secrets, io)
      name = picked.metadata?.name ?? ''
      key = await pickKey(analyzeSecret(picked, now), io)
    }
    const view = analyzeSecret(await getSecret(cluster, namespace, name, signal), now)

    if (key !== undefined) {
      const found = view.keys.find((k) => k.key === key)
      if (found === undefined)
        throw new SuiteError('not-found', `secret "${view.name}" has no key "${key}"`, {
          hint: `its keys are: ${keyList(view)}`,
        })
      if (output === 'file') return writeKeyFiles([view], [key], args.dir ?? '.', args.overwrite === true, io)
      if (output !== undefined)
        throw new SuiteError('usage', `-o ${output} does not apply to one KEY`, {
          hint: 'leave -o out to print the raw value, or use -o file',
        })
      if (io.outIsTTY && !isPrintableText(found.bytes))
        throw new SuiteError('usage', `key "${key}" is binary (${found.size} bytes) and stdout is a terminal`, {
          hint: `pipe it (kubectl secretview ${view.name} ${key} > file) or write it with -o file`,
        })
      // Raw, byte for byte: no added newline, so `$(kubectl secretview s k)` and pipes get exactly the value.
      io.out.write(found.bytes)
      if (io.outIsTTY && args.quiet !== true && !found.bytes.toString('utf8').endsWith('\n')) io.err.write('\n')
      return
    }

    if (template !== undefined) {
      io.out.write(renderDocument(documentOf([view], true), template))
    } else if (output === 'json' || output === 'yaml') {
      io.out.write(output === 'json' ? renderJson(documentOf([view], true)) : renderYaml(documentOf([view], true)))
    } else if (output === 'env' || output === 'dotenv') {
      const { text, skipped } = renderEnv([view], output)
      io.out.write(text)
      if (skipped.length > 0) log.warn(`left out, not usable as environment variables: ${skipped.join(', ')}`)
    } else if (output === 'file') {
      writeKeyFiles([view], undefined, args.dir ?? '.', args.overwrite === true, io)
    } else if (output === 'name') {
      io.out.write(`secret/${view.name}\n`)
    } else {
      io.out.write(renderSecretText(view, { now, reveal: args.reveal === true }))
    }
    const problems = secretProblems(view)
    if (problems.length > 0)
      throw new SuiteError(
        'invalid',
        `secret "${view.name}" ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
        {
          hint: problems[0]?.includes('over the cap')
            ? 'the value is larger than secretview reads; its keys and sizes are shown above'
            : 'the value does not read as its type says; fix it with kubectl secretview create --overwrite',
        },
      )
  },
})
