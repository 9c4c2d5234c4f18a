#!/usr/bin/env node
/**
 * Run by `npm test` before vitest: every program the tests start for real must be on this machine. A missing one
 * would otherwise surface as a stack trace deep inside a test's setup; here it is one line that names the program,
 * the tests that need it and the command that installs it (the same one .ci/run runs), and the run fails.
 */
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

export interface Prerequisite {
  /** The executable looked up on PATH, or an absolute path. */
  program: string
  /** Which tests need it. */
  neededBy: string
  /** How to install it. */
  install: string
}

export const PREREQUISITES: readonly Prerequisite[] = [
  { program: 'kubectl', neededBy: 'the end-to-end tests (real kubectl plugin dispatch)', install: 'install kubectl' },
  {
    program: 'openssl',
    neededBy: 'the simulated cluster (its certificate authority)',
    install: 'apt-get install openssl',
  },
  {
    program: '/usr/sbin/sshd',
    neededBy: 'the SSH tunnel tests (a real sshd on loopback)',
    install: 'apt-get install openssh-server openssh-client',
  },
  { program: 'ssh-keygen', neededBy: 'the SSH tunnel tests', install: 'apt-get install openssh-client' },
  {
    program: 'bwrap',
    neededBy: 'the simulated cluster (every pod runs real processes in a bubblewrap sandbox)',
    install: 'apt-get install bubblewrap',
  },
  {
    program: '/bin/busybox',
    neededBy: 'the simulated cluster (busybox and alpine images run Debian busybox-static)',
    install: 'apt-get install busybox-static',
  },
]

function onPath(program: string, path: string): boolean {
  const candidates = program.includes('/') ? [program] : path.split(delimiter).map((dir) => join(dir, program))
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/** The prerequisites this machine lacks. */
export function missingPrerequisites(
  prerequisites: readonly Prerequisite[] = PREREQUISITES,
  path: string = process.env.PATH ?? '',
): Prerequisite[] {
  return prerequisites.filter((p) => !onPath(p.program, path))
}

if (import.meta.main) {
  const missing = missingPrerequisites()
  for (const p of missing)
    process.stderr.write(
      `error: ${p.program} is not installed, and ${p.neededBy} cannot run without it: ${p.install} (.ci/run does)\n`,
    )
  process.exitCode = missing.length === 0 ? 0 : 1
}
