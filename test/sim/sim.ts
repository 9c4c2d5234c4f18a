import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Duplex } from 'node:stream'
import { stringify } from 'yaml'
import { negotiateExecProtocol, serveExec } from '../kubelet/exec-protocol.ts'
import { admit } from './admission/index.ts'
import { DEFAULT_POLICY, DEFAULT_USERS, type PolicyRule, type SimUser } from './auth.ts'
import { startControllers } from './controllers/index.ts'
import { defaultFaults, type Faults, type RequestRecord } from './faults.ts'
import { field, type KubeObject } from './object.ts'
import { createPki, type IssuedCert, issueClientCert, issueServingCert, type Pki } from './pki.ts'
import type { RequestInfo } from './request-info.ts'
import type { Scenario } from './scenario/types.ts'
import { startServer } from './server.ts'
import { StatusError } from './status.ts'
import { Store } from './store.ts'
import { toTable } from './tables.ts'

/**
 * The simulated cluster: PKI, store, control plane and HTTPS API server in one process. Tests start one per file;
 * the demo and the benchmarks run it as a child process through test/sim/cli.ts.
 */
export interface SimOptions {
  scenario?: Scenario
  users?: readonly SimUser[]
  policy?: readonly PolicyRule[]
  host?: string
  port?: number
  /**
   * Run the containers of pods this cluster starts as real processes in bubblewrap sandboxes (jobs complete, logs
   * appear). Default true. Exec always runs real processes, either way.
   */
  runContainers?: boolean
  dataDir?: string
  clock?: () => Date
  /** First container restart back-off (the kubelet's 10 s by default); tests of restarts shorten it. */
  restartBackoffMs?: number
}

export type AuthMode = 'cert' | 'token' | 'basic'

export interface KubeconfigOptions {
  user?: string
  auth?: AuthMode
  namespace?: string
  contextName?: string
  path?: string
  /** Embed credentials as *-data fields (default) or reference files. */
  embed?: boolean
}

export interface Sim {
  url: string
  port: number
  pki: Pki
  store: Store
  faults: Faults
  dataDir: string
  /**
   * The image registry of this cluster: a folder per image (test/kubelet/images.ts registryFolderName) holding its
   * build context. Fake builders "push" by copying the context here; pods of that image run it.
   */
  registryDir: string
  /** Every answered request, for tests that count calls. */
  requests: RequestRecord[]
  users: readonly SimUser[]
  idle(): Promise<void>
  issueCert(
    user: string,
    groups?: string[],
    options?: { notBefore?: Date; notAfter?: Date; fileName?: string },
  ): IssuedCert
  writeKubeconfig(options?: KubeconfigOptions): string
  resetFaults(): void
  /** Cuts every open connection, exec streams included, as a load balancer or a restarting server does. */
  cutConnections(): void
  stop(): Promise<void>
}

export async function startSim(options: SimOptions = {}): Promise<Sim> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'kubectl-suite-sim-'))
  const ownsDataDir = options.dataDir === undefined
  const pki = createPki(join(dataDir, 'pki'))
  const clock = options.clock ?? (() => new Date())
  const store = new Store(clock)
  const scenario = options.scenario
  if (scenario !== undefined)
    store.bulkLoad([...withClusterCa(scenario.objects as KubeObject[], pki.caCert), ...tlsSecrets(pki, scenario)])
  const controllers = startControllers(store, {
    dataDir,
    runContainers: options.runContainers ?? true,
    caCert: pki.caCert,
    ...(options.restartBackoffMs === undefined ? {} : { restartBackoffMs: options.restartBackoffMs }),
    ...(scenario === undefined ? {} : { podUsage: scenario.podUsage, nodeSystemUsage: scenario.nodeSystemUsage }),
  })
  if (scenario !== undefined) seedVolumeFiles(store, dataDir, scenario)
  const users = options.users ?? DEFAULT_USERS
  const policy = options.policy ?? DEFAULT_POLICY
  const faults = defaultFaults()
  const requests: RequestRecord[] = []
  const counters = { continuedPages: 0 }

  const prepareExec = (info: RequestInfo, url: URL) => {
    const namespace = info.namespace as string
    const pod = store.mustGet('pods', namespace, info.name as string)
    const name = pod.metadata.name
    const containers = ((field(pod, ['spec', 'containers']) as { name: string }[] | undefined) ?? []).map((c) => c.name)
    const inits = ((field(pod, ['spec', 'initContainers']) as { name: string }[] | undefined) ?? []).map((c) => c.name)
    const requested = url.searchParams.get('container')
    // The API server's own checks (pkg/registry/core/pod/strategy.go), in its order and words.
    if (requested === null && containers.length !== 1) {
      const inInit = inits.length === 0 ? '' : ` or one of the init containers: [${inits.join(' ')}]`
      throw new StatusError(
        400,
        'BadRequest',
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]${inInit}`,
      )
    }
    const container = requested ?? (containers[0] as string)
    if (!containers.includes(container) && !inits.includes(container))
      throw new StatusError(400, 'BadRequest', `container ${container} is not valid for pod ${name}`)
    if (field(pod, ['spec', 'nodeName']) === undefined)
      throw new StatusError(400, 'BadRequest', `pod ${name} does not have a host assigned`)
    // The kubelet's answer for a container that is not running (the API server passes it on).
    if (field(pod, ['status', 'phase']) !== 'Running')
      throw new StatusError(400, 'BadRequest', `unable to upgrade connection: container not found ("${container}")`)
    const argv = url.searchParams.getAll('command')
    if (argv.length === 0) throw new StatusError(400, 'BadRequest', 'you must specify at least 1 command')
    const stdin = ['true', '1'].includes(url.searchParams.get('stdin') ?? '')
    return (ws: Parameters<typeof serveExec>[0]) => {
      void serveExec(ws, ws.protocol, argv, () => controllers.exec(namespace, name, container, argv), { stdin })
    }
  }

  const server: Server = await startServer({
    pki,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    users,
    policy,
    faults,
    record: (entry) => requests.push(entry),
    resources: {
      store,
      faults,
      policy,
      now: clock,
      admit: (plural, obj, old, operation) => admit(store, plural, obj, old, operation),
      toTable: (resource, items, tableOptions) => toTable(resource, items, tableOptions),
      containerLogs: (ns, pod, container, logOptions) => controllers.containerLogs(ns, pod, container, logOptions),
      podMetrics: (ns, select) => controllers.podMetrics(ns, select),
      nodeMetrics: () => controllers.nodeMetrics(),
      statsSummary: (node) => controllers.statsSummary(node),
      negotiateExec: (protocols) => negotiateExecProtocol(protocols, faults.execProtocols),
      prepareExec,
      counters,
    },
  })
  // Upgraded (exec) sockets leave the HTTP server's bookkeeping: closeAllConnections does not reach them and
  // server.close() waits for them, so a client killed mid-exec could hold stop() forever. They are ended by hand.
  const upgraded = new Set<Duplex>()
  server.on('upgrade', (_req: unknown, socket: Duplex) => {
    upgraded.add(socket)
    socket.once('close', () => upgraded.delete(socket))
  })
  const port = (server.address() as AddressInfo).port
  const url = `https://127.0.0.1:${port}`
  let fileCounter = 0

  const issueCert: Sim['issueCert'] = (user, groups, certOptions) => {
    const known = users.find((u) => u.name === user)
    return issueClientCert(pki, user, groups ?? known?.groups ?? [], certOptions)
  }

  const writeKubeconfig = (kc: KubeconfigOptions = {}): string => {
    const user = kc.user ?? 'admin'
    const auth = kc.auth ?? 'cert'
    const embed = kc.embed ?? true
    const contextName = kc.contextName ?? 'sim'
    const path = kc.path ?? join(dataDir, 'kubeconfigs', `${contextName}-${user}-${auth}-${++fileCounter}.yaml`)
    const known = users.find((u) => u.name === user)
    const userEntry: Record<string, unknown> = {}
    if (auth === 'cert') {
      const cert = issueCert(user)
      if (embed) {
        userEntry['client-certificate-data'] = cert.cert.toString('base64')
        userEntry['client-key-data'] = cert.key.toString('base64')
      } else {
        userEntry['client-certificate'] = cert.certPath
        userEntry['client-key'] = cert.keyPath
      }
    } else if (auth === 'token') {
      const token = known?.tokens?.[0]
      if (token === undefined) throw new Error(`sim user ${user} has no token`)
      userEntry.token = token
    } else {
      if (known?.password === undefined) throw new Error(`sim user ${user} has no password`)
      userEntry.username = user
      userEntry.password = known.password
    }
    const cluster: Record<string, unknown> = { server: url }
    if (embed) cluster['certificate-authority-data'] = pki.caCert.toString('base64')
    else cluster['certificate-authority'] = pki.caCertPath
    const doc = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'sim', cluster }],
      users: [{ name: `${user}@sim`, user: userEntry }],
      contexts: [
        {
          name: contextName,
          context: {
            cluster: 'sim',
            user: `${user}@sim`,
            ...(kc.namespace === undefined ? {} : { namespace: kc.namespace }),
          },
        },
      ],
      'current-context': contextName,
      preferences: {},
    }
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, stringify(doc), { mode: 0o600 })
    return path
  }

  return {
    url,
    port,
    pki,
    store,
    faults,
    dataDir,
    registryDir: join(dataDir, 'registry'),
    requests,
    users,
    idle: () => controllers.idle(),
    issueCert,
    writeKubeconfig,
    resetFaults: () => Object.assign(faults, defaultFaults()),
    cutConnections: () => server.closeAllConnections(),
    stop: async () => {
      for (const socket of upgraded) socket.destroy()
      await controllers.stop()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Writes the scenario's files into the host folders that back each claim's volume. */
function seedVolumeFiles(store: Store, dataDir: string, scenario: Scenario): void {
  for (const file of scenario.volumeFiles) {
    const claim = store.get('persistentvolumeclaims', file.namespace, file.claim)
    const volume = field(claim, ['spec', 'volumeName'])
    if (typeof volume !== 'string' || volume === '') continue
    const target = join(dataDir, 'volumes', volume, file.path)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, file.content)
  }
}

/** The token controller puts the cluster CA into every service-account token secret; so does the simulator. */
function withClusterCa(objects: KubeObject[], caCert: Buffer): KubeObject[] {
  return objects.map((object) => {
    if (object.kind !== 'Secret' || (object as { type?: string }).type !== 'kubernetes.io/service-account-token')
      return object
    const data = { ...((object as { data?: Record<string, string> }).data ?? {}), 'ca.crt': caCert.toString('base64') }
    return { ...object, data } as KubeObject
  })
}

function tlsSecrets(pki: Pki, scenario: Scenario): KubeObject[] {
  // Relative to the scenario's clock, not the real date: check's days-left figures are read against that clock.
  const now = scenario.now.getTime()
  return (scenario.tlsSecrets ?? []).map((spec) => {
    const issued = issueServingCert(pki, `${spec.namespace}-${spec.name}`, spec.dnsNames, {
      notBefore: new Date(now - 30 * 86_400_000),
      notAfter: new Date(now + spec.daysValid * 86_400_000),
    })
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: spec.name,
        namespace: spec.namespace,
        uid: randomUUID(),
        creationTimestamp: spec.created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': Buffer.concat([issued.cert, pki.caCert]).toString('base64'),
        'tls.key': issued.key.toString('base64'),
        'ca.crt': pki.caCert.toString('base64'),
      },
    } as KubeObject
  })
}
