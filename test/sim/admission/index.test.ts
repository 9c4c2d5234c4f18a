import { describe, expect, it } from 'vitest'
import type { KubeObject } from '../object.ts'
import { StatusError } from '../status.ts'
import { Store } from '../store.ts'
import { admit } from './index.ts'

/** Admission answers as kube-apiserver does: the status code and the field named in the message. */
function podWith(container: Record<string, unknown>, name = 'p'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns' },
    spec: { containers: [{ name: 'c', image: 'busybox', ...container }] },
  }
}

const claim = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'data', namespace: 'ns' },
  spec,
})

function rejection(plural: string, obj: KubeObject, old?: KubeObject): StatusError {
  try {
    admit(new Store(), plural, obj, old, old === undefined ? 'create' : 'update')
  } catch (error) {
    if (error instanceof StatusError) return error
    throw error
  }
  throw new Error('admitted')
}

describe('admission', () => {
  it.each([
    ['pods', podWith({}, 'Bad_Name'), 422, 'metadata.name: Invalid value: "Bad_Name"'],
    ['pods', podWith({ image: '' }), 422, 'spec.containers[0].image: Required value'],
    ['pods', podWith({ resources: { requests: { cpu: 'ten' } } }), 400, 'quantities must match the regular expression'],
    [
      'pods',
      podWith({ resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }),
      422,
      'must be less than or equal to cpu limit of 1',
    ],
    ['pods', podWith({ resources: { limits: { 'nvidia.com/gpu': '0.5' } } }), 422, 'must be an integer'],
    [
      'persistentvolumeclaims',
      claim({ resources: { requests: { storage: '1Gi' } } }),
      422,
      'spec.accessModes: Required value',
    ],
    [
      'persistentvolumeclaims',
      claim({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: 'lots' } } }),
      400,
      'quantities must match',
    ],
    [
      'persistentvolumeclaims',
      claim({ accessModes: ['RWO'], resources: { requests: { storage: '1Gi' } } }),
      422,
      'Unsupported value: "RWO"',
    ],
    [
      'secrets',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, data: { key: '%%%' } },
      422,
      'illegal base64 data',
    ],
    [
      'secrets',
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's', namespace: 'ns' },
        type: 'kubernetes.io/tls',
        data: {},
      },
      422,
      'data[tls.crt]: Required value',
    ],
  ] as const)('%s is refused with %i: %s', (plural, obj, code, message) => {
    const error = rejection(plural, obj as KubeObject)
    expect(error.code).toBe(code)
    expect(error.message).toContain(message)
  })

  it('a shrinking claim is forbidden with the apiserver wording', () => {
    const old = claim({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '10Gi' } },
      storageClassName: 'standard',
      volumeName: 'pv',
    })
    const error = rejection(
      'persistentvolumeclaims',
      claim({ ...(old.spec as object), resources: { requests: { storage: '5Gi' } } }),
      old,
    )
    expect(error.message).toContain('field can not be less than previous value')
  })

  it('defaults requests from limits and fills the pod spec defaults', () => {
    const admitted = admit(
      new Store(),
      'pods',
      podWith({ resources: { limits: { cpu: '1', memory: '1Gi' } } }),
      undefined,
      'create',
    )
    const spec = admitted.spec as {
      restartPolicy: string
      containers: { resources: { requests: Record<string, string> } }[]
    }
    expect(spec.restartPolicy).toBe('Always')
    expect(spec.containers[0]?.resources.requests).toEqual({ cpu: '1', memory: '1Gi' })
    expect((admitted.status as { qosClass: string }).qosClass).toBe('Guaranteed')
  })
})
