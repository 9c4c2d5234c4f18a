import { existsSync } from 'node:fs'
import { join } from 'node:path'
import pkg from '../../package.json' with { type: 'json' }
import { dispatchName, PLUGINS, type PluginName, REPO_ROOT } from '../../test/support/plugins.ts'

/** What Krew shows for a plugin: `kubectl krew info`, search results, and the caveats after install. */
export interface PluginListing {
  shortDescription: string
  description: string
  caveats?: string
}

const METRICS_CAVEAT = `Live usage columns need the metrics API (metrics-server); without it they show '-' and
everything else still works.`

/**
 * One entry per plugin, keyed by name so a plugin added to PLUGINS without its listing is a type error.
 * A new plugin needs only its line here; the build, release, completion and dist tests iterate over PLUGINS.
 */
export const LISTINGS: Record<PluginName, PluginListing> = {
  usage: {
    shortDescription: 'Node and pod requests, limits and live usage',
    description: `Shows per node and per pod the allocatable resources, requests, limits and live usage side by side,
with the same numbers kubectl describe node and kubectl top print, in one paginated pass that scales
to thousands of nodes. Output as table, wide, json, yaml, csv or bars.`,
    caveats: `${METRICS_CAVEAT}
Needs list on nodes and pods (cluster-wide for 'usage nodes').`,
  },
  'ae-sessions': {
    shortDescription: 'AE5-style platform sessions, deployments and job runs with live usage',
    description: `Lists the sessions, deployments and job runs of an Anaconda Enterprise style platform running on
the cluster, with owner, project, age, resource requests and live usage; --mine shows your own.`,
    caveats: `${METRICS_CAVEAT}
Needs read access to pods in the platform's namespace.`,
  },
  secretview: {
    shortDescription: 'Read, check and create Secrets without leaking values',
    description: `Views Secrets with values redacted by default (--reveal to show), decodes Helm releases, TLS
certificates, docker configs and service-account tokens, finds who uses a Secret, and creates
Secrets from prompts or files so values never reach shell history.`,
    caveats: `Needs get/list on secrets in the namespaces you inspect.`,
  },
  mrun: {
    shortDescription: 'Run experiments and parameter sweeps as Jobs',
    description: `Runs a script or command as a Kubernetes Job (or a sweep of Jobs over parameters), follows its
logs, lists runs with their state and fetches their results.`,
    caveats: `Needs create/list/delete on jobs and get on pods/log in the target namespace.`,
  },
  pvclaim: {
    shortDescription: 'Create claims, see how full they are, move data in and out',
    description: `Lists PersistentVolumeClaims with request, capacity, usage and consumers, creates claims
(dynamic or pre-bound NFS/static), and downloads or uploads data through a short-lived helper pod.`,
    caveats: `Transfers run a helper pod: needs create/delete on pods and create on pods/exec.
Usage figures need get on nodes/proxy.`,
  },
}

export interface DistPlugin extends PluginListing {
  name: PluginName
  /** The TypeScript entry, relative to the repository. */
  entry: string
  /** The executable kubectl dispatches to: `kubectl-ae_sessions`. */
  bin: string
  /** The executable kubectl ≥ 1.26 runs for shell completion: `kubectl_complete-ae_sessions`. */
  completionBin: string
}

/**
 * The version released: package.json's, or SUITE_VERSION (without the v) for a build and release of another one,
 * which the dist test uses to publish a newer release and have Krew upgrade to it.
 */
export const VERSION = `v${process.env.SUITE_VERSION ?? pkg.version}`
export const HOMEPAGE = pkg.homepage

/**
 * Where the project is hosted: the only defaults, overridden with RELEASE_BASE_URL and INDEX_URL.
 * Archives are assets of the GitHub release of the tag; the Krew index is its own repository, because Krew reads
 * `plugins/*.yaml` at the root of a repository and this one's `plugins/` holds the source.
 */
export const DEFAULT_RELEASE_BASE_URL = (version: string): string => `${HOMEPAGE}/releases/download/${version}`
export const DEFAULT_INDEX_URL = 'https://github.com/kubectl-suite/krew-index.git'

/** Every plugin whose entry exists in this checkout (the others are still being written). */
export function distPlugins(): DistPlugin[] {
  return PLUGINS.filter((p) => existsSync(join(REPO_ROOT, p.entry))).map((p) => ({
    name: p.name,
    entry: p.entry,
    ...LISTINGS[p.name],
    bin: dispatchName(p.name),
    completionBin: `kubectl_complete-${p.name.replaceAll('-', '_')}`,
  }))
}

export { REPO_ROOT }
