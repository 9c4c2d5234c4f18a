import { spawn } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Wall time, CPU time and peak RSS of one command, measured by GNU time so kubectl and our tools are measured
 * alike.
 */
export interface Measurement {
  seconds: number
  /** User plus system CPU seconds of the command and its children. */
  cpuSeconds: number
  peakMb: number
  code: number
  /**
   * The command warned that the metrics API did not answer in time (its usage columns show "-"): it then did less
   * work than a run with metrics, which the line says, since a loaded simulator can take longer than the 5 s allowed.
   */
  noMetrics?: boolean
}

export function measure(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  okCodes: readonly number[] = [0],
): Promise<Measurement> {
  const report = join(tmpdir(), `bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`)
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn('/usr/bin/time', ['-f', '%M %U %S', '-o', report, command, ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000
      let fields: number[] = []
      try {
        fields = (readFileSync(report, 'utf8').trim().split('\n').pop() ?? '').split(' ').map(Number)
        rmSync(report, { force: true })
      } catch {
        // no report: the command did not start
      }
      const [peakKb = Number.NaN, user = Number.NaN, system = Number.NaN] = fields
      if (!okCodes.includes(code ?? 1))
        process.stderr.write(`  (${command} ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').pop()})\n`)
      // An exit code the command is expected to give (secretview check's 10: it found something) counts as 0.
      resolve({
        seconds,
        cpuSeconds: user + system,
        peakMb: peakKb / 1024,
        code: okCodes.includes(code ?? 1) ? 0 : (code ?? 1),
        ...(stderr.includes('usage columns show "-": the metrics API did not answer') ? { noMetrics: true } : {}),
      })
    })
  })
}

/**
 * How many pairs each comparison runs. Single runs on a shared 2-core machine swing two- to threefold, so every
 * comparison runs ours and the peer alternately (one warm-up each, then A B A B …) and reports medians.
 * `npm run bench -- --quick` (or BENCH_QUICK=1) runs one pair without warm-up, for development.
 */
export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1'
export const PAIRS = Number(process.env.BENCH_PAIRS ?? (QUICK ? 1 : 5))
const WARMUP = QUICK ? 0 : 1

/** One side of a comparison: a label and a way to run it once (with any per-run set-up and clean-up inside). */
export interface Contender {
  label: string
  run: () => Promise<Measurement>
}

/** Every run of each side, in the order they ran (warm-ups left out). */
export interface Paired {
  ours: Measurement[]
  theirs: Measurement[]
}

/** Runs the two sides alternately: warm-up, then PAIRS pairs, ours first in even pairs and theirs first in odd. */
export async function paired(ours: Contender, theirs: Contender, pairs = PAIRS): Promise<Paired> {
  for (let i = 0; i < WARMUP; i++) {
    await ours.run()
    await theirs.run()
  }
  const result: Paired = { ours: [], theirs: [] }
  for (let i = 0; i < pairs; i++) {
    // Alternating who goes first cancels a steady drift (a cache warming, another process winding down).
    if (i % 2 === 0) {
      result.ours.push(await ours.run())
      result.theirs.push(await theirs.run())
    } else {
      result.theirs.push(await theirs.run())
      result.ours.push(await ours.run())
    }
  }
  return result
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** Median, minimum and maximum of one figure over runs. */
export interface Spread {
  median: number
  min: number
  max: number
}

export function spread(runs: Measurement[], figure: (m: Measurement) => number): Spread {
  const values = runs.map(figure)
  return { median: medianOf(values), min: Math.min(...values), max: Math.max(...values) }
}

function side(label: string, runs: Measurement[]): string {
  const wall = spread(runs, (m) => m.seconds)
  const peak = spread(runs, (m) => m.peakMb)
  const failed = runs.filter((m) => m.code !== 0).length
  const noMetrics = runs.filter((m) => m.noMetrics === true).length
  return `${label} ${wall.median.toFixed(3)}s (${wall.min.toFixed(3)}–${wall.max.toFixed(3)}) ${peak.max.toFixed(0)} MB${failed > 0 ? ` [${failed} failed]` : ''}${noMetrics > 0 ? ` [${noMetrics} without metrics: timed out]` : ''}`
}

/** One line: each side's median wall time with its range and peak RSS, and the ratio of the medians. */
export function pairedRow(label: string, theirs: Contender, result: Paired): string {
  const ratio = spread(result.ours, (m) => m.seconds).median / spread(result.theirs, (m) => m.seconds).median
  return `${label}\n  ${side('ours', result.ours)} | ${side(theirs.label, result.theirs)} | ratio ${ratio.toFixed(2)} (${result.ours.length} pairs)`
}

/** Runs a comparison and prints its line. */
export async function compare(label: string, ours: Contender, theirs: Contender): Promise<Paired> {
  const result = await paired(ours, theirs)
  process.stdout.write(`${pairedRow(label, theirs, result)}\n`)
  return result
}

/** A contender that runs one command with the same arguments every time. */
export function command(
  label: string,
  program: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  okCodes: readonly number[] = [0],
): Contender {
  return { label, run: () => measure(program, args, env, okCodes) }
}

/** Two measurements run one after the other, counted as one (kubectl describe + top for one usage view). */
export function sequence(label: string, parts: Contender[]): Contender {
  return {
    label,
    run: async () => {
      let total: Measurement = { seconds: 0, cpuSeconds: 0, peakMb: 0, code: 0 }
      for (const part of parts) {
        const m = await part.run()
        total = {
          seconds: total.seconds + m.seconds,
          cpuSeconds: total.cpuSeconds + m.cpuSeconds,
          peakMb: Math.max(total.peakMb, m.peakMb),
          code: total.code || m.code,
        }
      }
      return total
    },
  }
}
