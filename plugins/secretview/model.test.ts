import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import type { V1Pod, V1Secret, V1ServiceAccount } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { FIXED_NOW } from '../../shared/cli/memory-io.ts'
import { renderView } from '../../shared/output/index.ts'
import { helmPayload, opensslCertificate, signedJwt } from '../../test/support/secrets.ts'
import { checkSecrets, podSecretReferences, serviceAccountSecretReferences } from './check-model.ts'
import { analyzeSecret, diffValues, secretProblems, secretValues } from './model.ts'
import {
  decodedSecretDocument,
  dotenvQuote,
  renderDiff,
  renderEnv,
  renderFindings,
  renderSecretList,
  renderSecretText,
} from './render.ts'

const now = FIXED_NOW
const b64 = (v: string | Uint8Array): string => Buffer.from(v).toString('base64')

function secret(name: string, type: string, data: Record<string, string | Uint8Array>, namespace = 'ml'): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, creationTimestamp: new Date('2026-11-01T00:00:00Z') },
    type,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  }
}

const opaque = secret('db', 'Opaque', {
  username: 'trainer',
  password: "it's a 'secret' $HOME `x`\n",
  'greeting.txt': 'grüße, 世界\n',
  'blob.bin': new Uint8Array([0, 159, 146, 150, 255]),
  empty: '',
})

describe('analyzeSecret', () => {
  it('names each value kind without putting the value in the summary', () => {
    const view = analyzeSecret(opaque, now)
    expect(view.keys.map((k) => [k.key, k.kind, k.size])).toEqual([
      ['blob.bin', 'binary', 5],
      ['empty', 'empty', 0],
      ['greeting.txt', 'text', 16],
      ['password', 'text', 26],
      ['username', 'text', 7],
    ])
    for (const key of view.keys) if (key.size > 0) expect(key.summary).not.toContain(key.bytes.toString('utf8'))
  })

  it('matches a TLS key to its certificate and reports a key from another pair', () => {
    const pair = opensslCertificate('api.example.com', ['api.example.com'], 20)
    const other = opensslCertificate('other.example.com', ['other.example.com'], 20)
    const good = analyzeSecret(secret('tls', 'kubernetes.io/tls', { 'tls.crt': pair.cert, 'tls.key': pair.key }), now)
    expect(good.keys.find((k) => k.key === 'tls.key')?.summary).toBe('rsa private key 2048 bits, matches tls.crt')
    expect(secretProblems(good)).toEqual([])
    const bad = analyzeSecret(secret('tls', 'kubernetes.io/tls', { 'tls.crt': other.cert, 'tls.key': pair.key }), now)
    expect(secretProblems(bad)).toEqual(['key "tls.key" does not match the certificate in tls.crt'])
  })

  it.each([
    [
      'malformed PEM',
      'kubernetes.io/tls',
      { 'tls.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
      /key "tls.crt": malformed PEM/,
    ],
    [
      'a PEM without END',
      'kubernetes.io/tls',
      { 'tls.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n' },
      /no complete BEGIN\/END block/,
    ],
    ['a corrupt Helm payload', 'helm.sh/release.v1', { release: 'H4sI' }, /corrupt Helm payload/],
    [
      'broken registry JSON',
      'kubernetes.io/dockerconfigjson',
      { '.dockerconfigjson': '{"auths":' },
      /malformed docker config JSON/,
    ],
  ])('reports %s as a problem', (_case, type, data, message) => {
    expect(secretProblems(analyzeSecret(secret('x', type, data), now)).join('\n')).toMatch(message)
  })

  it('reports malformed base64 in a manifest', () => {
    const { undecodable } = secretValues({ data: { good: 'aGk=', bad: 'a$b' } })
    expect(undecodable).toEqual(['bad'])
  })
})

describe('renderers', () => {
  const jwt = signedJwt({ sub: 'system:serviceaccount:ml:ci', exp: Math.floor(now.getTime() / 1000) + 86_400 * 3 })
  const helm = secret('sh.helm.release.v1.web.v2', 'helm.sh/release.v1', {
    release: helmPayload({
      name: 'web',
      version: 2,
      info: { status: 'deployed' },
      chart: { metadata: { name: 'web', version: '1.0.0' } },
      config: { replicas: 2 },
    }),
  })
  const registry = secret('pull', 'kubernetes.io/dockerconfigjson', {
    '.dockerconfigjson': JSON.stringify({
      auths: { 'ghcr.io': { username: 'bot', password: 'tok3n', auth: b64('bot:tok3n') } },
    }),
  })
  const token = secret('ci-token', 'kubernetes.io/service-account-token', { token: jwt, namespace: 'ml' })

  it('renders a secret like the golden file, masked', async () => {
    const text = renderSecretText(analyzeSecret(opaque, now), { now, reveal: false })
    for (const value of ['trainer', "it's a", 'grüße']) expect(text).not.toContain(value)
    await expect(text).toMatchFileSnapshot('./testdata/golden/show.opaque.txt')
  })
  it('renders registry, token and Helm details like the golden files, never a password or a signature', async () => {
    const texts = [registry, token, helm].map((s) => renderSecretText(analyzeSecret(s, now), { now, reveal: false }))
    const joined = texts.join('\n')
    expect(joined).not.toContain('tok3n')
    expect(joined).not.toContain(jwt.split('.')[2])
    await expect(joined).toMatchFileSnapshot('./testdata/golden/show.typed.txt')
  })
  it('reveals values escaped on one line, binary as base64', () => {
    const text = renderSecretText(analyzeSecret(opaque, now), { now, reveal: true })
    expect(text).toContain('grüße, 世界\\n')
    expect(text).toContain(`base64:${b64(new Uint8Array([0, 159, 146, 150, 255]))}`)
  })
  it('lists secrets like the golden file', async () => {
    const views = [opaque, registry, token, helm].map((s) => analyzeSecret(s, now))
    await expect(
      renderView(renderSecretList(views, { now, showNamespace: true }), 'table', { color: false }),
    ).toMatchFileSnapshot('./testdata/golden/list.table.txt')
  })
  it('writes a re-appliable Secret: text in stringData, binary in data', () => {
    const doc = decodedSecretDocument(analyzeSecret(opaque, now)) as {
      data: Record<string, string>
      stringData: Record<string, string>
    }
    expect(doc.data).toEqual({ 'blob.bin': b64(new Uint8Array([0, 159, 146, 150, 255])) })
    expect(doc.stringData.password).toBe("it's a 'secret' $HOME `x`\n")
  })
  it('-o env is eval-safe: a shell reads back every value byte for byte', () => {
    const { text, skipped } = renderEnv([analyzeSecret(opaque, now)], 'env')
    expect(skipped).toEqual(['blob.bin (not a variable name)', 'greeting.txt (not a variable name)'])
    const echoed = execFileSync('sh', ['-c', `${text}printf '%s' "$password"`]).toString()
    expect(echoed).toBe("it's a 'secret' $HOME `x`\n")
  })
  it('-o dotenv escapes quotes, backslashes and newlines', () => {
    expect(dotenvQuote('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"')
  })
  it('diff shows hashes, not values, unless revealing', () => {
    const changes = diffValues(
      new Map([
        ['a', Buffer.from('one')],
        ['b', Buffer.from('two')],
        ['c', Buffer.from('same')],
      ]),
      new Map([
        ['b', Buffer.from('TWO')],
        ['c', Buffer.from('same')],
        ['d', Buffer.from('new')],
      ]),
    )
    expect(changes.map((c) => `${c.key}:${c.change}`)).toEqual(['a:removed', 'b:changed', 'c:unchanged', 'd:added'])
    const hidden = renderView(renderDiff(changes, { reveal: false, showUnchanged: false }), 'table', { color: false })
    expect(hidden).not.toMatch(/one|two|TWO|new/)
    expect(hidden).toBe('KEY   CHANGE\na     removed\nb     changed\nd     added\n')
    const key = Buffer.alloc(32, 7)
    const hashed = renderView(renderDiff(changes, { reveal: false, showUnchanged: true, hashKey: key }), 'table', {
      color: false,
    })
    expect(hashed).toMatch(/^b +changed +hmac:[0-9a-f]{12} +hmac:[0-9a-f]{12}$/m)
    // Equal values share a fingerprint within the run; none is a plain sha256 of a value.
    const same = /^c +unchanged +(hmac:[0-9a-f]{12}) +(hmac:[0-9a-f]{12})$/m.exec(hashed)
    expect(same?.[1]).toBe(same?.[2])
    for (const value of ['one', 'two', 'TWO', 'same', 'new'])
      expect(hashed).not.toContain(createHash('sha256').update(value).digest('hex').slice(0, 12))
    const shown = renderView(renderDiff(changes, { reveal: true, showUnchanged: false }), 'table', { color: false })
    expect(shown).toMatch(/^b +changed +two +TWO$/m)
  })
})

describe('check', () => {
  const pod = {
    metadata: { name: 'web', namespace: 'ml' },
    spec: {
      imagePullSecrets: [{ name: 'pull' }],
      volumes: [
        { name: 'certs', secret: { secretName: 'tls' } },
        { name: 'mix', projected: { sources: [{ secret: { name: 'projected' } }] } },
        { name: 'opt', secret: { secretName: 'maybe', optional: true } },
      ],
      containers: [
        {
          name: 'app',
          env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
          envFrom: [{ secretRef: { name: 'gone' } }],
        },
      ],
    },
  } as unknown as V1Pod
  const account = {
    metadata: { name: 'ci', namespace: 'ml' },
    imagePullSecrets: [{ name: 'pull' }],
  } as V1ServiceAccount

  it('finds every way a pod refers to a secret', () => {
    expect(podSecretReferences(pod).map((r) => `${r.secret}${r.optional ? '?' : ''} ${r.from}`)).toEqual([
      'tls pod/web (volume certs)',
      'projected pod/web (projected volume mix)',
      'maybe? pod/web (volume opt)',
      'db pod/web (env PW of app)',
      'gone pod/web (envFrom of app)',
      'pull pod/web (imagePullSecrets)',
    ])
  })

  it('reports expiring, empty, missing and unused secrets, most urgent first', async () => {
    const soon = opensslCertificate('soon.example.com', ['soon.example.com'], 10)
    const later = opensslCertificate('later.example.com', ['later.example.com'], 200)
    const views = [
      secret('tls', 'kubernetes.io/tls', { 'tls.crt': soon.cert, 'tls.key': soon.key }),
      secret('tls-later', 'kubernetes.io/tls', { 'tls.crt': later.cert, 'tls.key': later.key }),
      opaque,
      secret('pull', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': '{"auths":{}}' }),
      secret('sh.helm.release.v1.x.v1', 'helm.sh/release.v1', { release: helmPayload({ name: 'x' }) }),
    ].map((s) => analyzeSecret(s, now))
    const refs = [...podSecretReferences(pod), ...serviceAccountSecretReferences(account)]
    const findings = checkSecrets(views, refs, { withinDays: 30 })
    expect(findings.map((f) => `${f.kind} ${f.secret}${f.key === undefined ? '' : `/${f.key}`}`)).toEqual([
      'missing gone',
      'missing projected',
      'expiring tls/tls.crt',
      'empty db/empty',
      'unused tls-later',
    ])
    const text = renderView(renderFindings(findings, { showNamespace: false }), 'table', { color: false })
    expect(text).toContain('referenced by pod/web (envFrom of app), does not exist')
  })
})
