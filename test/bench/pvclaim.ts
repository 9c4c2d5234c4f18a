import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from '../support/plugins.ts'
import { startSimChild } from '../support/sim-child.ts'
import { type Measurement, measure, row } from './measure.ts'

/**
 * Moving a large file (BENCH_TRANSFER_MB, default 1024) in and out of a claim through pod exec: pvclaim against
 * `kubectl cp` from the same pod on the same simulated cluster, with throughput.
 */
async function writeRandomFile(path: string, megabytes: number): Promise<void> {
  const out = createWriteStream(path)
  const chunk = randomBytes(1024 * 1024)
  for (let i = 0; i < megabytes; i++) if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve))
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
}

const rate = (megabytes: number, m: Measurement): string => `${(megabytes / m.seconds).toFixed(0)} MB/s`

export async function benchPvclaim(baseEnv: NodeJS.ProcessEnv): Promise<void> {
  const megabytes = Number(process.env.BENCH_TRANSFER_MB ?? '1024')
  process.stdout.write(`\n== pvclaim: a ${megabytes} MiB file through pod exec ==\n`)
  const dir = mkdtempSync(join(tmpdir(), 'bench-pvclaim-'))
  const sim = await startSimChild([])
  try {
    const env = { ...baseEnv, KUBECONFIG: sim.kubeconfigs.admin as string }
    const entry = join(REPO_ROOT, 'plugins/pvclaim/main.ts')
    const big = join(dir, 'big.bin')
    await writeRandomFile(big, megabytes)
    const up = await measure(process.execPath, [entry, 'upload', 'results', big, '-n', 'ml-team'], env)
    const cpUp = await measure('kubectl', ['cp', big, 'ml-team/results-browser:/data/big-kubectl.bin'], env)
    process.stdout.write(
      `${row(`pvclaim upload (${rate(megabytes, up)})`, up, cpUp, `kubectl cp to pod (${rate(megabytes, cpUp)})`)}\n`,
    )
    const down = await measure(
      process.execPath,
      [entry, 'download', 'results', 'big.bin', join(dir, 'ours'), '-n', 'ml-team'],
      env,
    )
    const cpDown = await measure(
      'kubectl',
      ['cp', 'ml-team/results-browser:/data/big.bin', join(dir, 'theirs.bin')],
      env,
    )
    process.stdout.write(
      `${row(`pvclaim download (${rate(megabytes, down)})`, down, cpDown, `kubectl cp from pod (${rate(megabytes, cpDown)})`)}\n`,
    )
    const verified = await measure(
      process.execPath,
      [entry, 'download', 'results', 'big.bin', join(dir, 'verified'), '-n', 'ml-team', '--verify'],
      env,
    )
    process.stdout.write(
      `${row(`pvclaim download --verify (${rate(megabytes, verified)})`, verified, cpDown, 'kubectl cp from pod (no check)')}\n`,
    )
  } finally {
    await sim.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
