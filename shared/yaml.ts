import { type DocumentOptions, LineCounter, type ParseOptions, parseDocument, type SchemaOptions } from 'yaml'

/**
 * YAML from files that may hold secrets (kubeconfigs, Secret manifests). The yaml library's own messages quote the
 * offending source line (and its warnings go straight to stderr), which put tokens and secret values on the
 * terminal. Here nothing is logged, and a failure says only where it is and what kind of fault: line, column, and
 * the library's reason with anything quoted from the source removed.
 */
export class YamlSyntaxError extends Error {
  readonly line: number | undefined
  readonly column: number | undefined
  readonly reason: string

  constructor(reason: string, line: number | undefined, column: number | undefined) {
    super(`${line === undefined ? '' : `line ${line}, column ${column ?? 1}: `}${reason}`)
    this.name = 'YamlSyntaxError'
    this.reason = reason
    this.line = line
    this.column = column
  }
}

/** The library's message without its location and without any text quoted from the source. */
function reasonOf(message: string): string {
  const first = message.split('\n')[0] ?? ''
  return first
    .replace(/ at line \d+, column \d+:?$/, '')
    .replace(/"(?:[^"\\]|\\.)*"|'[^']*'|`[^`]*`/g, '(…)')
    .replace(/:\s*$/, '')
    .trim()
    .toLowerCase()
}

export type SafeYamlOptions = ParseOptions & DocumentOptions & SchemaOptions

/** Parses one YAML document, printing nothing; throws a {@link YamlSyntaxError} that quotes no source. */
export function parseYamlQuietly(text: string, options: SafeYamlOptions = {}): unknown {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { ...options, lineCounter, prettyErrors: false, logLevel: 'silent' })
  const error = doc.errors[0]
  if (error !== undefined) {
    const where = lineCounter.linePos(error.pos[0])
    throw new YamlSyntaxError(reasonOf(error.message), where.line, where.col)
  }
  try {
    return doc.toJS({ maxAliasCount: 100 })
  } catch (failure) {
    throw new YamlSyntaxError(
      reasonOf(failure instanceof Error ? failure.message : String(failure)),
      undefined,
      undefined,
    )
  }
}
