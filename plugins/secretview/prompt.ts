import type { V1Secret } from '@kubernetes/client-node'
import type { Io } from '../../shared/cli/io.ts'
import { SuiteError } from '../../shared/errors.ts'
import type { SecretView } from './model.ts'

/**
 * Interactive choices through @clack/prompts, on the command's own streams, and only ever called when stdin and
 * stderr are terminals. Loaded lazily so scripted runs never pay for the prompt library.
 */
async function clack(): Promise<typeof import('@clack/prompts')> {
  return import('@clack/prompts')
}

function cancelled(): SuiteError {
  return new SuiteError('interrupted', 'cancelled')
}

export async function pickSecret(secrets: readonly V1Secret[], io: Io): Promise<V1Secret> {
  const { select, isCancel } = await clack()
  const choice = await select({
    message: 'Secret',
    options: secrets.map((s) => ({
      value: s.metadata?.name ?? '',
      label: s.metadata?.name ?? '',
      hint: `${s.type ?? 'Opaque'}, ${Object.keys(s.data ?? {}).length} keys`,
    })),
    ...(io.stdin === undefined ? {} : { input: io.stdin }),
    output: io.err,
  })
  if (isCancel(choice)) throw cancelled()
  const picked = secrets.find((s) => s.metadata?.name === choice)
  if (picked === undefined) throw cancelled()
  return picked
}

/** undefined = every key (the masked table). */
export async function pickKey(view: SecretView, io: Io): Promise<string | undefined> {
  if (view.keys.length === 0) return undefined
  const { select, isCancel } = await clack()
  const ALL = '\u0000all'
  const choice = await select({
    message: 'Key',
    options: [
      { value: ALL, label: 'all keys (masked)' },
      ...view.keys.map((k) => ({ value: k.key, label: k.key, hint: `${k.kind}, ${k.size} bytes` })),
    ],
    ...(io.stdin === undefined ? {} : { input: io.stdin }),
    output: io.err,
  })
  if (isCancel(choice)) throw cancelled()
  return choice === ALL ? undefined : choice
}

/** A value typed without echo, so it never lands on screen or in shell history. */
export async function promptValue(key: string, io: Io): Promise<string> {
  const { password, isCancel } = await clack()
  const value = await password({
    message: `Value for ${key}`,
    ...(io.stdin === undefined ? {} : { input: io.stdin }),
    output: io.err,
  })
  if (isCancel(value)) throw cancelled()
  return value
}
