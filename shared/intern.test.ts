import { describe, expect, it } from 'vitest'
import { createInterner } from './intern.ts'

describe('createInterner', () => {
  it('gives back the first copy of an equal string', () => {
    const intern = createInterner()
    const first = intern(JSON.parse('"Running"') as string)
    expect(intern(JSON.parse('"Running"') as string)).toBe(first)
    expect(intern('Pending')).toBe('Pending')
  })

  it('forgets everything once full, so it never grows past its limit', () => {
    const intern = createInterner(2)
    intern('a')
    intern('b')
    intern('c')
    expect(intern('a')).toBe('a')
  })
})
