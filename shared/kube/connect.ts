import { homedir } from 'node:os'
import { resolveConnection } from './config/index.ts'
import { credentialSource } from './credentials.ts'
import { NO_TIMEOUT, Transport } from './transport.ts'
import type { KubeFlags, ResolvedConnection } from './types.ts'

/**
 * The one way a plugin reaches the cluster: kubeconfig/in-cluster/flags resolved with kubectl's rules, an optional
 * SSH tunnel, and one keep-alive transport. Plugins call this only when a command needs the API, so --help and
 * --version never pay for it.
 */
export interface Kube {
  transport: Transport
  connection: ResolvedConnection
  /** The namespace to use when -n is not given: the context's, or 'default'. */
  namespace: string
  /** Where requests go, for messages: 'context "sim" (https://…)' or 'ssh user@host'. */
  describe(): string
  close(): Promise<void>
}

export interface ConnectOptions {
  env: NodeJS.ProcessEnv
  stdinIsTTY: boolean
  /** -v messages (request lines at -v 6 and above). */
  log?: (line: string) => void
  homeDir?: string
}

export async function connect(
  flags: KubeFlags & { viaSsh?: string | undefined },
  options: ConnectOptions,
): Promise<Kube> {
  const viaSsh = flags.viaSsh ?? options.env.KUBECTL_SUITE_VIA_SSH
  if (viaSsh !== undefined && viaSsh !== '') return connectViaSsh(viaSsh, flags, options)
  const connection = resolveConnection(flags, { env: options.env, homeDir: options.homeDir ?? homedir() })
  // An explicit --request-timeout=0 means "no limit", as in kubectl; leaving the flag out means our default.
  if (flags.requestTimeout !== undefined && connection.requestTimeoutMs === 0) connection.requestTimeoutMs = NO_TIMEOUT
  const transport = new Transport({
    connection,
    credentials: credentialSource(connection, { stdinIsTTY: options.stdinIsTTY, env: options.env }),
    env: options.env,
    ...(options.log === undefined ? {} : { log: options.log }),
  })
  return {
    transport,
    connection,
    namespace: connection.namespace,
    describe: () =>
      connection.contextName === undefined
        ? connection.cluster.server
        : `context "${connection.contextName}" (${connection.cluster.server})`,
    close: async () => transport.close(),
  }
}

/**
 * Through a bastion or the control-plane host: a kubectl proxy on the remote side authenticates with the remote
 * kubeconfig, so the local side needs no credentials; --context names a context of the remote kubeconfig.
 */
async function connectViaSsh(target: string, flags: KubeFlags, options: ConnectOptions): Promise<Kube> {
  const remoteArgs = flags.context === undefined ? [] : ['--context', flags.context]
  // Loaded only in SSH mode, so ordinary runs never pay for it.
  const { openSshTunnel } = await import('./ssh-tunnel.ts')
  const tunnel = await openSshTunnel({
    target,
    ...(options.env.KUBECTL_SUITE_SSH_COMMAND === undefined
      ? {}
      : { sshCommand: options.env.KUBECTL_SUITE_SSH_COMMAND }),
    remoteArgs,
    ...(options.log === undefined ? {} : { log: options.log }),
  })
  const connection: ResolvedConnection = {
    contextName: flags.context,
    cluster: {
      name: `ssh:${target}`,
      server: 'http://kubectl-proxy',
      insecureSkipTlsVerify: false,
      disableCompression: false,
    },
    user: {
      name: `ssh:${target}`,
      impersonateGroups: flags.asGroup ?? [],
      ...(flags.as === undefined ? {} : { impersonate: flags.as }),
    },
    namespace: flags.namespace ?? 'default',
    source: `ssh ${target}`,
    requestTimeoutMs: 0,
  }
  const transport = new Transport({
    connection,
    credentials: async () => ({ headers: {} }),
    socketPath: tunnel.socketPath,
    env: options.env,
    ...(options.log === undefined ? {} : { log: options.log }),
  })
  return {
    transport,
    connection,
    namespace: connection.namespace,
    describe: () => `ssh ${target}`,
    close: async () => {
      transport.close()
      await tunnel.close()
    },
  }
}
