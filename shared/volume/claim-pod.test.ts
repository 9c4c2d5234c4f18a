import { describe, expect, it } from 'vitest'
import { SuiteError } from '../errors.ts'
import { HELPER_UID, helperPod, podSecurityRefusal, ROOT_HELPER_CAPABILITIES } from './claim-pod.ts'

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
  it('is nobody by default, admitted by PodSecurity restricted', () => {
    const pod = helperPod(spec)
    expect(pod.spec?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: HELPER_UID,
      runAsGroup: HELPER_UID,
    })
    expect(pod.spec?.containers[0]?.securityContext?.capabilities).toEqual({ drop: ['ALL'] })
  })

  it("is the folder owner's uid and gid, so what it writes is theirs", () => {
    const pod = helperPod({ ...spec, runAs: { uid: 1000, gid: 100 } })
    expect(pod.spec?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 100 })
  })

  it('is root with CHOWN, DAC_OVERRIDE and FOWNER only, no privilege escalation, for a folder of root', () => {
    const pod = helperPod({ ...spec, runAs: { uid: 0, gid: 0 } })
    expect(pod.spec?.securityContext).toMatchObject({ runAsNonRoot: false, runAsUser: 0, runAsGroup: 0 })
    expect(pod.spec?.containers[0]?.securityContext).toMatchObject({
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], add: [...ROOT_HELPER_CAPABILITIES] },
      seccompProfile: { type: 'RuntimeDefault' },
    })
  })

  it('tells a PodSecurity refusal from other 403s', () => {
    const refusal = new SuiteError(
      'forbidden',
      'pods "h" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true (server x)',
    )
    expect(podSecurityRefusal(refusal)).toBe('restricted:latest')
    expect(podSecurityRefusal(new SuiteError('forbidden', 'pods is forbidden: User "u" cannot create resource'))).toBe(
      undefined,
    )
    expect(podSecurityRefusal(new SuiteError('invalid', 'violates PodSecurity "restricted:latest"'))).toBe(undefined)
  })
})
