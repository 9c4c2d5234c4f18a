import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPki, issueClientCert, type Pki } from '../../../test/sim/pki.ts'
import { run } from '../../../test/support/run.ts'
import { clearExecCredentialCache, getExecCredential } from '../exec-credential.ts'
import type { KubeFlags, ResolvedConnection } from '../types.ts'
import { certificateCommonName } from './identity.ts'
import { loadKubeconfig, resolveConnection } from './index.ts'
import type { Kubeconfig } from './load.ts'

/**
 * Our kubeconfig handling against the real kubectl: the merged view (`kubectl config view --flatten`, which
 * also proves relative paths resolve against each file's own folder) and, for the context/flag overrides,
 * what kubectl actually sends to a recording HTTPS server compared with what our resolved connection predicts.
 */

let root = ''
let port = 0
let server: Server | undefined
const requests: RecordedRequest[] = []

interface RecordedRequest {
  host: string
  path: string
  namespace: string
  authorization: string | undefined
  impersonateUser: string | undefined
  impersonateGroups: string[]
  sni: string | false
  clientCertCN: string | undefined
}

const b64 = (data: Buffer | string): string => Buffer.from(data).toString('base64')

function writeFixture(pki: Pki): void {
  const alice = issueClientCert(pki, 'alice', ['devs'])
  const bob = issueClientCert(pki, 'bob')
  mkdirSync(join(root, 'home'))
  mkdirSync(join(root, 'a', 'certs'), { recursive: true })
  mkdirSync(join(root, 'b', 'sub', 'bin'), { recursive: true })
  mkdirSync(join(root, 'c'))
  copyFileSync(pki.caCertPath, join(root, 'a', 'ca.crt'))
  // Same CA, different bytes: flatten output then shows which of the two files a relative path reached.
  writeFileSync(join(root, 'b', 'ca.crt'), `# the copy next to b\n${pki.caCert.toString()}`)
  copyFileSync(alice.certPath, join(root, 'a', 'certs', 'alice.crt'))
  copyFileSync(alice.keyPath, join(root, 'a', 'certs', 'alice.key'))
  writeFileSync(join(root, 'a', 'token.txt'), 'token-from-file-a\n')
  writeFileSync(
    join(root, 'b', 'sub', 'bin', 'plugin'),
    [
      '#!/bin/sh',
      'echo \'{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"exec-token-\'"$A"\'"}}\'',
      '',
    ].join('\n'),
  )
  chmodSync(join(root, 'b', 'sub', 'bin', 'plugin'), 0o755)
  const sim = `https://127.0.0.1:${port}`
  writeFileSync(
    join(root, 'a', 'config'),
    `apiVersion: v1
kind: Config
current-context: ""
preferences: {colors: true}
clusters:
- name: sim
  cluster: {server: "${sim}", certificate-authority: ca.crt}
- name: shared
  cluster: {server: "${sim}/from-a", certificate-authority-data: ${b64(pki.caCert)}, tls-server-name: localhost}
users:
- name: alice
  user: {client-certificate: certs/alice.crt, client-key: ./certs/alice.key}
- name: shared-user
  user: {token: token-a, as: impersonated, as-groups: [g1, g2]}
- name: file-user
  user: {tokenFile: token.txt}
contexts:
- name: ctx-a
  context: {cluster: sim, user: alice, namespace: ns-a}
- name: shared-ctx
  context: {cluster: sim, user: shared-user}
unknown-top-level-field: ignored
`,
  )
  writeFileSync(
    join(root, 'b', 'sub', 'config'),
    `current-context: ctx-b
clusters:
- name: shared
  cluster: {server: "https://localhost:${port}/from-b", insecure-skip-tls-verify: true}
- name: other
  cluster: {server: "https://localhost:${port}", certificate-authority: ../ca.crt, tls-server-name: localhost}
users:
- name: shared-user
  user: {username: b, password: pw}
- name: basic-user
  user: {username: b, password: pw}
- name: bob
  user: {client-certificate-data: ${b64(bob.cert)}, client-key-data: ${b64(bob.key)}}
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: ./bin/plugin
      args: [--flag]
      env: [{name: A, value: from-env}]
      installHint: get the plugin
      provideClusterInfo: true
contexts:
- name: shared-ctx
  context: {cluster: other, user: bob, namespace: ns-b}
- name: ctx-b
  context: {cluster: other, user: bob}
`,
  )
  writeFileSync(
    join(root, 'c', 'config'),
    `current-context: shared-ctx
clusters:
- name: sim
  cluster: {server: "https://example.invalid", proxy-url: "http://proxy.invalid:3128", disable-compression: true}
users:
- name: token-user
  user: {token: token-c}
- name: v1-exec
  user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: kubectl-plugin, interactiveMode: Never}}
contexts:
- name: ctx-c
  context: {cluster: sim, user: token-user}
`,
  )
}

/** Just enough of an API server for `kubectl get pods`: discovery, and an empty pod list that is recorded. */
function startRecordingServer(pki: Pki): Promise<void> {
  server = createServer(
    {
      cert: readFileSync(pki.serverCertPath),
      key: readFileSync(pki.serverKeyPath),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://recorder')
      const reply = (body: object): void => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(body))
      }
      const pods = /\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname)
      if (pods !== null) {
        const socket = req.socket as import('node:tls').TLSSocket
        const peer = socket.getPeerX509Certificate()
        requests.push({
          host: req.headers.host ?? '',
          path: url.pathname,
          namespace: decodeURIComponent(pods[1] as string),
          authorization: req.headers.authorization,
          impersonateUser: req.headers['impersonate-user'] as string | undefined,
          impersonateGroups: req.headersDistinct['impersonate-group'] ?? [],
          sni: socket.servername ?? false,
          clientCertCN: peer === undefined ? undefined : certificateCommonName(peer.toString()),
        })
        return reply({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] })
      }
      if (url.pathname.endsWith('/api')) return reply({ kind: 'APIVersions', versions: ['v1'] })
      if (url.pathname.endsWith('/apis')) return reply({ kind: 'APIGroupList', apiVersion: 'v1', groups: [] })
      if (url.pathname.endsWith('/api/v1')) {
        return reply({
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'] }],
        })
      }
      res.statusCode = 404
      reply({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404 })
    },
  )
  return new Promise((resolve) => {
    server?.listen(0, '127.0.0.1', () => {
      const address = server?.address()
      port = typeof address === 'object' && address !== null ? address.port : 0
      resolve()
    })
  })
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'kubeconfig-parity-'))
  const pki = createPki(join(root, 'pki'))
  await startRecordingServer(pki)
  writeFixture(pki)
}, 60_000)

afterAll(() => {
  server?.close()
  if (root !== '') rmSync(root, { recursive: true, force: true })
})

function kubectlEnv(kubeconfigList: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(root, 'home'), KUBECONFIG: kubeconfigList }
}

async function kubectl(kubeconfigList: string, args: string[]): Promise<string> {
  const result = await run('kubectl', args, { env: kubectlEnv(kubeconfigList), cwd: root, timeoutMs: 20_000 })
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`)
  return result.stdout
}

type Normalised = Record<string, unknown>

function compact(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).filter(([, v]) => v !== undefined && v !== null && v !== false && v !== ''),
  )
}

/** kubectl's JSON view, with lists turned into maps and exec defaults spelled out, minus fields view leaves raw. */
function normaliseKubectlView(view: {
  clusters?: { name: string; cluster: Record<string, unknown> }[] | null
  users?: { name: string; user: Record<string, unknown> }[] | null
  contexts?: { name: string; context: Record<string, unknown> }[] | null
  'current-context'?: string
}): Normalised {
  const users = Object.fromEntries(
    (view.users ?? []).map(({ name, user }) => {
      const { tokenFile: _raw, exec, ...rest } = user
      const execView = exec as Record<string, unknown> | undefined
      return [
        name,
        compact({
          ...rest,
          'auth-provider': undefined,
          exec:
            execView === undefined
              ? undefined
              : compact({
                  apiVersion: execView.apiVersion,
                  args: execView.args ?? [],
                  env: execView.env ?? [],
                  installHint: execView.installHint,
                  provideClusterInfo: execView.provideClusterInfo,
                  interactiveMode: execView.interactiveMode,
                }),
        }),
      ]
    }),
  )
  return {
    clusters: Object.fromEntries((view.clusters ?? []).map(({ name, cluster }) => [name, compact(cluster)])),
    users,
    contexts: Object.fromEntries((view.contexts ?? []).map(({ name, context }) => [name, compact(context)])),
    currentContext: view['current-context'] ?? '',
  }
}

/** Our merged kubeconfig in the same shape, files read and embedded as `--flatten` does. */
function normaliseOurs(config: Kubeconfig): Normalised {
  const embed = (data: Buffer | undefined, file: string | undefined): string | undefined =>
    data !== undefined ? b64(data) : file !== undefined ? b64(readFileSync(file)) : undefined
  return {
    clusters: Object.fromEntries(
      [...config.clusters.values()].map((c) => [
        c.name,
        compact({
          server: c.server,
          'tls-server-name': c.tlsServerName,
          'insecure-skip-tls-verify': c.insecureSkipTlsVerify,
          'certificate-authority-data': embed(c.certificateAuthorityData, c.certificateAuthority),
          'proxy-url': c.proxyUrl,
          'disable-compression': c.disableCompression,
        }),
      ]),
    ),
    users: Object.fromEntries(
      [...config.users.values()].map((u) => [
        u.name,
        compact({
          'client-certificate-data': embed(u.clientCertificateData, u.clientCertificate),
          'client-key-data': embed(u.clientKeyData, u.clientKey),
          token: u.token,
          as: u.impersonate,
          'as-uid': u.impersonateUid,
          'as-groups': u.impersonateGroups.length > 0 ? u.impersonateGroups : undefined,
          username: u.username,
          password: u.password,
          exec:
            u.exec === undefined
              ? undefined
              : compact({
                  apiVersion: u.exec.apiVersion,
                  args: u.exec.args,
                  env: u.exec.env,
                  installHint: u.exec.installHint,
                  provideClusterInfo: u.exec.provideClusterInfo,
                  interactiveMode: u.exec.interactiveMode ?? 'IfAvailable',
                }),
        }),
      ]),
    ),
    contexts: Object.fromEntries(
      [...config.contexts.values()].map((c) => [
        c.name,
        compact({ cluster: c.cluster, user: c.user, namespace: c.namespace }),
      ]),
    ),
    currentContext: config.currentContext ?? '',
  }
}

const list = (...entries: string[]): string => entries.join(delimiter)

describe('merging KUBECONFIG files matches kubectl config view --flatten', () => {
  const cases: { name: string; kubeconfig: () => string }[] = [
    {
      name: 'first file wins per name, a missing file and a repeated file are skipped',
      kubeconfig: () =>
        list(
          join(root, 'a/config'),
          join(root, 'missing/config'),
          join(root, 'b/sub/config'),
          join(root, 'c/config'),
          join(root, 'a/config'),
        ),
    },
    {
      name: "reversed order: the other duplicates win and the first non-empty current-context is c's",
      kubeconfig: () => list(join(root, 'c/config'), join(root, 'b/sub/config'), join(root, 'a/config')),
    },
    {
      name: 'empty entries are ignored',
      kubeconfig: () => list('', join(root, 'b/sub/config'), '', join(root, 'a/config'), ''),
    },
    {
      name: 'relative entries are relative to the working directory',
      kubeconfig: () => list('b/sub/config', 'a/config'),
    },
  ]
  it.each(cases)('$name', async ({ kubeconfig }) => {
    const kubectlView = JSON.parse(await kubectl(kubeconfig(), ['config', 'view', '--flatten', '-o', 'json']))
    const ours = loadKubeconfig({ env: { KUBECONFIG: kubeconfig() }, homeDir: join(root, 'home'), cwd: root })
    expect(normaliseOurs(ours)).toEqual(normaliseKubectlView(kubectlView))
  })

  it.each([{ context: 'ctx-a' }, { context: 'shared-ctx' }, { context: 'ctx-b' }])(
    '--minify --context $context picks the same context, cluster and user',
    async ({ context }) => {
      const kubeconfig = list(join(root, 'a/config'), join(root, 'b/sub/config'), join(root, 'c/config'))
      const view = JSON.parse(
        await kubectl(kubeconfig, ['config', 'view', '--minify', '--raw', '-o', 'json', '--context', context]),
      )
      const conn = resolveConnection(
        { context },
        { env: { KUBECONFIG: kubeconfig }, homeDir: join(root, 'home'), cwd: root },
      )
      expect({
        context: conn.contextName,
        cluster: conn.cluster.name,
        user: conn.user.name,
        namespace: conn.namespace,
      }).toEqual({
        context: view['current-context'],
        cluster: view.clusters[0].name,
        user: view.users[0].name,
        namespace: view.contexts[0].context.namespace ?? 'default',
      })
    },
  )

  it('a relative exec command is resolved against its own file, a bare one is left to PATH', () => {
    const ours = loadKubeconfig({
      env: { KUBECONFIG: list(join(root, 'b/sub/config'), join(root, 'c/config')) },
      homeDir: join(root, 'home'),
      cwd: '/',
    })
    expect(ours.users.get('exec-user')?.exec?.command).toBe(join(root, 'b', 'sub', 'bin', 'plugin'))
    expect(ours.users.get('v1-exec')?.exec?.command).toBe('kubectl-plugin')
  })
})

describe('flags and contexts: what kubectl sends equals what our resolved connection predicts', () => {
  async function predicted(conn: ResolvedConnection): Promise<Omit<RecordedRequest, 'path'> & { pathPrefix: string }> {
    const url = new URL(conn.cluster.server)
    const user = conn.user
    let authorization: string | undefined
    if (user.exec !== undefined) {
      clearExecCredentialCache()
      const credential = await getExecCredential(user.exec, {
        clusterServer: conn.cluster.server,
        insecure: conn.cluster.insecureSkipTlsVerify,
        stdinIsTTY: false,
        env: { PATH: process.env.PATH ?? '' },
        userName: user.name,
      })
      authorization = `Bearer ${credential.token}`
    } else if (user.token !== undefined) authorization = `Bearer ${user.token}`
    else if (user.tokenFile !== undefined) authorization = `Bearer ${readFileSync(user.tokenFile, 'utf8').trim()}`
    else if (user.username !== undefined) authorization = `Basic ${b64(`${user.username}:${user.password ?? ''}`)}`
    const cert = user.certData ?? (user.certFile === undefined ? undefined : readFileSync(user.certFile))
    return {
      host: url.host,
      pathPrefix: url.pathname === '/' ? '' : url.pathname,
      namespace: conn.namespace,
      authorization,
      impersonateUser: user.impersonate,
      impersonateGroups: user.impersonateGroups,
      sni: conn.cluster.tlsServerName ?? (isIP(url.hostname) === 0 ? url.hostname : false),
      clientCertCN: cert === undefined ? undefined : certificateCommonName(cert),
    }
  }

  /** The same overrides as kubectl arguments (genericclioptions flag names). */
  function kubectlArgs(flags: KubeFlags): string[] {
    const args: string[] = []
    const pairs: [keyof KubeFlags, string][] = [
      ['context', '--context'],
      ['cluster', '--cluster'],
      ['user', '--user'],
      ['namespace', '--namespace'],
      ['server', '--server'],
      ['token', '--token'],
      ['certificateAuthority', '--certificate-authority'],
      ['tlsServerName', '--tls-server-name'],
      ['username', '--username'],
      ['password', '--password'],
      ['as', '--as'],
      ['asUid', '--as-uid'],
    ]
    for (const [field, flag] of pairs) {
      const value = flags[field]
      if (typeof value === 'string') args.push(flag, value)
    }
    for (const group of flags.asGroup ?? []) args.push('--as-group', group)
    if (flags.insecureSkipTlsVerify === true) args.push('--insecure-skip-tls-verify')
    return args
  }

  const cases: { name: string; flags: () => KubeFlags }[] = [
    { name: 'current-context from the second file', flags: () => ({}) },
    {
      name: '--context with a context namespace and a relative client certificate',
      flags: () => ({ context: 'ctx-a' }),
    },
    {
      name: 'a context defined twice comes from the first file, with token and impersonation',
      flags: () => ({ context: 'shared-ctx' }),
    },
    { name: '--user with a relative tokenFile', flags: () => ({ context: 'ctx-a', user: 'file-user' }) },
    { name: '--cluster replaces the context cluster', flags: () => ({ context: 'ctx-a', cluster: 'other' }) },
    {
      name: '--cluster with a path prefix, embedded CA and tls-server-name',
      flags: () => ({ context: 'ctx-a', cluster: 'shared' }),
    },
    { name: '-n beats the context namespace', flags: () => ({ context: 'ctx-a', namespace: 'flag-ns' }) },
    {
      name: '--as and --as-group replace the user impersonation',
      flags: () => ({ context: 'shared-ctx', as: 'someone', asGroup: ['x', 'y'] }),
    },
    { name: '--as-group alone keeps the kubeconfig as', flags: () => ({ context: 'shared-ctx', asGroup: ['only'] }) },
    { name: '--token replaces the user token', flags: () => ({ context: 'shared-ctx', token: 'flag-token' }) },
    { name: '--token next to a client certificate sends both', flags: () => ({ token: 'flag-token' }) },
    {
      name: '--token does not beat a tokenFile (client-go reads the file)',
      flags: () => ({ context: 'ctx-a', user: 'file-user', token: 'flag-token' }),
    },
    { name: '--server clears the kubeconfig tls-server-name', flags: () => ({ server: `https://127.0.0.1:${port}` }) },
    {
      name: '--server with --tls-server-name',
      flags: () => ({ server: `https://127.0.0.1:${port}`, tlsServerName: 'localhost' }),
    },
    {
      name: '--insecure-skip-tls-verify drops the kubeconfig CA',
      flags: () => ({ context: 'ctx-a', insecureSkipTlsVerify: true }),
    },
    {
      name: '--username replaces one field of basic auth',
      flags: () => ({ context: 'ctx-a', user: 'basic-user', username: 'override' }),
    },
    {
      name: 'an exec plugin with a relative command, env and args',
      flags: () => ({ context: 'ctx-b', user: 'exec-user' }),
    },
  ]

  it.each(cases)('$name', async ({ flags }) => {
    const kubeconfig = list(join(root, 'a/config'), join(root, 'b/sub/config'))
    requests.length = 0
    await kubectl(kubeconfig, ['get', 'pods', '--request-timeout=10s', ...kubectlArgs(flags())])
    const sent = requests.at(-1)
    expect(sent).toBeDefined()
    const conn = resolveConnection(flags(), {
      env: { KUBECONFIG: kubeconfig },
      homeDir: join(root, 'home'),
      cwd: root,
    })
    const { path, ...rest } = sent as RecordedRequest
    expect({ ...rest, pathPrefix: path.replace(/\/api\/v1\/.*$/, '') }).toEqual(await predicted(conn))
  })
})
