import { describe, expect, it } from 'vitest'
import { parseCustomColumns, renderCustomColumns } from './custom-columns.ts'
import { parseOutputFormat, printsDocument } from './format.ts'
import { bytesJson, cpuJson, jsonConventionProblems, timestampJson } from './json-values.ts'
import { goJson, goSprint, JsonPathExecError, JsonPathParseError, parseJsonPath } from './jsonpath.ts'
import { renderView } from './print.ts'

// The byte-for-byte comparison with kubectl is jsonpath.kubectl.test.ts; these pin the rules it found, fast.
const DOC = {
  kind: 'List',
  items: [
    { name: 'a', cpu: { millicores: 4000, display: '4' }, ok: true, n: null, tags: ['x', 'y'] },
    { name: 'b', cpu: { millicores: 250, display: '250m' }, ok: false, ratio: 1.5, big: 1234567.5 },
  ],
}
const run = (template: string, options?: { allowMissingKeys?: boolean; asJson?: boolean }): string =>
  parseJsonPath(template).execute(DOC, options)

describe('parseJsonPath', () => {
  it.each([
    ['{.items[*].name}', 'a b'],
    ['{range .items[*]}{.name}{"\\t"}{.cpu.display}{"\\n"}{end}', 'a\t4\nb\t250m\n'],
    ['{.items[?(@.cpu.millicores>=1000)].name}', 'a'],
    ['{.items[?(@.ratio)].name}', 'b'],
    ['{.items[-1:].name}', 'b'],
    ['{.items[0].tags}', '["x","y"]'],
    ['{.items[0].cpu}', '{"display":"4","millicores":4000}'],
    ['{.items[0].n} {.items[*].ok}', 'null true false'],
    ['{.items[1].big}', '1.2345675e+06'],
    ['{..display}', '4 250m'],
    ["kind='{.kind}'", "kind='List'"],
    ['{.items[0].missing}', ''],
  ])('%s → %j', (template, expected) => {
    expect(run(template)).toBe(expected)
  })

  it('prints each part as a JSON array with jsonpath-as-json', () => {
    expect(run('{.items[*].name}', { asJson: true })).toBe('[\n    "a",\n    "b"\n]\n')
  })

  it('fails on a missing key only when missing keys are not allowed', () => {
    expect(() => run('{.items[0].missing}', { allowMissingKeys: false })).toThrow(
      new JsonPathExecError('missing is not found'),
    )
  })

  it.each([
    ['{.items[', 'unterminated array'],
    ['{.a', 'unclosed action'],
    ['{.a[?(@.x=="y"}', 'unterminated filter'],
    ['{.a ~}', "unrecognized character in action: U+007E '~'"],
  ])('rejects %s: %s', (template, message) => {
    expect(() => parseJsonPath(template)).toThrow(new JsonPathParseError(message))
  })

  it('compares only values of one kind, as Go templates do', () => {
    expect(() => run('{.items[?(@.ratio==1)].name}')).toThrow('incompatible types for comparison')
  })

  it('writes JSON and text the way Go does', () => {
    expect(goJson({ b: '<&>', a: 1 })).toBe('{"a":1,"b":"\\u003c\\u0026\\u003e"}')
    expect(goSprint({ b: [1, 'x'], a: null })).toBe('map[a:<nil> b:[1 x]]')
    expect(goSprint(0.00001)).toBe('1e-05')
  })
})

describe('custom columns', () => {
  it('lays out one row per item with <none> for a missing value', () => {
    const columns = parseCustomColumns('NAME:.name,RATIO:{.ratio},TAGS:tags[*]')
    expect(renderCustomColumns(DOC, columns)).toBe(
      'NAME   RATIO    TAGS\na      <none>   x,y\nb      1.5      <none>\n',
    )
    expect(renderCustomColumns({ items: [] }, columns)).toBe('NAME   RATIO   TAGS\n')
  })

  it('prints through renderView, and counts as printing something for an empty list', () => {
    const format = parseOutputFormat('custom-columns=N:.name', ['table', 'json'])
    expect(printsDocument(format)).toBe(true)
    expect(printsDocument('table')).toBe(false)
    const view = { table: { columns: [], rows: [] }, document: DOC, names: [] }
    expect(renderView(view, format, { color: false, noHeaders: true })).toBe('a\nb\n')
  })
})

describe('JSON convention', () => {
  it('spells quantities and times one way', () => {
    expect(cpuJson(4000n)).toEqual({ millicores: 4000, display: '4' })
    expect(cpuJson(1100)).toEqual({ millicores: 1100, display: '1100m' })
    expect(bytesJson(8589934592n)).toEqual({ bytes: 8589934592, display: '8Gi' })
    expect(bytesJson(42949672960n, '40Gi')).toEqual({ bytes: 42949672960, display: '40Gi' })
    expect(timestampJson(new Date('2026-11-22T12:00:00.123Z'))).toBe('2026-11-22T12:00:00Z')
    expect(timestampJson('2026-11-22T13:00:00+01:00')).toBe('2026-11-22T12:00:00Z')
    expect(timestampJson(undefined)).toBeNull()
  })

  it('finds what breaks it', () => {
    expect(
      jsonConventionProblems({ cpu: '4000m', t: '2026-11-22T12:00:00.000Z', m: { bytes: 1.5, display: 'x' } }),
    ).toEqual([
      '$.cpu: quantity as a string 4000m',
      '$.t: timestamp 2026-11-22T12:00:00.000Z',
      '$.m.bytes: not an integer',
    ])
    expect(jsonConventionProblems({ metadata: { labels: { version: '3' } }, cpu: cpuJson(5n) })).toEqual([])
  })
})
