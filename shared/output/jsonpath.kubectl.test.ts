import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunResult, run } from '../../test/support/run.ts'
import { SuiteError } from '../errors.ts'
import { parseOutputFormat } from './format.ts'
import { renderView } from './print.ts'

/**
 * Our `-o jsonpath` and `-o custom-columns` against the real kubectl, byte for byte, on the same document.
 *
 * kubectl evaluates templates on the client, so no cluster is needed: a tiny in-process HTTP server answers
 * kubectl's discovery and serves one ConfigMapList whose items carry arbitrary fields (kubectl neither validates
 * nor drops unknown fields of a list it gets). `kubectl get configmaps -o json` then shows the exact document the
 * template runs on (kubectl wraps the items in a `v1 List`), and that document is what our renderer is given.
 */

const ITEMS = [
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } },
    phase: 'Running',
    ready: true,
    restarts: 3,
    ratio: 0.25,
    cpu: { millicores: 4000, display: '4' },
    memory: { bytes: 8343625728, display: '7.8Gi' },
    tags: ['a', 'b', 'c'],
    nested: { list: [{ n: 1 }, { n: 2 }] },
    nul: null,
    text: 'a<b & "q" end',
    created: '2026-11-22T12:00:00Z',
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'db-0', namespace: 'default', labels: { app: 'db' } },
    phase: 'Pending',
    ready: false,
    restarts: 0,
    ratio: 1.5,
    cpu: { millicores: 250 },
    tags: [],
    nested: { list: [] },
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cache', namespace: 'default' },
    phase: 'Running',
    ready: true,
    restarts: 12,
    ratio: 2.75,
    big: 1000000,
    mega: 1234567.5,
    tiny: 0.00001,
    tags: ['z'],
  },
]

let server: Server
let dir: string
let kubeconfig: string
let documentOf: (namespace: string) => Promise<unknown>

function kubectl(args: readonly string[]): Promise<RunResult> {
  return run('kubectl', ['--cache-dir', join(dir, 'cache'), ...args], {
    env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir },
  })
}

function send(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jsonpath-kubectl-'))
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    if (path === '/version') return send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0' })
    if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'] })
    if (path === '/apis') return send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] })
    if (path === '/api/v1') {
      return send(res, 200, {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [
          {
            name: 'configmaps',
            singularName: 'configmap',
            namespaced: true,
            kind: 'ConfigMap',
            verbs: ['get', 'list'],
          },
        ],
      })
    }
    const list = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps$/.exec(path)
    if (list !== null) {
      const items = list[1] === 'default' ? ITEMS : []
      return send(res, 200, { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items })
    }
    send(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  kubeconfig = join(dir, 'kubeconfig')
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: http://127.0.0.1:${port}`,
      'contexts:',
      '- name: fake',
      '  context:',
      '    cluster: fake',
      '    namespace: default',
      'current-context: fake',
      '',
    ].join('\n'),
  )
  const documents = new Map<string, unknown>()
  documentOf = async (namespace) => {
    if (!documents.has(namespace)) {
      const result = await kubectl(['get', 'configmaps', '-n', namespace, '-o', 'json'])
      expect(result.stderr).toBe('')
      documents.set(namespace, JSON.parse(result.stdout))
    }
    return documents.get(namespace)
  }
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  rmSync(dir, { recursive: true, force: true })
})

/** What our printer makes of `-o value` over the document kubectl evaluates, as stdout or an error line. */
interface Options {
  namespace?: string
  noHeaders?: boolean
  strict?: boolean
}

async function ours(output: string, options: Options = {}): Promise<RunResult> {
  const document = await documentOf(options.namespace ?? 'default')
  try {
    const format = parseOutputFormat(output, ['table', 'json'], { allowMissingTemplateKeys: options.strict !== true })
    const view = { table: { columns: [], rows: [] }, document, names: [] }
    const stdout = renderView(view, format, { noHeaders: options.noHeaders, color: false })
    return { code: 0, stdout, stderr: '', stdoutBytes: Buffer.from(stdout) }
  } catch (err) {
    if (!(err instanceof SuiteError)) throw err
    return { code: err.exitCode, stdout: '', stderr: `error: ${err.message}\n`, stdoutBytes: Buffer.alloc(0) }
  }
}

async function theirs(output: string, options: Options = {}) {
  const args = ['get', 'configmaps', '-n', options.namespace ?? 'default', '-o', output]
  if (options.noHeaders === true) args.push('--no-headers')
  if (options.strict === true) args.push('--allow-missing-template-keys=false')
  return kubectl(args)
}

const TEMPLATES = [
  '{.items[*].metadata.name}',
  '{.kind}',
  '{.items[0].metadata.name}',
  '{.items[-1].metadata.name}',
  '{.items[0:2].metadata.name}',
  '{.items[1:].metadata.name}',
  '{.items[::2].metadata.name}',
  '{.items[-2:].metadata.name}',
  '{.items[0,2].metadata.name}',
  "{.items[*]['metadata']['name']}",
  '{range .items[*]}{.metadata.name}{"\\n"}{end}',
  '{range .items[*]}{.metadata.name}{\'\\t\'}{.phase}{"\\n"}{end}',
  '{range .items[*]}[{range .tags[*]}{@}{","}{end}]{end}',
  '{range .items[?(@.ready==true)]}{.metadata.name}{" "}{end}',
  '{range .items[*]}{.metadata.name}{end}{"|"}{.kind}',
  '{.items[?(@.phase=="Running")].metadata.name}',
  "{.items[?(@.phase!='Running')].metadata.name}",
  '{.items[?(@.restarts>0)].metadata.name}',
  '{.items[?(@.restarts<3)].metadata.name}',
  '{.items[?(@.restarts>=3)].metadata.name}',
  '{.items[?(@.restarts<=3)].metadata.name}',
  '{.items[?(@.ready==false)].metadata.name}',
  '{.items[?(@.ratio>1.0)].metadata.name}',
  '{.items[?(@.memory)].metadata.name}',
  '{.items[?(@.cpu.millicores==4000)].cpu.display}',
  '{.items[?(@.metadata.name=="db-0")].restarts}',
  '{..name}',
  '{.items[*].tags[*]}',
  '{.items[0].tags}',
  '{.items[1].tags}',
  '{.items[0].metadata.labels}',
  '{.items[0].metadata.labels.*}',
  '{.items[0]}',
  '{.items[0].text}',
  '{.items[*].restarts}',
  '{.items[*].ratio}',
  '{.items[2].big} {.items[2].mega} {.items[2].tiny}',
  '{.items[0].nul}',
  '{.items[*].ready}',
  '{.items[0].missing}',
  '{.items[*].cpu.display}',
  '{.items[*].nested}',
  '{.items[0].nested.list[*].n}',
  '{.items[2].phase.*}',
  '{$}',
  '{@.kind}',
  '{ .kind }',
  'name: {.items[0].metadata.name}, phase: {.items[0].phase}\n',
  '{.items[*].metadata.name}{"\\n"}',
  "'{.kind}'",
  '"{.kind}"',
  '{.items[*].created}',
  '{.metadata}',
]

const BAD_TEMPLATES = [
  '{.items[5]}',
  '{.kind[0]}',
  '{.items[?(@.ratio==1)].metadata.name}',
  '{metadata.name}',
  '{end}',
  '{.items[',
  '{.kind',
  '{.items[?(@.a=~"x")]}',
  '{.items[x]}',
  '{"unterminated}',
]

const COLUMNS = [
  'NAME:.metadata.name,PHASE:.phase,CPU:.cpu.millicores',
  'NAME:metadata.name,TAGS:.tags,LABELS:.metadata.labels',
  'NAME:{.metadata.name},NUL:.nul,RATIO:.ratio,BIG:.big,MEGA:.mega,TINY:.tiny',
  'N:.metadata.name,T:.tags[*],LIST:.nested.list[*].n,READY:.ready',
  'name:{metadata.name},text:.text,created:.created',
  'NAME:.metadata.name,MISSING:.nope,APP:.metadata.labels.app',
]

describe('-o jsonpath against the real kubectl', () => {
  it('has at least 40 templates to compare', () => {
    expect(TEMPLATES.length).toBeGreaterThanOrEqual(40)
  })

  it.each(TEMPLATES)('jsonpath=%s', async (template) => {
    const [want, got] = await Promise.all([theirs(`jsonpath=${template}`), ours(`jsonpath=${template}`)])
    expect(want.stderr).toBe('')
    expect(got).toEqual(want)
  })

  it.each(['{.items[*].metadata.name}', '{.items[0].restarts}{.kind}', '{.items[0].metadata}'])(
    'jsonpath-as-json=%s',
    async (template) => {
      const [want, got] = await Promise.all([
        theirs(`jsonpath-as-json=${template}`),
        ours(`jsonpath-as-json=${template}`),
      ])
      expect(got.stdout).toBe(want.stdout)
    },
  )

  it('jsonpath-file reads the template from a file', async () => {
    const file = join(dir, 'template.txt')
    writeFileSync(file, '{range .items[*]}{.metadata.name}={.restarts}{"\\n"}{end}')
    const [want, got] = await Promise.all([theirs(`jsonpath-file=${file}`), ours(`jsonpath-file=${file}`)])
    expect(got.stdout).toBe(want.stdout)
  })

  it('prints templates over an empty list as kubectl does', async () => {
    for (const template of ['{.items[*].metadata.name}', '{.kind}:{.items}', '{range .items[*]}x{end}']) {
      const [want, got] = await Promise.all([
        theirs(`jsonpath=${template}`, { namespace: 'empty' }),
        ours(`jsonpath=${template}`, { namespace: 'empty' }),
      ])
      expect(got.stdout).toBe(want.stdout)
    }
  })

  it('with --allow-missing-template-keys=false a missing key is an error, as in kubectl', async () => {
    const template = 'jsonpath={.items[*].metadata.name}{.items[0].missing}'
    const [want, got] = await Promise.all([theirs(template, { strict: true }), ours(template, { strict: true })])
    expect(want.code).not.toBe(0)
    expect(got.code).toBe(2)
    expect(got.stderr.split('\n')[0]).toBe(want.stderr.split('\n')[0]?.replace(/\. Printing more information.*$/, ''))
    const present = 'jsonpath={.items[0].metadata.name}'
    const [wantPresent, gotPresent] = await Promise.all([
      theirs(present, { strict: true }),
      ours(present, { strict: true }),
    ])
    expect(gotPresent.stdout).toBe(wantPresent.stdout)
  })

  it.each(BAD_TEMPLATES)('fails on %s with kubectl’s reason, in one line', async (template) => {
    const [want, got] = await Promise.all([theirs(`jsonpath=${template}`), ours(`jsonpath=${template}`)])
    expect(want.code).not.toBe(0)
    expect(got.code).toBe(2)
    expect(got.stdout).toBe('')
    expect(got.stderr.trimEnd()).not.toContain('\n')
    // kubectl follows an execution error with a dump of the object; the first line is the same.
    const firstLine = (text: string): string =>
      text.split('\n')[0]?.replace(/\. Printing more information.*$/, '') ?? ''
    expect(firstLine(got.stderr)).toBe(firstLine(want.stderr))
  })
})

describe('-o custom-columns against the real kubectl', () => {
  it.each(COLUMNS)('custom-columns=%s', async (spec) => {
    const [want, got] = await Promise.all([theirs(`custom-columns=${spec}`), ours(`custom-columns=${spec}`)])
    expect(want.stderr).toBe('')
    expect(got.stdout).toBe(want.stdout)
  })

  it('prints only the header for an empty list, as kubectl', async () => {
    const spec = 'NAME:.metadata.name,PHASE:.phase'
    const [want, got] = await Promise.all([
      theirs(`custom-columns=${spec}`, { namespace: 'empty' }),
      ours(`custom-columns=${spec}`, { namespace: 'empty' }),
    ])
    expect(got.stdout).toBe(want.stdout)
  })

  it('fails as kubectl when a column path fails on an item', async () => {
    const [want, got] = await Promise.all([theirs('custom-columns=N:.tags[0]'), ours('custom-columns=N:.tags[0]')])
    // kubectl has printed the header by then; we print nothing but the error.
    expect(want.code).not.toBe(0)
    expect(want.stderr).toContain('error: array index out of bounds: index 0, length 0\n')
    expect(got.stderr).toBe('error: array index out of bounds: index 0, length 0\n')
    expect(got.code).toBe(2)
  })

  it('leaves the header out with --no-headers', async () => {
    const spec = 'NAME:.metadata.name,PHASE:.phase'
    const [want, got] = await Promise.all([
      theirs(`custom-columns=${spec}`, { noHeaders: true }),
      ours(`custom-columns=${spec}`, { noHeaders: true }),
    ])
    expect(got.stdout).toBe(want.stdout)
  })

  it('custom-columns-file reads a header line and a path line', async () => {
    const file = join(dir, 'columns.txt')
    writeFileSync(file, 'NAME    RESTARTS   CPU\n.metadata.name   .restarts   {.cpu.millicores}\n')
    const [want, got] = await Promise.all([theirs(`custom-columns-file=${file}`), ours(`custom-columns-file=${file}`)])
    expect(want.stderr).toBe('')
    expect(got.stdout).toBe(want.stdout)
  })
})
