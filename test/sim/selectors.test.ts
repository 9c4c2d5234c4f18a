import { describe, expect, it } from 'vitest'
import type { KubeObject } from './object.ts'
import { compileFieldSelector, compileLabelSelector } from './selectors.ts'
import { StatusError } from './status.ts'

const labels = { app: 'web', tier: 'front', 'example.com/team': 'ml' }

describe('label selectors', () => {
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=db', false],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app notin (web,db)', false],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['example.com/team=ml', true],
    ['app in (db), tier', false],
    ['', true],
  ])('%s selects=%s', (selector, expected) => {
    const match = compileLabelSelector(selector)
    expect(match === undefined ? true : match(labels)).toBe(expected)
  })

  it.each(['app=web=x', 'bad key=1', 'app in web', '-app=1'])('%s is a 400 with the apiserver wording', (selector) => {
    expect(() => compileLabelSelector(selector)).toThrow(StatusError)
  })
})

describe('field selectors', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns' },
    spec: { nodeName: 'node-1' },
    status: { phase: 'Running' },
  }
  it.each([
    ['spec.nodeName=node-1', true],
    ['spec.nodeName!=node-1', false],
    ['status.phase!=Succeeded,status.phase!=Failed', true],
    ['metadata.name=p,metadata.namespace=ns', true],
    ['spec.nodeName=', false],
  ])('%s selects=%s', (selector, expected) => {
    expect(compileFieldSelector('pods', selector)?.(pod)).toBe(expected)
  })

  it('an unsupported field is a 400 naming the field', () => {
    expect(() => compileFieldSelector('pods', 'spec.bogus=1')).toThrow('field label not supported: spec.bogus')
  })
})
