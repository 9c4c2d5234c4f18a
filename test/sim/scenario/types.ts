import type { KubeObject } from '../object.ts'

/** A cluster to seed the simulator with: stored objects plus what metrics-server and volumes would report. */
export interface ContainerUsage {
  container: string
  cpu: string
  memory: string
}

export interface Scenario {
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
