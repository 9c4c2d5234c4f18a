import { describe, expect, it } from 'vitest'
import { isSuiteError } from '../errors.ts'
import { resourcePath } from './paths.ts'

describe('resourcePath', () => {
  it('builds object, collection and subresource paths', () => {
    expect(resourcePath({ plural: 'persistentvolumeclaims', namespace: 'ml', name: 'data' })).toBe(
      '/api/v1/namespaces/ml/persistentvolumeclaims/data',
    )
    expect(resourcePath({ group: 'batch', plural: 'jobs', namespace: 'ml' })).toBe('/apis/batch/v1/namespaces/ml/jobs')
  })

  it.each(['', '.', '..'])('never turns the name %j into a collection path (internal error)', (name) => {
    let thrown: unknown
    try {
      resourcePath({ plural: 'persistentvolumeclaims', namespace: 'ml', name })
    } catch (error) {
      thrown = error
    }
    expect(isSuiteError(thrown) && thrown.kind).toBe('internal')
  })
})
