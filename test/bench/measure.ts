import { spawn } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Wall time and peak RSS of one command, measured by GNU time so kubectl and our tools are measured alike. */
export interface Measurement {
  seconds: number
  peakMb: number
  code: number
}

export function measure(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Measurement> {
  const report = join(tmpdir(), `bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`)
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', report, command, ...args], {
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
      let peakKb = Number.NaN
      try {
        peakKb = Number.parseInt(readFileSync(report, 'utf8').trim().split('\n').pop() ?? '', 10)
        rmSync(report, { force: true })
      } catch {
        // no report: the command did not start
      }
      if (code !== 0)
        process.stderr.write(`  (${command} ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').pop()})\n`)
      resolve({ seconds, peakMb: peakKb / 1024, code: code ?? 1 })
    })
  })
}

/** Median of several runs; start-up numbers are noisy on a 2-core machine. */
export async function median(runs: number, once: () => Promise<Measurement>): Promise<Measurement> {
  const results: Measurement[] = []
  for (let i = 0; i < runs; i++) results.push(await once())
  results.sort((a, b) => a.seconds - b.seconds)
  return results[Math.floor(results.length / 2)] as Measurement
}

export function row(label: string, ours: Measurement, theirs: Measurement, theirLabel: string): string {
  const ratio = ours.seconds / theirs.seconds
  return `${label.padEnd(44)} ours ${ours.seconds.toFixed(3)}s ${ours.peakMb.toFixed(0).padStart(5)} MB | ${theirLabel} ${theirs.seconds.toFixed(3)}s ${theirs.peakMb.toFixed(0).padStart(5)} MB | ratio ${ratio.toFixed(2)}`
}
