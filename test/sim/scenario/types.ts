import type { KubeObject } from '../object.ts'

/** A cluster to seed the simulator with: stored objects plus what metrics-server and volumes would report. */
export interface ContainerUsage {
  container: string
  cpu: string
  memory: string
}

/** A `kubernetes.io/tls` secret whose certificate the simulator issues from its CA at start-up (openssl). */
export interface TlsSecretSpec {
  namespace: string
  name: string
  dnsNames: string[]
  /** Days from the scenario's `now` until the certificate expires (negative: already expired). */
  daysValid: number
  created: Date
}

export interface Scenario {
  tlsSecrets?: TlsSecretSpec[]
  name: string
  now: Date
  objects: KubeObject[]
  /** Live usage per "namespace/pod", per container, as metrics-server reports it (nanocores, Ki). */
  podUsage: Map<string, ContainerUsage[]>
  /** Usage of the node beyond its pods (kubelet, OS). */
  nodeSystemUsage: Map<string, { cpu: string; memory: string }>
  /** Files placed in claims' volumes at start. */
  volumeFiles: { namespace: string; claim: string; path: string; content: string | Uint8Array }[]
}

export type { KubeObject }
