import { describe, expect, it } from 'vitest'
import { csvField, renderCsv, renderTsv, tsvField } from './delimited.ts'
import type { TableView } from './table.ts'

describe('csvField (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    [' spaced ', ' spaced '],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['"', '""""'],
    ['line\nbreak', '"line\nbreak"'],
    ['cr\rhere', '"cr\rhere"'],
    ['tab\there', 'tab\there'],
    ['集群', '集群'],
  ])('%j → %j', (input, expected) => {
    expect(csvField(input)).toBe(expected)
  })
})

describe('tsvField', () => {
  it.each([
    ['plain', 'plain'],
    ['a\tb', 'a\\tb'],
    ['a\nb', 'a\\nb'],
    ['a\rb', 'a\\rb'],
    ['C:\\path', 'C:\\\\path'],
    ['\\t literally', '\\\\t literally'],
    ['a,"b"', 'a,"b"'],
  ])('%j → %j', (input, expected) => {
    expect(tsvField(input)).toBe(expected)
  })
})

describe('renderCsv and renderTsv', () => {
  const table: TableView = {
    columns: [{ header: 'NAME' }, { header: 'IP', wideOnly: true }, { header: 'NOTE', align: 'right' }],
    rows: [['a', '10.0.0.1', { text: 'x, "y"', role: 'bad' }], ['b', '', 'two\nlines'], ['c']],
  }

  it('prints a header row and every column, wide ones included, as plain text', () => {
    expect(renderCsv(table)).toBe('NAME,IP,NOTE\na,10.0.0.1,"x, ""y"""\nb,,"two\nlines"\nc,,\n')
    expect(renderTsv(table)).toBe('NAME\tIP\tNOTE\na\t10.0.0.1\tx, "y"\nb\t\ttwo\\nlines\nc\t\t\n')
  })

  it('leaves the header row out with noHeaders', () => {
    expect(renderCsv(table, { noHeaders: true }).split('\n')[0]).toBe('a,10.0.0.1,"x, ""y"""')
    expect(renderTsv(table, { noHeaders: true }).split('\n')[0]).toBe('a\t10.0.0.1\tx, "y"')
  })

  it('prints nothing for a table without rows', () => {
    expect(renderCsv({ columns: table.columns, rows: [] })).toBe('')
    expect(renderTsv({ columns: table.columns, rows: [] })).toBe('')
  })

  it('keeps every record on one line in tsv whatever the data', () => {
    const nasty: TableView = { columns: [{ header: 'V' }], rows: [['\t\n\r\\']] }
    expect(renderTsv(nasty, { noHeaders: true })).toBe('\\t\\n\\r\\\\\n')
  })
})
