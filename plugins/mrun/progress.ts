import { createSpinner } from 'nanospinner'
import type { Io } from '../../shared/cli/io.ts'

/** A spinner on stderr while we wait, only when a person is watching (stderr is a terminal); silent in pipes and CI. */
export interface Progress {
  update(text: string): void
  stop(): void
}

export function progress(io: Pick<Io, 'err' | 'errIsTTY'>, text: string): Progress {
  if (!io.errIsTTY) return { update: () => undefined, stop: () => undefined }
  // errIsTTY means io.err is the process's stderr, a tty WriteStream, which is what nanospinner draws on.
  const spinner = createSpinner(text, { stream: io.err as NodeJS.WriteStream }).start()
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
