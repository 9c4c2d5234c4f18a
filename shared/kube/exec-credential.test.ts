import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type ErrorKind, SuiteError } from '../errors.ts'
import { clearExecCredentialCache, type ExecCredentialContext, getExecCredential } from './exec-credential.ts'
import type { ExecConfig } from './types.ts'

/** Real little plugins written as shell scripts, run through the real protocol. */

const V1 = 'client.authentication.k8s.io/v1'
const V1BETA1 = 'client.authentication.k8s.io/v1beta1'
/** Made at load time, as the failure table below names plugin paths when it is defined. */
const dir = mkdtempSync(join(tmpdir(), 'exec-credential-'))

function plugin(name: string, body: string): string {
  const path = join(dir, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

/** Prints an ExecCredential of the apiVersion in $API (default v1beta1) whose token is $TOKEN. */
const PRINT_TOKEN = `printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s"%s}}\\n' "\${API:-${V1BETA1}}" "$TOKEN" "\${EXPIRY:+,\\"expirationTimestamp\\":\\"$EXPIRY\\"}"`

beforeAll(() => {
  plugin('token', `TOKEN=\${TOKEN:-static-token}\n${PRINT_TOKEN}`)
  // The whole KUBERNETES_EXEC_INFO comes back base64-encoded as the token, so the test can read what we sent.
  plugin('echo-info', `TOKEN=$(printf %s "$KUBERNETES_EXEC_INFO" | base64 | tr -d '\\n')\n${PRINT_TOKEN}`)
  plugin('echo-args-env', `TOKEN="$1-$2-$FROM_PARENT-$FROM_EXEC"\n${PRINT_TOKEN}`)
  plugin('counting', `echo run >> "$COUNT_FILE"\nsleep 0.2\nTOKEN=counted\n${PRINT_TOKEN}`)
  plugin('failing', 'echo "plugin: login expired" >&2\nexit 3')
  plugin('garbage', 'echo "this is not JSON"')
  plugin('wrong-kind', `echo '{"apiVersion":"${V1BETA1}","kind":"Pod","status":{"token":"x"}}'`)
  plugin('no-status', `echo '{"apiVersion":"${V1BETA1}","kind":"ExecCredential"}'`)
  plugin('empty-status', `echo '{"apiVersion":"${V1BETA1}","kind":"ExecCredential","status":{}}'`)
  plugin(
    'cert-only',
    `echo '{"apiVersion":"${V1BETA1}","kind":"ExecCredential","status":{"clientCertificateData":"C"}}'`,
  )
  plugin(
    'cert-and-key',
    `echo '{"apiVersion":"${V1}","kind":"ExecCredential","status":{"clientCertificateData":"CERT","clientKeyData":"KEY","expirationTimestamp":"2999-01-01T00:00:00Z"}}'`,
  )
  plugin('killed', 'kill -9 $$')
  plugin(
    'prompting',
    `echo "Open https://login.example/device and enter ABCD-1234" >&2\nTOKEN=after-prompt\n${PRINT_TOKEN}`,
  )
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))
beforeEach(() => clearExecCredentialCache())

function execConfig(command: string, overrides: Partial<ExecConfig> = {}): ExecConfig {
  return {
    command,
    args: [],
    env: [],
    apiVersion: V1BETA1,
    provideClusterInfo: false,
    interactiveMode: 'IfAvailable',
    ...overrides,
  }
}

function context(overrides: Partial<ExecCredentialContext> = {}): ExecCredentialContext {
  return {
    clusterServer: 'https://k8s.example:6443',
    insecure: false,
    stdinIsTTY: false,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    userName: 'me',
    ...overrides,
  }
}

async function failure(run: Promise<unknown>): Promise<{ kind: ErrorKind; message: string; hint?: string }> {
  try {
    await run
  } catch (error) {
    if (error instanceof SuiteError) {
      return { kind: error.kind, message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }) }
    }
    throw error
  }
  throw new Error('expected a SuiteError')
}

const execInfoOf = (token: string | undefined): unknown =>
  JSON.parse(Buffer.from(token ?? '', 'base64').toString('utf8'))

const runs = (countFile: string): number => readFileSync(countFile, 'utf8').split('\n').filter(Boolean).length

describe('the exec credential protocol', () => {
  it('returns the token a v1beta1 plugin prints', async () => {
    expect(await getExecCredential(execConfig(join(dir, 'token')), context())).toEqual({ token: 'static-token' })
  })

  it('returns client certificate, key and expiry from a v1 plugin', async () => {
    const credential = await getExecCredential(
      execConfig(join(dir, 'cert-and-key'), { apiVersion: V1, interactiveMode: 'Never' }),
      context(),
    )
    expect(credential).toEqual({
      clientCertificateData: 'CERT',
      clientKeyData: 'KEY',
      expiresAt: new Date('2999-01-01T00:00:00Z'),
    })
  })

  it('passes args, the parent environment and the exec env (which wins) to the plugin', async () => {
    const credential = await getExecCredential(
      execConfig(join(dir, 'echo-args-env'), {
        args: ['one', 'two'],
        env: [
          { name: 'FROM_EXEC', value: 'exec' },
          { name: 'FROM_PARENT', value: 'overridden' },
        ],
      }),
      context({ env: { PATH: process.env.PATH ?? '', FROM_PARENT: 'parent' } }),
    )
    expect(credential.token).toBe('one-two-overridden-exec')
  })

  it('finds a bare command on the PATH of the given environment', async () => {
    const credential = await getExecCredential(execConfig('token'), context({ env: { PATH: `${dir}:/usr/bin:/bin` } }))
    expect(credential.token).toBe('static-token')
  })

  it.each([
    { name: 'v1beta1 without a terminal', apiVersion: V1BETA1, mode: 'IfAvailable', tty: false, interactive: false },
    { name: 'v1 with a terminal', apiVersion: V1, mode: 'IfAvailable', tty: true, interactive: true },
    { name: 'v1 Never with a terminal', apiVersion: V1, mode: 'Never', tty: true, interactive: false },
    { name: 'v1 Always with a terminal', apiVersion: V1, mode: 'Always', tty: true, interactive: true },
  ] as const)('KUBERNETES_EXEC_INFO without cluster info: $name', async ({ apiVersion, mode, tty, interactive }) => {
    const credential = await getExecCredential(
      execConfig(join(dir, 'echo-info'), {
        apiVersion,
        interactiveMode: mode,
        env: [{ name: 'API', value: apiVersion }],
      }),
      context({ stdinIsTTY: tty }),
    )
    expect(execInfoOf(credential.token)).toEqual({ apiVersion, kind: 'ExecCredential', spec: { interactive } })
  })

  it('KUBERNETES_EXEC_INFO carries the cluster when provideClusterInfo is set', async () => {
    const credential = await getExecCredential(
      execConfig(join(dir, 'echo-info'), { provideClusterInfo: true }),
      context({ caData: Buffer.from('CA PEM'), tlsServerName: 'api.internal', insecure: false }),
    )
    expect(execInfoOf(credential.token)).toEqual({
      apiVersion: V1BETA1,
      kind: 'ExecCredential',
      spec: {
        interactive: false,
        cluster: {
          server: 'https://k8s.example:6443',
          'tls-server-name': 'api.internal',
          'certificate-authority-data': Buffer.from('CA PEM').toString('base64'),
        },
      },
    })
  })

  it('a CA file is sent as certificate-authority-data, and insecure only when true', async () => {
    const caFile = join(dir, 'ca.pem')
    writeFileSync(caFile, 'FILE CA')
    const credential = await getExecCredential(
      execConfig(join(dir, 'echo-info'), { provideClusterInfo: true }),
      context({ caFile, insecure: true }),
    )
    expect((execInfoOf(credential.token) as { spec: { cluster: object } }).spec.cluster).toEqual({
      server: 'https://k8s.example:6443',
      'insecure-skip-tls-verify': true,
      'certificate-authority-data': Buffer.from('FILE CA').toString('base64'),
    })
  })

  it('KUBERNETES_EXEC_INFO cannot be overridden by the exec env', async () => {
    const credential = await getExecCredential(
      execConfig(join(dir, 'echo-info'), { env: [{ name: 'KUBERNETES_EXEC_INFO', value: 'spoofed' }] }),
      context(),
    )
    expect(execInfoOf(credential.token)).toMatchObject({ kind: 'ExecCredential' })
  })

  it('stderr passes through to the terminal so prompts are seen, stdout is parsed', () => {
    const script = `
      import { getExecCredential } from ${JSON.stringify(join(import.meta.dirname, 'exec-credential.ts'))}
      const credential = await getExecCredential(
        { command: ${JSON.stringify(join(dir, 'prompting'))}, args: [], env: [], apiVersion: '${V1BETA1}', provideClusterInfo: false, interactiveMode: 'IfAvailable' },
        { clusterServer: 'https://k', insecure: false, stdinIsTTY: false, env: process.env, userName: 'me' },
      )
      process.stdout.write(credential.token)
    `
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
    expect({ stdout: child.stdout, stderr: child.stderr.trim() }).toEqual({
      stdout: 'after-prompt',
      stderr: 'Open https://login.example/device and enter ABCD-1234',
    })
  })
})

describe('caching per user and plugin until expiry', () => {
  function counting(env: Record<string, string> = {}): { exec: ExecConfig; countFile: string } {
    const countFile = join(dir, `count-${Math.random().toString(36).slice(2)}`)
    writeFileSync(countFile, '')
    return {
      exec: execConfig(join(dir, 'counting'), {
        env: [
          { name: 'COUNT_FILE', value: countFile },
          ...Object.entries(env).map(([name, value]) => ({ name, value })),
        ],
      }),
      countFile,
    }
  }

  it('without an expiry the credential is reused for the life of the process', async () => {
    const { exec, countFile } = counting()
    await getExecCredential(exec, context())
    await getExecCredential(exec, context())
    expect(runs(countFile)).toBe(1)
  })

  it('an unexpired credential is reused', async () => {
    const { exec, countFile } = counting({ EXPIRY: '2999-01-01T00:00:00Z' })
    const first = await getExecCredential(exec, context())
    const second = await getExecCredential(exec, context())
    expect([runs(countFile), second]).toEqual([1, first])
  })

  it('an expired credential runs the plugin again', async () => {
    const { exec, countFile } = counting({ EXPIRY: '2000-01-01T00:00:00Z' })
    await getExecCredential(exec, context())
    await getExecCredential(exec, context())
    expect(runs(countFile)).toBe(2)
  })

  it('concurrent requests share one plugin run', async () => {
    const { exec, countFile } = counting()
    const results = await Promise.all([1, 2, 3].map(() => getExecCredential(exec, context())))
    expect([runs(countFile), results.every((r) => r.token === 'counted')]).toEqual([1, true])
  })

  it('another user or other args is another cache entry', async () => {
    const { exec, countFile } = counting()
    await getExecCredential(exec, context({ userName: 'a' }))
    await getExecCredential(exec, context({ userName: 'b' }))
    await getExecCredential({ ...exec, args: ['x'] }, context({ userName: 'a' }))
    expect(runs(countFile)).toBe(3)
  })

  it('clearExecCredentialCache forgets every credential', async () => {
    const { exec, countFile } = counting()
    await getExecCredential(exec, context())
    clearExecCredentialCache()
    await getExecCredential(exec, context())
    expect(runs(countFile)).toBe(2)
  })

  it('a failure is not cached', async () => {
    const countFile = join(dir, 'count-failing')
    writeFileSync(countFile, '')
    const exec = execConfig(plugin('count-then-fail', 'echo run >> "$COUNT_FILE"\nexit 1'), {
      env: [{ name: 'COUNT_FILE', value: countFile }],
    })
    await failure(getExecCredential(exec, context()))
    await failure(getExecCredential(exec, context()))
    expect(runs(countFile)).toBe(2)
  })
})

describe('plugin failures are one-line auth errors', () => {
  it.each([
    {
      name: 'a missing executable, with the install hint as the hint',
      exec: () => execConfig('/nonexistent/kube-login', { installHint: 'brew install\n  kube-login' }),
      expected: {
        kind: 'auth',
        message: 'exec plugin: executable /nonexistent/kube-login not found',
        hint: 'brew install kube-login',
      },
    },
    {
      name: 'a missing executable on PATH, without an install hint',
      exec: () => execConfig('kubectl-suite-no-such-plugin'),
      expected: {
        kind: 'auth',
        message: 'exec plugin: executable kubectl-suite-no-such-plugin not found',
        hint: 'install the credential plugin, or fix users[].user.exec.command in the kubeconfig',
      },
    },
    {
      name: 'a non-zero exit',
      exec: () => execConfig(join(dir, 'failing')),
      expected: { kind: 'auth', message: `exec plugin "${join(dir, 'failing')}" failed with exit code 3` },
    },
    {
      name: 'a plugin killed by a signal',
      exec: () => execConfig(join(dir, 'killed')),
      expected: { kind: 'auth', message: `exec plugin "${join(dir, 'killed')}" was killed by SIGKILL` },
    },
    {
      name: 'output that is not JSON',
      exec: () => execConfig(join(dir, 'garbage')),
      expected: {
        kind: 'auth',
        message: `exec plugin "${join(dir, 'garbage')}" printed invalid JSON instead of an ExecCredential`,
      },
    },
    {
      name: 'another apiVersion than requested',
      exec: () => execConfig(join(dir, 'token'), { env: [{ name: 'API', value: V1 }] }),
      expected: {
        kind: 'auth',
        message: `exec plugin "${join(dir, 'token')}" returned apiVersion "${V1}", expected "${V1BETA1}"`,
      },
    },
    {
      name: 'another kind',
      exec: () => execConfig(join(dir, 'wrong-kind')),
      expected: {
        kind: 'auth',
        message: `exec plugin "${join(dir, 'wrong-kind')}" returned kind "Pod", expected ExecCredential`,
      },
    },
    {
      name: 'no status',
      exec: () => execConfig(join(dir, 'no-status')),
      expected: { kind: 'auth', message: `exec plugin "${join(dir, 'no-status')}" returned no status` },
    },
    {
      name: 'neither token nor certificate',
      exec: () => execConfig(join(dir, 'empty-status')),
      expected: {
        kind: 'auth',
        message: `exec plugin "${join(dir, 'empty-status')}" returned neither a token nor a client certificate and key`,
      },
    },
    {
      name: 'a certificate without its key',
      exec: () => execConfig(join(dir, 'cert-only')),
      expected: {
        kind: 'auth',
        message: `exec plugin "${join(dir, 'cert-only')}" returned only one of clientCertificateData and clientKeyData`,
      },
    },
    {
      name: 'an invalid expirationTimestamp',
      exec: () => execConfig(join(dir, 'token'), { env: [{ name: 'EXPIRY', value: 'tomorrow' }] }),
      expected: {
        kind: 'auth',
        message: `exec plugin "${join(dir, 'token')}" returned an invalid expirationTimestamp "tomorrow"`,
      },
    },
    {
      name: 'an Always-interactive plugin without a terminal',
      exec: () => execConfig(join(dir, 'token'), { apiVersion: V1, interactiveMode: 'Always' }),
      expected: { kind: 'auth', message: `exec plugin "${join(dir, 'token')}" requires an interactive terminal` },
    },
  ])('$name', async ({ exec, expected }) => {
    expect(await failure(getExecCredential(exec(), context()))).toMatchObject(expected)
  })
})
