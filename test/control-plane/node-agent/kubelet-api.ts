import { lstatSync, readdirSync, readFileSync, statfsSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { availableParallelism, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseQuantity } from '../../../shared/quantity.ts'
import { negotiateExecProtocol, serveExec } from '../../kubelet/exec-protocol.ts'
import type { ContainerStatus, PodRuntimeStatus, PodSandbox } from '../../kubelet/runtime.ts'
import { WebSocketServer } from '../../kubelet/ws-server.ts'
import type { KubeObject } from '../client.ts'
import type { ClaimVolume } from './pod-spec.ts'

/**
 * The kubelet's HTTP API for one node agent, over TLS with client certificates from the cluster CA: what the real API
 * server calls for `kubectl exec`/`cp` (/exec, a WebSocket the API server passes through unchanged) and
 * `kubectl logs` (/containerLogs), and what metrics-server and pvclaim read (/metrics/resource, /stats/summary).
 * Everything about a pod's processes comes from the container runtime (test/kubelet): its sandboxes, logs and stats.
 */
export interface AgentPod {
  uid: string
  pod: KubeObject
  startTime: string
  /** Set once the runtime runs the pod. */
  sandbox?: PodSandbox
  /** What the runtime (or the agent, before it could start the pod) last reported. */
  status: PodRuntimeStatus
  claims: ClaimVolume[]
}

export interface KubeletApiOptions {
  nodeName: string
  cpu: string
  memory: string
  address: string
  port: number
  serving: { cert: Buffer; key: Buffer }
  clientCa: Buffer
}

function hostCpuSeconds(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields
  // USER_HZ is 100 on Linux.
  return (user + nice + system + irq + softirq + steal) / 100
}

function hostMemoryWorkingSet(): number {
  const meminfo = readFileSync('/proc/meminfo', 'utf8')
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0)
  return (kib('MemTotal') - kib('MemAvailable')) * 1024
}

/**
 * What the kubelet reports for a volume: bytes used by its files, and capacity and free space. The folder lives on
 * the host's filesystem, so capacity is the volume's size (as a provisioned disk of that size would report) unless
 * the host has less.
 */
function volumeStats(path: string, sizeBytes: number): Record<string, number> {
  let usedBytes = 0
  let inodesUsed = 0
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name)
      inodesUsed++
      try {
        usedBytes += lstatSync(full).blocks * 512
        if (entry.isDirectory()) walk(full)
      } catch {
        // Removed while we walked.
      }
    }
  }
  try {
    walk(path)
    const fs = statfsSync(path)
    const hostCapacity = fs.blocks * fs.bsize
    const capacityBytes = sizeBytes > 0 ? Math.min(sizeBytes, hostCapacity) : hostCapacity
    return {
      usedBytes,
      capacityBytes,
      availableBytes: Math.max(0, Math.min(fs.bavail * fs.bsize, capacityBytes - usedBytes)),
      inodesUsed,
      inodes: fs.files,
      inodesFree: fs.ffree,
    }
  } catch {
    return {}
  }
}

function statusOf(entry: AgentPod, container: string): ContainerStatus | undefined {
  return [...entry.status.initContainerStatuses, ...entry.status.containerStatuses].find((s) => s.name === container)
}

/** Log lines as the kubelet selects them: the last tailLines, then at most limitBytes. */
function selectLines(text: string, query: URLSearchParams): string {
  const tail = query.get('tailLines')
  let lines = text === '' ? [] : text.replace(/\n$/, '').split('\n')
  if (tail !== null) lines = lines.slice(Math.max(0, lines.length - Number.parseInt(tail, 10)))
  const out = lines.length === 0 ? '' : `${lines.join('\n')}\n`
  const limit = query.get('limitBytes')
  return limit === null ? out : out.slice(0, Number.parseInt(limit, 10))
}

export function serveKubeletApi(options: KubeletApiOptions, pods: Map<string, AgentPod>): Promise<Server> {
  const findPod = (namespace: string, name: string): AgentPod | undefined =>
    [...pods.values()].find((e) => e.pod.metadata.namespace === namespace && e.pod.metadata.name === name)
  // Every node is played on the same host. Each reports the host's real usage scaled by its share of the host
  // (its capacity over the host's), so node usage moves with real activity yet stays within the node's capacity.
  const cpuShare = Math.min(1, Number(parseQuantity(options.cpu).nanos) / 1e9 / availableParallelism())
  const memoryShare = Math.min(1, Number(parseQuantity(options.memory).nanos / 1_000_000_000n) / totalmem())
  const nodeCpuSeconds = (): number => hostCpuSeconds() * cpuShare
  const nodeMemoryBytes = (): number => Math.round(hostMemoryWorkingSet() * memoryShare)
  const previousCpu = new Map<string, { seconds: number; at: number }>()
  const nanoCores = (key: string, cpuSeconds: number): number => {
    const now = Date.now()
    const before = previousCpu.get(key)
    previousCpu.set(key, { seconds: cpuSeconds, at: now })
    if (before === undefined || now === before.at) return 0
    return Math.max(0, Math.round(((cpuSeconds - before.seconds) / ((now - before.at) / 1000)) * 1e9))
  }

  /** CPU and memory of every running container, from its sandbox's real processes. */
  const containerSamples = () =>
    [...pods.values()].flatMap((entry) => {
      const stats = entry.sandbox?.stats() ?? []
      return entry.status.containerStatuses.flatMap((s) => {
        const usage = stats.find((u) => u.name === s.name)
        if (!('running' in s.state) || usage === undefined || usage.memoryBytes === 0) return []
        return [
          {
            entry,
            container: s.name,
            cpuSeconds: Number(usage.cpuNanos) / 1e9,
            memoryBytes: usage.memoryBytes,
            startedAt: new Date(s.state.running.startedAt),
          },
        ]
      })
    })

  const containerLogs = (
    parts: string[],
    query: URLSearchParams,
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
    fail: (status: number, message: string) => void,
  ): void => {
    const [, namespace, podName, container] = parts as [string, string, string, string]
    const entry = findPod(namespace, podName)
    if (entry === undefined) return fail(404, `pod "${podName}" not found`)
    // Checked before answering 200, as the kubelet does (pkg/kubelet/kubelet_pods.go validateContainerLogStatus).
    const status = statusOf(entry, container)
    const waiting = status !== undefined && 'waiting' in status.state ? status.state.waiting.reason : undefined
    if (status === undefined || entry.sandbox === undefined || (waiting !== undefined && status.restartCount === 0)) {
      const why =
        waiting === 'ErrImagePull'
          ? "image can't be pulled"
          : waiting === 'ImagePullBackOff'
            ? 'trying and failing to pull image'
            : (waiting ?? 'ContainerCreating')
      return fail(400, `container "${container}" in pod "${podName}" is waiting to start: ${why}`)
    }
    const previous = query.get('previous') === 'true'
    const sinceTime = query.get('sinceTime')
    const sinceSeconds = query.get('sinceSeconds')
    const sinceMs =
      sinceTime !== null
        ? Date.parse(sinceTime)
        : sinceSeconds !== null
          ? Date.now() - Number.parseInt(sinceSeconds, 10) * 1000
          : undefined
    const sandbox = entry.sandbox
    const read = (): string | undefined =>
      sandbox.logs(container, {
        previous,
        timestamps: query.get('timestamps') === 'true',
        ...(sinceMs === undefined || Number.isNaN(sinceMs) ? {} : { sinceNanos: BigInt(sinceMs) * 1_000_000n }),
      })
    const text = read()
    if (text === undefined)
      return fail(400, `previous terminated container "${container}" in pod "${podName}" not found`)
    const running = (): boolean => {
      const now = statusOf(entry, container)
      return pods.get(entry.uid) === entry && now !== undefined && 'running' in now.state
    }
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write(selectLines(text, query))
    if (query.get('follow') !== 'true' || previous || !running()) return void res.end()
    // Follow: what the process writes next, until its run ends (the runtime reports the end after the last line).
    let sent = text
    const timer = setInterval(() => {
      const latest = read() ?? sent
      if (latest.length > sent.length && latest.startsWith(sent)) res.write(latest.slice(sent.length))
      sent = latest
      if (!running()) {
        const last = read() ?? sent
        if (last.length > sent.length && last.startsWith(sent)) res.write(last.slice(sent.length))
        clearInterval(timer)
        res.end()
      }
    }, 100)
    req.on('close', () => clearInterval(timer))
  }

  const resourceMetrics = (): string => {
    const now = Date.now()
    const samples = containerSamples()
    const label = (s: (typeof samples)[number]) =>
      `container="${s.container}",namespace="${s.entry.pod.metadata.namespace}",pod="${s.entry.pod.metadata.name}"`
    return [
      '# HELP node_cpu_usage_seconds_total Cumulative cpu time consumed by the node in core-seconds',
      '# TYPE node_cpu_usage_seconds_total counter',
      `node_cpu_usage_seconds_total ${nodeCpuSeconds()} ${now}`,
      '# HELP node_memory_working_set_bytes Current working set of the node in bytes',
      '# TYPE node_memory_working_set_bytes gauge',
      `node_memory_working_set_bytes ${nodeMemoryBytes()} ${now}`,
      '# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed by the container in core-seconds',
      '# TYPE container_cpu_usage_seconds_total counter',
      ...samples.map((s) => `container_cpu_usage_seconds_total{${label(s)}} ${s.cpuSeconds} ${now}`),
      '# HELP container_memory_working_set_bytes Current working set of the container in bytes',
      '# TYPE container_memory_working_set_bytes gauge',
      ...samples.map((s) => `container_memory_working_set_bytes{${label(s)}} ${s.memoryBytes} ${now}`),
      '# HELP container_start_time_seconds Start time of the container since unix epoch in seconds',
      '# TYPE container_start_time_seconds gauge',
      ...samples.map((s) => `container_start_time_seconds{${label(s)}} ${s.startedAt.getTime() / 1000} ${now}`),
      '# HELP resource_scrape_error 1 if there was an error while getting container metrics, 0 otherwise',
      '# TYPE resource_scrape_error gauge',
      'resource_scrape_error 0',
      '',
    ].join('\n')
  }

  const statsSummary = (): object => {
    const time = new Date().toISOString()
    const nodeCpu = nodeCpuSeconds()
    const byPod = new Map<string, ReturnType<typeof containerSamples>>()
    for (const s of containerSamples()) byPod.set(s.entry.uid, [...(byPod.get(s.entry.uid) ?? []), s])
    return {
      node: {
        nodeName: options.nodeName,
        startTime: time,
        cpu: { time, usageCoreNanoSeconds: Math.round(nodeCpu * 1e9), usageNanoCores: nanoCores('node', nodeCpu) },
        memory: { time, workingSetBytes: nodeMemoryBytes() },
      },
      pods: [...pods.values()].map((entry) => {
        const containers = (byPod.get(entry.uid) ?? []).map((s) => ({
          name: s.container,
          startTime: s.startedAt.toISOString(),
          cpu: {
            time,
            usageCoreNanoSeconds: Math.round(s.cpuSeconds * 1e9),
            usageNanoCores: nanoCores(`${entry.uid}/${s.container}`, s.cpuSeconds),
          },
          memory: { time, workingSetBytes: s.memoryBytes, rssBytes: s.memoryBytes },
        }))
        return {
          podRef: { name: entry.pod.metadata.name, namespace: entry.pod.metadata.namespace, uid: entry.uid },
          startTime: entry.startTime,
          containers,
          volume: entry.claims.map((c) => ({
            name: c.volume,
            time,
            ...volumeStats(c.path, c.sizeBytes),
            pvcRef: { name: c.claim, namespace: entry.pod.metadata.namespace },
          })),
          cpu: {
            time,
            usageCoreNanoSeconds: containers.reduce((a, c) => a + c.cpu.usageCoreNanoSeconds, 0),
            usageNanoCores: containers.reduce((a, c) => a + c.cpu.usageNanoCores, 0),
          },
          memory: { time, workingSetBytes: containers.reduce((a, c) => a + c.memory.workingSetBytes, 0) },
        }
      }),
    }
  }

  const server = createServer(
    {
      cert: options.serving.cert,
      key: options.serving.key,
      ca: options.clientCa,
      // Only holders of a certificate from the cluster CA (the API server, metrics-server) may call us; a real
      // kubelet would also ask the API server to authorize each call (webhook authorization), which we skip.
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://kubelet')
      const parts = url.pathname
        .split('/')
        .filter((p) => p !== '')
        .map(decodeURIComponent)
      const fail = (status: number, message: string): void => {
        res.writeHead(status, { 'content-type': 'text/plain' })
        res.end(message)
      }
      if (parts[0] === 'healthz') res.end('ok')
      else if (parts[0] === 'containerLogs' && parts.length === 4)
        containerLogs(parts, url.searchParams, req, res, fail)
      else if (parts[0] === 'metrics' && parts[1] === 'resource') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        res.end(resourceMetrics())
      } else if (parts[0] === 'stats' && parts[1] === 'summary') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(statsSummary()))
      } else fail(404, '404 page not found')
    },
  )

  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => negotiateExecProtocol([...offered]) ?? false,
  })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://kubelet')
    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent)
    // /exec/{namespace}/{pod}/{container}, or with the pod UID before the container.
    const [kind, namespace, podName] = parts
    const container = parts.at(-1) as string
    const entry = namespace === undefined || podName === undefined ? undefined : findPod(namespace, podName)
    const refuse = (status: number, message: string): void => {
      socket.end(
        `HTTP/1.1 ${status} Error\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
      )
    }
    if (kind !== 'exec' || parts.length < 4) return refuse(404, 'only exec is served over WebSocket here')
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
      return refuse(
        400,
        'SPDY is not supported by this node agent; run the API server with TranslateStreamCloseWebsocketRequests=false',
      )
    }
    if (entry === undefined) return refuse(404, `pod "${podName}" not found`)
    const status = statusOf(entry, container)
    // The kubelet looks the container up among the running ones (GetExec → findContainer) before upgrading.
    if (entry.sandbox === undefined || status === undefined || !('running' in status.state))
      return refuse(500, `container not found ("${container}")`)
    const sandbox = entry.sandbox
    const argv = url.searchParams.getAll('command')
    // The API server asks the kubelet with input/output/error (pkg/registry/core/pod/strategy.go streamParams).
    const stdin = ['1', 'true'].includes(url.searchParams.get('input') ?? url.searchParams.get('stdin') ?? '')
    wss.handleUpgrade(req, socket, head, (ws) => {
      void serveExec(ws, ws.protocol, argv, () => sandbox.exec(container, argv), { stdin })
    })
  })

  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.address, () => resolve(server))
  })
}
