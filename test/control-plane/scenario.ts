import type { NodeSpec } from '../sim/scenario/builders.ts'
import type { KubeObject } from './client.ts'

/**
 * What the real control plane is seeded with besides its own bootstrap: nodes for the node agents, and the
 * namespaces and users real clusters have that the plugins must cope with — a namespace enforcing the restricted
 * Pod Security Standard, one whose ResourceQuota makes CPU/memory limits mandatory, an admin and a user who may
 * read pods but not exec into them.
 */
export type ControlPlaneNode = Pick<NodeSpec, 'name' | 'cpu' | 'memory' | 'pods' | 'labels' | 'taints'>

export const DEFAULT_NODES: ControlPlaneNode[] = [
  { name: 'node-a', cpu: '4', memory: '8Gi', labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
  {
    name: 'node-b',
    cpu: '2',
    memory: '4Gi',
    labels: { 'topology.kubernetes.io/zone': 'zone-b', 'node-role.kubernetes.io/worker': '' },
  },
]

export interface ControlPlaneUser {
  name: string
  groups: string[]
}

export const ADMIN_GROUP = 'kubectl-suite:cluster-admins'

export const USERS: ControlPlaneUser[] = [
  // As kubeadm does since 1.29: the admin is cluster-admin through a binding, not a system:masters member.
  { name: 'admin', groups: [ADMIN_GROUP] },
  { name: 'viewer', groups: [] },
]

export const RESTRICTED_NAMESPACE = 'restricted'
export const LIMITS_REQUIRED_NAMESPACE = 'limits-required'

export function scenarioObjects(): { path: string; object: KubeObject }[] {
  const namespace = (name: string, labels: Record<string, string> = {}) => ({
    path: '/api/v1/namespaces',
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } },
  })
  return [
    namespace(RESTRICTED_NAMESPACE, {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    }),
    namespace(LIMITS_REQUIRED_NAMESPACE),
    {
      // A quota on limits.* makes the ResourceQuota admission plugin reject pods that do not set those limits.
      path: `/api/v1/namespaces/${LIMITS_REQUIRED_NAMESPACE}/resourcequotas`,
      object: {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'compute', namespace: LIMITS_REQUIRED_NAMESPACE },
        spec: { hard: { 'limits.cpu': '4', 'limits.memory': '4Gi', pods: '20' } },
      },
    },
    {
      path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'kubectl-suite-cluster-admins' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: ADMIN_GROUP }],
      },
    },
    {
      path: '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles',
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'pod-reader', namespace: 'default' },
        rules: [
          { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: ['get', 'list'] },
        ],
      },
    },
    {
      path: '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings',
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'viewer-pod-reader', namespace: 'default' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'viewer' }],
      },
    },
  ]
}
