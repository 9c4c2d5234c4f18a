import { describe, expect, it } from 'vitest'
import { type ErrorKind, SuiteError } from '../../errors.ts'
import type { KubeFlags } from '../types.ts'
import { type ReadFile, resolveConnection } from './index.ts'

/**
 * The rules kubectl applies that a recording server cannot show, and every way a configuration can be unusable,
 * against an in-memory file system so each case states its whole world.
 */

/** Files by absolute path; a path ending in "/" is a directory. Missing paths fail with ENOENT like fs does. */
function memoryFiles(files: Record<string, string>): ReadFile {
  return (path) => {
    if (`${path}/` in files) throw Object.assign(new Error(`EISDIR: ${path}`), { code: 'EISDIR' })
    const content = files[path]
    if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' })
    return content
  }
}

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
const HOME = '/home/me'

/** A kubeconfig at ~/.kube/config with one context "x" → cluster "c" / user "u", plus extra YAML. */
function homeConfig(users: string, clusters = '[{name: c, cluster: {server: "https://k8s.example:6443"}}]'): string {
  return `current-context: x
contexts: [{name: x, context: {cluster: c, user: u}}]
clusters: ${clusters}
users: ${users}
`
}

interface World {
  files?: Record<string, string>
  env?: NodeJS.ProcessEnv
}

function resolveIn(world: World, flags: KubeFlags = {}) {
  return resolveConnection(flags, {
    env: world.env ?? {},
    homeDir: HOME,
    serviceAccountDir: '/sa',
    readFile: memoryFiles(world.files ?? {}),
    cwd: '/work',
  })
}

function failure(run: () => unknown): { kind: ErrorKind; message: string } {
  try {
    run()
  } catch (error) {
    if (error instanceof SuiteError) return { kind: error.kind, message: error.message }
    throw error
  }
  throw new Error('expected a SuiteError')
}

const SA_FILES = { '/sa/token': 'sa-token\n', '/sa/ca.crt': CA_PEM, '/sa/namespace': 'team-a\n' }
const POD_ENV = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }

describe('unusable configurations fail with one line naming the problem', () => {
  const kubeconfigAt = (text: string): Record<string, string> => ({ [`${HOME}/.kube/config`]: text })
  const cases: { name: string; world: World; flags?: KubeFlags; kind: ErrorKind; message: string }[] = [
    {
      name: 'malformed YAML names the file and the line',
      world: { files: kubeconfigAt('current-context: x\nclusters:\n  - name: c\n   bad: 1\n') },
      kind: 'config',
      message: `error loading config file "${HOME}/.kube/config": yaml: line 4, column 1: sequence item without - indicator`,
    },
    {
      name: 'a field of the wrong type names the field',
      world: { files: kubeconfigAt('clusters: [{name: c, cluster: {server: 123}}]') },
      kind: 'config',
      message: `error loading config file "${HOME}/.kube/config": clusters[0].cluster.server must be a string, not a number`,
    },
    {
      name: 'a YAML 1.1 boolean where a name belongs is a type error, as in go-yaml',
      world: { files: kubeconfigAt('contexts: [{name: y, context: {}}]') },
      kind: 'config',
      message: `error loading config file "${HOME}/.kube/config": contexts[0].name must be a string, not a boolean`,
    },
    {
      name: 'a document that is not a mapping',
      world: { files: kubeconfigAt('- a\n- b\n') },
      kind: 'config',
      message: `error loading config file "${HOME}/.kube/config": not a kubeconfig: the document is a list, not a mapping`,
    },
    {
      name: 'another kind of object',
      world: { files: kubeconfigAt('apiVersion: v1\nkind: Pod\n') },
      kind: 'config',
      message: `error loading config file "${HOME}/.kube/config": kind "Pod" is not a kubeconfig (kind Config)`,
    },
    {
      name: 'a name used twice in one file',
      world: { files: kubeconfigAt('users: [{name: u, user: {token: a}}, {name: u, user: {token: b}}]') },
      kind: 'config',
      message: `error loading config file "${HOME}/.kube/config": duplicate name "u" in users`,
    },
    {
      name: 'a missing --kubeconfig file',
      world: {},
      flags: { kubeconfig: '/nope/config' },
      kind: 'config',
      message: 'error loading config file "/nope/config": no such file or directory',
    },
    {
      name: 'a relative --kubeconfig is reported as the absolute path tried',
      world: {},
      flags: { kubeconfig: 'rel/config' },
      kind: 'config',
      message: 'error loading config file "/work/rel/config": no such file or directory',
    },
    {
      name: 'a --kubeconfig that is a directory',
      world: { files: { '/etc/': '' } },
      flags: { kubeconfig: '/etc' },
      kind: 'config',
      message: 'error loading config file "/etc": is a directory',
    },
    {
      name: 'an unknown --context',
      world: { files: kubeconfigAt(homeConfig('[{name: u, user: {token: t}}]')) },
      flags: { context: 'nope' },
      kind: 'config',
      message: 'context "nope" does not exist',
    },
    {
      name: 'an unknown --cluster',
      world: { files: kubeconfigAt(homeConfig('[{name: u, user: {token: t}}]')) },
      flags: { cluster: 'nope' },
      kind: 'config',
      message: 'cluster "nope" does not exist',
    },
    {
      name: 'an unknown --user',
      world: { files: kubeconfigAt(homeConfig('[{name: u, user: {token: t}}]')) },
      flags: { user: 'nope' },
      kind: 'config',
      message: 'user "nope" does not exist',
    },
    {
      name: 'current-context naming a missing context, in kubectl words',
      world: { files: kubeconfigAt('current-context: gone\ncontexts: [{name: other, context: {}}]') },
      kind: 'config',
      message: 'context was not found for specified context: gone',
    },
    {
      name: 'current-context naming a missing context even with --server',
      world: { files: kubeconfigAt('current-context: gone') },
      flags: { server: 'https://k8s.example' },
      kind: 'config',
      message: 'context was not found for specified context: gone',
    },
    {
      name: 'a context referencing a missing cluster',
      world: { files: kubeconfigAt(homeConfig('[{name: u, user: {token: t}}]', '[]')) },
      kind: 'config',
      message: 'cluster "c" of context "x" does not exist',
    },
    {
      name: 'a context referencing a missing user',
      world: { files: kubeconfigAt(homeConfig('[]')) },
      kind: 'config',
      message: 'user "u" of context "x" does not exist',
    },
    {
      name: 'a cluster without a server',
      world: {
        files: kubeconfigAt(
          homeConfig('[{name: u, user: {token: t}}]', '[{name: c, cluster: {insecure-skip-tls-verify: true}}]'),
        ),
      },
      kind: 'config',
      message: 'no server found for cluster "c"',
    },
    {
      name: 'a server that is not a URL',
      world: {
        files: kubeconfigAt(
          homeConfig('[{name: u, user: {token: t}}]', '[{name: c, cluster: {server: "https://[bad"}}]'),
        ),
      },
      kind: 'config',
      message: 'invalid server "https://[bad" for cluster "c": not a URL',
    },
    {
      name: 'bad base64 in certificate-authority-data names the field and the cluster',
      world: {
        files: kubeconfigAt(
          homeConfig('[]', '[{name: c, cluster: {server: "https://k", certificate-authority-data: "abc!"}}]'),
        ),
      },
      kind: 'config',
      message: `error loading config file "${HOME}/.kube/config": illegal base64 data in certificate-authority-data of cluster "c"`,
    },
    {
      name: 'bad base64 in client-key-data names the field and the user',
      world: { files: kubeconfigAt(homeConfig('[{name: u, user: {client-key-data: "a"}}]')) },
      kind: 'config',
      message: `error loading config file "${HOME}/.kube/config": illegal base64 data in client-key-data of user "u"`,
    },
    {
      name: 'an unreadable certificate-authority file, resolved against the kubeconfig folder',
      world: {
        files: kubeconfigAt(
          homeConfig(
            '[{name: u, user: {token: t}}]',
            '[{name: c, cluster: {server: "https://k", certificate-authority: ca.crt}}]',
          ),
        ),
      },
      kind: 'config',
      message: `unable to read certificate-authority ${HOME}/.kube/ca.crt for cluster "c": no such file or directory`,
    },
    {
      name: 'certificate-authority and certificate-authority-data together',
      world: {
        files: {
          ...kubeconfigAt(
            homeConfig(
              '[{name: u, user: {token: t}}]',
              '[{name: c, cluster: {server: "https://k", certificate-authority: /ca, certificate-authority-data: YQ==}}]',
            ),
          ),
          '/ca': CA_PEM,
        },
      },
      kind: 'config',
      message: 'certificate-authority-data and certificate-authority are both specified for cluster "c"',
    },
    {
      name: 'insecure-skip-tls-verify with a CA in the kubeconfig',
      world: {
        files: kubeconfigAt(
          homeConfig(
            '[{name: u, user: {token: t}}]',
            '[{name: c, cluster: {server: "https://k", insecure-skip-tls-verify: true, certificate-authority-data: YQ==}}]',
          ),
        ),
      },
      kind: 'config',
      message: 'specifying a root certificates file with the insecure flag is not allowed (cluster "c")',
    },
    {
      name: '--insecure-skip-tls-verify together with --certificate-authority',
      world: { files: { ...kubeconfigAt(homeConfig('[{name: u, user: {token: t}}]')), '/ca': CA_PEM } },
      flags: { insecureSkipTlsVerify: true, certificateAuthority: '/ca' },
      kind: 'usage',
      message: 'specifying a root certificates file with the insecure flag is not allowed (cluster "c")',
    },
    {
      name: 'a proxy-url with an unsupported scheme',
      world: {
        files: kubeconfigAt(
          homeConfig(
            '[{name: u, user: {token: t}}]',
            '[{name: c, cluster: {server: "https://k", proxy-url: "ftp://p"}}]',
          ),
        ),
      },
      kind: 'config',
      message: 'invalid proxy-url "ftp://p" for cluster "c": the scheme must be http, https or socks5',
    },
    {
      name: 'a token and basic auth in one user',
      world: { files: kubeconfigAt(homeConfig('[{name: u, user: {token: t, username: a, password: b}}]')) },
      kind: 'config',
      message:
        'more than one authentication method found for user "u": a bearer token and a username/password; only one is allowed',
    },
    {
      name: '--token on top of a basic-auth user, as kubectl rejects it',
      world: { files: kubeconfigAt(homeConfig('[{name: u, user: {username: a, password: b}}]')) },
      flags: { token: 't' },
      kind: 'config',
      message:
        'more than one authentication method found for user "u": a bearer token and a username/password; only one is allowed',
    },
    {
      name: 'a client certificate without a key',
      world: { files: kubeconfigAt(homeConfig('[{name: u, user: {client-certificate-data: YQ==}}]')) },
      kind: 'config',
      message: 'client-key-data or client-key must be specified for user "u" to use a client certificate',
    },
    {
      name: 'an unreadable client certificate file',
      world: {
        files: kubeconfigAt(homeConfig('[{name: u, user: {client-certificate: certs/me.crt, client-key-data: YQ==}}]')),
      },
      kind: 'config',
      message: `unable to read client-certificate ${HOME}/.kube/certs/me.crt for user "u": no such file or directory`,
    },
    {
      name: 'an unreadable tokenFile',
      world: { files: kubeconfigAt(homeConfig('[{name: u, user: {tokenFile: /run/token}}]')) },
      kind: 'config',
      message: 'unable to read tokenFile /run/token for user "u": no such file or directory',
    },
    {
      name: 'a v1 exec plugin without interactiveMode',
      world: {
        files: kubeconfigAt(
          homeConfig('[{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: p}}}]'),
        ),
      },
      kind: 'config',
      message: 'exec plugin of user "u": interactiveMode must be specified (Never, IfAvailable or Always)',
    },
    {
      name: 'an exec plugin with an unknown apiVersion',
      world: {
        files: kubeconfigAt(
          homeConfig(
            '[{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v2, command: p, interactiveMode: Never}}}]',
          ),
        ),
      },
      kind: 'config',
      message:
        'exec plugin of user "u": invalid apiVersion "client.authentication.k8s.io/v2" (client.authentication.k8s.io/v1 or v1beta1)',
    },
    {
      name: 'an exec plugin without a command',
      world: {
        files: kubeconfigAt(
          homeConfig('[{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1}}}]'),
        ),
      },
      kind: 'config',
      message: 'exec plugin of user "u": command must be specified',
    },
    {
      name: 'an exec plugin next to an auth-provider',
      world: {
        files: kubeconfigAt(
          homeConfig(
            '[{name: u, user: {auth-provider: {name: oidc}, exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: p}}}]',
          ),
        ),
      },
      kind: 'config',
      message: 'exec plugin of user "u": auth-provider cannot be combined with an exec plugin',
    },
    {
      name: 'as-groups without as in the kubeconfig',
      world: { files: kubeconfigAt(homeConfig('[{name: u, user: {token: t, as-groups: [g]}}]')) },
      kind: 'config',
      message: 'requesting uid, groups or user-extra for user "u" without impersonating a user',
    },
    {
      name: '--as-group without --as',
      world: { files: kubeconfigAt(homeConfig('[{name: u, user: {token: t}}]')) },
      flags: { asGroup: ['g'] },
      kind: 'usage',
      message: 'requesting uid, groups or user-extra for user "u" without impersonating a user',
    },
    {
      name: 'an invalid --request-timeout',
      world: { files: kubeconfigAt(homeConfig('[{name: u, user: {token: t}}]')) },
      flags: { requestTimeout: 'soon' },
      kind: 'usage',
      message:
        'invalid request timeout "soon": a duration must be a number of seconds, or a number followed by a unit (e.g. 1s | 2m | 3h)',
    },
    {
      name: 'a kubeconfig with contexts but no current-context',
      world: {
        files: kubeconfigAt(
          'contexts: [{name: x, context: {cluster: c}}]\nclusters: [{name: c, cluster: {server: "https://k"}}]',
        ),
      },
      kind: 'config',
      message: `no context is selected: current-context is not set in ${HOME}/.kube/config`,
    },
    {
      name: 'no configuration at all',
      world: {},
      kind: 'config',
      message: 'no configuration has been provided, try setting KUBERNETES_MASTER environment variable',
    },
    {
      name: 'KUBECONFIG naming only missing files is no configuration (~/.kube/config is not consulted)',
      world: { env: { KUBECONFIG: '/a:/b' }, files: kubeconfigAt(homeConfig('[{name: u, user: {token: t}}]')) },
      kind: 'config',
      message: 'no configuration has been provided, try setting KUBERNETES_MASTER environment variable',
    },
    {
      name: 'in-cluster: a mounted token but no service variables',
      world: { files: SA_FILES },
      kind: 'config',
      message:
        'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined',
    },
    {
      name: 'in-cluster: only one of the service variables',
      world: { env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } },
      kind: 'config',
      message:
        'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined',
    },
    {
      name: 'in-cluster: service variables but no token file',
      world: { env: POD_ENV },
      kind: 'config',
      message:
        'unable to load in-cluster configuration: cannot read the service account token /sa/token: no such file or directory',
    },
  ]

  it.each(cases)('$name', ({ world, flags, kind, message }) => {
    expect(failure(() => resolveIn(world, flags))).toEqual({ kind, message })
  })

  it('every configuration error carries a hint', () => {
    for (const { world, flags } of cases) {
      try {
        resolveIn(world, flags)
      } catch (error) {
        expect((error as SuiteError).hint, (error as Error).message).toMatch(/\S/)
      }
    }
  })

  it('the context hints point at kubectl config get-contexts', () => {
    const files = { [`${HOME}/.kube/config`]: homeConfig('[{name: u, user: {token: t}}]') }
    try {
      resolveIn({ files }, { context: 'nope' })
    } catch (error) {
      expect((error as SuiteError).hint).toBe('run kubectl config get-contexts')
    }
  })

  it('no configuration names KUBECONFIG, --kubeconfig and in-cluster in its hint', () => {
    try {
      resolveIn({})
    } catch (error) {
      expect((error as SuiteError).hint).toMatch(/KUBECONFIG.*--kubeconfig.*in-cluster/)
    }
  })
})

describe('overrides and precedence', () => {
  const config = (users: string, clusters?: string): { files: Record<string, string> } => ({
    files: { [`${HOME}/.kube/config`]: homeConfig(users, clusters) },
  })

  it.each([
    { name: 'no flag means 0, no timeout of our own', flag: undefined, ms: 0 },
    { name: '"0" means no timeout', flag: '0', ms: 0 },
    { name: 'a bare integer is seconds', flag: '45', ms: 45_000 },
    { name: 'a Go duration', flag: '1m30s', ms: 90_000 },
    { name: 'milliseconds', flag: '500ms', ms: 500 },
    { name: 'hours', flag: '2h', ms: 7_200_000 },
  ])('--request-timeout: $name', ({ flag, ms }) => {
    const conn = resolveIn(config('[{name: u, user: {token: t}}]'), flag === undefined ? {} : { requestTimeout: flag })
    expect(conn.requestTimeoutMs).toBe(ms)
  })

  it('--server alone, without any kubeconfig, works with a synthetic cluster name', () => {
    const conn = resolveIn({}, { server: 'https://api.example:6443/', token: 'tok', namespace: 'ns' })
    expect(conn).toEqual({
      contextName: undefined,
      cluster: {
        name: 'flags',
        server: 'https://api.example:6443',
        insecureSkipTlsVerify: false,
        disableCompression: false,
      },
      user: { name: '', token: 'tok', impersonateGroups: [] },
      namespace: 'ns',
      source: 'flags',
      requestTimeoutMs: 0,
    })
  })

  it('KUBERNETES_MASTER is the default server when nothing else names one', () => {
    const conn = resolveIn({ env: { KUBERNETES_MASTER: 'https://master.example' } })
    expect([conn.cluster.server, conn.source]).toEqual(['https://master.example', 'KUBERNETES_MASTER'])
  })

  it('a pod prefers its service account over a KUBERNETES_MASTER default', () => {
    const conn = resolveIn({ env: { ...POD_ENV, KUBERNETES_MASTER: 'https://master.example' }, files: SA_FILES })
    expect(conn.source).toBe('in-cluster')
  })

  it('the source lists the kubeconfig files that were read', () => {
    const files = {
      '/k/one': homeConfig('[{name: u, user: {token: t}}]'),
      '/k/three': 'current-context: ignored',
    }
    const conn = resolveIn({ files, env: { KUBECONFIG: '/k/one:/k/two:/k/three' } })
    expect(conn.source).toBe('kubeconfig /k/one:/k/three')
  })

  it('--kubeconfig loads only that file, ignoring KUBECONFIG', () => {
    const files = {
      '/k/one': homeConfig('[{name: u, user: {token: one}}]'),
      '/k/two': homeConfig('[{name: u, user: {token: two}}]'),
    }
    const conn = resolveIn({ files, env: { KUBECONFIG: '/k/one' } }, { kubeconfig: '/k/two' })
    expect([conn.user.token, conn.source]).toEqual(['two', 'kubeconfig /k/two'])
  })

  it('without KUBECONFIG, ~/.kube/config is used', () => {
    const conn = resolveIn(config('[{name: u, user: {token: t}}]'))
    expect([conn.contextName, conn.cluster.name, conn.user.name, conn.namespace]).toEqual(['x', 'c', 'u', 'default'])
  })

  it('a token or basic auth means the exec plugin is never run', () => {
    const users = `[{name: u, user: {token: t, exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: p}}}]`
    expect(resolveIn(config(users)).user.exec).toBeUndefined()
    const execOnly = `[{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: p}}}]`
    expect(resolveIn(config(execOnly), { token: 'flag' }).user).toEqual({
      name: 'u',
      token: 'flag',
      impersonateGroups: [],
    })
  })

  it('an exec block becomes an ExecConfig with client-go defaults', () => {
    const users = `[{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: p, args: [a, b], env: [{name: K, value: V}], installHint: "brew install p"}}}]`
    expect(resolveIn(config(users)).user.exec).toEqual({
      command: 'p',
      args: ['a', 'b'],
      env: [{ name: 'K', value: 'V' }],
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      installHint: 'brew install p',
      provideClusterInfo: false,
      interactiveMode: 'IfAvailable',
    })
  })

  it('a legacy auth-provider is recorded by name', () => {
    expect(resolveIn(config('[{name: u, user: {auth-provider: {name: gcp, config: {x: y}}}}]')).user.authProvider).toBe(
      'gcp',
    )
  })

  it('data fields are decoded, file fields stay paths', () => {
    const users = '[{name: u, user: {client-certificate-data: Y2VydA==, client-key: /keys/u.key}}]'
    const clusters = '[{name: c, cluster: {server: "https://k", certificate-authority-data: "Y2E=\\n"}}]'
    const world = config(users, clusters)
    world.files['/keys/u.key'] = 'key'
    const conn = resolveIn(world)
    expect({
      caData: conn.cluster.caData?.toString(),
      certData: conn.user.certData?.toString(),
      keyFile: conn.user.keyFile,
    }).toEqual({ caData: 'ca', certData: 'cert', keyFile: '/keys/u.key' })
  })

  it('over plain http no credential is sent, only impersonation (clientcmd reads auth only for TLS)', () => {
    const conn = resolveIn(
      config('[{name: u, user: {token: t, as: bob}}]', '[{name: c, cluster: {server: "http://k:8080"}}]'),
    )
    expect(conn.user).toEqual({ name: 'u', impersonate: 'bob', impersonateGroups: [] })
  })

  it('a server without a scheme is https when TLS settings exist, else http', () => {
    const withCa = resolveIn(
      config('[{name: u, user: {}}]', '[{name: c, cluster: {server: "k:6443", certificate-authority-data: YQ==}}]'),
    )
    const bare = resolveIn(config('[{name: u, user: {}}]', '[{name: c, cluster: {server: "k:8080"}}]'))
    expect([withCa.cluster.server, bare.cluster.server]).toEqual(['https://k:6443', 'http://k:8080'])
  })

  it('--certificate-authority replaces the kubeconfig CA data and insecure flag', () => {
    const world = config(
      '[{name: u, user: {}}]',
      '[{name: c, cluster: {server: "https://k", certificate-authority-data: YQ==}}]',
    )
    world.files['/ca.pem'] = CA_PEM
    const cluster = resolveIn(world, { certificateAuthority: '/ca.pem' }).cluster
    expect([cluster.caFile, cluster.caData, cluster.insecureSkipTlsVerify]).toEqual(['/ca.pem', undefined, false])
  })

  it('--client-certificate and --client-key replace the kubeconfig data fields', () => {
    const world = config('[{name: u, user: {client-certificate-data: YQ==, client-key-data: YQ==}}]')
    world.files['/c.pem'] = 'c'
    world.files['/k.pem'] = 'k'
    const user = resolveIn(world, { clientCertificate: '/c.pem', clientKey: '/k.pem' }).user
    expect([user.certFile, user.certData, user.keyFile, user.keyData]).toEqual([
      '/c.pem',
      undefined,
      '/k.pem',
      undefined,
    ])
  })

  it('as-user-extra and as-uid come through for impersonation', () => {
    const user = resolveIn(
      config('[{name: u, user: {token: t, as: a, as-uid: "42", as-user-extra: {scopes: [x, z]}}}]'),
    ).user
    expect([user.impersonateUid, user.impersonateExtra]).toEqual(['42', { scopes: ['x', 'z'] }])
  })

  it('in a pod, a kubeconfig context without a namespace uses the pod namespace (clientcmd)', () => {
    const world = config('[{name: u, user: {token: t}}]')
    const conn = resolveIn({ env: POD_ENV, files: { ...world.files, ...SA_FILES } })
    expect([conn.source.startsWith('kubeconfig'), conn.namespace]).toEqual([true, 'team-a'])
  })

  it('a context namespace still wins in a pod', () => {
    const files = {
      [`${HOME}/.kube/config`]:
        'current-context: x\ncontexts: [{name: x, context: {cluster: c, namespace: mine}}]\nclusters: [{name: c, cluster: {server: "https://k"}}]',
      ...SA_FILES,
    }
    expect(resolveIn({ env: POD_ENV, files }).namespace).toBe('mine')
  })
})

describe('in-cluster (rest.InClusterConfig)', () => {
  it('reads host, port, token file, CA and namespace from the service account', () => {
    expect(resolveIn({ env: POD_ENV, files: SA_FILES })).toEqual({
      contextName: undefined,
      cluster: {
        name: 'in-cluster',
        server: 'https://10.0.0.1:443',
        caFile: '/sa/ca.crt',
        insecureSkipTlsVerify: false,
        disableCompression: false,
      },
      user: { name: 'in-cluster', tokenFile: '/sa/token', impersonateGroups: [] },
      namespace: 'team-a',
      source: 'in-cluster',
      requestTimeoutMs: 0,
    })
  })

  it('KUBERNETES_SERVICE_TOKEN replaces the token file, which then need not exist; IPv6 hosts get brackets', () => {
    const conn = resolveIn({
      env: {
        KUBERNETES_SERVICE_HOST: 'fd00::1',
        KUBERNETES_SERVICE_PORT: '6443',
        KUBERNETES_SERVICE_TOKEN: 'env-token',
      },
    })
    expect([conn.cluster.server, conn.user.token, conn.user.tokenFile, conn.cluster.caFile, conn.namespace]).toEqual([
      'https://[fd00::1]:6443',
      'env-token',
      undefined,
      undefined,
      'default',
    ])
  })

  it('POD_NAMESPACE beats the namespace file, and -n beats both', () => {
    const env = { ...POD_ENV, POD_NAMESPACE: 'from-env' }
    expect(resolveIn({ env, files: SA_FILES }).namespace).toBe('from-env')
    expect(resolveIn({ env, files: SA_FILES }, { namespace: 'flag' }).namespace).toBe('flag')
  })

  it('--token, --certificate-authority and impersonation flags apply in a pod', () => {
    const conn = resolveIn(
      { env: POD_ENV, files: { ...SA_FILES, '/other-ca.crt': CA_PEM } },
      { token: 'flag', certificateAuthority: '/other-ca.crt', as: 'jane', asGroup: ['g'] },
    )
    expect([conn.user, conn.cluster.caFile]).toEqual([
      { name: 'in-cluster', token: 'flag', impersonate: 'jane', impersonateGroups: ['g'] },
      '/other-ca.crt',
    ])
  })

  it('KUBECTL_SUITE_SERVICEACCOUNT_DIR moves the service account directory', () => {
    const conn = resolveConnection(
      {},
      {
        env: { ...POD_ENV, KUBECTL_SUITE_SERVICEACCOUNT_DIR: '/elsewhere' },
        homeDir: HOME,
        readFile: memoryFiles({ '/elsewhere/token': 't' }),
      },
    )
    expect(conn.user.tokenFile).toBe('/elsewhere/token')
  })

  it('a kubeconfig with a usable context wins over the service account', () => {
    const files = { [`${HOME}/.kube/config`]: homeConfig('[{name: u, user: {token: t}}]'), ...SA_FILES }
    expect(resolveIn({ env: POD_ENV, files }).source).toBe(`kubeconfig ${HOME}/.kube/config`)
  })

  it('an empty kubeconfig falls back to the service account', () => {
    const files = { [`${HOME}/.kube/config`]: '', ...SA_FILES }
    expect(resolveIn({ env: POD_ENV, files }).source).toBe('in-cluster')
  })
})
