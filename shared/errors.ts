/**
 * One error type for the whole suite. Every failure a user can cause or meet ends up as a SuiteError, so the
 * entry point can print exactly one line (plus an optional hint) and exit with a code that scripts can branch on.
 */

export type ErrorKind =
  | 'usage'
  | 'config'
  | 'connection'
  | 'auth'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'invalid'
  | 'found'
  | 'interrupted'
  | 'internal'

/**
 * The one table from error kind to process exit code. The README prints it and a test keeps the two equal.
 * Codes are distinct per kind so a CI script can tell "not found" from "forbidden" without parsing text.
 */
export const EXIT_CODES = {
  internal: 1,
  usage: 2,
  config: 3,
  connection: 4,
  auth: 5,
  forbidden: 6,
  'not-found': 7,
  conflict: 8,
  invalid: 9,
  found: 10,
  interrupted: 130,
} as const satisfies Record<ErrorKind, number>

/**
 * The exit code when the reader of stdout went away (`kubectl usage pods -A | head -1`): 128 + SIGPIPE, what a
 * shell reports for kubectl itself, which dies of SIGPIPE there. Nothing is printed.
 */
export const BROKEN_PIPE_EXIT = 141

export interface SuiteErrorOptions {
  /** One short sentence that names the fix ("pass --context NAME", "run kubectl config get-contexts"). */
  hint?: string
  cause?: unknown
  /** HTTP status when the error came from the API server. */
  status?: number
}

export class SuiteError extends Error {
  readonly kind: ErrorKind
  readonly hint: string | undefined
  readonly status: number | undefined

  constructor(kind: ErrorKind, message: string, options: SuiteErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SuiteError'
    this.kind = kind
    this.hint = options.hint
    this.status = options.status
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind]
  }
}

export function isSuiteError(err: unknown): err is SuiteError {
  return err instanceof SuiteError
}

export const usageError = (message: string, hint?: string): SuiteError => new SuiteError('usage', message, { hint })
