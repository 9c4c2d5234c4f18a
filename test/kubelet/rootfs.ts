import { execFileSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { RootfsKind } from './images.ts'

/**
 * Root file systems. Each container gets its own writable root folder on the host (bound at / in its sandbox, shared
 * by exec sandboxes into it, gone with the pod); the image's programs are bound over it read-only:
 * - busybox: one shared folder per runtime holding Debian's /bin/busybox and one symlink per applet at the path
 *   `busybox --list-full` names, so a program busybox lacks is missing, as in a real busybox pod;
 * - gnu: the host's /usr read-only, with /bin, /sbin, /lib and /lib64 as the usual symlinks into it.
 */
export const BUSYBOX = '/bin/busybox'

/** Builds the shared busybox tree once per runtime; returns the folders to bind read-only. */
export function busyboxTree(runtimeDir: string): { hostPath: string; path: string }[] {
  const root = join(runtimeDir, 'images', 'busybox')
  const dirs = ['bin', 'sbin', 'usr/bin', 'usr/sbin']
  if (!existsSync(join(root, '.ready'))) {
    for (const d of dirs) mkdirSync(join(root, d), { recursive: true })
    copyFileSync(BUSYBOX, join(root, 'bin/busybox'))
    chmodSync(join(root, 'bin/busybox'), 0o755)
    const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean)
    for (const applet of applets) {
      const target = join(root, applet)
      if (applet === 'bin/busybox' || existsSync(target)) continue
      mkdirSync(dirname(target), { recursive: true })
      symlinkSync('/bin/busybox', target)
    }
    writeFileSync(join(root, '.ready'), '')
  }
  return dirs.map((d) => ({ hostPath: join(root, d), path: `/${d}` }))
}

/**
 * A distroless-like image: no shell, no tar, no coreutils; only /bin/sleep (busybox, run under that name) stands in
 * for the image's one program so the pod keeps running. Builds once per runtime; returns the folder to bind.
 */
export function minimalTree(runtimeDir: string): { hostPath: string; path: string }[] {
  const root = join(runtimeDir, 'images', 'minimal')
  if (!existsSync(join(root, '.ready'))) {
    mkdirSync(join(root, 'bin'), { recursive: true })
    copyFileSync(BUSYBOX, join(root, 'bin/sleep'))
    chmodSync(join(root, 'bin/sleep'), 0o755)
    writeFileSync(join(root, '.ready'), '')
  }
  return [{ hostPath: join(root, 'bin'), path: '/bin' }]
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'
const GROUP = 'root:x:0:\nnogroup:x:65534:\n'

/** Makes a container's writable root: /etc basics, /tmp, /root, and for gnu the /bin → usr/bin style symlinks. */
export function prepareContainerRoot(dir: string, kind: RootfsKind, hostname: string): void {
  if (existsSync(join(dir, 'etc', 'hostname'))) return
  for (const d of ['etc', 'root', 'tmp', 'proc', 'dev', 'var/tmp', 'usr']) mkdirSync(join(dir, d), { recursive: true })
  chmodSync(join(dir, 'tmp'), 0o1777)
  writeFileSync(join(dir, 'etc/passwd'), PASSWD)
  writeFileSync(join(dir, 'etc/group'), GROUP)
  writeFileSync(join(dir, 'etc/hostname'), `${hostname}\n`)
  writeFileSync(join(dir, 'etc/hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.1.1\t${hostname}\n`)
  writeFileSync(join(dir, 'etc/resolv.conf'), '')
  if (kind === 'gnu') {
    for (const [link, target] of [
      ['bin', 'usr/bin'],
      ['sbin', 'usr/sbin'],
      ['lib', 'usr/lib'],
      ['lib64', 'usr/lib64'],
    ] as const)
      if (!existsSync(join(dir, link))) symlinkSync(target, join(dir, link))
    writeFileSync(join(dir, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files\n')
  } else {
    for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin']) mkdirSync(join(dir, d), { recursive: true })
  }
}

/** Host files a gnu root needs from /etc (alternatives behind awk and friends, the dynamic loader's cache). */
export function gnuEtcBinds(): { hostPath: string; path: string }[] {
  return ['/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d']
    .filter((p) => existsSync(p))
    .map((p) => ({ hostPath: p, path: p }))
}
