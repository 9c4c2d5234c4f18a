import { describe, expect, it } from 'vitest'
import { SuiteError } from '../errors.ts'
import { isOutputFormat, OUTPUT_FORMATS, type OutputFormat, parseOutputFormat } from './format.ts'

function usageErrorOf(run: () => unknown): SuiteError {
  try {
    run()
  } catch (err) {
    if (err instanceof SuiteError) return err
    throw err
  }
  throw new Error('expected a SuiteError')
}

describe('parseOutputFormat', () => {
  const getLike: readonly OutputFormat[] = ['table', 'wide', 'json', 'yaml', 'name']

  it.each([
    { value: undefined, expected: 'table' },
    { value: '', expected: 'table' },
    { value: 'table', expected: 'table' },
    { value: 'wide', expected: 'wide' },
    { value: 'json', expected: 'json' },
    { value: 'yaml', expected: 'yaml' },
    { value: 'name', expected: 'name' },
  ])('accepts $value as $expected', ({ value, expected }) => {
    expect(parseOutputFormat(value, getLike)).toBe(expected)
  })

  it('defaults to the first allowed format when the command has no table', () => {
    expect(parseOutputFormat(undefined, ['yaml', 'json'])).toBe('yaml')
  })

  it.each(['csv', 'JSON', 'wide ', 'jsonpath'])('rejects %j with a usage error', (value) => {
    expect(() => parseOutputFormat(value, getLike)).toThrow(SuiteError)
    expect(usageErrorOf(() => parseOutputFormat(value, getLike)).kind).toBe('usage')
  })

  it("words the error as kubectl does, listing the allowed formats sorted and without 'table'", () => {
    const err = usageErrorOf(() => parseOutputFormat('xml', ['table', 'yaml', 'wide', 'name', 'json']))
    expect(err.message).toBe(
      'unable to match a printer suitable for the output format "xml", allowed formats are: custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,wide,yaml',
    )
    expect(err.message).not.toContain('\n')
    expect(err.hint).toBe('leave out -o for the default table, or pass one of the formats listed, e.g. -o json')
    expect(err.exitCode).toBe(2)
  })

  it('names -o in the hint when the command has no table', () => {
    const err = usageErrorOf(() => parseOutputFormat('table', ['yaml', 'json']))
    expect(err.message).toContain('allowed formats are: custom-columns,custom-columns-file,json,jsonpath,')
    expect(err.hint).toBe('pass one of the formats listed to -o, e.g. -o json')
  })

  it('lists every format but table when all are allowed', () => {
    const err = usageErrorOf(() => parseOutputFormat('go-template', OUTPUT_FORMATS))
    expect(err.message).toMatch(
      /allowed formats are: csv,custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,tsv,wide,yaml$/,
    )
  })

  it('leaves the template formats out where json is not allowed', () => {
    const err = usageErrorOf(() => parseOutputFormat('jsonpath={.a}', ['table', 'wide', 'name']))
    expect(err.message).toMatch(/allowed formats are: name,wide$/)
  })

  it('parses -o jsonpath=… and custom-columns=… when json is allowed', () => {
    const jsonpath = parseOutputFormat('jsonpath={.items[*].name}', ['table', 'json'])
    expect(typeof jsonpath === 'object' && jsonpath.kind).toBe('jsonpath')
    const columns = parseOutputFormat('custom-columns=NAME:.name,CPU:.cpu', ['table', 'json'])
    expect(
      typeof columns === 'object' && columns.kind === 'custom-columns' && columns.columns.map((c) => c.header),
    ).toEqual(['NAME', 'CPU'])
  })

  it.each([
    ['jsonpath={.items[}', 'error parsing jsonpath {.items[}, unterminated array'],
    ['jsonpath={.a', 'error parsing jsonpath {.a, unclosed action'],
    ['jsonpath=', 'template format specified but no template given'],
    ['jsonpath-file=/nonexistent/t.txt', 'error reading --template /nonexistent/t.txt, '],
    ['custom-columns=', 'custom-columns format specified but no custom columns given'],
    ['custom-columns=NAME', 'unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>'],
    [
      'custom-columns=A:{a}{b}',
      "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'",
    ],
  ])('%s is a one-line usage error', (value, message) => {
    const err = usageErrorOf(() => parseOutputFormat(value, ['table', 'json']))
    expect(err.kind).toBe('usage')
    expect(err.exitCode).toBe(2)
    expect(err.message.startsWith(message)).toBe(true)
    expect(err.message).not.toContain('\n')
  })
})

describe('isOutputFormat', () => {
  it.each([
    ['tsv', true],
    ['table', true],
    ['Table', false],
    ['jsonpath', false],
  ] as const)('%s → %s', (value, expected) => {
    expect(isOutputFormat(value)).toBe(expected)
  })
})
