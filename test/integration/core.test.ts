import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { EXIT_CODES } from '../../shared/errors.ts'
import { connect } from '../../shared/kube/connect.ts'
import { createForeignPki } from '../sim/pki.ts'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { probe } from '../support/probe.ts'
import { kubectl } from '../support/run.ts'

/**
 * The shared core end to end over real TLS against the simulated cluster: every auth mode, retries, timeouts,
 * pagination with 410, and bad input — each bad case asserts the exit code and the one-line message.
 */
let sim: Sim
let dir: string
let admin: string
const ML_PODS = (): number => [...sim.store.all('pods', 'ml-team')].length

function kubeconfig(name: string, doc: object): string {
  const path = join(dir, name)
  writeFileSync(path, stringify(doc), { mode: 0o600 })
  return path
}

function simConfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'sim',
        cluster: { server: sim.url, 'certificate-authority-data': sim.pki.caCert.toString('base64'), ...cluster },
      },
    ],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'sim', context: { cluster: 'sim', user: 'u', namespace: 'ml-team' } }],
    'current-context': 'sim',
  }
}

function raw(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

function script(name: string, body: string): string {
  const path = join(dir, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: false })
  dir = mkdtempSync(join(tmpdir(), 'core-'))
  admin = sim.writeKubeconfig({ user: 'admin', namespace: 'ml-team' })
})

afterEach(() => sim.resetFaults())

afterAll(async () => {
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('auth modes', () => {
  it('client certificate as data', async () => {
    const result = await probe(['pods'], { KUBECONFIG: admin })
    expect(result.stderr).toBe('')
    expect(result.stdout.trim().split('\n')).toHaveLength(ML_PODS())
  })

  it('client certificate as files, and CA as a file', async () => {
    const result = await probe(['pods'], {
      KUBECONFIG: sim.writeKubeconfig({ user: 'alice', embed: false, namespace: 'ml-team' }),
    })
    expect(result.code).toBe(0)
  })

  it('bearer token inline and from a token file', async () => {
    expect(
      (await probe(['pods'], { KUBECONFIG: kubeconfig('token.yaml', simConfig({ token: 'alice-token' })) })).code,
    ).toBe(0)
    writeFileSync(join(dir, 'token'), 'alice-token\n')
    expect(
      (await probe(['pods'], { KUBECONFIG: kubeconfig('token-file.yaml', simConfig({ tokenFile: 'token' })) })).code,
    ).toBe(0)
  })

  it('basic auth', async () => {
    const result = await probe(['pods'], {
      KUBECONFIG: kubeconfig('basic.yaml', simConfig({ username: 'alice', password: 'alice-password' })),
    })
    expect(result.code).toBe(0)
  })

  it('exec credential plugin, with KUBERNETES_EXEC_INFO set', async () => {
    const plugin = script(
      'cred-plugin',
      'case "$KUBERNETES_EXEC_INFO" in *ExecCredential*) ;; *) exit 9;; esac\necho \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"alice-token"}}\'',
    )
    const config = kubeconfig(
      'exec.yaml',
      simConfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } }),
    )
    const result = await probe(['pods'], { KUBECONFIG: config })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  })

  it('in-cluster service account (token file, ca.crt, namespace file)', async () => {
    const sa = join(dir, 'serviceaccount')
    mkdirSync(sa, { recursive: true })
    writeFileSync(join(sa, 'token'), 'alice-token')
    writeFileSync(join(sa, 'ca.crt'), sim.pki.caCert)
    writeFileSync(join(sa, 'namespace'), 'ml-team')
    const env = {
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(sim.port),
      KUBECTL_SUITE_SERVICEACCOUNT_DIR: sa,
    }
    const result = await probe(['pods'], env)
    expect(result.stderr).toBe('')
    expect(result.stdout.trim().split('\n')).toHaveLength(ML_PODS())
    // KUBERNETES_SERVICE_TOKEN overrides the token file.
    const overridden = await probe(['pods', '-n', 'kube-system'], { ...env, KUBERNETES_SERVICE_TOKEN: 'admin-token' })
    expect(overridden.code).toBe(0)
  })

  it('flags alone: --server, --token, --certificate-authority', async () => {
    writeFileSync(join(dir, 'ca.crt'), sim.pki.caCert)
    const result = await probe(
      [
        'pods',
        '-n',
        'ml-team',
        '--server',
        sim.url,
        '--token',
        'viewer-token',
        '--certificate-authority',
        join(dir, 'ca.crt'),
      ],
      {},
    )
    expect(result.code).toBe(0)
  })

  it('impersonation with --as and repeated --as-group reaches the server as separate headers', async () => {
    const result = await probe(
      ['pods', '-n', 'kube-system', '--as', 'alice', '--as-group', 'data-science', '--as-group', 'viewers'],
      { KUBECONFIG: admin },
    )
    expect(result.code).toBe(0)
    const denied = await probe(['pods', '-n', 'kube-system', '--as', 'alice', '--as-group', 'data-science'], {
      KUBECONFIG: admin,
    })
    expect(denied.code).toBe(EXIT_CODES.forbidden)
  })

  it('as-user-extra in the kubeconfig reaches the server as the same Impersonate-Extra headers kubectl sends', async () => {
    const doc = parse(readFileSync(admin, 'utf8')) as { users: { user: Record<string, unknown> }[] }
    const entry = doc.users[0]
    if (entry === undefined) throw new Error('no user entry')
    entry.user.as = 'alice'
    entry.user['as-user-extra'] = { scopes: ['view', 'edit'], 'example.com/team': ['ml'] }
    const path = raw('extra.yaml', stringify(doc))
    const theirs = await kubectl(path, ['auth', 'whoami', '-o', 'json'])
    expect(theirs.code, theirs.stderr).toBe(0)
    const kube = await connect({ kubeconfig: path }, { env: {}, stdinIsTTY: false })
    try {
      const ours = await kube.transport.json<{ status: { userInfo: unknown } }>({
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
        context: { verb: 'create', resource: 'selfsubjectreviews' },
      })
      const expected = (JSON.parse(theirs.stdout) as { status: { userInfo: unknown } }).status.userInfo
      expect(ours.status.userInfo).toEqual(expected)
      expect(ours.status.userInfo).toMatchObject({
        username: 'alice',
        extra: { scopes: ['view', 'edit'], 'example.com/team': ['ml'] },
      })
    } finally {
      await kube.close()
    }
  })

  it('--insecure-skip-tls-verify accepts a server whose CA is unknown', async () => {
    const config = kubeconfig(
      'insecure.yaml',
      simConfig(
        { token: 'admin-token' },
        { 'certificate-authority-data': undefined, 'insecure-skip-tls-verify': true },
      ),
    )
    expect((await probe(['pods'], { KUBECONFIG: config })).code).toBe(0)
  })
})

describe('resilience', () => {
  it('retries reads after 429 with Retry-After, 5xx and dropped connections', async () => {
    sim.faults.throttle = 2
    sim.faults.retryAfterSeconds = 0
    expect((await probe(['pods'], { KUBECONFIG: admin })).code).toBe(0)
    sim.faults.serverErrors = 2
    sim.faults.serverErrorStatus = 503
    expect((await probe(['pods'], { KUBECONFIG: admin })).code).toBe(0)
    sim.faults.dropConnections = 1
    expect((await probe(['pods'], { KUBECONFIG: admin })).code).toBe(0)
  })

  it('pages with limit/continue and restarts cleanly when the continue token expires (410)', async () => {
    sim.faults.expireContinueAfterPages = 1
    const before = sim.requests.length
    const result = await probe(['pods', '-A', '--chunk-size', '4'], { KUBECONFIG: admin })
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('restarted 1\n')
    const names = result.stdout.trim().split('\n')
    expect(names).toHaveLength(sim.store.count('pods'))
    expect(new Set(names).size).toBe(names.length)
    expect(sim.requests.slice(before).some((r) => r.status === 410)).toBe(true)
  })
})

describe('bad input: one line, a hint, the right exit code', () => {
  const cases: [string, () => Promise<{ argv: string[]; env: Record<string, string> }>, number, RegExp][] = [
    [
      'malformed kubeconfig',
      async () => ({ argv: ['pods'], env: { KUBECONFIG: raw('malformed.yaml', 'clusters: [\n  - {name: x\n') } }),
      EXIT_CODES.config,
      /error loading config file|kubeconfig/i,
    ],
    [
      'missing --kubeconfig file',
      async () => ({ argv: ['pods', '--kubeconfig', join(dir, 'nope.yaml')], env: {} }),
      EXIT_CODES.config,
      /nope\.yaml/,
    ],
    [
      'unknown --context',
      async () => ({ argv: ['pods', '--context', 'prod'], env: { KUBECONFIG: admin } }),
      EXIT_CODES.config,
      /context "prod"/,
    ],
    [
      'current-context names a missing context',
      async () => ({
        argv: ['pods'],
        env: { KUBECONFIG: kubeconfig('dangling.yaml', { ...simConfig({ token: 'x' }), 'current-context': 'gone' }) },
      }),
      EXIT_CODES.config,
      /gone/,
    ],
    [
      'context points at a missing cluster',
      async () => ({
        argv: ['pods'],
        env: { KUBECONFIG: kubeconfig('nocluster.yaml', { ...simConfig({ token: 'x' }), clusters: [] }) },
      }),
      EXIT_CODES.config,
      /cluster "sim"/,
    ],
    [
      'certificate-authority-data is not base64',
      async () => ({
        argv: ['pods'],
        env: {
          KUBECONFIG: kubeconfig(
            'badca.yaml',
            simConfig({ token: 'x' }, { 'certificate-authority-data': '%%%not base64%%%' }),
          ),
        },
      }),
      EXIT_CODES.config,
      /certificate-authority-data|base64/,
    ],
    [
      'certificate-authority file missing',
      async () => ({
        argv: ['pods'],
        env: {
          KUBECONFIG: kubeconfig(
            'cafile.yaml',
            simConfig(
              { token: 'x' },
              { 'certificate-authority-data': undefined, 'certificate-authority': '/nonexistent/ca.crt' },
            ),
          ),
        },
      }),
      EXIT_CODES.config,
      /\/nonexistent\/ca\.crt/,
    ],
    [
      'wrong CA',
      async () => {
        const foreign = createForeignPki(join(dir, 'foreign'))
        return {
          argv: ['pods'],
          env: {
            KUBECONFIG: kubeconfig(
              'wrongca.yaml',
              simConfig({ token: 'admin-token' }, { 'certificate-authority-data': foreign.caCert.toString('base64') }),
            ),
          },
        }
      },
      EXIT_CODES.connection,
      /unknown authority/,
    ],
    [
      'expired client certificate',
      async () => {
        const expired = sim.issueCert('admin', ['system:masters'], {
          notBefore: new Date('2020-01-01'),
          notAfter: new Date('2020-02-01'),
          fileName: 'expired-core',
        })
        return {
          argv: ['pods'],
          env: {
            KUBECONFIG: kubeconfig(
              'expired.yaml',
              simConfig({ 'client-certificate': expired.certPath, 'client-key': expired.keyPath }),
            ),
          },
        }
      },
      EXIT_CODES.auth,
      /logged in|rejected/,
    ],
    [
      '401 with a wrong token',
      async () => ({
        argv: ['pods'],
        env: { KUBECONFIG: kubeconfig('wrongtoken.yaml', simConfig({ token: 'not-a-token' })) },
      }),
      EXIT_CODES.auth,
      /rejected the credentials/,
    ],
    [
      '403 names verb, resource and namespace',
      async () => ({
        argv: ['pods', '-n', 'kube-system'],
        env: { KUBECONFIG: sim.writeKubeconfig({ user: 'alice' }) },
      }),
      EXIT_CODES.forbidden,
      /cannot list resource "pods" in API group "" in the namespace "kube-system"/,
    ],
    [
      '404 for a pod that does not exist',
      async () => ({ argv: ['pods', 'ghost'], env: { KUBECONFIG: admin } }),
      EXIT_CODES['not-found'],
      /pods "ghost" in namespace "ml-team" not found/,
    ],
    [
      'server down',
      async () => ({
        argv: [
          'pods',
          '--server',
          `https://127.0.0.1:${await freePort()}`,
          '--token',
          'x',
          '--insecure-skip-tls-verify',
        ],
        env: {},
      }),
      EXIT_CODES.connection,
      /connection refused/,
    ],
    [
      'slow server hits --request-timeout',
      async () => {
        sim.faults.latencyMs = 2_000
        return { argv: ['pods', '--request-timeout', '300ms'], env: { KUBECONFIG: admin } }
      },
      EXIT_CODES.connection,
      /timed out after 300ms/,
    ],
    [
      'server keeps failing with 500',
      async () => {
        sim.faults.serverErrors = 50
        return { argv: ['pods'], env: { KUBECONFIG: admin } }
      },
      EXIT_CODES.connection,
      /500|server failed/,
    ],
    [
      'exec plugin missing',
      async () => ({
        argv: ['pods'],
        env: {
          KUBECONFIG: kubeconfig(
            'noplugin.yaml',
            simConfig({
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1',
                command: 'kubectl-suite-no-such-plugin',
                interactiveMode: 'Never',
                installHint: 'install it from your cloud',
              },
            }),
          ),
        },
      }),
      EXIT_CODES.auth,
      /kubectl-suite-no-such-plugin/,
    ],
    [
      'exec plugin failing',
      async () => ({
        argv: ['pods'],
        env: {
          KUBECONFIG: kubeconfig(
            'failplugin.yaml',
            simConfig({
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1',
                command: script('failing-plugin', 'echo denied >&2; exit 3'),
                interactiveMode: 'Never',
              },
            }),
          ),
        },
      }),
      EXIT_CODES.auth,
      /exit|failed/,
    ],
    [
      'no configuration and no in-cluster variables',
      async () => ({ argv: ['pods'], env: {} }),
      EXIT_CODES.config,
      /configuration|KUBERNETES_SERVICE_HOST/,
    ],
    [
      'in-cluster without a token file',
      async () => ({
        argv: ['pods'],
        env: {
          KUBERNETES_SERVICE_HOST: '127.0.0.1',
          KUBERNETES_SERVICE_PORT: String(sim.port),
          KUBECTL_SUITE_SERVICEACCOUNT_DIR: join(dir, 'empty-sa'),
        },
      }),
      EXIT_CODES.config,
      /token/,
    ],
    [
      'invalid --request-timeout',
      async () => ({ argv: ['pods', '--request-timeout', 'soon'], env: { KUBECONFIG: admin } }),
      EXIT_CODES.usage,
      /soon/,
    ],
    [
      'unknown flag',
      async () => ({ argv: ['pods', '--namspace', 'x'], env: { KUBECONFIG: admin } }),
      EXIT_CODES.usage,
      /unknown flag: --namspace/,
    ],
    [
      'flag without its value',
      async () => ({ argv: ['pods', '--context'], env: { KUBECONFIG: admin } }),
      EXIT_CODES.usage,
      /flag needs an argument/,
    ],
    [
      'tls-server-name the certificate does not hold',
      async () => ({ argv: ['pods', '--tls-server-name', 'wrong.example.com'], env: { KUBECONFIG: admin } }),
      EXIT_CODES.connection,
      /not valid for|certificate/,
    ],
  ]

  it.each(cases)('%s', async (_name, setup, code, message) => {
    const { argv, env } = await setup()
    const result = await probe(argv, env)
    expect(result.stdout).toBe('')
    expect(result.code).toBe(code)
    const lines = result.stderr.trim().split('\n')
    expect(lines[0]).toMatch(/^error: /)
    expect(lines[0]).toMatch(message)
    expect(lines.length).toBeLessThanOrEqual(2)
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })
})
