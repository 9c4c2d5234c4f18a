import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from './support/plugins.ts'

/**
 * House rules that a linter cannot say, checked as tests (krew's verify-code-patterns idea): the one-way
 * dependency flow between shared/ and plugins/, and where the process may be touched.
 */
function sourceFiles(dir: string): string[] {
  const root = join(REPO_ROOT, dir)
  const found: string[] = []
  const walk = (path: string): void => {
    for (const entry of readdirSync(path)) {
      if (entry === 'node_modules' || entry === 'testdata') continue
      const full = join(path, entry)
      if (statSync(full).isDirectory()) walk(full)
      else if (full.endsWith('.ts') && !full.endsWith('.test.ts')) found.push(relative(REPO_ROOT, full))
    }
  }
  try {
    walk(root)
  } catch {
    return []
  }
  return found
}

const IMPORT_RE = /^\s*import\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm
const DYNAMIC_IMPORT_RE = /import\(\s*['"]([^'"]+)['"]\s*\)/g

function importsOf(file: string): { spec: string; typeOnly: boolean }[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8')
  const result: { spec: string; typeOnly: boolean }[] = []
  for (const m of text.matchAll(IMPORT_RE)) result.push({ spec: m[2] as string, typeOnly: m[1] !== undefined })
  for (const m of text.matchAll(DYNAMIC_IMPORT_RE)) result.push({ spec: m[1] as string, typeOnly: false })
  return result
}

function resolved(file: string, spec: string): string {
  return spec.startsWith('.') ? relative(REPO_ROOT, join(REPO_ROOT, file, '..', spec)) : spec
}

describe('architecture', () => {
  const shared = sourceFiles('shared')
  const plugins = sourceFiles('plugins')

  it('shared/ never imports a plugin', () => {
    const offenders = shared.filter((f) => importsOf(f).some((i) => resolved(f, i.spec).startsWith('plugins/')))
    expect(offenders).toEqual([])
  })

  it('a plugin never imports another plugin', () => {
    const offenders = plugins.filter((f) => {
      const own = f.split('/')[1]
      return importsOf(f).some((i) => {
        const target = resolved(f, i.spec)
        return target.startsWith('plugins/') && target.split('/')[1] !== own
      })
    })
    expect(offenders).toEqual([])
  })

  it('@kubernetes/client-node is used for types only, so start-up never loads it', () => {
    const offenders = [...shared, ...plugins].filter((f) =>
      importsOf(f).some((i) => i.spec.startsWith('@kubernetes/client-node') && !i.typeOnly),
    )
    expect(offenders).toEqual([])
  })

  it('only shared/cli ends the process or writes to the console', () => {
    const offenders = [...shared, ...plugins].filter((f) => {
      if (f.startsWith('shared/cli/') || /\/main\.ts$/.test(f)) return false
      const text = readFileSync(join(REPO_ROOT, f), 'utf8')
      return /process\.exit\(|console\.(log|error|warn|info)\(|process\.stdout\.write/.test(text)
    })
    expect(offenders).toEqual([])
  })

  it('model and render files do no I/O and read no clock', () => {
    const pure = plugins.filter((f) => /\/(model|render)[^/]*\.ts$/.test(f) || /-model\.ts$/.test(f))
    const offenders = pure.filter((f) => {
      const text = readFileSync(join(REPO_ROOT, f), 'utf8')
      return /from ['"]node:(fs|http|https|net|child_process)['"]|Date\.now\(\)|new Date\(\)|shared\/kube\//.test(text)
    })
    expect(offenders).toEqual([])
  })

  it('the kubelet runtime (test/kubelet) stands alone: no simulator store or API server, so a real node agent can use it', () => {
    // Node built-ins, its own files and npm packages (ws for the exec protocol); nothing else of this repository.
    const offenders = sourceFiles('test/kubelet').filter((f) =>
      importsOf(f).some((i) => i.spec.startsWith('.') && !resolved(f, i.spec).startsWith('test/kubelet/')),
    )
    expect(sourceFiles('test/kubelet')).toContain('test/kubelet/runtime.ts')
    expect(offenders).toEqual([])
  })

  it("the real control plane's node agent runs pods with test/kubelet and never imports the simulator", () => {
    const agent = sourceFiles('test/control-plane/node-agent')
    expect(agent).toContain('test/control-plane/node-agent/node-agent.ts')
    const offenders = agent.filter((f) => importsOf(f).some((i) => resolved(f, i.spec).startsWith('test/sim/')))
    expect(offenders).toEqual([])
    const usesRuntime = agent.some((f) => importsOf(f).some((i) => resolved(f, i.spec) === 'test/kubelet/runtime.ts'))
    expect(usesRuntime).toBe(true)
  })
})
