import { describe, expect, it } from 'vitest'
import { readFolderStat } from './identity.ts'

describe('readFolderStat reads the upload probe line', () => {
  it.each([
    ['0 0 755 0\n', { uid: 0, gid: 0, mode: 0o755, nobodyWrites: false }],
    ['1000 1000 2775 1\n', { uid: 1000, gid: 1000, mode: 0o2775, nobodyWrites: true }],
    // uid and gid spelled like the mode stay decimal: only the mode is octal.
    ['755 755 755 0\n', { uid: 755, gid: 755, mode: 0o755, nobodyWrites: false }],
    ['644 100 644 1', { uid: 644, gid: 100, mode: 0o644, nobodyWrites: true }],
    ['0 2000 1777 1\n', { uid: 0, gid: 2000, mode: 0o1777, nobodyWrites: true }],
  ])('%j', (line, expected) => {
    expect(readFolderStat(line)).toEqual(expected)
  })

  it.each(['', 'stat: cannot stat\n', '0 0 799 0\n', '0 0 755 2\n', '0 0 755 1\nextra\n', '-1 0 755 0\n'])(
    'refuses %j',
    (line) => {
      expect(readFolderStat(line)).toBeUndefined()
    },
  )
})
