import { it } from 'vitest'

/**
 * Tests that fail on today's plugin code because real tools in the simulator's pods behave differently from what the
 * plugins expect. They stay in the suite and run as `it.fails`: they pass while the defect is there, and the day a
 * fix makes one pass it fails, saying to take it off this list. Never skip or delete them; fix the plugin.
 * Keys are the full test names (describe › it), so a renamed test cannot silently leave the list.
 */
export const KNOWN_FAILURES: Readonly<Record<string, string>> = {
  'pvclaim against real busybox tools (busybox:1.36) › download keeps both names of a hard-linked file':
    'tar writes a `link` entry for the second name of a hard link and safeExtract refuses link entries, so nothing is extracted',
  'pvclaim against real busybox tools (busybox:1.36) › download skips a FIFO and brings the regular files':
    'tar writes a `fifo` entry and safeExtract refuses it instead of skipping it, so nothing is extracted',
  'pvclaim against real busybox tools (busybox:1.36) › download with --verify keeps a name with a newline':
    'the file list from `find` is split at newlines, so a name with a newline becomes two names that `stat` cannot find',
  'pvclaim against real busybox tools (busybox:1.36) › download with --verify keeps a name with a leading dash':
    'the name goes to `tar cf - -C DIR NAME` as it is, so tar reads -leading-dash.txt as options',
  'pvclaim against real busybox tools (busybox:1.36) › upload with --verify keeps a name with a newline':
    'the staged upload is listed with `find` and split at newlines, so `stat` fails on half a name',
  'pvclaim against real gnu tools (debian:12) › download keeps both names of a hard-linked file':
    'tar writes a `link` entry for the second name of a hard link and safeExtract refuses link entries, so nothing is extracted',
  'pvclaim against real gnu tools (debian:12) › download skips a FIFO and brings the regular files':
    'tar writes a `fifo` entry and safeExtract refuses it instead of skipping it, so nothing is extracted',
  'pvclaim against real gnu tools (debian:12) › download with --verify keeps a name with a newline':
    'the file list from `find` is split at newlines, so a name with a newline becomes two names that `stat` cannot find',
  'pvclaim against real gnu tools (debian:12) › download with --verify keeps a name with a leading dash':
    'the name goes to `tar cf - -C DIR NAME` as it is, so tar reads -leading-dash.txt as options',
  'pvclaim against real gnu tools (debian:12) › upload with --verify keeps a name with a newline':
    'the staged upload is listed with `find` and split at newlines, so `stat` fails on half a name',
  'pvclaim against real gnu tools (debian:12) › upload with --verify keeps a name with a backslash':
    'GNU sha256sum escapes a name with a backslash (the line starts with `\\`, the name has `\\\\`), and the verification compares the escaped name',
}

type TestFn = () => Promise<void> | void

/** The list's entries that named a test when the tests were collected (so a stale entry can be caught). */
export const usedKnownFailures = new Set<string>()

/** `it`, or `it.fails` for a test on the known-failure list (the reason is added to its name). */
export function itKnown(describeName: string, name: string, fn: TestFn, timeout?: number): void {
  const key = `${describeName} › ${name}`
  const reason = KNOWN_FAILURES[key]
  if (reason !== undefined) usedKnownFailures.add(key)
  if (reason === undefined) it(name, fn, timeout)
  else it.fails(`${name} [known failure: ${reason}]`, fn, timeout)
}
