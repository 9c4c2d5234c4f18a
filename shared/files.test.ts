import * as fs from 'node:fs'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isSuiteError } from './errors.ts'
import { writeFilesAtomic } from './files.ts'

vi.mock('node:fs', async (original) => {
  const real = await original<typeof import('node:fs')>()
  return { ...real, writeSync: vi.fn(real.writeSync) }
})

const caught = (run: () => void): unknown => {
  try {
    run()
  } catch (error) {
    return error
  }
  return undefined
}

afterEach(() => {
  vi.mocked(fs.writeSync).mockRestore()
})

describe('writeFilesAtomic: all files or none', () => {
  it('writes every file with the mode given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'files-'))
    writeFilesAtomic(
      [
        { path: join(dir, 'a'), bytes: Buffer.from('1') },
        { path: join(dir, 'b'), bytes: Buffer.from('2') },
      ],
      { mode: 0o600, overwrite: false },
    )
    expect(readdirSync(dir).sort()).toEqual(['a', 'b'])
    expect(statSync(join(dir, 'b')).mode & 0o777).toBe(0o600)
  })

  it('a full disk on the second file leaves no file of the run, and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'files-'))
    let calls = 0
    const real = vi.mocked(fs.writeSync).getMockImplementation() as typeof fs.writeSync
    vi.mocked(fs.writeSync).mockImplementation(((...args: Parameters<typeof fs.writeSync>) => {
      calls++
      if (calls === 2) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
      return (real as (...a: unknown[]) => number)(...args)
    }) as typeof fs.writeSync)
    const error = caught(() =>
      writeFilesAtomic(
        [
          { path: join(dir, 'a'), bytes: Buffer.from('1') },
          { path: join(dir, 'b'), bytes: Buffer.from('2') },
        ],
        { mode: 0o600, overwrite: false },
      ),
    )
    expect(isSuiteError(error) && error.message).toBe(
      `cannot write ${join(dir, 'b')}: the disk is full; no file was written`,
    )
    expect(readdirSync(dir)).toEqual([])
  })

  it('with --overwrite, a failure puts back the files it replaced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'files-'))
    writeFileSync(join(dir, 'a'), 'old a')
    // The second target is a folder: renaming a file onto it fails after the first file was replaced.
    fs.mkdirSync(join(dir, 'b'))
    const error = caught(() =>
      writeFilesAtomic(
        [
          { path: join(dir, 'a'), bytes: Buffer.from('new a') },
          { path: join(dir, 'b'), bytes: Buffer.from('new b') },
        ],
        { mode: 0o600, overwrite: true },
      ),
    )
    expect(isSuiteError(error) && error.message).toMatch(
      new RegExp(`^cannot write ${join(dir, 'b')}: .*; no file was written$`),
    )
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('old a')
    expect(readdirSync(dir).sort()).toEqual(['a', 'b'])
  })
})
