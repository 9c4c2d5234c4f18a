import type { V1Pod } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { pod } from '../../test/sim/scenario/builders.ts'
import {
  containerAlias,
  DEFAULT_CONFIG,
  defaultLogContainer,
  identifyWorkload,
  type MetadataKey,
  ownerOf,
  ownerQueries,
  ownerScan,
  parseKinds,
  parseMetadataKeys,
} from './platform.ts'

const created = new Date('2026-11-01T00:00:00Z')
const SLUG = '5c1e9a7f0b2d4e6f8a9b0c1d2e3f4a5b'

function podWith(name: string, labels: Record<string, string>, annotations: Record<string, string> = {}): V1Pod {
  return pod({
    namespace: 'ae',
    name,
    created,
    labels,
    annotations,
    containers: [{ name: 'app' }],
  }) as unknown as V1Pod
}

describe('identifyWorkload', () => {
  it.each([
    [
      'old session label',
      `anaconda-session-${SLUG}-7d9f8c6b5-q2x7m`,
      { 'anaconda-session-id': SLUG },
      'session',
      `a1-${SLUG}`,
      'label anaconda-session-id',
    ],
    [
      'new session label',
      `anaconda-session-${SLUG}-7d9f8c6b5-q2x7m`,
      { 'session-id': SLUG },
      'session',
      `a1-${SLUG}`,
      'label session-id',
    ],
    [
      'old deployment label',
      `anaconda-app-${SLUG}-6c8d7f9b4-k4h8z`,
      { 'anaconda-app-id': SLUG },
      'deployment',
      `a2-${SLUG}`,
      'label anaconda-app-id',
    ],
    [
      'new deployment label',
      `anaconda-app-${SLUG}-6c8d7f9b4-k4h8z`,
      { 'app-id': SLUG },
      'deployment',
      `a2-${SLUG}`,
      'label app-id',
    ],
    [
      'job-name set by the Job controller',
      `anaconda-job-${SLUG}-7xq2k`,
      { 'job-name': `anaconda-job-${SLUG}` },
      'run',
      `a2-${SLUG}`,
      'label job-name',
    ],
    [
      'batch.kubernetes.io/job-name (1.27+)',
      'renamed-pod',
      { 'batch.kubernetes.io/job-name': `anaconda-job-${SLUG}` },
      'run',
      `a2-${SLUG}`,
      'label batch.kubernetes.io/job-name',
    ],
    ['new run label', `anaconda-job-${SLUG}-7xq2k`, { 'job-id': SLUG }, 'run', `a2-${SLUG}`, 'label job-id'],
    [
      'session name prefix without labels',
      `anaconda-session-${SLUG}-7d9f8c6b5-q2x7m`,
      {},
      'session',
      `a1-${SLUG}`,
      'name prefix anaconda-session-',
    ],
    [
      'deployment name prefix without labels',
      `anaconda-app-${SLUG}-6c8d7f9b4-k4h8z`,
      {},
      'deployment',
      `a2-${SLUG}`,
      'name prefix anaconda-app-',
    ],
    [
      'run name prefix without labels',
      `anaconda-job-${SLUG}-7xq2k`,
      {},
      'run',
      `a2-${SLUG}`,
      'name prefix anaconda-job-',
    ],
  ])('recognises a %s', (_case, name, labels, kind, id, detectedBy) => {
    expect(identifyWorkload(podWith(name, labels), DEFAULT_CONFIG)).toEqual({ kind, id, slug: SLUG, detectedBy })
  })

  it.each([
    ['AE5 system pods', 'anaconda-enterprise-ap-ui-6d7f9c8b5-r4t2x', { app: 'ap-ui' }],
    ['other Jobs', 'etl-nightly-28871520-abcde', { 'job-name': 'etl-nightly-28871520' }],
    ['ordinary pods', 'web-7c9d5b8f4-x2x2x', { app: 'web' }],
    ['an empty id label', 'web-1', { 'session-id': '' }],
  ])('ignores %s', (_case, name, labels) => {
    expect(identifyWorkload(podWith(name, labels), DEFAULT_CONFIG)).toBeUndefined()
  })

  it('prefers labels over the name, so a labelled pod is never mistaken by its name', () => {
    const identity = identifyWorkload(
      podWith(`anaconda-session-${SLUG}-x-y`, { 'anaconda-app-id': 'beef' }),
      DEFAULT_CONFIG,
    )
    expect(identity).toMatchObject({ kind: 'deployment', id: 'a2-beef' })
  })

  it('uses configured labels and name prefixes', () => {
    const config = {
      ...DEFAULT_CONFIG,
      kinds: {
        ...DEFAULT_CONFIG.kinds,
        session: { ...DEFAULT_CONFIG.kinds.session, idLabels: ['platform.example/session'], namePrefix: 'ws-' },
      },
    }
    expect(identifyWorkload(podWith('x', { 'platform.example/session': 'abc' }), config)?.id).toBe('a1-abc')
    expect(identifyWorkload(podWith('ws-def-1', {}), config)?.id).toBe('a1-def')
    expect(identifyWorkload(podWith('y', { 'anaconda-session-id': 'abc' }), config)).toBeUndefined()
  })
})

describe('ownerOf', () => {
  it.each([
    ['the owner label', { 'anaconda-owner': 'alice' }, {}, 'alice'],
    ['the owner annotation', {}, { 'anaconda.com/owner': 'bob' }, 'bob'],
    ['the label before the annotation', { 'anaconda-owner': 'alice' }, { 'anaconda.com/owner': 'bob' }, 'alice'],
    ["AE5's credential form user-creds-<name>", { 'anaconda-owner': 'user-creds-carol' }, {}, 'carol'],
    ['nothing when no key is present', {}, {}, undefined],
    ['nothing for an empty value', { 'anaconda-owner': '' }, {}, undefined],
  ])('reads %s', (_case, labels, annotations, owner) => {
    expect(ownerOf(podWith('anaconda-app-x-1', labels, annotations), DEFAULT_CONFIG)).toBe(owner)
  })

  it('follows a configured order and source', () => {
    const config = { ...DEFAULT_CONFIG, ownerKeys: parseMetadataKeys('annotation:team.example/owner,owner') }
    const p = podWith(
      'anaconda-app-x-1',
      { owner: 'from-label', 'anaconda-owner': 'ignored' },
      { 'team.example/owner': 'dana' },
    )
    expect(ownerOf(p, config)).toBe('dana')
    expect(ownerOf(podWith('anaconda-app-x-1', { owner: 'erin' }), config)).toBe('erin')
  })
})

describe('parseKinds', () => {
  it.each([
    ['session', ['session'], []],
    ['sessions,deploy', ['session', 'deployment'], []],
    ['run,job,runs', ['run'], []],
    ['app, jobs', ['deployment', 'run'], []],
    ['session,pods', ['session'], ['pods']],
  ])('%s', (text, kinds, unknown) => {
    expect(parseKinds(text)).toEqual({ kinds, unknown })
  })
})

describe('parseMetadataKeys', () => {
  it('reads label:, annotation: and bare keys', () => {
    expect(parseMetadataKeys('label:a, annotation:example.com/b ,c')).toEqual([
      { source: 'label', key: 'a' },
      { source: 'annotation', key: 'example.com/b' },
      { source: 'any', key: 'c' },
    ])
  })
})

describe('container aliases', () => {
  const session = ['editor', 'tool-proxy-g9pd', 'tool-anaconda-platform-sync-g9pd', 'tool-proxy-zz']
  it.each([
    ['editor', 'editor'],
    ['tool-proxy-g9pd', 'sync-proxy'],
    ['tool-anaconda-platform-sync-g9pd', 'sync'],
    ['tool-proxy-zz', 'proxy'],
  ])('names %s %s', (name, alias) => {
    expect(containerAlias(name, session)).toBe(alias)
  })

  it('shows the editor of a session and the app of a deployment by default', () => {
    expect(defaultLogContainer('session', ['tool-proxy-a', 'editor'])).toBe('editor')
    expect(defaultLogContainer('deployment', ['app-proxy', 'app'])).toBe('app')
    expect(defaultLogContainer('run', ['main'])).toBe('main')
  })
})

describe('ownerQueries: asking the server for one owner’s pods', () => {
  const label = (key: string): MetadataKey => ({ source: 'label', key })
  const annotation = (key: string): MetadataKey => ({ source: 'annotation', key })
  const any = (key: string): MetadataKey => ({ source: 'any', key })
  it.each([
    [
      'the default: the owner label, then unlabelled pods for the annotation',
      DEFAULT_CONFIG.ownerKeys,
      'alice',
      {
        selected: ['anaconda-owner in (alice,user-creds-alice)'],
        scan: '!anaconda-owner',
        scanBecause: 'anaconda.com/owner',
      },
    ],
    [
      'labels only: no scan at all',
      [label('anaconda-owner'), label('owner')],
      'bob',
      {
        selected: ['anaconda-owner in (bob,user-creds-bob)', '!anaconda-owner,owner in (bob,user-creds-bob)'],
        scan: undefined,
        scanBecause: undefined,
      },
    ],
    [
      'an annotation first: every pod is read',
      [annotation('example.com/owner'), label('anaconda-owner')],
      'bob',
      { selected: [], scan: '', scanBecause: 'example.com/owner' },
    ],
    [
      'label-or-annotation: the label is selected, pods without it are read',
      [any('owner')],
      'bob',
      { selected: ['owner in (bob,user-creds-bob)'], scan: '!owner', scanBecause: 'owner' },
    ],
    [
      'an owner no label value can hold: nothing to select, the scan still finds annotations',
      DEFAULT_CONFIG.ownerKeys,
      'alice@example.com',
      { selected: [], scan: '!anaconda-owner', scanBecause: 'anaconda.com/owner' },
    ],
    [
      'an owner only the short spelling fits (63 characters)',
      [label('owner')],
      'a'.repeat(60),
      { selected: [`owner in (${'a'.repeat(60)})`], scan: undefined, scanBecause: undefined },
    ],
  ] as const)('%s', (_case, ownerKeys, owner, expected) => {
    const config = { ...DEFAULT_CONFIG, ownerKeys: [...ownerKeys] }
    expect(ownerQueries(config, owner)).toEqual(expected)
    // What --mine starts before it knows the owner is the same scan.
    expect(ownerScan(config)).toEqual({ scan: expected.scan, scanBecause: expected.scanBecause })
  })
})
