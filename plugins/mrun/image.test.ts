import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { collectContext, removeOrphanedStages, stageContext } from './image.ts'

/** A project folder with these files (each holding its own path) and ignore files; removed after each test. */
let roots: string[] = []
function project(files: string[], ignore: { dockerignore?: string; mrunignore?: string }): string {
  const root = mkdtempSync(join(tmpdir(), 'mrun-image-test-'))
  roots.push(root)
  for (const file of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true })
    writeFileSync(join(root, file), file)
  }
  if (ignore.dockerignore !== undefined) writeFileSync(join(root, '.dockerignore'), ignore.dockerignore)
  if (ignore.mrunignore !== undefined) writeFileSync(join(root, '.mrunignore'), ignore.mrunignore)
  return root
}
afterEach(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
  roots = []
})

const sent = (root: string): string[] => collectContext(root, { baseImage: 'python:3.12' }).files.map((f) => f.path)

describe('.dockerignore follows Docker rules (the examples of the Dockerfile reference)', () => {
  it.each([
    {
      rule: '*/temp* excludes temp… one level below the root only',
      dockerignore: '# comment\n*/temp*\n',
      files: ['somedir/temporary.txt', 'somedir/temp/x', 'temp.txt', 'a/b/temporary.txt'],
      kept: ['a/b/temporary.txt', 'temp.txt'],
    },
    {
      rule: '*/*/temp* excludes temp… two levels below the root only',
      dockerignore: '*/*/temp*\n',
      files: ['somedir/subdir/temporary.txt', 'somedir/temporary.txt', 'temporary.txt'],
      kept: ['somedir/temporary.txt', 'temporary.txt'],
    },
    {
      rule: 'temp? excludes one-character extensions of temp in the root',
      dockerignore: 'temp?\n',
      files: ['tempa', 'tempb', 'tempab', 'sub/tempa'],
      kept: ['sub/tempa', 'tempab'],
    },
    {
      rule: '**/*.go excludes .go files at any depth, the root included',
      dockerignore: '**/*.go\n',
      files: ['main.go', 'cmd/x/main.go', 'README.md'],
      kept: ['README.md'],
    },
    {
      rule: '*.md is anchored at the root: docs/a.md stays',
      dockerignore: '*.md\n',
      files: ['a.md', 'docs/a.md', 'train.py'],
      kept: ['docs/a.md', 'train.py'],
    },
    {
      rule: '*.md with !README.md keeps the README',
      dockerignore: '*.md\n!README.md\n',
      files: ['CHANGES.md', 'README.md'],
      kept: ['README.md'],
    },
    {
      rule: 'the last matching line decides: README-secret.md is excluded again',
      dockerignore: '*.md\n!README*.md\nREADME-secret.md\n',
      files: ['CHANGES.md', 'README.md', 'README-secret.md', 'README-public.md'],
      kept: ['README-public.md', 'README.md'],
    },
    {
      rule: 'a directory name excludes what is inside it, at the root only',
      dockerignore: 'data\n',
      files: ['data/a.bin', 'data/deep/b.bin', 'src/data/c.py', 'train.py'],
      kept: ['src/data/c.py', 'train.py'],
    },
    {
      rule: 'a file inside an excluded directory can be re-included',
      dockerignore: 'checkpoints/\n!checkpoints/best.pt\n',
      files: ['checkpoints/best.pt', 'checkpoints/epoch1.pt', 'train.py'],
      kept: ['checkpoints/best.pt', 'train.py'],
    },
    {
      rule: 'a leading / and ./ mean the root, as Docker cleans them',
      dockerignore: '/secrets.env\n./notes.txt\n',
      files: ['secrets.env', 'notes.txt', 'sub/secrets.env'],
      kept: ['sub/secrets.env'],
    },
  ])('$rule', ({ dockerignore, files, kept }) => {
    expect(sent(project(files, { dockerignore }))).toEqual(kept)
  })

  it('.mrunignore is read after .dockerignore with the same rules: it can exclude more and re-include', () => {
    const root = project(['a.md', 'docs/a.md', 'data/big.bin', 'data/labels.csv', 'train.py'], {
      dockerignore: 'data/\n',
      mrunignore: '**/*.md\n!data/labels.csv\n',
    })
    expect(sent(root)).toEqual(['data/labels.csv', 'train.py'])
  })

  it('version control folders at any depth and the ignore files never go in, even with ! patterns', () => {
    const root = project(['.git/HEAD', 'vendor/lib/.git/HEAD', '.hg/store', 'train.py'], {
      dockerignore: '!.git\n!.dockerignore\n',
    })
    expect(sent(root)).toEqual(['train.py'])
  })

  it('the tag changes when an excluded file is re-included, and not when an excluded file changes', () => {
    const root = project(['train.py', 'notes.md'], { dockerignore: '*.md\n' })
    const first = collectContext(root, { baseImage: 'python:3.12' }).hash
    writeFileSync(join(root, 'notes.md'), 'edited')
    expect(collectContext(root, { baseImage: 'python:3.12' }).hash).toBe(first)
    writeFileSync(join(root, '.dockerignore'), '')
    expect(collectContext(root, { baseImage: 'python:3.12' }).hash).not.toBe(first)
  })
})

describe('the staged copy of the project', () => {
  it('is removed when copying fails halfway, and the error goes on', () => {
    const root = project(['a.py', 'b.py', '.env'], {})
    const context = collectContext(root, { baseImage: 'python:3.12' })
    rmSync(join(root, 'b.py')) // vanishes between listing and copying
    const tmp = mkdtempSync(join(tmpdir(), 'mrun-stage-tmp-'))
    roots.push(tmp)
    const saved = process.env.TMPDIR
    process.env.TMPDIR = tmp
    try {
      expect(() => stageContext(context)).toThrow(/ENOENT/)
    } finally {
      if (saved === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = saved
    }
    expect(readdirSync(tmp)).toEqual([])
  })

  it('left by a process that is gone is removed; one of a live process is kept', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'mrun-stage-tmp-'))
    roots.push(tmp)
    const child = spawn('true')
    const dead = await new Promise<number>((resolve) => child.on('close', () => resolve(child.pid as number)))
    for (const name of [`mrun-build-${dead}-abc`, `mrun-build-${process.ppid}-def`, `mrun-build-${process.pid}-ghi`]) {
      mkdirSync(join(tmp, name))
      writeFileSync(join(tmp, name, '.env'), 'API_KEY=x')
    }
    writeFileSync(join(tmp, 'mrun-build-1-not-a-folder'), '')
    expect(removeOrphanedStages(tmp)).toEqual([join(tmp, `mrun-build-${dead}-abc`)])
    expect(readdirSync(tmp).sort()).toEqual(
      [`mrun-build-${process.pid}-ghi`, `mrun-build-${process.ppid}-def`, 'mrun-build-1-not-a-folder'].sort(),
    )
  })
})
