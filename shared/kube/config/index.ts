/**
 * kubeconfig handling exactly like kubectl: which files, how they merge, which context, how the global flags
 * override it, and the in-cluster fallback. Everything the transport needs comes out as one ResolvedConnection.
 */
export { parseGoDuration, parseRequestTimeout } from './duration.ts'
export { certificateCommonName, kubeconfigUserName } from './identity.ts'
export { DEFAULT_SERVICE_ACCOUNT_DIR } from './in-cluster.ts'
export {
  type Kubeconfig,
  type KubeconfigCluster,
  type KubeconfigContext,
  type KubeconfigExec,
  type KubeconfigUser,
  kubeconfigPaths,
  loadKubeconfig,
  mergeKubeconfigs,
  parseKubeconfig,
  type ReadFile,
} from './load.ts'
export { type ResolveOptions, resolveConnection } from './resolve.ts'
