import type { SuiteArgsDef } from '../cli/args.ts'
import type { Io } from '../cli/io.ts'
import type { Logger } from '../cli/log.ts'
import { formatBytes } from '../output/humanize.ts'
import { startProgress } from '../progress.ts'
import type { TransferOptions, TransferResult } from './transfer.ts'

/** Flags every command that moves a claim's files takes (pvclaim download/upload, mrun fetch). */
export const transferArgs = {
  image: {
    type: 'string',
    description: 'Image of the helper pod when no running pod mounts the claim (default busybox:1.36; needs tar)',
  },
  verify: {
    type: 'boolean',
    description: 'Also compare the sha256 of every file on both sides (count and bytes are always compared)',
  },
  overwrite: { type: 'boolean', description: 'Replace files and folders that already exist at the destination' },
} as const satisfies SuiteArgsDef

/** The options {@link transferArgs} set, from the parsed flags. */
export function transferFlags(args: {
  image?: string | undefined
  verify?: boolean | undefined
  overwrite?: boolean | undefined
}): Pick<TransferOptions, 'image' | 'verify' | 'overwrite'> {
  return { image: args.image, verify: args.verify === true, overwrite: args.overwrite === true }
}

/** Runs a transfer with a progress bar on a terminal and one summary line on stderr. */
export async function transferWithProgress(
  io: Io,
  log: Logger,
  label: string,
  options: Omit<TransferOptions, 'onBytes' | 'onTotal' | 'log' | 'warn'>,
  run: (options: TransferOptions) => Promise<TransferResult>,
): Promise<TransferResult> {
  const progress = await startProgress(io, label)
  const started = Date.now()
  try {
    const result = await run({
      ...options,
      onBytes: (bytes) => progress.add(bytes),
      onTotal: (bytes) => progress.total(bytes),
      log: (message) => log.info(message),
      warn: (message) => log.warn(message),
    })
    progress.stop()
    const seconds = Math.max((Date.now() - started) / 1000, 0.001)
    io.err.write(
      `${result.files} file${result.files === 1 ? '' : 's'}, ${formatBytes(result.bytes)} in ${seconds.toFixed(1)}s (${formatBytes(result.bytes / seconds)}/s) → ${result.destination}; verified by ${result.verified === 'sha256' ? 'sha256 of every file' : 'file count and size'}${result.via.helper ? `, through helper pod ${result.via.pod} (deleted)` : `, through pod ${result.via.pod}`}\n`,
    )
    return result
  } catch (error) {
    progress.stop()
    throw error
  }
}
