import { Document, type Scalar, visit } from 'yaml'

/** `document` as `kubectl -o json` prints: 4-space indent, a final newline. `undefined` prints as `null`. */
export function renderJson(document: unknown): string {
  return `${JSON.stringify(document ?? null, null, 4)}\n`
}

// kubectl's YAML comes from go-yaml, which reads plain scalars by YAML 1.1 rules and also knows some 1.2
// spellings (0o17). A string that a reader would take for a number, boolean, null or timestamp under either
// version must be quoted.
function nonStringPatterns(): RegExp[] {
  const patterns: RegExp[] = []
  for (const version of ['1.1', '1.2'] as const) {
    for (const tag of new Document(null, { version }).schema.tags) {
      if ('test' in tag && tag.test instanceof RegExp && tag.default === true) patterns.push(tag.test)
    }
  }
  return patterns
}

const NON_STRING_PATTERNS = nonStringPatterns()

// Characters go-yaml never leaves in a plain, single-quoted or block scalar: controls other than newline, and a
// space right before a line break (a block scalar would hide it).
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
const NEEDS_ESCAPES = /[\u0000-\u0009\u000b-\u001f\u007f]| \n/

function kubectlQuoting(value: string): Scalar.Type | undefined {
  if (NEEDS_ESCAPES.test(value)) return 'QUOTE_DOUBLE'
  if (value.includes('\n')) return 'BLOCK_LITERAL'
  if (NON_STRING_PATTERNS.some((pattern) => pattern.test(value))) return 'QUOTE_DOUBLE'
  // The yaml package would switch to double quotes for a string holding a single quote; go-yaml keeps single
  // quotes and doubles the inner one (`'''x'`). Only such strings pay for the trial rendering.
  if (value.includes("'") && !plainAllowed(value)) return 'QUOTE_SINGLE'
  // Anything else is plain when the syntax allows, and single-quoted when not (`'*'`, `'x: y'`), as go-yaml does.
  return undefined
}

function plainAllowed(value: string): boolean {
  return new Document(value).toString({ lineWidth: 0 }) === `${value}\n`
}

/**
 * `document` as `kubectl -o yaml` prints it: keys sorted, 2-space indent, sequences level with their key
 * (`items:\n- name: x`), multi-line strings as literal blocks, and strings quoted only when needed, in go-yaml's
 * style: double quotes when the text would otherwise read as another type (`"1"`, `"yes"`, timestamps),
 * single quotes when the syntax requires it (`'*'`). Unlike go-yaml, long lines are never folded. The document
 * goes through JSON first, so yaml and json always show the same data.
 */
export function renderYaml(document: unknown): string {
  const plain: unknown = JSON.parse(JSON.stringify(document ?? null))
  const doc = new Document(plain, { version: '1.1', sortMapEntries: true })
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value !== 'string') return
      const type = kubectlQuoting(node.value)
      if (type !== undefined) node.type = type
    },
  })
  return doc.toString({ indent: 2, indentSeq: false, lineWidth: 0, singleQuote: true, blockQuote: 'literal' })
}
