import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from '../support/plugins.ts'
import { startSimChild } from '../support/sim-child.ts'
import { type Contender, command, compare, type Measurement, measure, type Paired, QUICK, spread } from './measure.ts'

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

/** Throughput of each side's median run. */
function rates(megabytes: number, result: Paired): string {
  const rate = (runs: Measurement[]): string => `${(megabytes / spread(runs, (m) => m.seconds).median).toFixed(0)} MB/s`
  return `  throughput: ours ${rate(result.ours)}, kubectl cp ${rate(result.theirs)}`
}

/** A run that writes into a fresh local path, removed afterwards so every run starts from the same state. */
function intoFreshPath(label: string, dir: string, run: (target: string) => Promise<Measurement>): Contender {
  let n = 0
  return {
    label,
    run: async () => {
      const target = join(dir, `${label.replace(/\W+/g, '-')}-${n++}`)
      try {
        return await run(target)
      } finally {
        rmSync(target, { recursive: true, force: true })
      }
    },
  }
}

export async function benchPvclaim(baseEnv: NodeJS.ProcessEnv): Promise<void> {
  const megabytes = Number(process.env.BENCH_TRANSFER_MB ?? (QUICK ? '256' : '1024'))
  process.stdout.write(`\n== pvclaim: a ${megabytes} MiB file through pod exec ==\n`)
  const dir = mkdtempSync(join(tmpdir(), 'bench-pvclaim-'))
  const sim = await startSimChild([])
  try {
    const env = { ...baseEnv, KUBECONFIG: sim.kubeconfigs.admin as string }
    const entry = join(REPO_ROOT, 'plugins/pvclaim/main.ts')
    const big = join(dir, 'big.bin')
    await writeRandomFile(big, megabytes)
    const ns = ['-n', 'ml-team']
    const up = await compare(
      'pvclaim upload',
      command('ours', process.execPath, [entry, 'upload', 'results', big, '--overwrite', ...ns], env),
      command('kubectl cp to pod', 'kubectl', ['cp', big, 'ml-team/results-browser:/data/big-kubectl.bin'], env),
    )
    process.stdout.write(`${rates(megabytes, up)}\n`)
    const cpDown = intoFreshPath('kubectl cp from pod', dir, (target) =>
      measure('kubectl', ['cp', 'ml-team/results-browser:/data/big.bin', target], env),
    )
    const down = await compare(
      'pvclaim download',
      intoFreshPath('ours', dir, (target) =>
        measure(process.execPath, [entry, 'download', 'results', 'big.bin', target, ...ns], env),
      ),
      cpDown,
    )
    process.stdout.write(`${rates(megabytes, down)}\n`)
    const verified = await compare(
      'pvclaim download --verify (kubectl cp has no check)',
      intoFreshPath('ours-verify', dir, (target) =>
        measure(process.execPath, [entry, 'download', 'results', 'big.bin', target, '--verify', ...ns], env),
      ),
      cpDown,
    )
    process.stdout.write(`${rates(megabytes, verified)}\n`)
  } finally {
    await sim.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
