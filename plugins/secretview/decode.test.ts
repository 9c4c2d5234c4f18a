import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { FIXED_NOW } from '../../shared/cli/memory-io.ts'
import { helmPayload, opensslCertificate, signedJwt } from '../../test/support/secrets.ts'
import {
  certificateFacts,
  decodeBase64,
  dockerConfigFacts,
  helmReleaseFacts,
  isPrintableText,
  jwtFacts,
  keyMatchesCertificate,
  pemBlocks,
  privateKeyFacts,
} from './decode.ts'

describe('decodeBase64', () => {
  it('decodes a 4 MiB value (a repeated-group regex overflowed the stack)', () => {
    const bytes = Buffer.alloc(4 << 20, 7)
    expect(decodeBase64(bytes.toString('base64'))?.equals(bytes)).toBe(true)
  })
  it.each(['abc', 'ab=c', 'a===', '****', 'YQ=', 'YWJj\u0000'])('refuses %j', (text) => {
    expect(decodeBase64(text)).toBeUndefined()
  })
  it.each([
    ['', ''],
    ['YQ==', 'a'],
    ['YWI=', 'ab'],
    ['YW Jj\n', 'abc'],
  ])('reads %j', (text, plain) => {
    expect(decodeBase64(text)?.toString()).toBe(plain)
  })
})

describe('decodeBase64', () => {
  it.each([
    ['aGVsbG8=', 'hello'],
    ['', ''],
    ['aGVs\nbG8=', 'hello'],
  ])('decodes %j', (text, expected) => {
    expect(decodeBase64(text)?.toString()).toBe(expected)
  })
  it.each(['aGVsbG8', 'a$bc', 'aGVsbG8==='])('refuses %j, which Buffer.from would half-decode', (text) => {
    expect(decodeBase64(text)).toBeUndefined()
  })
})

describe('isPrintableText', () => {
  it.each([
    ['ascii', Buffer.from('hello\tworld\n'), true],
    ['UTF-8', Buffer.from('grüße, 世界\n'), true],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x41]), false],
    ['NUL', Buffer.from([0x41, 0x00]), false],
    ['escape sequence', Buffer.from('\u001b[31mred'), false],
  ])('%s', (_case, bytes, printable) => {
    expect(isPrintableText(bytes)).toBe(printable)
  })
})

describe('certificates made by openssl', () => {
  const { cert, key } = opensslCertificate('web.example.com', ['web.example.com', 'www.example.com'], 45)
  it('gives subject, SANs and the days to expiry', () => {
    const facts = certificateFacts(cert, FIXED_NOW)
    expect(facts.subject).toBe('CN=web.example.com')
    expect(facts.sans).toEqual(['DNS:web.example.com', 'DNS:www.example.com'])
    expect(facts.daysLeft).toBe(45)
    expect(Math.round((facts.notAfter.getTime() - facts.notBefore.getTime()) / 86_400_000)).toBe(45)
  })
  it('tells whether a private key matches the certificate', () => {
    const { facts, key: keyObject } = privateKeyFacts(key)
    expect(facts).toMatchObject({ algorithm: 'rsa', bits: 2048 })
    expect(keyObject !== undefined && keyMatchesCertificate(cert, keyObject)).toBe(true)
    const other = opensslCertificate('other', ['other'], 1)
    expect(keyObject !== undefined && keyMatchesCertificate(other.cert, keyObject)).toBe(false)
  })
  it('splits a chain into blocks', () => {
    expect(pemBlocks(`${cert}${key}`).map((b) => b.label)).toEqual(['CERTIFICATE', 'PRIVATE KEY'])
  })
  it('throws on a malformed certificate', () => {
    expect(() =>
      certificateFacts('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', FIXED_NOW),
    ).toThrow()
  })
})

describe('jwtFacts', () => {
  it('reads header and claims of a real signed token and never the signature', () => {
    const token = signedJwt({ sub: 'system:serviceaccount:ml:ci', exp: 2_000_000_000, iat: 1_700_000_000 })
    const facts = jwtFacts(token)
    expect(facts?.header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'test' })
    expect(facts?.claims.sub).toBe('system:serviceaccount:ml:ci')
    expect(facts?.expiresAt?.toISOString()).toBe('2033-05-18T03:33:20.000Z')
    expect(JSON.stringify(facts)).not.toContain(token.split('.')[2])
  })
  it.each(['not a token', 'a.b.c', 'eyJhIjoxfQ.eyJiIjoyfQ.sig'])('is undefined for %j', (text) => {
    expect(jwtFacts(text)).toBeUndefined()
  })
})

describe('dockerConfigFacts', () => {
  it('lists registries and users, decodes auth, keeps only the password length', () => {
    const config = JSON.stringify({
      auths: {
        'ghcr.io': { auth: Buffer.from('bot:s3cret').toString('base64') },
        'quay.io': { username: 'me', password: 'pw', auth: '%%%' },
      },
    })
    expect(dockerConfigFacts(config)).toEqual([
      {
        registry: 'ghcr.io',
        username: 'bot',
        passwordBytes: undefined,
        authUser: 'bot',
        authMalformed: false,
        email: undefined,
      },
      {
        registry: 'quay.io',
        username: 'me',
        passwordBytes: 2,
        authUser: undefined,
        authMalformed: true,
        email: undefined,
      },
    ])
  })
  it('reads the legacy .dockercfg shape', () => {
    expect(dockerConfigFacts(JSON.stringify({ 'r.io': { username: 'u' } }))[0]?.registry).toBe('r.io')
  })
})

describe('helmReleaseFacts', () => {
  const release = {
    name: 'web',
    namespace: 'prod',
    version: 7,
    info: { status: 'deployed', last_deployed: '2026-11-01T00:00:00Z', description: 'Upgrade complete' },
    chart: { metadata: { name: 'web', version: '2.3.4', appVersion: '1.0' }, templates: [{}, {}] },
    config: { replicas: 3, image: { tag: 'x' } },
  }
  it('decodes base64 + gzip JSON into chart, revision, status and values keys', () => {
    expect(helmReleaseFacts(helmPayload(release))).toMatchObject({
      name: 'web',
      revision: 7,
      status: 'deployed',
      chart: 'web',
      chartVersion: '2.3.4',
      appVersion: '1.0',
      valuesKeys: ['image', 'replicas'],
      templates: 2,
    })
  })
  it('reads plain JSON releases of old Helm versions', () => {
    expect(helmReleaseFacts(Buffer.from(Buffer.from(JSON.stringify(release)).toString('base64'))).revision).toBe(7)
  })
  it.each([
    ['not base64', Buffer.from('%%%'), /not base64/],
    [
      'a cut gzip stream',
      Buffer.from(
        gzipSync(Buffer.from(JSON.stringify(release)))
          .subarray(0, 20)
          .toString('base64'),
      ),
      /gzip stream is corrupt/,
    ],
    ['gzip of something else', Buffer.from(gzipSync(Buffer.from('<xml/>')).toString('base64')), /not JSON/],
  ])('says what is wrong with %s', (_case, payload, message) => {
    expect(() => helmReleaseFacts(payload)).toThrow(message)
  })
  it('refuses a gzip bomb instead of inflating it, saying it is over the cap (not corrupt)', () => {
    const bomb = Buffer.from(gzipSync(Buffer.alloc(64 * 1024 * 1024)).toString('base64'))
    expect(() => helmReleaseFacts(bomb)).toThrow('it inflates past the cap of 32 MiB, so it is not read')
  })
})
