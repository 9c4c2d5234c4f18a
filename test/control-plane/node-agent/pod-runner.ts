import type { Readable, Writable } from 'node:stream'

/**
 * What the node agent needs from whatever runs a pod's containers. The agent speaks to the API server (status,
 * deletion, kubelet HTTP API); a runner only runs processes. Kept as an interface so the bubblewrap runner here
 * can be swapped for the shared container runtime being written under test/kubelet without touching the agent.
 */

/** A volume resolved by the agent to a host folder (PVC → PV path, emptyDir → per-pod folder, …). */
export interface ResolvedMount {
  hostPath: string
  mountPath: string
  readOnly: boolean
}

export interface ContainerToRun {
  name: string
  image: string
  /** command + args, already merged as the kubelet does (no image entrypoint is known here). */
  argv: string[]
  env: Record<string, string>
  workingDir?: string
  mounts: ResolvedMount[]
}

export interface PodToRun {
  uid: string
  namespace: string
  name: string
  containers: ContainerToRun[]
}

export type ContainerState =
  | { state: 'waiting'; reason: string; message?: string }
  | { state: 'running'; startedAt: Date; id: string }
  | { state: 'terminated'; exitCode: number; reason: string; startedAt: Date; finishedAt: Date; id: string }

export interface ContainerStats {
  /** Cumulative CPU time of the container's processes, in seconds. */
  cpuSeconds: number
  /** Resident memory of the container's processes, in bytes. */
  memoryBytes: number
  startedAt: Date
}

export interface ExecRequest {
  argv: string[]
  stdin: Readable
  stdout: Writable
  stderr: Writable
  tty: boolean
  signal: AbortSignal
}

export interface LogRequest {
  follow: boolean
  timestamps: boolean
  tailLines?: number
  limitBytes?: number
  since?: Date
  previous: boolean
  out: Writable
  signal: AbortSignal
}

export interface PodRunner {
  /** Starts every container; `onChange` is called whenever one of them changes state (started, exited). */
  start(pod: PodToRun, onChange: () => void): Promise<void>
  /** Current state of each container, by name. */
  states(uid: string): Map<string, ContainerState & { restartCount: number }>
  /** Restarts an exited container (restartPolicy Always/OnFailure). */
  restart(uid: string, container: string): Promise<void>
  /** Stops every container: SIGTERM, then SIGKILL after the grace period. Resolves when all have exited. */
  stop(uid: string, gracePeriodSeconds: number): Promise<void>
  /** Runs a command next to a running container, with its mounts and environment; resolves with the exit code. */
  exec(uid: string, container: string, request: ExecRequest): Promise<number>
  logs(uid: string, container: string, request: LogRequest): Promise<void>
  stats(uid: string, container: string): ContainerStats | undefined
  /** Forgets a stopped pod and removes its folders. */
  remove(uid: string): Promise<void>
}
