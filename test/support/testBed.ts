import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { ensureControlPlaneBinaries } from '../control-plane/build.ts'
import { startControlPlane } from '../control-plane/launch.ts'
import { STORAGE_CLASSES } from '../control-plane/provisioner.ts'
import { DEFAULT_NODES } from '../control-plane/scenario.ts'
import { namespace, node } from '../sim/scenario/builders.ts'
import type { KubeObject, Scenario } from '../sim/scenario/types.ts'
import { startSim } from '../sim/sim.ts'
import { pluginBinDir, pluginPath } from './plugins.ts'
import { kubectl, type RunResult } from './run.ts'

/**
 * One cluster the plugins' end-to-end tests run against: the simulator (`sim`) or the real Kubernetes control plane
 * with its node agents and provisioner (`real`). Both start with the same nodes (node-a, node-b) and the same
 * StorageClasses (`standard`: ReadWriteOnce only, default, expandable; `shared`: ReadWriteMany too); the tests seed
 * the rest through kubectl as the admin, so what a test sees comes from the same objects on either bed.
 */
export type BedKind = 'sim' | 'real'

export interface Bed {
  kind: BedKind
  /** A kubeconfig with a client certificate for `user` (admin is cluster admin on both beds). */
  kubeconfig(user?: string): string
  /** PATH with the plugins linked as kubectl dispatches them, for `kubectl <plugin>`. */
  env: NodeJS.ProcessEnv
  /** kubectl as `user` (default admin) with plugin dispatch. */
  kubectl(args: readonly string[], options?: { user?: string; input?: string; timeoutMs?: number }): Promise<RunResult>
  /** `kubectl apply -f -` of objects as the admin; throws on failure. */
  apply(objects: object[]): Promise<void>
  /** The simulator, on the sim bed only (for sim-only checks). */
  sim?: Awaited<ReturnType<typeof startSim>>
  stop(): Promise<void>
}

/** The nodes and classes of the real control plane, as simulator objects. */
function simScenario(): Scenario {
  const now = new Date()
  const created = new Date(now.getTime() - 3600_000)
  const objects: KubeObject[] = [
    namespace('default', created),
    namespace('kube-system', created),
    ...DEFAULT_NODES.map((n, i) =>
      node({ ...n, created, ip: `10.0.0.${i + 10}`, labels: { 'topology.kubernetes.io/zone': 'zone-a', ...n.labels } }),
    ),
    ...STORAGE_CLASSES.map(
      (c) =>
        ({
          ...c,
          metadata: { ...c.metadata, uid: `sc-${c.metadata.name}`, creationTimestamp: created.toISOString() },
        }) as KubeObject,
    ),
  ]
  return { name: 'bed', now, objects, podUsage: new Map(), nodeSystemUsage: new Map(), volumeFiles: [] }
}

export async function startBed(kind: BedKind): Promise<Bed> {
  const env: NodeJS.ProcessEnv = {
    PATH: pluginPath(pluginBinDir()),
    XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), `bed-${kind}-config-`)),
  }
  let kubeconfig: (user?: string) => string
  let stop: () => Promise<void>
  let sim: Bed['sim']
  if (kind === 'sim') {
    sim = await startSim({ scenario: simScenario(), runContainers: true })
    const started = sim
    const files = new Map<string, string>()
    kubeconfig = (user = 'admin') => {
      const known = files.get(user)
      if (known !== undefined) return known
      const path = started.writeKubeconfig({ user, auth: 'cert' })
      files.set(user, path)
      return path
    }
    stop = () => started.stop()
  } else {
    await ensureControlPlaneBinaries()
    const plane = await startControlPlane()
    kubeconfig = (user = 'admin') => plane.kubeconfig(user)
    stop = () => plane.stop()
  }
  const run: Bed['kubectl'] = (args, options = {}) =>
    kubectl(kubeconfig(options.user), args, {
      env,
      timeoutMs: options.timeoutMs ?? 120_000,
      ...(options.input === undefined ? {} : { input: options.input }),
    })
  return {
    kind,
    kubeconfig,
    env,
    kubectl: run,
    async apply(objects) {
      const result = await run(['apply', '-f', '-'], { input: objects.map((o) => stringify(o)).join('---\n') })
      if (result.code !== 0) throw new Error(`kubectl apply failed on the ${kind} bed: ${result.stderr}`)
    },
    ...(sim === undefined ? {} : { sim }),
    stop,
  }
}

/** Retries `attempt` every second until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await attempt()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await new Promise((r) => setTimeout(r, 1000))
  }
  throw new Error(
    `${what} did not happen within ${timeoutMs / 1000}s${last instanceof Error ? `: ${last.message}` : ''}`,
  )
}
