import { spawn } from 'node:child_process'

/** What a finished child process left behind. */
export interface RunResult {
  code: number
  stdout: string
  stderr: string
  stdoutBytes: Buffer
}

/** Runs a command to completion with captured output; stdin closed unless given. */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const stdoutBytes = Buffer.concat(out)
      resolve({
        code: code ?? (signal === null ? 1 : 128),
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
      })
    })
    child.stdin.end(options.input)
  })
}

/** The real kubectl on PATH against a given kubeconfig, with HOME isolated so ~/.kube never leaks in. */
export function kubectl(
  kubeconfig: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {},
): Promise<RunResult> {
  return run('kubectl', args, {
    ...options,
    env: {
      ...process.env,
      KUBECONFIG: kubeconfig,
      HOME: process.env.KUBECTL_SUITE_TEST_HOME ?? '/nonexistent',
      ...options.env,
    },
  })
}

/** A word as a POSIX shell reads it back: bare when safe, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}
