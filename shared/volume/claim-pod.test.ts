import { describe, expect, it } from 'vitest'
import { HELPER_UID, helperIdentity, helperPod } from './claim-pod.ts'

const spec = {
  name: 'h',
  namespace: 'ns',
  claim: 'data',
  managedBy: 'kubectl-pvclaim',
  image: 'busybox:1.36',
  write: true,
  mountPath: '/volume',
}

describe('the uid a helper pod runs as', () => {
  it("is the destination folder's owner, so what it writes is theirs", () => {
    expect(helperIdentity({ uid: 1000, gid: 100 })).toEqual({ uid: 1000, gid: 100 })
    const pod = helperPod({ ...spec, runAs: { uid: 1000, gid: 100 } })
    expect(pod.spec?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 100 })
  })

  it("is nobody when the folder is root's or unknown: PodSecurity restricted allows no uid 0", () => {
    expect(helperIdentity({ uid: 0, gid: 0 })).toEqual({ uid: HELPER_UID, gid: HELPER_UID })
    expect(helperIdentity(undefined)).toEqual({ uid: HELPER_UID, gid: HELPER_UID })
    expect(helperPod(spec).spec?.securityContext).toMatchObject({ runAsUser: HELPER_UID, runAsGroup: HELPER_UID })
    expect(() => helperPod({ ...spec, runAs: { uid: 0, gid: 0 } })).toThrow(/never runs as root/)
  })
})
