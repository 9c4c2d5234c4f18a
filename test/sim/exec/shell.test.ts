import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import tar from 'tar-stream'
import { describe, expect, it } from 'vitest'
import { createPodFs, type PodFs } from './podfs.ts'
import { runCommand } from './shell.ts'

/** The simulated container shell: GNU-like output and exit codes, and no way out of the pod's folders. */
function pod(): { fs: PodFs; data: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'podfs-root-'))
  const data = mkdtempSync(join(tmpdir(), 'podfs-data-'))
  const config = mkdtempSync(join(tmpdir(), 'podfs-config-'))
  writeFileSync(join(config, 'app.conf'), 'x=1\n')
  return {
    fs: createPodFs(root, [
      { mountPath: '/data', hostPath: data, readOnly: false },
      { mountPath: '/etc/app', hostPath: config, readOnly: true },
    ]),
    data,
    root,
  }
}

async function sh(
  fs: PodFs,
  argv: string[],
  stdin: string | Buffer = '',
): Promise<{ code: number; out: Buffer; err: string }> {
  const input = new PassThrough()
  input.end(stdin)
  const out = new PassThrough()
  const err = new PassThrough()
  const outChunks: Buffer[] = []
  const errChunks: Buffer[] = []
  out.on('data', (c: Buffer) => outChunks.push(c))
  err.on('data', (c: Buffer) => errChunks.push(c))
  const code = await runCommand(argv, {
    fs,
    cwd: '/',
    env: { HOME: '/root', NAME: 'world' },
    stdin: input,
    stdout: out,
    stderr: err,
  })
  return { code, out: Buffer.concat(outChunks), err: Buffer.concat(errChunks).toString() }
}

describe('shell', () => {
  it.each([
    [['echo', 'hi'], 0, 'hi\n'],
    [['sh', '-c', 'echo "hello $NAME"'], 0, 'hello world\n'],
    [['sh', '-c', "echo 'a b' | cat"], 0, 'a b\n'],
    [['sh', '-c', 'false && echo no; echo yes'], 0, 'yes\n'],
    [['sh', '-c', 'false || echo fallback'], 0, 'fallback\n'],
    [['sh', '-c', 'exit 7'], 7, ''],
    [['sh', '-c', 'echo one > /data/f; echo two >> /data/f; cat /data/f'], 0, 'one\ntwo\n'],
    [['sh', '-c', 'cat /data/missing 2>/dev/null; echo $?'], 0, '1\n'],
    [['sh', '-c', 'test -d /data && echo dir'], 0, 'dir\n'],
    [['sh', '-c', 'mkdir -p /data/a/b && ls /data/a'], 0, 'b\n'],
    [['python', 'train.py'], 127, ''],
  ] as const)('%j exits %i and prints %j', async (argv, code, out) => {
    const { fs } = pod()
    const result = await sh(fs, [...argv])
    expect(result.code).toBe(code)
    expect(result.out.toString()).toBe(out)
  })

  it('sha256sum and tail -c +N work on files and stdin', async () => {
    const { fs, data } = pod()
    writeFileSync(join(data, 'blob'), Buffer.from([1, 2, 3, 4, 5]))
    const sum = await sh(fs, ['sha256sum', '/data/blob'])
    expect(sum.out.toString()).toBe(
      `${createHash('sha256')
        .update(Buffer.from([1, 2, 3, 4, 5]))
        .digest('hex')}  /data/blob\n`,
    )
    const tail = await sh(fs, ['sh', '-c', 'cat /data/blob | tail -c +3'])
    expect([...tail.out]).toEqual([3, 4, 5])
  })

  it('refuses writes to read-only mounts and never leaves the pod through .. or symlinks', async () => {
    const { fs, data } = pod()
    const ro = await sh(fs, ['sh', '-c', 'echo x > /etc/app/app.conf'])
    expect(ro.code).not.toBe(0)
    expect(ro.err).toContain('Read-only file system')
    const up = await sh(fs, ['cat', '/data/../../../etc/passwd'])
    expect(up.code).not.toBe(0)
    symlinkSync('/etc', join(data, 'escape'))
    const link = await sh(fs, ['cat', '/data/escape/passwd'])
    expect(link.code).not.toBe(0)
    expect(link.out.length).toBe(0)
  })

  it('tar round-trips a tree with nested, empty, binary and unicode files', async () => {
    const source = pod()
    mkdirSync(join(source.data, 'tree/nested/deeper'), { recursive: true })
    const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256))
    writeFileSync(join(source.data, 'tree/nested/deeper/blob.bin'), binary)
    writeFileSync(join(source.data, 'tree/empty'), '')
    writeFileSync(join(source.data, 'tree/ünïcödé 名前.txt'), 'héllo\n')
    const packed = await sh(source.fs, ['tar', 'cf', '-', '/data/tree'])
    expect(packed.code).toBe(0)
    expect(packed.err).toContain("Removing leading `/'")
    const target = pod()
    const unpacked = await sh(target.fs, ['tar', 'xf', '-', '-C', '/data'], packed.out)
    expect(unpacked.code).toBe(0)
    expect(readFileSync(join(target.data, 'data/tree/nested/deeper/blob.bin'))).toEqual(binary)
    expect(readFileSync(join(target.data, 'data/tree/empty'))).toEqual(Buffer.alloc(0))
    expect(readFileSync(join(target.data, 'data/tree/ünïcödé 名前.txt'), 'utf8')).toBe('héllo\n')
  })

  it('tar extraction rejects members that climb out of the target', async () => {
    const pack = tar.pack()
    pack.entry({ name: '../evil.txt' }, 'owned')
    pack.entry({ name: 'fine.txt' }, 'ok')
    pack.finalize()
    const chunks: Buffer[] = []
    for await (const chunk of pack) chunks.push(chunk as Buffer)
    const target = pod()
    const result = await sh(target.fs, ['tar', 'xf', '-', '-C', '/data'], Buffer.concat(chunks))
    expect(result.code).toBe(2)
    expect(result.err).toContain("Member name contains '..'")
    expect(readFileSync(join(target.data, 'fine.txt'), 'utf8')).toBe('ok')
  })
})
