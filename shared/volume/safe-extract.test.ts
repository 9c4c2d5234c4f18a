import { createHash, randomBytes } from 'node:crypto'
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import tar from 'tar-stream'
import { afterAll, describe, expect, it } from 'vitest'
import { SuiteError } from '../errors.ts'
import { safeExtract, safeMemberPath, symlinkStaysInside } from './safe-extract.ts'

type Entry = {
  name: string
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device'
  body?: string
  linkname?: string
}

/** A crafted archive, entry by entry, as a hostile volume could produce it, arriving as exec output does. */
async function archive(entries: Entry[]): Promise<Readable> {
  const pack = tar.pack()
  for (const e of entries) {
    if (e.type === undefined || e.type === 'file') pack.entry({ name: e.name, type: 'file' }, e.body ?? '')
    else pack.entry({ name: e.name, type: e.type, ...(e.linkname === undefined ? {} : { linkname: e.linkname }) })
  }
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of pack) chunks.push(chunk as Buffer)
  return Readable.from([Buffer.concat(chunks)])
}

const sandboxes: string[] = []
afterAll(() => {
  for (const dir of sandboxes) rmSync(dir, { recursive: true, force: true })
})

function sandbox(): { root: string; outside: string } {
  const base = mkdtempSync(join(tmpdir(), 'safe-extract-'))
  sandboxes.push(base)
  return { root: join(base, 'root'), outside: base }
}

describe('safeMemberPath', () => {
  it.each([
    ['./a/b', 'a/b'],
    ['a//b/', 'a/b'],
    ['./', '.'],
  ])('keeps %j as %j', (name, expected) => {
    expect(safeMemberPath(name)).toBe(expected)
  })
  it.each(['/etc/passwd', '../x', 'a/../../x', 'a/../b'])('refuses %j', (name) => {
    expect(() => safeMemberPath(name)).toThrow(SuiteError)
  })
})

describe('symlinkStaysInside', () => {
  it.each([
    ['a/link', 'b', true],
    ['a/link', '../b', true],
    ['a/link', '../../b', false],
    ['link', '/etc/passwd', false],
  ])('%s -> %s: %s', (member, target, inside) => {
    expect(symlinkStaysInside(member, target)).toBe(inside)
  })
})

describe('safeExtract refuses crafted archives and writes nothing outside', () => {
  it.each<[string, Entry[], RegExp]>([
    [
      'a .. member',
      [
        { name: 'ok.txt', body: 'fine' },
        { name: '../evil.txt', body: 'pwned' },
      ],
      /climbs out/,
    ],
    ['an absolute member', [{ name: '/tmp/evil.txt', body: 'pwned' }], /absolute path/],
    [
      'a hard link to a file the archive did not make',
      [{ name: 'h', type: 'link', linkname: '../outside/evil.txt' }],
      /climbs out/,
    ],
    [
      'a hard link to a name that is not a file of the archive',
      [
        { name: 'd', type: 'directory' },
        { name: 'h', type: 'link', linkname: 'd' },
      ],
      /not a file of this archive/,
    ],
  ])('%s', async (_case, entries, message) => {
    const { root, outside } = sandbox()
    await expect(safeExtract(await archive(entries), root)).rejects.toThrow(message)
    expect(existsSync(join(outside, 'evil.txt'))).toBe(false)
  })

  it('extracts files, folders, empty files, unicode names and inside symlinks, and counts them', async () => {
    const { root } = sandbox()
    const stats = await safeExtract(
      await archive([
        { name: 'dir', type: 'directory' },
        { name: 'dir/ünïcødé 名前.txt', body: 'text' },
        { name: 'dir/empty', body: '' },
        { name: 'dir/link', type: 'symlink', linkname: 'empty' },
      ]),
      root,
    )
    expect(stats).toEqual({
      files: 2,
      links: 0,
      directories: 1,
      symlinks: 1,
      bytes: 4,
      skipped: [],
      outside: [],
      hashes: new Map(),
    })
    expect(readFileSync(join(root, 'dir/ünïcødé 名前.txt'), 'utf8')).toBe('text')
    expect(lstatSync(join(root, 'dir/link')).isSymbolicLink()).toBe(true)
  })

  it('makes hard links inside the folder, hashes while writing, and skips devices with one warning', async () => {
    const { root } = sandbox()
    const warnings: string[] = []
    const stats = await safeExtract(
      await archive([
        { name: 'f', body: 'x' },
        { name: 'h', type: 'link', linkname: 'f' },
        { name: 'dev', type: 'character-device' },
      ]),
      root,
      { hash: true, warn: (m) => warnings.push(m) },
    )
    expect(stats).toMatchObject({ files: 1, links: 1, bytes: 1, skipped: ['dev'] })
    expect(statSync(join(root, 'h')).ino).toBe(statSync(join(root, 'f')).ino)
    expect(stats.hashes.get('h')).toBe(stats.hashes.get('f'))
    expect(stats.hashes.get('f')).toBe('2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881')
    expect(existsSync(join(root, 'dev'))).toBe(false)
    expect(warnings).toEqual(['skipped 1 special file (FIFOs, sockets and devices hold no data to copy): "dev"'])
  })

  it('skips symlinks that point outside with one warning, and never writes through them', async () => {
    const { root, outside } = sandbox()
    const warnings: string[] = []
    const stats = await safeExtract(
      await archive([
        { name: 'out', type: 'symlink', linkname: '..' },
        { name: 'out/evil.txt', body: 'x' },
        { name: 'passwd', type: 'symlink', linkname: '/etc/passwd' },
      ]),
      root,
      { warn: (m) => warnings.push(m) },
    )
    expect(existsSync(join(outside, 'evil.txt'))).toBe(false)
    expect(lstatSync(join(root, 'out')).isDirectory()).toBe(true)
    expect(existsSync(join(root, 'passwd'))).toBe(false)
    expect(stats.outside).toEqual(['out → ..', 'passwd → /etc/passwd'])
    expect(warnings).toEqual([
      'skipped 2 symlinks pointing outside the folder (not copied, never followed): "out → ..", "passwd → /etc/passwd"',
    ])
  })

  it('never overwrites: a second entry with the same name is an error', async () => {
    const { root } = sandbox()
    await expect(
      safeExtract(
        await archive([
          { name: 'f', body: 'one' },
          { name: 'f', body: 'two' },
        ]),
        root,
      ),
    ).rejects.toThrow(/EEXIST/)
    expect(readFileSync(join(root, 'f'), 'utf8')).toBe('one')
  })
})

describe('safeExtract on a cut stream (Ctrl-C, a dropped connection)', () => {
  it('rejects instead of keeping a truncated file', async () => {
    const { root } = sandbox()
    const pack = tar.pack()
    pack.entry({ name: 'big.bin', type: 'file' }, Buffer.alloc(8 * 1024 * 1024, 1))
    pack.finalize()
    const chunks: Buffer[] = []
    for await (const chunk of pack) chunks.push(chunk as Buffer)
    const whole = Buffer.concat(chunks)
    // The archive ends in the middle of the file's data, in small pieces as a socket delivers it.
    const cut = whole.subarray(0, 3 * 1024 * 1024)
    const pieces = Array.from({ length: Math.ceil(cut.length / 65536) }, (_, i) =>
      cut.subarray(i * 65536, (i + 1) * 65536),
    )
    await expect(safeExtract(Readable.from(pieces), root)).rejects.toThrow()
  })
})

describe('safeExtract of files larger than its write buffer', () => {
  it('writes every byte in order and hashes them, whatever sizes the pieces arrive in', async () => {
    const { root } = sandbox()
    // Not a multiple of the 64 KiB write buffer, arriving in pieces that straddle its edges (TLS gives 16 KiB).
    const first = randomBytes(3 * 65_536 + 12_345)
    const second = randomBytes(70_001)
    const pack = tar.pack()
    pack.entry({ name: 'a.bin', type: 'file' }, first)
    pack.entry({ name: 'b.bin', type: 'file' }, second)
    pack.finalize()
    const chunks: Buffer[] = []
    for await (const chunk of pack) chunks.push(chunk as Buffer)
    const whole = Buffer.concat(chunks)
    const pieces: Buffer[] = []
    for (let at = 0, size = 1; at < whole.length; at += size, size = 1 + ((size * 7 + 5) % 40_000)) {
      pieces.push(whole.subarray(at, at + size))
    }
    const stats = await safeExtract(Readable.from(pieces), root, { hash: true })
    expect(readFileSync(join(root, 'a.bin')).equals(first)).toBe(true)
    expect(readFileSync(join(root, 'b.bin')).equals(second)).toBe(true)
    expect(stats.bytes).toBe(first.length + second.length)
    expect(stats.hashes.get('a.bin')).toBe(createHash('sha256').update(first).digest('hex'))
    expect(stats.hashes.get('b.bin')).toBe(createHash('sha256').update(second).digest('hex'))
  })
})
