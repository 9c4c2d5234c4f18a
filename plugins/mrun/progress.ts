import { createSpinner } from 'nanospinner'
import type { Io } from '../../shared/cli/io.ts'

/** A spinner on stderr while we wait, only when a person is watching (stderr is a terminal); silent in pipes and CI. */
export interface Progress {
  update(text: string): void
  stop(): void
}

export function progress(io: Pick<Io, 'err' | 'errIsTTY'>, text: string): Progress {
  // errIsTTY means io.err is the process's stderr, a tty WriteStream, which is what nanospinner draws on. A terminal
  // that reports no width (some pty wrappers) gets no spinner: nanospinner's line count needs one.
  const stream = io.err as NodeJS.WriteStream
  if (!io.errIsTTY || !((stream.columns ?? 0) > 0)) return { update: () => undefined, stop: () => undefined }
  const spinner = createSpinner(text, { stream }).start()
  return {
    update: (next) => {
      spinner.update({ text: next })
    },
    stop: () => {
      spinner.clear()
      spinner.stop()
    },
  }
}
