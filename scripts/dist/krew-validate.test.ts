import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { pack } from 'tar-stream'
import { describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { isLicenseFile, selectorMatches, validateArchive, validateIndex, validateManifest } from './krew-validate.ts'
import { REPO_ROOT } from './plugins.ts'

/** A YAML document the cases poke at arbitrary paths; it has no useful static type. */
// biome-ignore lint/suspicious/noExplicitAny: see above
type Doc = Record<string, any>

/** A manifest that passes every rule; each case below breaks one. */
function goodManifest(): Doc {
  return {
    apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
    kind: 'Plugin',
    metadata: { name: 'ae-sessions' },
    spec: {
      version: 'v1.2.3',
      shortDescription: 'Sessions and runs',
      platforms: [
        {
          selector: { matchLabels: { os: 'linux', arch: 'amd64' } },
          uri: 'https://example.test/a.tar.gz',
          sha256: 'a'.repeat(64),
          bin: 'kubectl-ae_sessions',
          files: [{ from: 'kubectl-ae_sessions', to: '.' }],
        },
        {
          selector: { matchExpressions: [{ key: 'os', operator: 'In', values: ['darwin'] }] },
          uri: 'https://example.test/b.tar.gz',
          sha256: 'b'.repeat(64),
          bin: 'kubectl-ae_sessions',
        },
      ],
    },
  }
}

const check = (m: Record<string, unknown>, file = 'ae-sessions.yaml') => validateManifest(stringify(m), file).problems

describe('krew manifest rules', () => {
  it('a correct manifest has no problems', () => {
    expect(check(goodManifest())).toEqual([])
  })

  const cases: { rule: string; breakIt: (m: Doc) => void; file?: string; expected: string }[] = [
    { rule: 'apiVersion exact', breakIt: (m) => (m.apiVersion = 'krew/v1'), expected: 'apiVersion' },
    { rule: 'kind Plugin', breakIt: (m) => (m.kind = 'plugin'), expected: 'kind' },
    { rule: 'name pattern', breakIt: (m) => (m.metadata.name = 'ae.sessions'), expected: 'metadata.name: must match' },
    {
      rule: 'name not a Windows device',
      breakIt: (m) => (m.metadata.name = 'nul'),
      file: 'nul.yaml',
      expected: 'reserved Windows',
    },
    { rule: 'name equals file name', breakIt: () => {}, file: 'sessions.yaml', expected: 'must equal the file name' },
    { rule: 'file ends in .yaml', breakIt: () => {}, file: 'ae-sessions.yml', expected: 'must end in .yaml' },
    { rule: 'version has v', breakIt: (m) => (m.spec.version = '1.2.3'), expected: 'spec.version' },
    { rule: 'version is semver', breakIt: (m) => (m.spec.version = 'v1.2'), expected: 'spec.version' },
    { rule: 'shortDescription set', breakIt: (m) => (m.spec.shortDescription = ' '), expected: 'empty' },
    { rule: 'shortDescription one line', breakIt: (m) => (m.spec.shortDescription = 'a\nb'), expected: 'one line' },
    { rule: 'platforms present', breakIt: (m) => (m.spec.platforms = []), expected: 'at least one' },
    { rule: 'uri set', breakIt: (m) => delete m.spec.platforms[0].uri, expected: '.uri: missing' },
    { rule: 'sha256 lowercase hex', breakIt: (m) => (m.spec.platforms[0].sha256 = 'A'.repeat(64)), expected: 'sha256' },
    { rule: 'sha256 length', breakIt: (m) => (m.spec.platforms[0].sha256 = 'a'.repeat(63)), expected: 'sha256' },
    { rule: 'bin set', breakIt: (m) => delete m.spec.platforms[0].bin, expected: '.bin: missing' },
    { rule: 'selector present', breakIt: (m) => delete m.spec.platforms[0].selector, expected: 'selector: missing' },
    {
      rule: 'selector keys os/arch only',
      breakIt: (m) => (m.spec.platforms[0].selector.matchLabels.distro = 'debian'),
      expected: 'key "distro"',
    },
    {
      rule: 'matchLabels not empty',
      breakIt: (m) => (m.spec.platforms[0].selector = { matchLabels: {} }),
      expected: 'matchLabels: present but empty',
    },
    {
      rule: 'no overlapping platforms',
      breakIt: (m) => (m.spec.platforms[1].selector = { matchLabels: { os: 'linux' } }),
      expected: 'linux/amd64 is matched by 2',
    },
    {
      rule: 'platform matches a supported pair',
      breakIt: (m) => (m.spec.platforms[1].selector = { matchLabels: { os: 'plan9' } }),
      expected: 'matches no supported',
    },
    { rule: 'files not empty', breakIt: (m) => (m.spec.platforms[0].files = []), expected: 'files: present but empty' },
    {
      rule: 'files[].to clean (no ./)',
      breakIt: (m) => (m.spec.platforms[0].files[0].to = './bin'),
      expected: 'not a clean relative path',
    },
    {
      rule: 'files[].to stays inside',
      breakIt: (m) => (m.spec.platforms[0].files[0].to = '../x'),
      expected: 'not a clean relative path',
    },
    { rule: 'files[].from set', breakIt: (m) => delete m.spec.platforms[0].files[0].from, expected: 'from: missing' },
    {
      rule: 'selector operator known',
      breakIt: (m) => (m.spec.platforms[1].selector.matchExpressions[0].operator = 'Equals'),
      expected: 'operator "Equals" is not one of',
    },
    {
      rule: 'In needs values',
      breakIt: (m) => (m.spec.platforms[1].selector.matchExpressions[0].values = []),
      expected: 'operator In needs values',
    },
  ]

  it.each(cases)('rejects a manifest breaking "$rule"', ({ breakIt, file, expected }) => {
    const m = goodManifest()
    breakIt(m)
    // Some breakages trip a second rule too (a selector keyed on "distro" also matches no supported os/arch).
    const problems = check(m, file)
    expect(problems.some((problem) => problem.includes(expected))).toBe(true)
  })
})

async function tarGz(files: Record<string, string | undefined>): Promise<Buffer> {
  const archive = pack()
  const chunks: Buffer[] = []
  archive.on('data', (c: unknown) => {
    chunks.push(c as Buffer)
  })
  const ended = new Promise<void>((resolve) => archive.on('end', () => resolve()))
  for (const [name, body] of Object.entries(files)) if (body !== undefined) archive.entry({ name }, body)
  archive.finalize()
  await ended
  return gzipSync(Buffer.concat(chunks))
}

describe('krew archive rules', () => {
  const platform = (bytes: Buffer, extra: Record<string, unknown> = {}) => ({
    selector: { matchLabels: { os: 'linux', arch: 'amd64' } },
    uri: 'https://example.test/a.tar.gz',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bin: 'kubectl-usage',
    files: [
      { from: 'kubectl-usage', to: '.' },
      { from: 'LICENSE', to: '.' },
    ],
    ...extra,
  })

  it('a good archive installs the bin and the licence', async () => {
    const bytes = await tarGz({ 'kubectl-usage': '#!/bin/sh\n', LICENSE: 'Apache' })
    expect(await validateArchive(platform(bytes), bytes, 'p')).toEqual([])
  })

  it.each([
    {
      rule: 'sha256 equals the archive',
      files: { 'kubectl-usage': 'x', LICENSE: 'l' },
      sha: 'c'.repeat(64),
      expected: 'hashes to',
    },
    {
      rule: 'bin present after extraction',
      files: { 'kubectl-other': 'x', LICENSE: 'l' },
      expected: 'matches nothing',
    },
    { rule: 'LICENSE shipped', files: { 'kubectl-usage': 'x', README: 'r' }, expected: 'matches nothing' },
    { rule: 'no entry escapes', files: { 'kubectl-usage': 'x', LICENSE: 'l', '../evil': 'e' }, expected: 'refused' },
    {
      rule: 'no ".." anywhere in an entry name',
      files: { 'kubectl-usage': 'x', LICENSE: 'l', 'notes..txt': 'n' },
      expected: 'refused by Krew',
    },
    { rule: 'no absolute entry', files: { 'kubectl-usage': 'x', LICENSE: 'l', '/etc/x': 'e' }, expected: 'refused' },
    {
      rule: 'licence under a name Krew accepts',
      files: { 'kubectl-usage': 'x', 'LICENSE-APACHE': 'l' },
      expected: 'no licence file',
    },
  ])('rejects an archive breaking "$rule"', async ({ files, sha, expected }) => {
    const bytes = await tarGz(files)
    const problems = await validateArchive(platform(bytes, sha === undefined ? {} : { sha256: sha }), bytes, 'p')
    expect(problems.join('\n')).toContain(expected)
  })

  it('without files, the default "*" move still needs the licence', async () => {
    const bytes = await tarGz({ 'kubectl-usage': 'x' })
    const problems = await validateArchive(platform(bytes, { files: undefined }), bytes, 'p')
    expect(problems).toEqual([
      'p: no licence file (license, license.txt, license.md, licenses, licenses.txt, licenses.md, copying, copying.txt; any case) among the installed files',
    ])
  })

  it.each(['LICENSE', 'license.md', 'Licenses.TXT', 'COPYING', 'copying.txt', 'sub/LICENSE'])(
    'accepts the licence file name %s',
    async (name) => {
      expect(isLicenseFile(name)).toBe(true)
      const bytes = await tarGz({ 'kubectl-usage': 'x', [name]: 'l' })
      expect(await validateArchive(platform(bytes, { files: undefined }), bytes, 'p')).toEqual([])
    },
  )

  it.each(['LICENCE', 'LICENSE-APACHE', 'copying.md', 'license.rst'])('refuses the licence file name %s', (name) => {
    expect(isLicenseFile(name)).toBe(false)
  })
})

describe('label selectors as Krew compiles them', () => {
  const linux = { os: 'linux', arch: 'amd64' }
  it.each([
    { selector: { matchExpressions: [{ key: 'os', operator: 'In', values: ['linux'] }] }, matches: true },
    { selector: { matchExpressions: [{ key: 'os', operator: 'NotIn', values: ['linux'] }] }, matches: false },
    { selector: { matchExpressions: [{ key: 'os', operator: 'Exists' }] }, matches: true },
    { selector: { matchExpressions: [{ key: 'os', operator: 'in', values: ['linux'] }] }, matches: false },
    { selector: { matchExpressions: [{ key: 'os', operator: 'Equals', values: ['linux'] }] }, matches: false },
    { selector: { matchExpressions: [{ key: 'os', operator: 'NotIn', values: [] }] }, matches: false },
    { selector: { matchExpressions: [{ key: 'os', operator: 'Exists', values: ['linux'] }] }, matches: false },
  ])(
    '$selector.matchExpressions.0.operator $selector.matchExpressions.0.values → $matches',
    ({ selector, matches }) => {
      expect(selectorMatches(selector, linux)).toBe(matches)
    },
  )
})

describe('index layout', () => {
  const index = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'index-'))
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true })
      writeFileSync(join(dir, path), text)
    }
    return dir
  }
  const manifest = (name: string) => stringify({ ...goodManifest(), metadata: { name } })

  it('plugins/<name>.yaml at the root is an index', () => {
    expect(validateIndex(index({ 'plugins/ae-sessions.yaml': manifest('ae-sessions') }))).toEqual([])
  })

  it.each<{ layout: string; files: Record<string, string>; expected: string }>([
    {
      layout: 'manifests in a sub-folder',
      files: { 'krew-manifests/plugins/ae-sessions.yaml': '' },
      expected: 'no plugins/',
    },
    {
      layout: 'file name ≠ metadata.name',
      files: { 'plugins/sessions.yaml': manifest('ae-sessions') },
      expected: 'must equal the file name',
    },
    {
      layout: '.yml extension',
      files: { 'plugins/ae-sessions.yml': manifest('ae-sessions') },
      expected: 'only *.yaml',
    },
    {
      layout: 'nested folder',
      files: { 'plugins/x/ae-sessions.yaml': manifest('ae-sessions') },
      expected: 'ignores folders',
    },
  ])('rejects $layout', ({ files, expected }) => {
    expect(validateIndex(index(files)).join('\n')).toContain(expected)
  })
})

describe('the committed index', () => {
  const dir = join(REPO_ROOT, 'krew-manifests/plugins')
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'))

  it('is laid out as an index: plugins/<name>.yaml', () => {
    expect(validateIndex(join(REPO_ROOT, 'krew-manifests'))).toEqual([])
  })

  it.each(files)('%s passes every static rule', (file) => {
    const text = readFileSync(join(dir, file), 'utf8')
    expect(validateManifest(text, file).problems).toEqual([])
    expect(parse(text).spec.platforms.length).toBeGreaterThan(0)
  })
})
