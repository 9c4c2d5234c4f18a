/**
 * kubectl's JSONPath templates (`-o jsonpath=…`, and the column specs of `-o custom-columns=…`), evaluated over a
 * plugin's own JSON document. Written from kubectl's documented behaviour and checked byte for byte against the
 * real kubectl by jsonpath.kubectl.test.ts, not translated from its source.
 *
 * The syntax: text outside `{…}` is printed as is; inside, `.a.b` fields, `[n]` / `[a:b:step]` / `[*]` / `[a,b]`
 * indexes, `['key']`, `..` recursive descent, `*` wildcards, filters `[?(@.x == "y")]` (==, !=, <, >, <=, >=, or a
 * bare path for existence), `range … end` loops, `"\n"` / `'\t'` string literals, and `$` / `@` for the current
 * object. Each `{…}` prints its results separated by one space; objects and arrays print as compact JSON with
 * sorted keys, strings raw, numbers as kubectl (Go) prints them.
 */

/** Thrown for a template kubectl would not parse; the message is kubectl's. */
export class JsonPathParseError extends Error {}

/** Thrown when a template cannot be applied to the data (kubectl's "error executing jsonpath"). */
export class JsonPathExecError extends Error {}

type ListNode = { type: 'list'; nodes: Node[] }
interface Param {
  known: boolean
  value: number
  derived: boolean
}
type Node =
  | ListNode
  | { type: 'text'; text: string }
  | { type: 'field'; name: string }
  | { type: 'array'; params: [Param, Param, Param] }
  | { type: 'filter'; left: ListNode; right: ListNode; operator: string }
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'wildcard' }
  | { type: 'recursive' }
  | { type: 'union'; nodes: ListNode[] }
  | { type: 'identifier'; name: string }

/** A number that came from a float literal in the template (`1.0` is a float there, unlike in the data). */
class GoFloat {
  readonly value: number
  constructor(value: number) {
    this.value = value
  }
}

/** One byte of a string, as `.*` over a string yields them (kubectl prints them as numbers). */
class GoByte {
  readonly value: number
  constructor(value: number) {
    this.value = value
  }
}

type Value = unknown

const EOF = ''

function isSpace(r: string): boolean {
  return r === ' ' || r === '\t'
}
function isEndOfLine(r: string): boolean {
  return r === '\r' || r === '\n'
}
function isTerminator(r: string): boolean {
  return isSpace(r) || isEndOfLine(r) || r === EOF || '.,[]$@{}'.includes(r)
}
function isAlphaNumeric(r: string): boolean {
  return r !== EOF && (r === '_' || /^[\p{L}\p{Nd}]$/u.test(r))
}
function isDigit(r: string): boolean {
  return r !== EOF && /^\p{Nd}$/u.test(r)
}

/** Go's `%#U`: `U+007E '~'`, or just `U+0009` for a character that does not print. */
function goRune(r: string): string {
  const code = r.codePointAt(0) ?? 0
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(r) ? `${hex} '${r}'` : hex
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\u0007',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
}

/** Go's strconv.Unquote, extended (as kubectl's) to single-quoted strings of any length. */
function unquote(quoted: string): string {
  const quote = quoted[0] ?? ''
  if (quoted.length < 2 || quoted[quoted.length - 1] !== quote) throw new Error('invalid syntax')
  const body = quoted.slice(1, -1)
  if (!body.includes('\\') && !body.includes(quote)) return body
  let out = ''
  let i = 0
  while (i < body.length) {
    const c = body[i] ?? ''
    if (c === quote) throw new Error('invalid syntax')
    if (c !== '\\') {
      out += c
      i++
      continue
    }
    const e = body[i + 1] ?? ''
    if (e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e]
      i += 2
    } else if (e === "'" || e === '"') {
      if (e !== quote) throw new Error('invalid syntax')
      out += e
      i += 2
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const digits = e === 'x' ? 2 : e === 'u' ? 4 : 8
      const hex = body.slice(i + 2, i + 2 + digits)
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) throw new Error('invalid syntax')
      const code = Number.parseInt(hex, 16)
      if (e === 'x') out += String.fromCharCode(code)
      else if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) throw new Error('invalid syntax')
      else out += String.fromCodePoint(code)
      i += 2 + digits
    } else if (/^[0-7]$/.test(e)) {
      const octal = body.slice(i + 1, i + 4)
      if (!/^[0-7]{3}$/.test(octal) || Number.parseInt(octal, 8) > 255) throw new Error('invalid syntax')
      out += String.fromCharCode(Number.parseInt(octal, 8))
      i += 4
    } else {
      throw new Error('invalid syntax')
    }
  }
  return out
}

const DICT_KEY = /^'([^']*)'$/
const SLICE = /^(-?[0-9]*)(:-?[0-9]*)?(:-?[0-9]*)?$/
const COMPARISON = /^([^!<>=]+)([!<>=]+)(.+?)$/

class Parser {
  private pos = 0
  private start = 0
  private width = 0
  readonly root: ListNode = { type: 'list', nodes: [] }
  private readonly input: string

  constructor(input: string) {
    this.input = input
  }

  parse(): ListNode {
    let cur: ListNode | undefined
    for (;;) {
      if (cur === undefined) {
        // Text up to the next "{" (or the end).
        for (;;) {
          if (this.input.startsWith('{', this.pos)) {
            if (this.pos > this.start) this.root.nodes.push({ type: 'text', text: this.consume() })
            this.pos += 1
            this.consume()
            cur = { type: 'list', nodes: [] }
            this.root.nodes.push(cur)
            break
          }
          if (this.next() === EOF) {
            if (this.pos > this.start) this.root.nodes.push({ type: 'text', text: this.consume() })
            return this.root
          }
        }
      }
      if (this.insideAction(cur)) cur = undefined
    }
  }

  private consume(): string {
    const value = this.input.slice(this.start, this.pos)
    this.start = this.pos
    return value
  }

  private next(): string {
    if (this.pos >= this.input.length) {
      this.width = 0
      return EOF
    }
    const r = String.fromCodePoint(this.input.codePointAt(this.pos) ?? 0)
    this.width = r.length
    this.pos += r.length
    return r
  }

  private peek(): string {
    const r = this.next()
    this.backup()
    return r
  }

  private backup(): void {
    this.pos -= this.width
  }

  /** Parses inside one `{…}` until its closing brace; true once it is closed. */
  private insideAction(cur: ListNode): boolean {
    for (;;) {
      const rest = this.input.slice(this.pos)
      if (rest.startsWith('}')) {
        this.pos += 1
        this.consume()
        return true
      }
      if (rest.startsWith('[?(')) {
        this.filter(cur)
        continue
      }
      if (rest.startsWith('..')) {
        this.recursive(cur)
        continue
      }
      const r = this.next()
      if (r === EOF || isEndOfLine(r)) throw new JsonPathParseError('unclosed action')
      if (r === ' ' || r === '@' || r === '$') this.consume()
      else if (r === '[') this.array(cur)
      else if (r === '"' || r === "'") this.quote(cur, r)
      else if (r === '.') this.field(cur)
      else if (r === '+' || r === '-' || isDigit(r)) {
        this.backup()
        this.number(cur)
      } else if (isAlphaNumeric(r)) {
        this.backup()
        this.identifier(cur)
      } else throw new JsonPathParseError(`unrecognized character in action: ${goRune(r)}`)
    }
  }

  private identifier(cur: ListNode): void {
    for (;;) {
      if (isTerminator(this.next())) {
        this.backup()
        break
      }
    }
    const value = this.consume()
    if (value === 'true' || value === 'false') cur.nodes.push({ type: 'bool', value: value === 'true' })
    else cur.nodes.push({ type: 'identifier', name: value })
  }

  private recursive(cur: ListNode): void {
    if (cur.nodes.at(-1)?.type === 'recursive') throw new JsonPathParseError('invalid multiple recursive descent')
    this.pos += 2
    this.consume()
    cur.nodes.push({ type: 'recursive' })
    if (isAlphaNumeric(this.peek())) this.field(cur)
  }

  private number(cur: ListNode): void {
    const sign = this.peek()
    if (sign === '+' || sign === '-') this.next()
    for (;;) {
      const r = this.next()
      if (r !== '.' && !isDigit(r)) {
        this.backup()
        break
      }
    }
    const value = this.consume()
    if (/^[+-]?[0-9]+$/.test(value) && Number.isSafeInteger(Number(value))) {
      cur.nodes.push({ type: 'int', value: Number(value) })
    } else if (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(value)) {
      cur.nodes.push({ type: 'float', value: Number(value) })
    } else {
      throw new JsonPathParseError(`cannot parse number ${value}`)
    }
  }

  private array(cur: ListNode): void {
    for (;;) {
      const r = this.next()
      if (r === EOF || r === '\n') throw new JsonPathParseError('unterminated array')
      if (r === ']') break
    }
    let text = this.consume().slice(1, -1)
    if (text === '*') text = ':'

    const parts = text.split(',')
    if (parts.length > 1) {
      cur.nodes.push({ type: 'union', nodes: parts.map((part) => parseAction(`[${trimSpaces(part)}]`)) })
      return
    }
    const key = DICT_KEY.exec(text)
    if (key !== null) {
      cur.nodes.push(...parseAction(`.${key[1]}`).nodes)
      return
    }
    const slice = SLICE.exec(text)
    if (slice === null) throw new JsonPathParseError(`invalid array index ${text}`)
    const params: [Param, Param, Param] = [
      { known: false, value: 0, derived: false },
      { known: false, value: 0, derived: false },
      { known: false, value: 0, derived: false },
    ]
    for (let i = 0; i < 3; i++) {
      let part = slice[i + 1] ?? ''
      const param = params[i] as Param
      if (part !== '') {
        if (i > 0) part = part.slice(1)
        if (i > 0 && part === '') continue
        if (!/^-?[0-9]+$/.test(part)) throw new JsonPathParseError(`array index ${part} is not a number`)
        param.known = true
        param.value = Number(part)
      } else if (i === 1) {
        param.known = true
        param.value = params[0].value + 1
        param.derived = true
      }
    }
    cur.nodes.push({ type: 'array', params })
  }

  private filter(cur: ListNode): void {
    this.pos += 3
    this.consume()
    let begin = false
    let end = false
    let pair = ''
    for (;;) {
      const r = this.next()
      if (r === EOF || r === '\n') throw new JsonPathParseError('unterminated filter')
      if (r === '"' || r === "'") {
        if (!begin) {
          begin = true
          pair = r
          continue
        }
        if (this.input[this.pos - 2] !== '\\' && r === pair) end = true
      } else if (r === ')' && begin === end) break
    }
    if (this.next() !== ']') throw new JsonPathParseError('unclosed array expect ]')
    const text = this.consume().slice(0, -2)
    const comparison = COMPARISON.exec(text)
    if (comparison === null) {
      cur.nodes.push({
        type: 'filter',
        left: parseAction(text),
        right: { type: 'list', nodes: [] },
        operator: 'exists',
      })
    } else {
      cur.nodes.push({
        type: 'filter',
        left: parseAction(comparison[1] ?? ''),
        right: parseAction(comparison[3] ?? ''),
        operator: comparison[2] ?? '',
      })
    }
  }

  private quote(cur: ListNode, end: string): void {
    for (;;) {
      const r = this.next()
      if (r === EOF || r === '\n') throw new JsonPathParseError('unterminated quoted string')
      if (r === end && this.input[this.pos - 2] !== '\\') break
    }
    const value = this.consume()
    let text: string
    try {
      text = unquote(value)
    } catch (err) {
      throw new JsonPathParseError(`unquote string ${value} error ${(err as Error).message}`)
    }
    cur.nodes.push({ type: 'text', text })
  }

  private field(cur: ListNode): void {
    this.consume()
    for (;;) {
      const r = this.next()
      if (r === '\\') this.next()
      else if (isTerminator(r)) {
        this.backup()
        break
      }
    }
    const value = this.consume()
    if (value === '*') cur.nodes.push({ type: 'wildcard' })
    else cur.nodes.push({ type: 'field', name: value.replaceAll('\\', '') })
  }
}

function trimSpaces(text: string): string {
  return text.replace(/^ +| +$/g, '')
}

/** Parses `text` as the inside of one action, as kubectl does for union members, ['keys'] and filter sides. */
function parseAction(text: string): ListNode {
  const first = new Parser(`{${text}}`).parse().nodes[0]
  return first?.type === 'list' ? first : { type: 'list', nodes: [] }
}

// ---- values -----------------------------------------------------------------------------------------------

function isMap(value: Value): value is Record<string, Value> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof GoFloat)
    ? !(value instanceof GoByte)
    : false
}

/** Integers in the data are int64 to kubectl (it decodes objects as unstructured); other numbers are float64. */
function isIntNumber(value: number): boolean {
  return Number.isInteger(value) && Math.abs(value) < 1e21
}

function goTypeName(value: Value): string {
  if (Array.isArray(value)) return '[]interface {}'
  if (value instanceof GoByte) return 'uint8'
  if (value instanceof GoFloat) return 'float64'
  if (isMap(value)) return 'map[string]interface {}'
  if (typeof value === 'string') return 'string'
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'number') return isIntNumber(value) ? 'int64' : 'float64'
  return 'interface {}'
}

/** Go's `%v` for a float64: shortest digits, exponent form below 1e-4 or from 1e6 up (`1.2345675e+06`). */
function goFloatText(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf'
  if (value === 0) return Object.is(value, -0) ? '-0' : '0'
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e')
  const exponent = Number(exponentText)
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+'
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`
  }
  return String(value)
}

/** How Go's json.Marshal writes a float64 (and JavaScript's JSON.stringify, but for the exponent's width). */
function sortedForJson(value: Value): unknown {
  if (value instanceof GoFloat || value instanceof GoByte) return value.value
  if (Array.isArray(value)) return value.map(sortedForJson)
  if (isMap(value)) {
    const sorted: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) sorted[key] = sortedForJson(value[key])
    return sorted
  }
  return value
}

const HTML_UNSAFE: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
}

/** Go's json.Marshal: keys sorted, HTML characters escaped as \u003c, compact unless `indent`. */
export function goJson(value: Value, indent?: number): string {
  return JSON.stringify(sortedForJson(value), null, indent).replace(/[<>&\u2028\u2029]/g, (c) => HTML_UNSAFE[c] ?? c)
}

/** Go's `fmt.Sprint` of a decoded JSON value: `map[a:1 b:x]`, `[a b]`, `<nil>`, numbers as Go prints them. */
export function goSprint(value: Value): string {
  if (value === null || value === undefined) return '<nil>'
  if (value instanceof GoFloat) return goFloatText(value.value)
  if (value instanceof GoByte) return String(value.value)
  if (Array.isArray(value)) return `[${value.map(goSprint).join(' ')}]`
  if (isMap(value)) {
    const keys = Object.keys(value).sort()
    return `map[${keys.map((key) => `${key}:${goSprint(value[key])}`).join(' ')}]`
  }
  if (typeof value === 'number') return isIntNumber(value) ? BigInt(value).toString() : goFloatText(value)
  return String(value)
}

/** What a result prints as inside a template: JSON for objects and arrays, `null`, and Go's text for the rest. */
function resultText(value: Value): string {
  if (value === null || value === undefined) return 'null'
  if (Array.isArray(value) || isMap(value)) return goJson(value)
  return goSprint(value)
}

// ---- comparisons (Go template's eq, lt, …) --------------------------------------------------------------------

type BasicKind = 'bool' | 'int' | 'uint' | 'float' | 'string'

function basicKind(value: Value): BasicKind {
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'string') return 'string'
  if (value instanceof GoFloat) return 'float'
  if (value instanceof GoByte) return 'uint'
  if (typeof value === 'number') return isIntNumber(value) ? 'int' : 'float'
  throw new JsonPathExecError('invalid type for comparison')
}

function numberOf(value: Value): number {
  if (value instanceof GoFloat || value instanceof GoByte) return value.value
  return value as number
}

function sameKinds(left: Value, right: Value): BasicKind | 'mixed-int' {
  const k1 = basicKind(left)
  const k2 = basicKind(right)
  if (k1 === k2) return k1
  if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) return 'mixed-int'
  throw new JsonPathExecError('incompatible types for comparison')
}

function equal(left: Value, right: Value): boolean {
  const kind = sameKinds(left, right)
  if (kind === 'bool' || kind === 'string') return left === right
  return numberOf(left) === numberOf(right)
}

function less(left: Value, right: Value): boolean {
  const kind = sameKinds(left, right)
  if (kind === 'bool') throw new JsonPathExecError('invalid type for comparison')
  if (kind === 'string') return (left as string) < (right as string)
  return numberOf(left) < numberOf(right)
}

function compare(operator: string, left: Value, right: Value): boolean {
  switch (operator) {
    case '<':
      return less(left, right)
    case '>':
      return !(less(left, right) || equal(left, right))
    case '==':
      return equal(left, right)
    case '!=':
      return !equal(left, right)
    case '<=':
      return less(left, right) || equal(left, right)
    case '>=':
      return !less(left, right)
    default:
      throw new JsonPathExecError(`unrecognized filter operator ${operator}`)
  }
}

// ---- evaluation -----------------------------------------------------------------------------------------------

function childrenOf(value: Value): Value[] {
  if (Array.isArray(value)) return value
  if (isMap(value)) {
    return Object.keys(value)
      .sort()
      .map((key) => value[key])
  }
  if (typeof value === 'string') return [...new TextEncoder().encode(value)].map((byte) => new GoByte(byte))
  return []
}

class Evaluator {
  private beginRange = 0
  private inRange = 0
  private endRange = 0
  private lastEnd = -1
  private readonly nodes: Node[]
  private readonly allowMissingKeys: boolean

  constructor(nodes: Node[], allowMissingKeys: boolean) {
    this.nodes = nodes
    this.allowMissingKeys = allowMissingKeys
  }

  /** Results per top-level node, with `range … end` blocks expanded once per item. */
  findResults(data: Value, from = 0): Value[][] {
    const cur = [data]
    const full: Value[][] = []
    for (let i = from; i < this.nodes.length; i++) {
      const results = this.walk(cur, this.nodes[i] as Node)
      if (this.endRange > 0 && this.endRange <= this.inRange) {
        this.endRange--
        this.lastEnd = i
        break
      }
      if (this.beginRange > 0) {
        this.beginRange--
        this.inRange++
        if (results.length > 0) {
          for (const value of results) for (const nested of this.findResults(value, i + 1)) full.push(nested)
        } else {
          this.findResults(null, i + 1)
        }
        this.inRange--
        for (let k = i + 1; k < this.nodes.length; k++) {
          if (k === this.lastEnd) {
            i = k
            break
          }
        }
        continue
      }
      full.push(results)
    }
    return full
  }

  private walk(input: Value[], node: Node): Value[] {
    switch (node.type) {
      case 'list':
        return this.list(input, node)
      case 'text':
        return [node.text]
      case 'int':
        return input.map(() => node.value)
      case 'float':
        return input.map(() => new GoFloat(node.value))
      case 'bool':
        return input.map(() => node.value)
      case 'field':
        return this.field(input, node.name)
      case 'array':
        return this.array(input, node.params)
      case 'filter':
        return this.filter(input, node)
      case 'wildcard':
        return input.flatMap((value) => (value === null ? [] : childrenOf(value)))
      case 'recursive':
        return this.recursive(input)
      case 'union':
        return node.nodes.flatMap((list) => this.list(input, list))
      case 'identifier':
        return this.identifier(input, node.name)
    }
  }

  private list(input: Value[], node: ListNode): Value[] {
    let cur = input
    for (const child of node.nodes) cur = this.walk(cur, child)
    return cur
  }

  private identifier(input: Value[], name: string): Value[] {
    if (name === 'range') {
      this.beginRange++
      return input
    }
    if (name === 'end') {
      if (this.inRange > 0) {
        this.endRange++
        return []
      }
      throw new JsonPathExecError('not in range, nothing to end')
    }
    throw new JsonPathExecError(`unrecognized identifier ${name}`)
  }

  private field(input: Value[], name: string): Value[] {
    if (input.length === 0) return []
    const results: Value[] = []
    for (const value of input) {
      if (isMap(value) && Object.hasOwn(value, name)) results.push(value[name])
    }
    if (results.length === 0 && !this.allowMissingKeys) throw new JsonPathExecError(`${name} is not found`)
    return results
  }

  private array(input: Value[], node: readonly [Param, Param, Param]): Value[] {
    const results: Value[] = []
    for (const value of input) {
      if (value === null || value === undefined) continue
      if (!Array.isArray(value)) throw new JsonPathExecError(`${goTypeName(value)} is not array or slice`)
      const [p0, p1, p2] = node.map((param) => ({ ...param }))
      const length = value.length
      if (p0 === undefined || p1 === undefined || p2 === undefined) continue
      if (!p0.known) p0.value = 0
      if (p0.value < 0) p0.value += length
      if (!p1.known) p1.value = length
      if (p1.value < 0 || (p1.value === 0 && p1.derived)) p1.value += length
      if (p1.value === p0.value) return results
      if (p0.value >= length || p0.value < 0) {
        throw new JsonPathExecError(`array index out of bounds: index ${p0.value}, length ${length}`)
      }
      if (p1.value > length || p1.value < 0) {
        throw new JsonPathExecError(`array index out of bounds: index ${p1.value - 1}, length ${length}`)
      }
      if (p0.value > p1.value) {
        throw new JsonPathExecError(`starting index ${p0.value} is greater than ending index ${p1.value}`)
      }
      let step = 1
      if (p2.known) {
        if (p2.value <= 0) throw new JsonPathExecError('step must be > 0')
        step = p2.value
      }
      const slice = value.slice(p0.value, p1.value)
      for (let i = 0; i < slice.length; i += step) results.push(slice[i])
    }
    return results
  }

  private filter(input: Value[], node: { left: ListNode; right: ListNode; operator: string }): Value[] {
    const results: Value[] = []
    for (const value of input) {
      if (!Array.isArray(value)) {
        throw new JsonPathExecError(`${goSprint(value)} is not array or slice and cannot be filtered`)
      }
      for (const item of value) {
        if (node.operator === 'exists') {
          let lefts: Value[] = []
          try {
            lefts = this.list([item], node.left)
          } catch {
            // kubectl ignores the error of an existence test: a missing key just does not exist
          }
          if (lefts.length > 0) results.push(item)
          continue
        }
        const lefts = this.list([item], node.left)
        if (lefts.length === 0) continue
        if (lefts.length > 1) throw new JsonPathExecError('can only compare one element at a time')
        const rights = this.list([item], node.right)
        if (rights.length === 0) continue
        if (rights.length > 1) throw new JsonPathExecError('can only compare one element at a time')
        if (compare(node.operator, lefts[0], rights[0])) results.push(item)
      }
    }
    return results
  }

  private recursive(input: Value[]): Value[] {
    const results: Value[] = []
    for (const value of input) {
      if (value === null || value === undefined) continue
      const children = childrenOf(value)
      if (children.length === 0) continue
      results.push(value)
      for (const nested of this.recursive(children)) results.push(nested)
    }
    return results
  }
}

// ---- public API -----------------------------------------------------------------------------------------------

/** A parsed template, ready to run over any number of documents. */
export interface JsonPath {
  /** The template as given, for messages. */
  readonly source: string
  /** The results of each top-level part of the template (text, or one `{…}`), as kubectl groups them. */
  findResults(data: unknown, options?: { allowMissingKeys?: boolean }): unknown[][]
  /** The text `-o jsonpath` prints for `data`; `asJson` is `-o jsonpath-as-json`. */
  execute(data: unknown, options?: { allowMissingKeys?: boolean; asJson?: boolean }): string
}

/** Parses a kubectl JSONPath template; throws {@link JsonPathParseError} with kubectl's wording. */
export function parseJsonPath(template: string): JsonPath {
  const root = new Parser(template).parse()
  const findResults = (data: unknown, options: { allowMissingKeys?: boolean } = {}): unknown[][] =>
    new Evaluator(root.nodes, options.allowMissingKeys ?? true).findResults(toPlainJson(data))
  return {
    source: template,
    findResults,
    execute(data, options = {}) {
      let out = ''
      for (const results of findResults(data, options)) {
        if (options.asJson === true) out += `${goJson(results, 4)}\n`
        else out += results.map(resultText).join(' ')
      }
      return out
    },
  }
}

/** The document as JSON would carry it (undefined fields dropped, dates as strings), so every format agrees. */
function toPlainJson(data: unknown): unknown {
  return data === undefined ? null : JSON.parse(JSON.stringify(data))
}
