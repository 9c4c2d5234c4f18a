import type { Io } from './cli/io.ts'
import { formatBytes } from './output/humanize.ts'

/**
 * Bytes-and-rate progress for long transfers, on stderr and only when stderr is a terminal (pipes and CI logs
 * stay clean). cli-progress draws it; loaded only when a bar is shown.
 */
export interface Progress {
  /** Sets the total once known (a bar with a percentage), else bytes and rate only. */
  total(bytes: number): void
  add(bytes: number): void
  stop(): void
}

const NONE: Progress = { total: () => undefined, add: () => undefined, stop: () => undefined }

export async function startProgress(io: Io, label: string): Promise<Progress> {
  if (!io.errIsTTY) return NONE
  const { SingleBar } = await import('cli-progress')
  const started = Date.now()
  let done = 0
  let known = 0
  const bar = new SingleBar({
    stream: io.err as NodeJS.WriteStream,
    hideCursor: true,
    clearOnComplete: false,
    barsize: 30,
    format: (options, params) => {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001)
      const rate = `${formatBytes(done / seconds)}/s`
      const filled = known > 0 ? Math.round((params.progress ?? 0) * (options.barsize ?? 30)) : 0
      const barText =
        known > 0
          ? `${'█'.repeat(filled)}${'░'.repeat((options.barsize ?? 30) - filled)} ${Math.floor((params.progress ?? 0) * 100)}% `
          : ''
      return `${label} ${barText}${formatBytes(done)}${known > 0 ? ` of ${formatBytes(known)}` : ''}  ${rate}`
    },
  })
  bar.start(1, 0)
  return {
    total(bytes) {
      known = bytes
      bar.setTotal(Math.max(bytes, 1))
    },
    add(bytes) {
      done += bytes
      bar.update(known > 0 ? Math.min(done, known) : 0)
    },
    stop() {
      bar.update(known > 0 ? known : 0)
      bar.stop()
    },
  }
}
