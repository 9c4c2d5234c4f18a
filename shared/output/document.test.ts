import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { renderJson, renderYaml } from './document.ts'

describe('renderJson', () => {
  it('indents by 4 spaces and ends with a newline, like kubectl -o json', () => {
    expect(renderJson({ kind: 'List', items: [{ a: 1 }], empty: [], none: {} })).toBe(
      '{\n    "kind": "List",\n    "items": [\n        {\n            "a": 1\n        }\n    ],\n    "empty": [],\n    "none": {}\n}\n',
    )
  })

  it('prints null for an undefined document', () => {
    expect(renderJson(undefined)).toBe('null\n')
  })
})

describe('renderYaml', () => {
  it('sorts keys and keeps sequences level with their key', () => {
    expect(renderYaml({ kind: 'List', apiVersion: 'v1', items: [{ name: 'x', labels: { b: 'y', a: 'z' } }] })).toBe(
      'apiVersion: v1\nitems:\n- labels:\n    a: z\n    b: "y"\n  name: x\nkind: List\n',
    )
  })

  // Every expectation here is what the real kubectl printed for the same string in a ConfigMap.
  it.each([
    ['1', '"1"'],
    ['yes', '"yes"'],
    ['on', '"on"'],
    ['Off', '"Off"'],
    ['Y', '"Y"'],
    ['True', '"True"'],
    ['NULL', '"NULL"'],
    ['null', '"null"'],
    ['~', '"~"'],
    ['', '""'],
    ['3.0', '"3.0"'],
    ['1e3', '"1e3"'],
    ['0x1f', '"0x1f"'],
    ['0o17', '"0o17"'],
    ['017', '"017"'],
    ['1_000', '"1_000"'],
    ['1:20', '"1:20"'],
    ['.inf', '".inf"'],
    ['2024-01-01', '"2024-01-01"'],
    ['2024-01-01T00:00:00Z', '"2024-01-01T00:00:00Z"'],
    ['*', "'*'"],
    ['x: y', "'x: y'"],
    [' lead', "' lead'"],
    ['trail ', "'trail '"],
    ['#x', "'#x'"],
    ['- a', "'- a'"],
    ['-', "'-'"],
    ['@x', "'@x'"],
    ['{x}', "'{x}'"],
    ['"q"', `'"q"'`],
    ["'x", "'''x'"],
    ['a #b', "'a #b'"],
    ["it's", "it's"],
    ['a#b', 'a#b'],
    ['x,y', 'x,y'],
    ['~x', '~x'],
    ['ü', 'ü'],
    ['tab\there', '"tab\\there"'],
    ['a\u0001b', '"a\\x01b"'],
    ["x: it's", "'x: it''s'"],
  ])('writes the string %j as %s, as kubectl does', (value, expected) => {
    expect(renderYaml({ v: value })).toBe(`v: ${expected}\n`)
  })

  it('writes multi-line strings as literal blocks', () => {
    expect(renderYaml({ f: 'multi\nline\n', g: 'multi\nline' })).toBe('f: |\n  multi\n  line\ng: |-\n  multi\n  line\n')
  })

  it('quotes keys that would read as another type', () => {
    expect(renderYaml({ n: 1, y: 2, no: 3, key: 4 })).toBe('key: 4\n"n": 1\n"no": 3\n"y": 2\n')
  })

  it('double-quotes a multi-line string with a space before a line break, on one line', () => {
    const text = renderYaml({ v: 'trail \nx' })
    expect(text).toMatch(/^v: ".*"\n$/)
    expect(parse(text)).toEqual({ v: 'trail \nx' })
  })

  it('never folds long lines', () => {
    const long = `${'a'.repeat(100)} b`
    expect(renderYaml({ o: long })).toBe(`o: ${long}\n`)
  })

  it('prints empty collections, numbers, booleans and null like kubectl', () => {
    expect(renderYaml({ a: [], b: {}, c: 1.5, d: true, e: null, f: 0 })).toBe(
      'a: []\nb: {}\nc: 1.5\nd: true\ne: null\nf: 0\n',
    )
  })

  it('shows the same data as json: dates become strings, undefined fields disappear', () => {
    const document = { when: new Date('2024-05-01T10:00:00Z'), gone: undefined, kept: 'x' }
    expect(renderYaml(document)).toBe('kept: x\nwhen: "2024-05-01T10:00:00.000Z"\n')
    expect(parse(renderYaml(document))).toEqual(JSON.parse(renderJson(document)))
  })

  it('round-trips a document through a YAML 1.1 reader unchanged', () => {
    const document = { items: [{ values: ['1', 'yes', 'n', '', '*', 'x: y', '2024-01-01', 'a\nb', 'trail \nx'] }] }
    expect(parse(renderYaml(document), { version: '1.1' })).toEqual(document)
  })
})
