import { existsSync, readFileSync } from 'node:fs'
import type { V1Secret } from '@kubernetes/client-node'
import { kubeArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { printView } from '../../../shared/output/index.ts'
import { parseYamlQuietly } from '../../../shared/yaml.ts'
import { getSecret } from '../collect.ts'
import { isRecord } from '../decode.ts'
import { diffValues, newHashKey, secretValues } from '../model.ts'
import { renderDiff } from '../render.ts'
import { secretOutputArg, templateOutput } from './_shared.ts'

const FORMATS = ['json', 'yaml', 'name'] as const

/** A Secret manifest from a file: YAML or JSON, `data` (strict base64) and/or `stringData`. */
export function secretFromManifest(text: string, path: string): V1Secret {
  let parsed: unknown
  try {
    parsed = parseYamlQuietly(text)
  } catch (error) {
    // Line and column only: the yaml library's own message quotes the source line, which may hold a secret value.
    throw new SuiteError('invalid', `${path} is not YAML or JSON: ${(error as Error).message}`, {
      hint: 'give a Secret manifest',
    })
  }
  if (!isRecord(parsed) || parsed.kind !== 'Secret')
    throw new SuiteError(
      'invalid',
      `${path} is not a Secret manifest (kind: ${isRecord(parsed) ? String(parsed.kind) : 'none'})`,
      {
        hint: 'give a file with kind: Secret, as kubectl get secret NAME -o yaml writes',
      },
    )
  return parsed as V1Secret
}

export default defineSuiteCommand({
  meta: {
    examples: [
      [
        'Keys added, removed or changed against a manifest',
        'kubectl secretview diff db-credentials secret.yaml -n ml-team',
      ],
      ['Two live secrets compared', 'kubectl secretview diff basic-login db-credentials -n ml-team'],
    ],
    name: 'diff',
    description:
      'Which keys were added, removed or changed between a secret and a manifest file or another secret; fingerprints with --show-hashes, values only with --reveal; exits 10 when they differ',
  },
  args: {
    name: {
      type: 'positional',
      required: false,
      names: 'object',
      neededByCommand: true,
      description: 'The live secret',
      complete: { plural: 'secrets', namespaced: true },
    },
    other: {
      type: 'positional',
      required: false,
      names: 'nonempty',
      neededByCommand: true,
      usageName: '(FILE | OTHER)',
      description: 'A Secret manifest file, or the name of another secret',
    },
    reveal: { type: 'boolean', description: 'Show the values that differ' },
    'show-hashes': {
      type: 'boolean',
      description:
        'Show a fingerprint of each value (HMAC-SHA256 under a random key made for this run: equal values match within one run, values cannot be looked up)',
    },
    all: { type: 'boolean', description: 'Also list the keys that are the same' },
    ...secretOutputArg(FORMATS),
    ...kubeArgs,
  },
  run: async ({ args, io, kube, signal }) => {
    const { name, other } = args
    if (name === undefined || other === undefined)
      throw new SuiteError('usage', 'diff needs a secret NAME and a FILE or a second secret NAME', {
        hint: 'e.g. kubectl secretview diff db secret.yaml',
      })
    const isFile = existsSync(other) || /[/\\]|\.(ya?ml|json)$/i.test(other)
    const rightSecret = isFile ? secretFromManifest(readSourceFile(other), other) : undefined
    const right = rightSecret === undefined ? undefined : secretValues(rightSecret)
    if (right !== undefined && right.undecodable.length > 0)
      throw new SuiteError('invalid', `${other}: key "${right.undecodable[0]}" is not valid base64 in data`, {
        hint: 'fix the value, or put the plain text under stringData',
      })
    const cluster = await kube()
    const namespace = args.namespace ?? cluster.namespace
    const left = secretValues(await getSecret(cluster, namespace, name, signal))
    const rightValues = right?.values ?? secretValues(await getSecret(cluster, namespace, other, signal)).values
    const changes = diffValues(left.values, rightValues)
    const differing = changes.filter((c) => c.change !== 'unchanged')
    const plain =
      args.output === 'json' ? 'json' : args.output === 'yaml' ? 'yaml' : args.output === 'name' ? 'name' : 'table'
    const format = templateOutput(args.output, FORMATS) ?? plain
    printView(
      io,
      renderDiff(changes, {
        reveal: args.reveal === true,
        showUnchanged: args.all === true,
        hashKey: args.showHashes === true ? newHashKey() : undefined,
      }),
      format,
      {
        noHeaders: args.noHeaders === true,
      },
    )
    if (differing.length === 0) {
      io.err.write(`secret/${name} and ${other}: the same ${changes.length} key${changes.length === 1 ? '' : 's'}\n`)
      return
    }
    throw new SuiteError(
      'found',
      `${differing.length} of ${changes.length} keys differ between secret/${name} and ${other}`,
      {
        hint: 'the exit code is 10 while they differ, as diff(1) exits 1',
      },
    )
  },
})

function readSourceFile(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new SuiteError(
      'usage',
      `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}`,
      {
        hint: 'check the path, or give the name of a second secret',
      },
    )
  }
}
