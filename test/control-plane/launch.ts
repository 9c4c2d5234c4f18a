import { type ChildProcess, spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { get as httpsGet } from 'node:https'
import { createServer } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { stringify } from 'yaml'
import { Runtime } from '../kubelet/runtime.ts'
import { createPki, type IssuedCert, issueClientCert, type Pki } from '../sim/pki.ts'
import { type Binaries, ensureControlPlaneBinaries, KUBERNETES_VERSION } from './build.ts'
import { Client, type KubeObject } from './client.ts'
import { type NodeAgent, startNodeAgent } from './node-agent/node-agent.ts'
import { type Provisioner, STORAGE_CLASSES, startProvisioner } from './provisioner.ts'
import {
  type ControlPlaneNode,
  type ControlPlaneUser,
  DEFAULT_NODES,
  LIMITS_REQUIRED_NAMESPACE,
  RESTRICTED_NAMESPACE,
  scenarioObjects,
  USERS,
} from './scenario.ts'

/**
 * Starts a real Kubernetes control plane on loopback for tests: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and metrics-server built by build.ts, plus in this process a node agent per node (kubelet
 * stand-in running pods with the shared container runtime of test/kubelet, real processes in bubblewrap sandboxes)
 * and a hostPath provisioner. Everything lives in one temp dir
 * (PKI, etcd data, logs, volumes) removed on stop; every child is stopped by PID on stop(), on exit and on
 * SIGINT/SIGTERM.
 *
 *   node test/control-plane/launch.ts      start, print KUBECONFIG lines, run until Ctrl-C
 */
export interface ControlPlaneOptions {
  nodes?: ControlPlaneNode[]
  /**
   * The nodes' InternalIP, where their kubelet API listens. Default: the host's first non-loopback IPv4, because
   * the API server refuses to proxy nodes/{node}/proxy (kubelet stats) to a loopback address; 127.0.0.1 when the
   * host has none.
   */
  nodeAddress?: string
  /** Fixed ports instead of free ones chosen at start (for tests of a port already taken). */
  ports?: Partial<Record<'etcd' | 'kube-apiserver', number>>
  /** metrics-server's scrape interval; 10 s is its minimum. */
  metricResolutionSeconds?: number
  log?: (line: string) => void
}

export interface ControlPlane {
  url: string
  dataDir: string
  version: string
  binaries: Binaries
  /** Seconds from the call to everything ready (binaries already built). */
  readySeconds: number
  users: ControlPlaneUser[]
  nodes: string[]
  /** A kubeconfig file for one of `users` (client certificate from the cluster CA). */
  kubeconfig(user?: string): string
  /** The launcher's own privileged client (system:masters). */
  client: Client
  /** Log file of a component, for diagnosing a failed test. */
  logPath(component: string): string
  stop(): Promise<void>
}

export class StartError extends Error {}

type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'metrics-server'

interface Started {
  name: ComponentName
  child: ChildProcess
  logPath: string
}

/** A port that was free a moment ago; the component binding it reports failure if another process took it. */
async function freePort(address = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, address, () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function hostAddress(): string {
  const candidates = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal && !a.address.startsWith('169.254.'))
  return candidates[0]?.address ?? '127.0.0.1'
}

function logTail(path: string): string {
  let text = ''
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return '(no log)'
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '')
  // Go components log the cause last, but sometimes follow it with shutdown noise: prefer the last error line.
  const errorLine = [...lines].reverse().find((l) => /\b(error|failed|fatal|panic|E\d{4} )/i.test(l))
  const line = errorLine ?? lines.at(-1) ?? '(empty log)'
  // etcd logs JSON with a stack trace; its message and error are what a reader needs.
  if (line.startsWith('{')) {
    try {
      const entry = JSON.parse(line) as { msg?: string; error?: string }
      return [entry.msg, entry.error].filter((part) => part !== undefined).join(': ')
    } catch {
      // Not JSON after all.
    }
  }
  return line.slice(0, 500)
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls until `check` answers true, failing fast when a component has died, or after `timeoutMs`. */
async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  failed: () => Error | undefined,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    const failure = failed()
    if (failure !== undefined) throw failure
    try {
      if (await check()) return
    } catch (error) {
      lastError = error
    }
    await delay(200)
  }
  const failure = failed()
  if (failure !== undefined) throw failure
  throw new StartError(
    `control plane: ${what} not ready after ${timeoutMs / 1000}s${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
  )
}

function probe(url: string, tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; insecure?: boolean }): Promise<number> {
  return new Promise((resolve, reject) => {
    const options = {
      timeout: 2000,
      ...(tls === undefined
        ? {}
        : { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.insecure !== true }),
    }
    const req = (url.startsWith('https:') ? httpsGet : httpGet)(url, options, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('timeout', () => req.destroy(new Error(`${url}: timed out`)))
    req.on('error', reject)
  })
}

function writeKubeconfigFile(path: string, url: string, ca: Buffer, cert: IssuedCert, user: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'control-plane', cluster: { server: url, 'certificate-authority-data': ca.toString('base64') } },
    ],
    users: [
      {
        name: user,
        user: {
          'client-certificate-data': cert.cert.toString('base64'),
          'client-key-data': cert.key.toString('base64'),
        },
      },
    ],
    contexts: [{ name: `${user}@control-plane`, context: { cluster: 'control-plane', user, namespace: 'default' } }],
    'current-context': `${user}@control-plane`,
  }
  writeFileSync(path, stringify(config), { mode: 0o600 })
  return path
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const started = performance.now()
  const log = options.log ?? (() => {})
  const binaries = await ensureControlPlaneBinaries({ log })
  const dataDir = mkdtempSync(join(tmpdir(), 'kubectl-suite-control-plane-'))
  const logsDir = join(dataDir, 'logs')
  mkdirSync(logsDir, { recursive: true })
  const children: Started[] = []
  const agents: NodeAgent[] = []
  let runtime: Runtime | undefined
  let provisioner: Provisioner | undefined
  let stopping = false
  let earlyExit: Error | undefined
  let ready = false

  const killAll = (signal: NodeJS.Signals): void => {
    for (const c of children) {
      if (c.child.exitCode === null && c.child.signalCode === null && c.child.pid !== undefined) {
        try {
          process.kill(c.child.pid, signal)
        } catch {
          // Already gone.
        }
      }
    }
  }
  const onExit = (): void => {
    killAll('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    void stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  }
  process.on('exit', onExit)
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    provisioner?.stop()
    await Promise.all(agents.map((a) => a.stop().catch(() => {})))
    await runtime?.close()
    const exited = children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.child.exitCode !== null || c.child.signalCode !== null) resolve()
          else c.child.once('exit', () => resolve())
        }),
    )
    killAll('SIGTERM')
    const force = setTimeout(() => killAll('SIGKILL'), 5000)
    await Promise.all(exited)
    clearTimeout(force)
    process.off('exit', onExit)
    rmSync(dataDir, { recursive: true, force: true })
  }

  const withParentDeathSignal = existsSync('/usr/bin/setpriv') || existsSync('/bin/setpriv')
  const launch = (name: ComponentName, args: string[]): Started => {
    const logPath = join(logsDir, `${name}.log`)
    const fd = openSync(logPath, 'a')
    // setpriv (util-linux) execs the component with a parent-death signal: if this process is killed outright
    // (SIGKILL, a crashed test worker) and no exit handler runs, the kernel still stops the component.
    const child = withParentDeathSignal
      ? spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', binaries.path(name), ...args], { stdio: ['ignore', fd, fd] })
      : spawn(binaries.path(name), args, { stdio: ['ignore', fd, fd] })
    closeSync(fd)
    const entry = { name, child, logPath }
    children.push(entry)
    child.on('exit', (code, signal) => {
      if (stopping) return
      const message = `control plane: ${name} exited (${signal ?? `code ${code}`}): ${logTail(logPath)}`
      if (ready) log(message)
      else earlyExit ??= new StartError(message)
    })
    child.on('error', (error) => {
      earlyExit ??= new StartError(`control plane: ${name} could not start: ${error.message}`)
    })
    return entry
  }
  const failed = (): Error | undefined => earlyExit

  try {
    // PKI: one CA for serving, clients, the aggregation layer's front proxy and the kubelets.
    const pki: Pki = createPki(join(dataDir, 'pki'), {
      serverNames: ['kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    })
    const caKeyPath = join(pki.dir, 'ca.key')
    const serviceAccountKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const saKeyPath = join(pki.dir, 'service-account.key')
    const saPubPath = join(pki.dir, 'service-account.pub')
    writeFileSync(saKeyPath, serviceAccountKey.privateKey.export({ type: 'pkcs8', format: 'pem' }))
    writeFileSync(saPubPath, serviceAccountKey.publicKey.export({ type: 'spki', format: 'pem' }))
    const launcherCert = issueClientCert(pki, 'kubectl-suite-launcher', ['system:masters'])
    const kubeletClientCert = issueClientCert(pki, 'kube-apiserver-kubelet-client')
    const frontProxyCert = issueClientCert(pki, 'front-proxy-client')
    const serving = { cert: readFileSync(pki.serverCertPath), key: readFileSync(pki.serverKeyPath) }

    const [freeEtcdPort, etcdPeerPort, freeApiPort, kcmPort, schedulerPort, metricsPort] = (await Promise.all(
      Array.from({ length: 6 }, () => freePort()),
    )) as [number, number, number, number, number, number]
    const etcdClientPort = options.ports?.etcd ?? freeEtcdPort
    const apiPort = options.ports?.['kube-apiserver'] ?? freeApiPort
    const url = `https://127.0.0.1:${apiPort}`
    const kubeconfigsDir = join(dataDir, 'kubeconfigs')
    mkdirSync(kubeconfigsDir)
    const componentKubeconfig = (name: string, user: string, groups: string[] = []): string =>
      writeKubeconfigFile(
        join(kubeconfigsDir, `${name}.yaml`),
        url,
        pki.caCert,
        issueClientCert(pki, user, groups, { fileName: `client-${name}` }),
        user,
      )

    // etcd
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`
    launch('etcd', [
      '--name=control-plane',
      `--data-dir=${join(dataDir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=control-plane=${peerUrl}`,
      // Test data: skip fsync (the largest cost on slow disks), compact hourly, keep the default quota.
      '--unsafe-no-fsync=true',
      '--auto-compaction-retention=1',
      '--log-level=warn',
    ])
    await waitFor('etcd', async () => (await probe(`${etcdUrl}/health`)) === 200, failed, 20_000)

    // kube-apiserver
    launch('kube-apiserver', [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki.serverCertPath}`,
      `--tls-private-key-file=${pki.serverKeyPath}`,
      `--client-ca-file=${pki.caCertPath}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--authorization-mode=Node,RBAC',
      // NodeRestriction is off by default; the rest (PodSecurity, ResourceQuota, LimitRanger, ServiceAccount,
      // DefaultStorageClass, …) are on by default and stay on.
      '--enable-admission-plugins=NodeRestriction',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${saPubPath}`,
      `--service-account-signing-key-file=${saKeyPath}`,
      `--kubelet-client-certificate=${kubeletClientCert.certPath}`,
      `--kubelet-client-key=${kubeletClientCert.keyPath}`,
      '--kubelet-preferred-address-types=InternalIP',
      // There is no kube-proxy and the API server is on loopback: do not publish it as the kubernetes Service.
      '--endpoint-reconciler-type=none',
      // Aggregation layer (metrics.k8s.io): the API server proxies to metrics-server as front-proxy-client.
      `--proxy-client-cert-file=${frontProxyCert.certPath}`,
      `--proxy-client-key-file=${frontProxyCert.keyPath}`,
      `--requestheader-client-ca-file=${pki.caCertPath}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      // With the gate on, the API server turns kubectl's WebSocket exec into SPDY towards the kubelet; our node
      // agent speaks only the WebSocket protocol, so the API server must pass the client's upgrade through as is.
      '--feature-gates=TranslateStreamCloseWebsocketRequests=false',
      '--profiling=false',
    ])
    const launcher = new Client({ url, ca: pki.caCert, cert: launcherCert.cert, key: launcherCert.key })
    await waitFor(
      'kube-apiserver',
      async () =>
        (await probe(`${url}/readyz`, { ca: pki.caCert, cert: launcherCert.cert, key: launcherCert.key })) === 200,
      failed,
      60_000,
    )

    // kube-controller-manager and kube-scheduler
    const kcmKubeconfig = componentKubeconfig('kube-controller-manager', 'system:kube-controller-manager')
    launch('kube-controller-manager', [
      `--kubeconfig=${kcmKubeconfig}`,
      `--authentication-kubeconfig=${kcmKubeconfig}`,
      `--authorization-kubeconfig=${kcmKubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${saKeyPath}`,
      `--root-ca-file=${pki.caCertPath}`,
      `--cluster-signing-cert-file=${pki.caCertPath}`,
      `--cluster-signing-key-file=${caKeyPath}`,
      '--node-monitor-period=2s',
      '--node-monitor-grace-period=40s',
    ])
    const schedulerKubeconfig = componentKubeconfig('kube-scheduler', 'system:kube-scheduler')
    launch('kube-scheduler', [
      `--kubeconfig=${schedulerKubeconfig}`,
      `--authentication-kubeconfig=${schedulerKubeconfig}`,
      `--authorization-kubeconfig=${schedulerKubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${schedulerPort}`,
      '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
    ])

    // Cluster objects: storage classes, metrics-server's RBAC, Service and APIService, the scenario's extras.
    for (const storageClass of STORAGE_CLASSES)
      await launcher.ensure('/apis/storage.k8s.io/v1/storageclasses', storageClass)
    for (const { path, object } of metricsServerObjects(metricsPort)) await launcher.ensure(path, object)
    for (const { path, object } of scenarioObjects()) await launcher.ensure(path, object)

    const metricsKubeconfig = componentKubeconfig('metrics-server', 'system:metrics-server')
    launch('metrics-server', [
      `--kubeconfig=${metricsKubeconfig}`,
      `--authentication-kubeconfig=${metricsKubeconfig}`,
      `--authorization-kubeconfig=${metricsKubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${metricsPort}`,
      `--tls-cert-file=${pki.serverCertPath}`,
      `--tls-private-key-file=${pki.serverKeyPath}`,
      // The node agents serve a certificate for localhost/127.0.0.1 from our CA; metrics-server has no flag for a
      // kubelet CA file short of a full kubeconfig, so it skips verification as most kind/minikube setups do.
      '--kubelet-insecure-tls',
      '--kubelet-preferred-address-types=InternalIP',
      '--kubelet-use-node-status-port',
      `--metric-resolution=${options.metricResolutionSeconds ?? 10}s`,
      // Must be below the resolution; the default (10 s) equals the 10 s minimum resolution and is refused.
      '--kubelet-request-timeout=5s',
    ])

    for (const [name, port] of [
      ['kube-controller-manager', kcmPort],
      ['kube-scheduler', schedulerPort],
    ] as const) {
      await waitFor(
        name,
        async () => (await probe(`https://127.0.0.1:${port}/healthz`, { insecure: true })) === 200,
        failed,
        30_000,
      )
    }

    // Node agents and the provisioner run in this process.
    // One runtime for every node (pods are keyed by uid). Restart back-off starts at 1 s instead of the kubelet's
    // 10 s so tests of CrashLoopBackOff do not wait long; images "pushed" by mrun's in-cluster builder land in
    // registry/ as on the simulator.
    runtime = new Runtime({ dir: join(dataDir, 'runtime'), registryDir: join(dataDir, 'registry'), backoffMs: 1000 })
    provisioner = startProvisioner(launcher, join(dataDir, 'volumes'))
    const nodes = options.nodes ?? DEFAULT_NODES
    const nodeAddress = options.nodeAddress ?? hostAddress()
    for (const [index, node] of nodes.entries()) {
      const cert = issueClientCert(pki, `system:node:${node.name}`, ['system:nodes'], { fileName: `node-${node.name}` })
      agents.push(
        await startNodeAgent({
          node,
          client: new Client({ url, ca: pki.caCert, cert: cert.cert, key: cert.key }),
          adminClient: launcher,
          address: nodeAddress,
          port: await freePort(nodeAddress),
          serving,
          clientCa: pki.caCert,
          runtime,
          dataDir: join(dataDir, 'nodes', node.name),
          index: index + 1,
          kubeletVersion: KUBERNETES_VERSION,
        }),
      )
    }

    // Ready means a pod can be created and scheduled: nodes Ready without the not-ready taint, service accounts
    // made by the controller-manager in every namespace tests use, and the metrics APIService answering.
    await waitFor(
      'nodes',
      async () => {
        const list = await launcher.get<{ items: KubeObject[] }>('/api/v1/nodes')
        return nodes.every((n) => {
          const found = list.items.find((item) => item.metadata.name === n.name)
          const ready = (found?.status?.conditions ?? []).some(
            (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
          )
          const tainted = (found?.spec?.taints ?? []).some(
            (t: { key: string }) => t.key === 'node.kubernetes.io/not-ready',
          )
          return ready && !tainted
        })
      },
      failed,
      30_000,
    )
    for (const namespace of ['default', RESTRICTED_NAMESPACE, LIMITS_REQUIRED_NAMESPACE]) {
      await waitFor(
        `service account default/${namespace}`,
        async () => (await launcher.find(`/api/v1/namespaces/${namespace}/serviceaccounts/default`)) !== undefined,
        failed,
        30_000,
      )
    }
    await waitFor(
      'metrics-server APIService',
      async () => {
        const service = await launcher.get('/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io')
        return (service.status?.conditions ?? []).some(
          (c: { type: string; status: string }) => c.type === 'Available' && c.status === 'True',
        )
      },
      failed,
      30_000,
    )

    // From here on, a component dying is logged (and seen by the tests failing) but is no longer a start error.
    ready = true
    const userCerts = new Map<string, string>()
    return {
      url,
      dataDir,
      version: KUBERNETES_VERSION,
      binaries,
      readySeconds: (performance.now() - started) / 1000,
      users: USERS,
      nodes: nodes.map((n) => n.name),
      client: launcher,
      logPath: (component) => join(logsDir, `${component}.log`),
      kubeconfig(user = 'admin') {
        const known = USERS.find((u) => u.name === user)
        const cached = userCerts.get(user)
        if (cached !== undefined) return cached
        const cert = issueClientCert(pki, user, known?.groups ?? [])
        const path = writeKubeconfigFile(join(kubeconfigsDir, `user-${user}.yaml`), url, pki.caCert, cert, user)
        userCerts.set(user, path)
        return path
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** metrics-server's RBAC, its Service (ExternalName to loopback: no kube-proxy here) and the APIService. */
function metricsServerObjects(port: number): { path: string; object: KubeObject }[] {
  const rbac = '/apis/rbac.authorization.k8s.io/v1'
  const ref = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name })
  const user = { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:metrics-server' }
  const rbacObject = (kind: string, name: string, rest: object, namespace?: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
    ...rest,
  })
  return [
    {
      path: `${rbac}/clusterroles`,
      object: rbacObject('ClusterRole', 'system:metrics-server', {
        rules: [
          { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
          { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
        ],
      }),
    },
    {
      path: `${rbac}/clusterrolebindings`,
      object: rbacObject('ClusterRoleBinding', 'system:metrics-server', {
        roleRef: ref('ClusterRole', 'system:metrics-server'),
        subjects: [user],
      }),
    },
    {
      path: `${rbac}/clusterrolebindings`,
      object: rbacObject('ClusterRoleBinding', 'metrics-server:system:auth-delegator', {
        roleRef: ref('ClusterRole', 'system:auth-delegator'),
        subjects: [user],
      }),
    },
    {
      path: `${rbac}/namespaces/kube-system/rolebindings`,
      object: rbacObject(
        'RoleBinding',
        'metrics-server-auth-reader',
        { roleRef: ref('Role', 'extension-apiserver-authentication-reader'), subjects: [user] },
        'kube-system',
      ),
    },
    {
      path: '/api/v1/namespaces/kube-system/services',
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'metrics-server', namespace: 'kube-system' },
        spec: { type: 'ExternalName', externalName: '127.0.0.1', ports: [{ name: 'https', port, protocol: 'TCP' }] },
      },
    },
    {
      path: '/apis/apiregistration.k8s.io/v1/apiservices',
      object: {
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: 'v1beta1.metrics.k8s.io' },
        spec: {
          service: { name: 'metrics-server', namespace: 'kube-system', port },
          group: 'metrics.k8s.io',
          version: 'v1beta1',
          insecureSkipTLSVerify: true,
          groupPriorityMinimum: 100,
          versionPriority: 100,
        },
      },
    },
  ]
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { user: { type: 'string', default: 'admin' } } })
  const log = (line: string): void => void process.stderr.write(`${line}\n`)
  let plane: ControlPlane
  try {
    plane = await startControlPlane({ log })
  } catch (error) {
    log((error as Error).message)
    process.exit(1)
  }
  process.stdout.write(
    `Kubernetes ${plane.version} control plane at ${plane.url} (ready in ${plane.readySeconds.toFixed(1)}s)\n` +
      `  export KUBECONFIG=${plane.kubeconfig(values.user)}\n` +
      `  users: ${plane.users.map((u) => `${u.name} (${plane.kubeconfig(u.name)})`).join(', ')}\n` +
      `  logs: ${join(plane.dataDir, 'logs')}\n` +
      'press Ctrl-C to stop\n',
  )
}

if (import.meta.main) await main()
