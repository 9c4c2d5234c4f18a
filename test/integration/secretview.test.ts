import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { secretviewRoot } from '../../plugins/secretview/root.ts'
import { createMemoryIo, FIXED_NOW } from '../../shared/cli/memory-io.ts'
import { runPlugin } from '../../shared/cli/run.ts'
import { EXIT_CODES } from '../../shared/errors.ts'
import { jsonConventionProblems } from '../../shared/output/index.ts'
import type { KubeObject } from '../sim/object.ts'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { REPO_ROOT } from '../support/plugins.ts'
import { kubectl, run } from '../support/run.ts'
import { helmPayload, opensslCertificate, signedJwt } from '../support/secrets.ts'

/**
 * kubectl secretview against the simulated cluster, in process: values byte for byte against kubectl, masking of
 * every value by default, typed views of real certificates, tokens and Helm payloads, and bad input.
 */
const ML = 'ml-team'
const NODE = join(REPO_ROOT, 'node_modules/.bin/node')
let sim: Sim
let admin: string
let dir: string

interface Result {
  code: number
  stdout: string
  stderr: string
  bytes: Buffer
}

async function sv(
  argv: string[],
  options: { kubeconfig?: string; stdin?: string; tty?: boolean } = {},
): Promise<Result> {
  const io = createMemoryIo({
    env: { KUBECONFIG: options.kubeconfig ?? admin },
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    ...(options.tty === undefined ? {} : { tty: options.tty }),
  })
  const code = await runPlugin(secretviewRoot, { name: 'kubectl secretview', version: '0.0.0', io, argv })
  return { code, stdout: io.stdout(), stderr: io.stderr(), bytes: io.stdoutBytes() }
}

const storedSecret = (namespace: string, name: string): KubeObject | undefined =>
  sim.store.get('secrets', namespace, name)
const dataOf = (object: KubeObject | undefined): Record<string, string> =>
  (object as { data?: Record<string, string> } | undefined)?.data ?? {}

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: false })
  admin = sim.writeKubeconfig({ user: 'admin', namespace: ML })
  dir = mkdtempSync(join(tmpdir(), 'secretview-it-'))
})

afterAll(async () => {
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('values byte for byte', () => {
  it.each([['username'], ['greeting.txt'], ['blob.bin'], ['empty'], ['password']])(
    'KEY %s equals kubectl get secret -o jsonpath | base64 -d',
    async (key) => {
      const ours = await sv(['db-credentials', key])
      expect(ours.code, ours.stderr).toBe(0)
      const theirs = await kubectl(admin, [
        'get',
        'secret',
        'db-credentials',
        '-o',
        `jsonpath={.data.${key.replaceAll('.', '\\.')}}`,
      ])
      expect(theirs.code, theirs.stderr).toBe(0)
      expect(ours.bytes.equals(Buffer.from(theirs.stdout, 'base64'))).toBe(true)
      expect(ours.stderr).toBe('')
    },
  )

  it('refuses a binary value on a terminal and points to -o file or a pipe', async () => {
    const result = await sv(['db-credentials', 'blob.bin'], { tty: true })
    expect(result.code).toBe(EXIT_CODES.usage)
    expect(result.bytes.length).toBe(0)
    expect(result.stderr).toMatch(
      /^error: key "blob.bin" is binary \(7 bytes\) and stdout is a terminal\nhint: pipe it .* or write it with -o file/,
    )
  })

  it('-o file writes the value with mode 0600 and refuses to replace a file without --overwrite', async () => {
    const target = mkdtempSync(join(dir, 'files-'))
    const first = await sv(['db-credentials', 'blob.bin', '-o', 'file', '--dir', target])
    expect(first.code, first.stderr).toBe(0)
    const path = join(target, 'blob.bin')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readFileSync(path)).toEqual(Buffer.from([0, 159, 146, 150, 255, 1, 2]))
    const again = await sv(['db-credentials', 'blob.bin', '-o', 'file', '--dir', target])
    expect(again.code).toBe(EXIT_CODES.conflict)
    expect(readdirSync(target)).toEqual(['blob.bin'])
  })
})

describe('JSON convention and templates', () => {
  it('--all -o json keeps the suite JSON convention; jsonpath and custom-columns read it', async () => {
    const list = await sv(['--all', '-o', 'json'])
    const doc = JSON.parse(list.stdout) as { items: { metadata: { name: string } }[] }
    expect(jsonConventionProblems(doc)).toEqual([])
    const names = await sv(['--all', '-o', 'jsonpath={.items[*].metadata.name}'])
    expect(names.stdout).toBe(doc.items.map((i) => i.metadata.name).join(' '))
    const columns = await sv(['--all', '-o', 'custom-columns=NAME:.metadata.name,TYPE:.type'])
    expect(columns.stdout.split('\n')[0]).toMatch(/^NAME +TYPE$/)
    expect(columns.stdout.trimEnd().split('\n')).toHaveLength(doc.items.length + 1)
    const check = await sv(['check', '-o', 'jsonpath={.kind}'])
    expect(check.stdout).toBe('FindingList')
    const bad = await sv(['--all', '-o', 'jsonpath={.items[}'])
    expect(bad.code).toBe(2)
  })
})

describe('masking', () => {
  it('prints no value and no base64 of a value with default options, for every secret of every namespace', async () => {
    const secrets = [...sim.store.all('secrets')]
    expect(secrets.length).toBeGreaterThan(5)
    const outputs: string[] = []
    for (const secret of secrets) {
      const result = await sv([secret.metadata.name, '-n', secret.metadata.namespace ?? ''])
      outputs.push(result.stdout, result.stderr)
    }
    for (const args of [['--all'], ['-A'], ['check', '-A'], ['--all', '-o', 'wide']]) {
      const result = await sv(args)
      outputs.push(result.stdout, result.stderr)
    }
    const all = outputs.join('\n')
    let checked = 0
    for (const secret of secrets) {
      for (const [key, encoded] of Object.entries(dataOf(secret))) {
        const value = Buffer.from(encoded, 'base64').toString('utf8')
        // The namespace key of a token secret is the namespace's name, which every listing shows anyway.
        if (value.length < 4 || (key === 'namespace' && value === secret.metadata.namespace)) continue
        checked++
        expect(all, `${secret.metadata.name}/${key}`).not.toContain(value)
        expect(all, `${secret.metadata.name}/${key} base64`).not.toContain(encoded)
        for (const line of value.split('\n').filter((l) => l.length >= 8))
          expect(all, `${secret.metadata.name}/${key} line`).not.toContain(line)
      }
    }
    expect(checked).toBeGreaterThan(10)
  })

  /**
   * The yaml library quotes the offending source line in its errors and prints warnings (an unknown `!tag`) with the
   * line straight to the process's stderr: a real process, so those warnings would be seen too.
   */
  it.each([
    ['a tagged token in the kubeconfig', 'token: !custom SECRET-TOK-1', undefined, 'SECRET-TOK-1'],
    ['a broken line with a token in the kubeconfig', 'token: "SECRET-TOK-2\n      x: [', undefined, 'SECRET-TOK-2'],
    ['a tagged value in a diff manifest', 'token: admin-token', 'password: !vault SECRET-VAL-3', 'SECRET-VAL-3'],
    ['a broken value in a diff manifest', 'token: admin-token', 'password: "SECRET-VAL-4\n  x: [', 'SECRET-VAL-4'],
    [
      'a stray token after a value in a diff manifest',
      'token: admin-token',
      'password: abc ] SECRET-VAL-5',
      'SECRET-VAL-5',
    ],
  ])('never prints a source line of a kubeconfig or manifest: %s', async (_case, user, manifestLine, secret) => {
    const config = join(dir, `leak-${secret.length}${_case.length}.kubeconfig`)
    writeFileSync(
      config,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: sim',
        '  cluster:',
        `    server: ${sim.url}`,
        `    certificate-authority-data: ${sim.pki.caCert.toString('base64')}`,
        'users:',
        '- name: u',
        '  user:',
        `    ${user}`,
        'contexts:',
        '- name: sim',
        '  context: {cluster: sim, user: u, namespace: ml-team}',
        'current-context: sim',
        '',
      ].join('\n'),
    )
    const argv = ['db-credentials']
    if (manifestLine !== undefined) {
      const manifest = join(dir, `leak-${secret.length}${_case.length}.yaml`)
      writeFileSync(manifest, `apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData:\n  ${manifestLine}\n`)
      argv.unshift('diff')
      argv.push(manifest)
    }
    const result = await run(NODE, [join(REPO_ROOT, 'plugins/secretview/main.ts'), ...argv], {
      env: { ...process.env, KUBECONFIG: config, HOME: '/nonexistent' },
    })
    expect(result.stderr).not.toContain(secret)
    expect(result.stdout).not.toContain(secret)
    expect(result.stderr).not.toMatch(/YAMLWarning|\^/)
    expect(result.code, result.stderr).not.toBe(1)
  })

  it('--reveal shows them', async () => {
    const result = await sv(['db-credentials', '--reveal'])
    expect(result.stdout).toContain('S3cr3t-p@ss')
  })
})

describe('typed secrets made for real', () => {
  it('a TLS secret from openssl: subject, SANs, days left and the key matching', async () => {
    const pair = opensslCertificate('shop.example.com', ['shop.example.com', 'api.shop.example.com'], 25)
    writeFileSync(join(dir, 'tls.crt'), pair.cert)
    writeFileSync(join(dir, 'tls.key'), pair.key)
    const created = await sv([
      'create',
      'shop-tls',
      '--type',
      'tls',
      '--from-file',
      `tls.crt=${join(dir, 'tls.crt')}`,
      '--from-file',
      `tls.key=${join(dir, 'tls.key')}`,
    ])
    expect(created.code, created.stderr).toBe(0)
    expect(created.stdout).toBe('secret/shop-tls created\n')
    const shown = await sv(['shop-tls'])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toMatch(
      /certificate CN=shop.example.com, DNS:shop.example.com DNS:api.shop.example.com, expires in 25d/,
    )
    expect(shown.stdout).toContain('rsa private key 2048 bits, matches tls.crt')
    const check = await sv(['check'])
    expect(check.code).toBe(EXIT_CODES.found)
    expect(check.stdout).toMatch(/^shop-tls +tls\.crt +expiring +CN=shop\.example\.com expires in 25d/m)
  })

  it('a real JWT: header and claims, never the signature', async () => {
    const token = signedJwt({
      sub: 'system:serviceaccount:ml-team:deployer',
      aud: ['https://kubernetes.default.svc'],
      exp: Math.floor(FIXED_NOW.getTime() / 1000) + 3600,
    })
    await sv(['create', 'deployer-token', '--prompt', 'token'], { stdin: token })
    const shown = await sv(['deployer-token'])
    expect(shown.stdout).toContain('JWT RS256, sub system:serviceaccount:ml-team:deployer, expires today')
    expect(shown.stdout).toContain('aud=["https://kubernetes.default.svc"]')
    expect(shown.stdout).not.toContain(token.split('.')[2] as string)
    expect(shown.stdout).not.toContain(token)
  })

  it('a real gzip Helm payload: chart, revision, status and values keys', async () => {
    const payload = helmPayload({
      name: 'shop',
      namespace: ML,
      version: 5,
      info: { status: 'failed', description: 'Upgrade "shop" failed' },
      chart: { metadata: { name: 'shop', version: '0.9.1', appVersion: '3.2' }, templates: [{}, {}, {}] },
      config: { ingress: { enabled: true }, replicas: 4 },
    })
    const manifest = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sh.helm.release.v1.shop.v5', namespace: ML },
      type: 'helm.sh/release.v1',
      data: { release: payload.toString('base64') },
    }
    const applied = await kubectl(admin, ['create', '-f', '-'], { input: JSON.stringify(manifest) })
    expect(applied.code, applied.stderr).toBe(0)
    const shown = await sv(['sh.helm.release.v1.shop.v5'])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toContain('Helm release shop v5: shop-0.9.1, failed')
    expect(shown.stdout).toContain('values keys ingress, replicas')
  })
})

describe('interactive pick', () => {
  it('on a terminal, picks the secret and then the key with the arrow keys', async () => {
    const stdin = new PassThrough()
    const io = { ...createMemoryIo({ env: { KUBECONFIG: admin }, tty: true }), stdin }
    const running = runPlugin(secretviewRoot, { name: 'kubectl secretview', version: '0.0.0', io, argv: [] })
    // Secrets are offered by name: basic-login, ci-token, …; keys: all keys, ca.crt, namespace, token.
    for (const key of ['\u001b[B', '\r', '\u001b[B', '\r']) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      stdin.write(key)
    }
    expect(await running).toBe(0)
    expect(io.stdout()).toBe(sim.pki.caCert.toString('utf8'))
    expect(io.stderr()).toContain('Secret')
  })
})

describe('create, diff and check', () => {
  it('create --dry-run -o yaml prints the secret and creates nothing', async () => {
    const result = await sv(['create', 'draft', '--from-literal', 'a=1', '--dry-run', '-o', 'yaml'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^apiVersion: v1\ndata:\n {2}a: MQ==\nkind: Secret\n/)
    expect(storedSecret(ML, 'draft')).toBeUndefined()
  })

  it('create from literals, files, env files and a piped prompt in one go', async () => {
    writeFileSync(join(dir, 'app.env'), '# comment\nHOST=db.internal\nEMPTY=\nQUOTED="kept as is"\n')
    writeFileSync(join(dir, 'blob'), Buffer.from([1, 2, 3, 0, 255]))
    const result = await sv(
      [
        'create',
        'bundle',
        '--from-literal',
        'user=app',
        '--from-file',
        join(dir, 'blob'),
        '--from-env-file',
        join(dir, 'app.env'),
        '--prompt',
        'password',
      ],
      { stdin: 'pa55 word\n' },
    )
    expect(result.code, result.stderr).toBe(0)
    const data = dataOf(storedSecret(ML, 'bundle'))
    const decoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64')]))
    expect(decoded.user?.toString()).toBe('app')
    expect(decoded.blob).toEqual(Buffer.from([1, 2, 3, 0, 255]))
    expect(decoded.HOST?.toString()).toBe('db.internal')
    expect(decoded.EMPTY?.toString()).toBe('')
    expect(decoded.QUOTED?.toString()).toBe('"kept as is"')
    expect(decoded.password?.toString()).toBe('pa55 word\n')
  })

  it('refuses to overwrite without --overwrite, writes nothing, and with it names the changed keys only', async () => {
    const before = storedSecret(ML, 'bundle')?.metadata.resourceVersion
    const refused = await sv(['create', 'bundle', '--from-literal', 'user=other'])
    expect(refused.code).toBe(EXIT_CODES.conflict)
    expect(refused.stderr).toMatch(
      /^error: secret "bundle" already exists in namespace "ml-team"\nhint: pass --overwrite/,
    )
    expect(storedSecret(ML, 'bundle')?.metadata.resourceVersion).toBe(before)
    const replaced = await sv([
      'create',
      'bundle',
      '--overwrite',
      '--from-literal',
      'user=other-user',
      '--from-literal',
      'HOST=db.internal',
      '--from-literal',
      'extra=x',
    ])
    expect(replaced.code, replaced.stderr).toBe(0)
    expect(replaced.stderr).toBe('secret/bundle: added extra; changed user; removed EMPTY, QUOTED, blob, password\n')
    expect(replaced.stderr).not.toContain('other-user')
  })

  it('diff against a manifest file shows the key names that differ and exits 10; identical exits 0', async () => {
    const live = await kubectl(admin, ['get', 'secret', 'basic-login', '-o', 'yaml'])
    const changed = live.stdout.replace(/password: .*/, `password: ${Buffer.from('new-password').toString('base64')}`)
    writeFileSync(join(dir, 'basic.yaml'), changed)
    const result = await sv(['diff', 'basic-login', join(dir, 'basic.yaml')])
    expect(result.code).toBe(EXIT_CODES.found)
    expect(result.stdout).toBe('KEY        CHANGE\npassword   changed\n')
    expect(result.stdout + result.stderr).not.toMatch(/hunter2|new-password/)
    writeFileSync(join(dir, 'same.yaml'), live.stdout)
    const same = await sv(['diff', 'basic-login', join(dir, 'same.yaml')])
    expect(same.code).toBe(0)
    const revealed = await sv(['diff', 'basic-login', join(dir, 'basic.yaml'), '--reveal'])
    expect(revealed.stdout).toMatch(/password +changed +hunter2 +new-password/)
  })

  it('diff --show-hashes prints keyed fingerprints, never an unsalted sha256 of a value, different on every run', async () => {
    const values = ['hunter2', 'new-password', 'alice', 'admin', '1', '']
    const live = await kubectl(admin, ['get', 'secret', 'basic-login', '-o', 'json'])
    for (const encoded of Object.values((JSON.parse(live.stdout) as { data: Record<string, string> }).data))
      values.push(Buffer.from(encoded, 'base64').toString('utf8'))
    const runs = [
      await sv(['diff', 'basic-login', join(dir, 'basic.yaml'), '--show-hashes', '--all']),
      await sv(['diff', 'basic-login', join(dir, 'basic.yaml'), '--show-hashes', '--all', '-o', 'json']),
      await sv(['diff', 'basic-login', 'db-credentials', '--show-hashes', '--all']),
    ]
    for (const run of runs) {
      const printed = run.stdout + run.stderr
      expect(printed).not.toContain('sha256:')
      for (const value of values) {
        const hex = createHash('sha256').update(value).digest('hex')
        for (const length of [8, 12, 16]) expect(printed).not.toContain(hex.slice(0, length))
      }
    }
    expect(runs[0]?.stdout).toMatch(/^password +changed +hmac:[0-9a-f]{12} +hmac:[0-9a-f]{12}$/m)
    // An unchanged key has one fingerprint on both sides within a run, and another one in the next run.
    const unchanged = (text: string) => /^username +unchanged +(hmac:\S+) +(hmac:\S+)$/m.exec(text)
    const first = unchanged(runs[0]?.stdout ?? '')
    expect(first?.[1]).toBe(first?.[2])
    const again = await sv(['diff', 'basic-login', join(dir, 'basic.yaml'), '--show-hashes', '--all'])
    expect(unchanged(again.stdout)?.[1]).not.toBe(first?.[1])
  })

  it('diff against another secret', async () => {
    const result = await sv(['diff', 'basic-login', 'db-credentials', '-o', 'json'])
    expect(result.code).toBe(EXIT_CODES.found)
    const items = (JSON.parse(result.stdout) as { items: { key: string; change: string }[] }).items
    expect(items.find((i) => i.key === 'blob.bin')?.change).toBe('added')
  })

  it('check reports the demo’s missing secret and expiring certificate and exits 10', async () => {
    const result = await sv(['check', '-o', 'json'])
    expect(result.code).toBe(EXIT_CODES.found)
    const kinds = (JSON.parse(result.stdout) as { items: { kind: string; secret: string }[] }).items.map(
      (f) => `${f.kind}:${f.secret}`,
    )
    expect(kinds).toContain('missing:s3-credentials')
    expect(kinds).toContain('expiring:trainer-api-tls')
    expect(kinds).not.toContain('unused:db-credentials')
    const clean = await sv(['check', '-n', 'kube-system'])
    expect(clean.code, clean.stdout).toBe(0)
  })
})

describe('bad input: one line, the right exit code, nothing written', () => {
  it.each([
    [
      'a missing secret',
      ['nope'],
      EXIT_CODES['not-found'],
      /^error: secret "nope" not found in namespace "ml-team"\nhint: list the secrets/,
    ],
    [
      'a missing key, listing the keys',
      ['db-credentials', 'pasword'],
      EXIT_CODES['not-found'],
      /^error: secret "db-credentials" has no key "pasword"\nhint: its keys are: blob\.bin, empty, greeting\.txt, password, username/,
    ],
    ['a bad -o', ['db-credentials', '-o', 'xml'], EXIT_CODES.usage, /^error: unable to match a printer/],
    ['no name and no terminal', [], EXIT_CODES.usage, /^error: secretview needs a secret NAME/],
    ['a bad --within', ['check', '--within', 'soon'], EXIT_CODES.usage, /^error: invalid --within "soon"/],
    [
      'a bad key name',
      ['create', 'x', '--from-literal', 'bad key=1'],
      EXIT_CODES.usage,
      /^error: invalid key "bad key"/,
    ],
    [
      'a bad --dry-run mode',
      ['create', 'x', '--from-literal', 'a=1', '--dry-run=maybe'],
      EXIT_CODES.usage,
      /^error: invalid --dry-run "maybe"\nhint: use --dry-run=client/,
    ],
    [
      'an invalid name',
      ['create', 'X_bad', '--from-literal', 'a=1'],
      EXIT_CODES.usage,
      /^error: invalid NAME "X_bad": must be a lower-case DNS-1123 subdomain/,
    ],
    [
      'a TLS secret without its key',
      ['create', 'x', '--type', 'tls', '--from-literal', 'tls.crt=1'],
      EXIT_CODES.usage,
      /needs the key tls\.key/,
    ],
    [
      'a missing file',
      ['create', 'x', '--from-file', '/nonexistent/f'],
      EXIT_CODES.usage,
      /cannot read \/nonexistent\/f given to --from-file: no such file/,
    ],
  ])('%s', async (_case, argv, code, message) => {
    const result = await sv(argv)
    expect(result.code).toBe(code)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toContain('    at ')
    expect(storedSecret(ML, 'x')).toBeUndefined()
  })

  it('forbidden: names the verb and the namespace', async () => {
    const alice = sim.writeKubeconfig({ user: 'alice', namespace: 'anaconda-enterprise' })
    const result = await sv(['ae5-ingress-tls'], { kubeconfig: alice })
    expect(result.code).toBe(EXIT_CODES.forbidden)
    expect(result.stderr).toMatch(
      /^error: secrets "ae5-ingress-tls" is forbidden: User "alice" cannot get resource "secrets" in API group "" in the namespace "anaconda-enterprise"/,
    )
  })

  it('malformed PEM and a corrupt Helm payload: the view, then one error line and exit 9', async () => {
    const bad = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bad-pem', namespace: ML },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64'),
        'tls.key': '',
      },
    }
    expect((await kubectl(admin, ['create', '-f', '-'], { input: JSON.stringify(bad) })).code).toBe(0)
    const pem = await sv(['bad-pem'])
    expect(pem.code).toBe(EXIT_CODES.invalid)
    expect(pem.stderr).toMatch(/^error: secret "bad-pem" key "tls.crt": malformed PEM: .*\nhint: /)
    const helm = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sh.helm.release.v1.bad.v1', namespace: ML },
      type: 'helm.sh/release.v1',
      data: { release: Buffer.from('H4sIAAAAAAAAA6tWSs').toString('base64') },
    }
    expect((await kubectl(admin, ['create', '-f', '-'], { input: JSON.stringify(helm) })).code).toBe(0)
    const corrupt = await sv(['sh.helm.release.v1.bad.v1'])
    expect(corrupt.code).toBe(EXIT_CODES.invalid)
    expect(corrupt.stderr).toMatch(/^error: secret "sh.helm.release.v1.bad.v1" key "release": corrupt Helm payload/)
  })

  it('malformed base64 in a manifest given to diff', async () => {
    writeFileSync(
      join(dir, 'bad64.yaml'),
      stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, data: { password: 'not base64!' } }),
    )
    const result = await sv(['diff', 'basic-login', join(dir, 'bad64.yaml')])
    expect(result.code).toBe(EXIT_CODES.invalid)
    expect(result.stderr).toMatch(/key "password" is not valid base64 in data/)
  })
})
