import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPki, type IssuedCert, issueClientCert } from '../../../test/sim/pki.ts'
import type { ResolvedConnection } from '../types.ts'
import { certificateCommonName, kubeconfigUserName } from './identity.ts'

let dir = ''
let alice: IssuedCert

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'identity-'))
  alice = issueClientCert(createPki(dir), 'alice', ['devs', 'ops'])
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('certificateCommonName', () => {
  it('reads the CN of a PEM certificate, as a Buffer or a string', () => {
    expect([certificateCommonName(alice.cert), certificateCommonName(alice.cert.toString())]).toEqual([
      'alice',
      'alice',
    ])
  })

  it.each([
    { name: 'not a certificate', input: 'hello' },
    { name: 'a private key', input: 'key' },
  ])('is undefined for $name', ({ input }) => {
    expect(certificateCommonName(input === 'key' ? alice.key : input)).toBeUndefined()
  })
})

describe('kubeconfigUserName: who --mine means without SelfSubjectReview', () => {
  const connection = (user: Partial<ResolvedConnection['user']>): ResolvedConnection => ({
    contextName: 'x',
    cluster: { name: 'c', server: 'https://k', insecureSkipTlsVerify: false, disableCompression: false },
    user: { name: 'kube-user', impersonateGroups: [], ...user },
    namespace: 'default',
    source: 'test',
    requestTimeoutMs: 0,
  })

  it.each([
    {
      name: 'the impersonated user first',
      user: { impersonate: 'jane', certData: Buffer.from('x') },
      expected: 'jane',
    },
    { name: 'then the basic-auth user name', user: { username: 'bob' }, expected: 'bob' },
    { name: 'then the CN of embedded certificate data', user: { certData: Buffer.from('') }, expected: 'alice' },
    { name: 'then the CN of a certificate file', user: { certFile: 'CERT_FILE' }, expected: 'alice' },
    { name: 'then the kubeconfig user entry name', user: { token: 't' }, expected: 'kube-user' },
    {
      name: 'nothing for the synthetic in-cluster user',
      user: { name: 'in-cluster', tokenFile: '/t' },
      expected: undefined,
    },
    { name: 'nothing for flags without a user entry', user: { name: '', token: 't' }, expected: undefined },
  ])('$name', ({ user, expected }) => {
    const withCert =
      user.certData !== undefined && user.certData.length === 0 ? { ...user, certData: alice.cert } : user
    const withFile = withCert.certFile === 'CERT_FILE' ? { ...withCert, certFile: alice.certPath } : withCert
    expect(kubeconfigUserName(connection(withFile))).toBe(expected)
  })
})
