import { EventEmitter } from 'node:events'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import type { CommandDef } from 'citty'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { aeSessionsRoot } from '../../plugins/ae-sessions/root.ts'
import { mrunRoot } from '../../plugins/mrun/root.ts'
import { pvclaimRoot } from '../../plugins/pvclaim/root.ts'
import { secretviewRoot } from '../../plugins/secretview/root.ts'
import { usageRoot } from '../../plugins/usage/root.ts'
import { createMemoryIo } from '../../shared/cli/memory-io.ts'
import { runPlugin } from '../../shared/cli/run.ts'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'

/**
 * Bad input and faults, one row per case, run in-process against the simulated cluster: the exit code, the first
 * line on stderr, no stack trace, and for destructive commands that nothing was touched. Each row names the defect
 * it guards (the numbers of the robustness issue).
 */
const ROOTS: Record<string, CommandDef> = {
  usage: usageRoot,
  'ae-sessions': aeSessionsRoot,
  secretview: secretviewRoot,
  mrun: mrunRoot,
  pvclaim: pvclaimRoot,
}

interface Row {
  /** The defect: `1 empty name`, … */
  item: string
  plugin: keyof typeof ROOTS
  argv: string[]
  code: number
  /** The first line of stderr, exactly (string) or matched (RegExp). */
  stderr: string | RegExp
  env?: Record<string, string>
  /** The rest of stderr, exactly. */
  hint?: string
  /** stdout fails with EPIPE once this many bytes were written (a reader that closed early). */
  brokenPipeAfter?: number
  /** Sent to the command (as the process would be) this many ms after it starts. */
  signal?: { name: 'SIGINT' | 'SIGTERM' | 'SIGHUP'; afterMs: number }
  /**
   * Run through the fault proxy (an HTTP front of the simulator): requests whose path matches are answered by
   * `respond` instead of the simulator.
   */
  fault?: { path: RegExp; respond: (req: IncomingMessage, res: ServerResponse) => void }
  /** What stdout must match (the rest still printed). */
  stdout?: RegExp
  /** Called before the run (fault knobs, files). */
  before?: () => void
  /** "Nothing left behind" and other checks after the run. */
  after?: () => void
}

let sim: Sim
let admin: string
const work = mkdtempSync(join(tmpdir(), 'bad-input-'))
const ML = 'ml-team'

const claims = (): string[] => [...sim.store.all('persistentvolumeclaims', ML)].map((c) => c.metadata.name).sort()
const secrets = (): string[] => [...sim.store.all('secrets', ML)].map((c) => c.metadata.name).sort()
let claimsBefore: string[] = []
let secretsBefore: string[] = []
const claimsKept = (): void => expect(claims()).toEqual(claimsBefore)
const secretsKept = (): void => expect(secrets()).toEqual(secretsBefore)
const noRequests = (): void => expect(sim.requests.length).toBe(0)

const USAGE_HINT = (plugin: string): RegExp => new RegExp(`^See 'kubectl ${plugin}( \\S+)* --help' for usage\\.$`)

const ROWS: Row[] = [
  // 1. Empty and malformed NAME arguments: exit 2 before any request.
  ...(
    [
      ['pvclaim', ['delete', '']],
      ['pvclaim', ['describe', '']],
      ['pvclaim', ['resize', '', '--size', '20Gi']],
      ['pvclaim', ['download', '']],
      ['pvclaim', ['create', '', '--size', '1Gi']],
      ['secretview', ['']],
      ['secretview', ['show', '']],
      ['secretview', ['create', '', '--from-literal', 'a=b']],
      ['secretview', ['diff', '', 'db-credentials']],
      ['usage', ['nodes', '']],
      ['usage', ['pods', '']],
      ['mrun', ['status', '']],
      ['mrun', ['logs', '']],
      ['mrun', ['delete', '']],
      ['ae-sessions', ['info', '']],
      ['ae-sessions', ['logs', '']],
    ] as const
  ).map(
    ([plugin, argv]): Row => ({
      item: '1 empty name',
      plugin,
      argv: [...argv],
      code: 2,
      stderr: /^error: invalid [A-Z]+ "": must not be empty$/,
      after: () => {
        noRequests()
        claimsKept()
        secretsKept()
      },
    }),
  ),
  ...(
    [
      ['pvclaim', ['delete', '..'], '..'],
      ['pvclaim', ['describe', 'a/b'], 'a/b'],
      ['pvclaim', ['delete', 'Results'], 'Results'],
      ['secretview', ['db-credentials/x'], 'db-credentials/x'],
      ['secretview', ['.'], '.'],
      ['usage', ['nodes', 'worker_1'], 'worker_1'],
    ] as const
  ).map(
    ([plugin, argv, bad]): Row => ({
      item: '1 invalid name',
      plugin,
      argv: [...argv],
      code: 2,
      stderr: `error: invalid ${plugin === 'usage' ? 'NAME' : plugin === 'secretview' ? 'NAME' : 'CLAIM'} "${bad}": must be a lower-case DNS-1123 subdomain (a-z, 0-9, '-' and '.'; 253 characters at most)`,
      after: () => {
        noRequests()
        claimsKept()
      },
    }),
  ),
  ...(
    [
      ['secretview', ['diff', 'db-credentials', '']],
      ['mrun', ['profile', 'add', '']],
      ['mrun', ['profile', 'use', '']],
    ] as const
  ).map(
    ([plugin, argv]): Row => ({
      item: '1 empty name',
      plugin,
      argv: [...argv],
      code: 2,
      stderr: /^error: invalid [A-Z]+ "": must not be empty$/,
      after: noRequests,
    }),
  ),
  {
    item: "1 empty namespace means the context's, as in kubectl",
    plugin: 'usage',
    argv: ['pods', '-n', ''],
    code: 0,
    stderr: '',
    stdout: /^NAME\s[\s\S]*\nfeature-store-0\s/,
  },
  // 6. Durations past the longest timer Node can set (2^31-1 ms): exit 2 before any request.
  ...(
    [
      [
        'usage',
        ['nodes', '--request-timeout=597h'],
        /^error: invalid argument "597h" for "--request-timeout" flag: a duration cannot be longer than 596h31m23\.647s/,
      ],
      [
        'secretview',
        ['db-credentials', '--request-timeout', '2147484'],
        /^error: invalid argument "2147484" for "--request-timeout" flag: a duration cannot be longer/,
      ],
      [
        'ae-sessions',
        ['list', '--watch', '--interval', '2147483648ms'],
        /^error: invalid --interval "2147483648ms": a duration cannot be longer than 596h31m23\.647s/,
      ],
      [
        'ae-sessions',
        ['list', '--watch', '--interval', '100ms'],
        /^error: invalid --interval "100ms": a duration cannot be shorter than 200ms$/,
      ],
      [
        'ae-sessions',
        ['logs', 'a1-x', '--since', '999999h'],
        /^error: invalid --since "999999h": a duration cannot be longer/,
      ],
      [
        'pvclaim',
        ['create', 'new-claim', '--size', '1Gi', '--wait', '--timeout', '3000000'],
        /^error: invalid --timeout "3000000": a duration cannot be longer/,
      ],
      [
        'pvclaim',
        ['create', 'new-claim', '--size', '1Gi', '--wait', '--timeout', '-1s'],
        /^error: invalid --timeout "-1s": a duration cannot be negative$/,
      ],
      [
        'mrun',
        ['list', '--request-timeout=1d'],
        /^error: invalid argument "1d" for "--request-timeout" flag: must be a whole number of seconds/,
      ],
    ] as const
  ).map(
    ([plugin, argv, stderr]): Row => ({
      item: '6 duration bound',
      plugin,
      argv: [...argv],
      code: 2,
      stderr,
      after: () => {
        noRequests()
        claimsKept()
      },
    }),
  ),
  // 2. A reader that closes early: stop quietly, exit 141 (what a shell reports for kubectl, killed by SIGPIPE).
  ...(
    [
      ['usage', ['pods', '-A', '-o', 'json']],
      ['usage', ['nodes', '-o', 'yaml']],
      ['secretview', ['db-credentials', '-o', 'json']],
      ['ae-sessions', ['list', '-A', '-o', 'json']],
      ['pvclaim', ['list', '-A', '-o', 'json']],
      ['mrun', ['profile', 'list', '-o', 'json']],
    ] as const
  ).map(
    ([plugin, argv]): Row => ({
      item: '2 broken pipe',
      plugin,
      argv: [...argv],
      code: 141,
      stderr: '',
      brokenPipeAfter: 10,
      after: claimsKept,
    }),
  ),
  // 3. SIGTERM and SIGHUP stop a command as Ctrl-C does: cleanup, then 128 + the signal's number.
  ...(
    [
      ['SIGTERM', 143, /^Warning: terminated: cleaning up$/],
      ['SIGHUP', 129, /^Warning: hung up: cleaning up$/],
      ['SIGINT', 130, /^Warning: interrupted: cleaning up/],
    ] as const
  ).flatMap(([name, code, stderr]): Row[] => [
    {
      item: '3 signal',
      plugin: 'ae-sessions',
      argv: ['list', '-A', '--watch', '--interval', '200ms'],
      code,
      stderr,
      signal: { name, afterMs: 300 },
    },
    {
      item: '3 signal',
      plugin: 'pvclaim',
      argv: ['create', `pending-${name.toLowerCase()}`, '--size', '1Gi', '--storage-class', 'fast', '--wait'],
      code,
      stderr,
      signal: { name, afterMs: 300 },
    },
  ]),
  // 7. Faults of the server or the connection are connection/protocol errors (4), bad in-cluster config is 3.
  ...(
    [
      [
        'usage',
        ['nodes'],
        /\/api\/v1\/nodes/,
        json('null'),
        /^error: the server http:\/\/127\.0\.0\.1:\d+ answered list nodes with null, not a Kubernetes object$/,
      ],
      [
        'usage',
        ['pods', '-A'],
        /\/api\/v1\/pods/,
        json('{"kind":"PodList","items":{}}'),
        /^error: the server http:\/\/127\.0\.0\.1:\d+ answered list pods with a list whose items are not an array$/,
      ],
      [
        'secretview',
        ['db-credentials'],
        /\/secrets\/db-credentials/,
        html,
        /^error: the server http:\/\/127\.0\.0\.1:\d+ answered get secrets "db-credentials" in namespace "ml-team" with something that is not JSON \(text\/html: "<html><body>Bad gateway/,
      ],
      [
        'secretview',
        ['db-credentials'],
        /\/secrets\/db-credentials/,
        json('null'),
        /^error: the server http:\/\/127\.0\.0\.1:\d+ answered get secrets "db-credentials" in namespace "ml-team" with null, not a Kubernetes object$/,
      ],
      [
        'pvclaim',
        ['list'],
        /persistentvolumeclaims/,
        json('{"items":{}}'),
        /^error: the server http:\/\/127\.0\.0\.1:\d+ answered list persistentvolumeclaims .*with a list whose items are not an array$/,
      ],
      [
        'pvclaim',
        ['describe', 'results'],
        /persistentvolumeclaims\/results/,
        json('[1,2]'),
        /^error: the server http:\/\/127\.0\.0\.1:\d+ answered get persistentvolumeclaims "results" .*with an array, not a Kubernetes object$/,
      ],
      [
        'ae-sessions',
        ['list', '-A'],
        /\/pods/,
        html,
        /^error: the server http:\/\/127\.0\.0\.1:\d+ answered list pods with something that is not JSON/,
      ],
      [
        'pvclaim',
        ['list'],
        /persistentvolumeclaims/,
        teapot,
        /^error: the server http:\/\/127\.0\.0\.1:\d+ answered list persistentvolumeclaims .*with an unexpected 418: 418$/,
      ],
      [
        'mrun',
        ['list', '-n', ML],
        /\/jobs/,
        cut,
        /^error: the connection to http:\/\/127\.0\.0\.1:\d+ was closed before an answer to list jobs/,
      ],
      [
        'usage',
        ['nodes'],
        /\/api\/v1\/nodes/,
        cut,
        /^error: the connection to http:\/\/127\.0\.0\.1:\d+ was closed before an answer to list nodes/,
      ],
      [
        'ae-sessions',
        ['logs', '{aePod}', '-f', '-n', 'anaconda-enterprise'],
        /\/log/,
        dropLog,
        /^error: the connection to http:\/\/127\.0\.0\.1:\d+ was closed while streaming get pods\/log/,
      ],
    ] as const
  ).map(
    ([plugin, argv, path, respond, stderr]): Row => ({
      item: '7 fault',
      plugin,
      argv: [...argv],
      code: 4,
      stderr,
      fault: { path, respond },
    }),
  ),
  {
    item: '7 fault',
    plugin: 'usage',
    argv: ['nodes'],
    code: 3,
    stderr: 'error: unable to load in-cluster configuration: KUBERNETES_SERVICE_PORT "https" is not a port number',
    env: {
      KUBECONFIG: '',
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_SERVICE_PORT: 'https',
      KUBERNETES_SERVICE_TOKEN: 't',
    },
  },
  {
    item: '7 fault',
    plugin: 'secretview',
    argv: ['db-credentials'],
    code: 3,
    stderr: 'error: unable to load in-cluster configuration: KUBERNETES_SERVICE_PORT "70000" is not a port number',
    env: {
      KUBECONFIG: '',
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_SERVICE_PORT: '70000',
      KUBERNETES_SERVICE_TOKEN: 't',
    },
  },
  // 8. A hung server: the timeout's error, exit 4 (hung-server.test.ts checks the process ends right after it).
  ...(
    [
      ['usage', ['nodes'], /^error: request to list (nodes|pods) timed out after 1s/],
      ['ae-sessions', ['list', '-A'], /^error: request to list pods timed out after 1s/],
      [
        'secretview',
        ['db-credentials'],
        /^error: request to get secrets "db-credentials" in namespace "ml-team" timed out after 1s/,
      ],
      [
        'pvclaim',
        ['describe', 'results'],
        /^error: request to get persistentvolumeclaims "results" in namespace "ml-team" timed out after 1s/,
      ],
      ['mrun', ['status', 'some-run', '-n', ML], /^error: request to \S+ .*timed out after 1s/],
    ] as const
  ).map(
    ([plugin, argv, stderr]): Row => ({
      item: '8 hung server',
      plugin,
      argv: [...argv, '--request-timeout', '1s'],
      code: 4,
      stderr,
      before: () => {
        sim.faults.hang = true
      },
    }),
  ),
  // 10. A metrics API that starts its list and then stalls (metrics are read item by item as they arrive): after
  // the 5 s metrics allowance the usage columns show "-" with one warning, everything else prints, exit 0.
  {
    item: '10 stalled metrics',
    plugin: 'usage',
    argv: ['pods', '-n', 'ml-team'],
    code: 0,
    stderr:
      /^Warning: usage columns show "-": the metrics API did not answer: request to list pods\.metrics\.k8s\.io.* timed out after 5s/,
    fault: {
      path: /metrics\.k8s\.io\/v1beta1\/namespaces\/ml-team\/pods/,
      respond: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('{"kind":"PodMetricsList","metadata":{},"items":[{"metadata":{"name":"feature-store-0"')
      },
    },
    stdout: /\nfeature-store-0\s/,
  },
  // 10. One malformed quantity in the metrics: that pod or node shows "-", one warning names it, the rest prints, 0.
  {
    item: '10 malformed metrics',
    plugin: 'usage',
    argv: ['pods', '-A'],
    code: 0,
    stderr:
      'Warning: usage of pod ml-team/feature-store-0 shows "-": the metrics API gave container "store" an invalid cpu quantity "12 cores"',
    fault: {
      path: /metrics\.k8s\.io\/v1beta1\/pods/,
      respond: (_req, res) => podMetrics(res, ML, 'feature-store-0', 'store'),
    },
    stdout: /\nml-team\s+feature-store-0\s.*\s-\s[\s\S]*\nkube-system\s+coredns/,
  },
  {
    item: '10 malformed metrics',
    plugin: 'usage',
    argv: ['pods', '-n', ML, '--containers'],
    code: 0,
    stderr:
      'Warning: usage of pod ml-team/feature-store-0 shows "-": the metrics API gave container "store" an invalid cpu quantity "12 cores"',
    fault: {
      path: /metrics\.k8s\.io\/v1beta1\/namespaces\/ml-team\/pods/,
      respond: (_req, res) => podMetrics(res, ML, 'feature-store-0', 'store'),
    },
  },
  {
    item: '10 malformed metrics',
    plugin: 'usage',
    argv: ['nodes'],
    code: 0,
    stderr: 'Warning: usage of node worker-1 shows "-": the metrics API gave an invalid cpu quantity "12 cores"',
    fault: { path: /metrics\.k8s\.io\/v1beta1\/nodes/, respond: (_req, res) => nodeMetrics(res, 'worker-1') },
    stdout: /\nworker-2\s/,
  },
  {
    item: '10 malformed metrics',
    plugin: 'ae-sessions',
    argv: ['list', '-A'],
    code: 0,
    stderr:
      /^Warning: usage of pod anaconda-enterprise\/anaconda-session-\S+ shows "-": the metrics API gave container "\S+" an invalid cpu quantity "12 cores"$/,
    fault: {
      path: /metrics\.k8s\.io\/v1beta1\/pods/,
      respond: (_req, res) => podMetrics(res, 'anaconda-enterprise', aePod, 'editor'),
    },
  },
  {
    item: '10 malformed metrics',
    plugin: 'ae-sessions',
    argv: ['nodes'],
    code: 0,
    stderr: 'Warning: usage of node worker-1 shows "-": the metrics API gave an invalid cpu quantity "12 cores"',
    fault: { path: /metrics\.k8s\.io\/v1beta1\/nodes/, respond: (_req, res) => nodeMetrics(res, 'worker-1') },
  },
  // 11. Large values: a 4 MiB value is shown, not a stack overflow.
  ...(
    [
      [['huge-text'], /^$/],
      [['huge-text', '-o', 'json'], /^$/],
      [['huge-binary'], /^$/],
      [['huge-binary', '--reveal'], /^$/],
    ] as const
  ).map(
    ([argv, stderr]): Row => ({
      item: '11 large value',
      plugin: 'secretview',
      argv: [...argv],
      code: 0,
      stderr,
      before: () => {
        for (const [name, value] of [
          ['huge-text', Buffer.alloc(4 << 20, 'a')],
          ['huge-binary', Buffer.from(Array.from({ length: 4 << 20 }, (_, i) => (i * 7919) % 256))],
        ] as const)
          if (sim.store.get('secrets', ML, name) === undefined)
            sim.store.create({
              apiVersion: 'v1',
              kind: 'Secret',
              metadata: { name, namespace: ML },
              type: 'Opaque',
              data: { value: value.toString('base64') },
            })
      },
    }),
  ),
  ...(
    [
      ['usage', ['nodes'], 'not-a-cert.pem', 'this file holds a path, not a certificate\n'],
      ['pvclaim', ['list'], 'key.pem', '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n'],
    ] as const
  ).map(
    ([plugin, argv, file, content]): Row => ({
      item: '11 CA file not PEM',
      plugin,
      argv: [...argv, '--certificate-authority', join(work, file)],
      code: 3,
      stderr: `error: certificate-authority ${join(work, file)} is not a PEM certificate (it has no "-----BEGIN CERTIFICATE-----" block)`,
      before: () => writeFileSync(join(work, file), content),
      after: noRequests,
    }),
  ),
  {
    item: '11 Helm release over the cap',
    plugin: 'secretview',
    argv: ['sh.helm.release.v1.bomb.v1'],
    code: 9,
    stderr:
      'error: secret "sh.helm.release.v1.bomb.v1" key "release": Helm payload over the cap: it inflates past the cap of 32 MiB, so it is not read',
    before: () => {
      if (sim.store.get('secrets', ML, 'sh.helm.release.v1.bomb.v1') === undefined)
        sim.store.create({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'sh.helm.release.v1.bomb.v1', namespace: ML },
          type: 'helm.sh/release.v1',
          data: {
            release: Buffer.from(gzipSync(Buffer.alloc(40 << 20)).toString('base64')).toString('base64'),
          },
        })
    },
  },
  // 4. A kubeconfig or Secret manifest YAML fault: file, line and column, never the source line (or a warning).
  {
    item: '4 yaml source line',
    plugin: 'pvclaim',
    argv: ['list'],
    code: 3,
    stderr: `error: error loading config file "${join(work, 'broken.kubeconfig')}": yaml: line 4, column 1: missing closing "quote`,
    env: { KUBECONFIG: join(work, 'broken.kubeconfig') },
    before: () => writeFileSync(join(work, 'broken.kubeconfig'), 'users:\n- name: u\n  user: {token: "SECRET-TOKEN}\n'),
    after: noRequests,
  },
  {
    item: '4 yaml source line',
    plugin: 'secretview',
    argv: ['diff', 'db-credentials', join(work, 'broken-secret.yaml')],
    code: 9,
    stderr: `error: ${join(work, 'broken-secret.yaml')} is not YAML or JSON: line 3, column 1: flow sequence in block collection must be sufficiently indented and end with a ]`,
    before: () =>
      writeFileSync(join(work, 'broken-secret.yaml'), 'kind: Secret\nstringData: {password: [SECRET-VALUE\n'),
  },
  // 5. secretview -o file: all keys or none, no hostile key name, 0600.
  {
    item: '5 -o file all-or-nothing',
    plugin: 'secretview',
    argv: ['db-credentials', '-o', 'file', '--dir', join(work, 'keys-exist')],
    code: 8,
    stderr: `error: cannot write ${join(work, 'keys-exist', 'password')}: it already exists; no file was written`,
    before: () => {
      mkdirSync(join(work, 'keys-exist'), { recursive: true })
      writeFileSync(join(work, 'keys-exist', 'password'), 'mine\n')
    },
    after: () => {
      expect(readdirSync(join(work, 'keys-exist'))).toEqual(['password'])
      expect(readFileSync(join(work, 'keys-exist', 'password'), 'utf8')).toBe('mine\n')
    },
  },
  ...(
    [
      ['odd-empty', '', 'an empty key cannot be a file name'],
      ['odd-dotdot', '..', 'key ".." cannot be a file name'],
      ['odd-slash', 'a/b', 'key "a/b" cannot be a file name'],
    ] as const
  ).map(
    ([name, key, problem]): Row => ({
      item: '5 -o file hostile key',
      plugin: 'secretview',
      argv: [name, '-o', 'file', '--dir', join(work, `keys-${name}`, 'inner')],
      code: 9,
      stderr: `error: secret "${name}": ${problem}; no file was written`,
      before: () => {
        mkdirSync(join(work, `keys-${name}`, 'inner'), { recursive: true })
        if (sim.store.get('secrets', ML, name) === undefined)
          sim.store.create({
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name, namespace: ML },
            type: 'Opaque',
            data: { aaa: Buffer.from('first').toString('base64'), [key]: Buffer.from('SECRET').toString('base64') },
          })
      },
      after: () => {
        expect(readdirSync(join(work, `keys-${name}`))).toEqual(['inner'])
        expect(readdirSync(join(work, `keys-${name}`, 'inner'))).toEqual([])
      },
    }),
  ),
  {
    item: '5 -o file mode 0600',
    plugin: 'secretview',
    argv: ['db-credentials', '-o', 'file', '--dir', join(work, 'keys-ok')],
    code: 0,
    stderr: /^wrote \S+ \(\d+ bytes, mode 0600\)$/,
    before: () => mkdirSync(join(work, 'keys-ok'), { recursive: true }),
    after: () => {
      const names = readdirSync(join(work, 'keys-ok')).sort()
      expect(names).toEqual(['blob.bin', 'empty', 'greeting.txt', 'password', 'username'])
      for (const name of names) expect(statSync(join(work, 'keys-ok', name)).mode & 0o777).toBe(0o600)
    },
  },
  // 9. Unknown flags at the top level: exit 2, one line, the same hint in every plugin.
  ...(['usage', 'ae-sessions', 'secretview', 'mrun', 'pvclaim'] as const).map(
    (plugin): Row => ({
      item: '9 unknown top-level flag',
      plugin,
      argv: ['--bogus'],
      code: 2,
      stderr: 'error: unknown flag: --bogus',
      after: noRequests,
      hint: `See 'kubectl ${plugin} --help' for usage.`,
    }),
  ),
]

/** Fault answers for the proxy. */
function json(body: string) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(body)
  }
}
function html(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/html' })
  res.end('<html><body>Bad gateway</body></html>')
}
function teapot(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(418, { 'content-type': 'text/html' })
  res.end('<html>SECRET-PAGE</html>')
}
/** Headers and part of the body, then the connection is cut. */
function cut(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4000' })
  res.write('{"kind":"List","items":[')
  setTimeout(() => res.socket?.destroy(), 20)
}
/** A followed log that starts, then the connection drops. */
function dropLog(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' })
  res.write('line 1\n')
  setTimeout(() => res.socket?.destroy(), 50)
}

/** A PodMetricsList whose one item, the named pod, has a container with a malformed cpu quantity. */
function podMetrics(res: ServerResponse, namespace: string, name: string, container: string): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({
      kind: 'PodMetricsList',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {},
      items: [
        { metadata: { namespace, name }, containers: [{ name: container, usage: { cpu: '12 cores', memory: '1Gi' } }] },
      ],
    }),
  )
}

function nodeMetrics(res: ServerResponse, bad: string): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({
      kind: 'NodeMetricsList',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {},
      items: [
        { metadata: { name: bad }, usage: { cpu: '12 cores', memory: '1Gi' } },
        { metadata: { name: 'worker-2' }, usage: { cpu: '1500m', memory: '2Gi' } },
      ],
    }),
  )
}

let proxy: Server
let proxyConfig: string
let fault: Row['fault']
let aePod = ''

/** A stdout whose reader goes away after `limit` bytes: later writes fail with EPIPE, as a pipe's do. */
function closingPipe(limit: number): Writable {
  let written = 0
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.length
      if (written > limit)
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' }))
      else done()
    },
  })
}

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: false })
  admin = sim.writeKubeconfig({ user: 'admin', namespace: ML })
  // The fault proxy: plain HTTP in front of the simulator (as kubectl proxy is), answering matching requests itself.
  const tokenConfig = parse(readFileSync(sim.writeKubeconfig({ user: 'admin', auth: 'token' }), 'utf8')) as {
    users: { user: { token: string } }[]
  }
  const token = tokenConfig.users[0]?.user.token ?? ''
  proxy = createServer((req, res) => {
    if (fault?.path.test(req.url ?? '')) {
      fault.respond(req, res)
      return
    }
    // Like kubectl proxy: clients send no credentials over plain http, the proxy adds its own.
    const headers = { ...req.headers, authorization: `Bearer ${token}` }
    delete headers.host
    const upstream = httpsRequest(
      new URL(req.url ?? '/', sim.url),
      { method: req.method, headers, rejectUnauthorized: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const port = (proxy.address() as AddressInfo).port
  proxyConfig = join(work, 'proxy.kubeconfig')
  writeFileSync(
    proxyConfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'p', cluster: { server: `http://127.0.0.1:${port}` } }],
      users: [{ name: 'u', user: { token } }],
      contexts: [{ name: 'p', context: { cluster: 'p', user: 'u', namespace: ML } }],
      'current-context': 'p',
    }),
  )
  aePod =
    [...sim.store.all('pods', 'anaconda-enterprise')].find(
      (p) => /^anaconda-session-/.test(p.metadata.name) && (p.status as { phase?: string }).phase === 'Running',
    )?.metadata.name ?? ''
})

afterAll(async () => {
  proxy.closeAllConnections()
  await new Promise((resolve) => proxy.close(resolve))
  await sim.stop()
})

describe('bad input and faults (table)', () => {
  it.each(
    ROWS.map(
      (row) => [`${row.item}: kubectl ${row.plugin} ${row.argv.map((a) => JSON.stringify(a)).join(' ')}`, row] as const,
    ),
  )('%s', async (_name, row) => {
    sim.resetFaults()
    row.before?.()
    claimsBefore = claims()
    secretsBefore = secrets()
    sim.requests.length = 0
    fault = row.fault
    const io = createMemoryIo({
      env: {
        KUBECONFIG: row.fault === undefined ? admin : proxyConfig,
        HOME: work,
        XDG_CONFIG_HOME: join(work, 'config'),
        ...row.env,
      },
    })
    const root = ROOTS[row.plugin] as CommandDef
    const out = row.brokenPipeAfter === undefined ? io.out : closingPipe(row.brokenPipeAfter)
    const interrupts = new EventEmitter()
    const timer =
      row.signal === undefined
        ? undefined
        : setTimeout(() => interrupts.emit(row.signal?.name ?? ''), row.signal.afterMs)
    const code = await runPlugin(root, {
      name: `kubectl ${row.plugin}`,
      version: '0.0.0',
      io: { ...io, out },
      argv: row.argv.map((word) => (word === '{aePod}' ? `${aePod}` : word)),
      interrupts,
    })
    clearTimeout(timer)
    const stderr = io.stderr()
    const lines = stderr.split('\n')
    if (typeof row.stderr === 'string') expect(lines[0], stderr).toBe(row.stderr)
    else expect(lines[0], stderr).toMatch(row.stderr)
    expect(code, stderr).toBe(row.code)
    expect(stderr).not.toMatch(/\n\s+at |this is a bug/)
    if (row.code === 2) expect(stderr.trimEnd().split('\n').at(-1)).toMatch(USAGE_HINT(row.plugin))
    if (row.hint !== undefined) expect(lines.slice(1).join('\n')).toBe(`${row.hint}\n`)
    row.after?.()
  })

  it('has a row for every plugin and at least 60 rows', () => {
    expect(new Set(ROWS.map((r) => r.plugin)).size).toBe(5)
    expect(ROWS.length).toBeGreaterThanOrEqual(60)
  })
})
