import { describe, expect, it, vi } from 'vitest'
import { parseYamlQuietly, YamlSyntaxError } from './yaml.ts'

describe('parseYamlQuietly', () => {
  it('prints no warning for an unknown tag (the yaml library logs the source line)', () => {
    const warn = vi.spyOn(process, 'emitWarning')
    const log = vi.spyOn(console, 'warn')
    expect(parseYamlQuietly('token: !custom SECRET-1\n')).toEqual({ token: 'SECRET-1' })
    expect(warn).not.toHaveBeenCalled()
    expect(log).not.toHaveBeenCalled()
    warn.mockRestore()
    log.mockRestore()
  })

  it.each([
    ['password: "SECRET-2\nx: [\n', 3, 1],
    ['a: 1\n  b: SECRET-4\n', 1, 4],
    ['a: [1, 2\npassword: SECRET-5\n', 2, 1],
  ])('reports line and column of %j, never its text', (text, line, column) => {
    let caught: unknown
    try {
      parseYamlQuietly(text)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(YamlSyntaxError)
    const error = caught as YamlSyntaxError
    expect(error.message).not.toMatch(/SECRET/)
    expect([error.line, error.column]).toEqual([line, column])
  })
})
