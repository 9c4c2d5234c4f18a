import { describe, expect, it } from 'vitest'
import { kubeArgs, kubeFlagsFromArgs, outputArgs, verbosityFromArgs } from './args.ts'
import { parseArgv } from './parse.ts'

/** `kubectl options` of kubectl 1.3x, less klog's deprecated logging flags. */
const KUBECTL_GLOBAL_FLAGS = [
  'as',
  'as-group',
  'as-uid',
  'cache-dir',
  'certificate-authority',
  'client-certificate',
  'client-key',
  'cluster',
  'context',
  'disable-compression',
  'insecure-skip-tls-verify',
  'kubeconfig',
  'log-flush-frequency',
  'match-server-version',
  'namespace',
  'password',
  'profile',
  'profile-output',
  'request-timeout',
  'server',
  'tls-server-name',
  'token',
  'user',
  'username',
  'v',
  'vmodule',
  'warnings-as-errors',
]

describe('kubeArgs', () => {
  it('accepts every kubectl global flag under its kubectl name', () => {
    expect(Object.keys(kubeArgs)).toEqual(expect.arrayContaining(KUBECTL_GLOBAL_FLAGS))
  })

  it.each([
    ['namespace', 'n'],
    ['server', 's'],
    ['v', 'v'],
  ])('gives --%s the shorthand -%s as kubectl does', (name, shorthand) => {
    expect((kubeArgs as Record<string, { alias?: string }>)[name]?.alias).toBe(shorthand)
  })
})

describe('kubeFlagsFromArgs', () => {
  it('maps every given flag to the KubeFlags field', () => {
    const { args } = parseArgv(
      [
        '--kubeconfig=/k',
        '--context=c',
        '--cluster=cl',
        '--user=u',
        '-n',
        'ns',
        '-s',
        'https://h:6443',
        '--token=t',
        '--certificate-authority=/ca',
        '--client-certificate=/crt',
        '--client-key=/key',
        '--insecure-skip-tls-verify',
        '--tls-server-name=api',
        '--username=bob',
        '--password=pw',
        '--as=alice',
        '--as-group=g1',
        '--as-group=g2',
        '--as-uid=42',
        '--request-timeout=30s',
        '--disable-compression',
        '--via-ssh=me@bastion',
      ],
      kubeArgs,
    )
    expect(kubeFlagsFromArgs(args)).toEqual({
      kubeconfig: '/k',
      context: 'c',
      cluster: 'cl',
      user: 'u',
      namespace: 'ns',
      server: 'https://h:6443',
      token: 't',
      certificateAuthority: '/ca',
      clientCertificate: '/crt',
      clientKey: '/key',
      insecureSkipTlsVerify: true,
      tlsServerName: 'api',
      username: 'bob',
      password: 'pw',
      as: 'alice',
      asGroup: ['g1', 'g2'],
      asUid: '42',
      requestTimeout: '30s',
      disableCompression: true,
      viaSsh: 'me@bastion',
    })
  })

  it('leaves out what was not given, so the kubeconfig and our 60s default decide', () => {
    expect(kubeFlagsFromArgs(parseArgv(['--context=', '--insecure-skip-tls-verify=false'], kubeArgs).args)).toEqual({})
  })
})

describe('verbosityFromArgs', () => {
  it.each([
    [undefined, 0],
    ['0', 0],
    ['6', 6],
    ['99', 10],
  ])('reads -v %s as %i', (v, level) => {
    expect(verbosityFromArgs({ v })).toBe(level)
  })
})

describe('outputArgs', () => {
  it('names the allowed formats in the help, sorted and without the default table', () => {
    expect(outputArgs(['table', 'yaml', 'json', 'wide']).output.description).toBe(
      'Output format. One of: (custom-columns, custom-columns-file, json, jsonpath, jsonpath-as-json, jsonpath-file, wide, yaml); leave it out for a table',
    )
    expect(outputArgs(['table', 'wide']).output.description).toBe(
      'Output format. One of: (wide); leave it out for a table',
    )
  })

  it('completes the template formats with their = so the template follows', () => {
    expect(outputArgs(['table', 'json']).output.choices).toEqual([
      'custom-columns=',
      'custom-columns-file=',
      'json',
      'jsonpath=',
      'jsonpath-as-json=',
      'jsonpath-file=',
    ])
  })

  it('accepts a jsonpath template and rejects a bad one at parse time', () => {
    const defs = outputArgs(['table', 'json'])
    expect(parseArgv(['-o', 'jsonpath={.items[*].name}'], defs).args.output).toBe('jsonpath={.items[*].name}')
    expect(() => parseArgv(['-o', 'jsonpath={.items[}'], defs)).toThrow(
      'error parsing jsonpath {.items[}, unterminated array',
    )
  })

  it('accepts an allowed format and an empty -o (the default)', () => {
    const defs = outputArgs(['json', 'yaml'])
    expect(parseArgv(['-o', 'yaml'], defs).args.output).toBe('yaml')
    expect(parseArgv(['-o='], defs).args.output).toBe('')
  })
})
