import { posix } from 'node:path'
import { SuiteError } from '../errors.ts'
import { HELPER_UID, type HelperPlan } from './claim-pod.ts'
import { type Remote, run } from './remote.ts'
import { remotePath, type TransferOptions } from './transfer.ts'

/**
 * Who a transfer's helper pod runs as, decided by the first helper (nobody) from what it sees in the volume: the
 * owner of what the transfer touches, so an upload's files are the folder owner's and a download reads what only its
 * owner may read. Root where that is root, with a way out when the namespace's PodSecurity refuses a root helper.
 */
export interface FolderStat {
  uid: number
  gid: number
  /** Permission bits, from stat's octal `%a`. */
  mode: number
  /** Whether the first helper (nobody) may write into the folder and enter it. */
  nobodyWrites: boolean
}

/** The upload probe's one line, `<uid> <gid> <octal mode> <0|1>`: uid and gid are decimal, only the mode is octal. */
export function readFolderStat(line: string): FolderStat | undefined {
  const match = /^(\d+) (\d+) ([0-7]+) ([01])\n?$/.exec(line)
  if (match === null) return undefined
  return {
    uid: Number.parseInt(match[1] as string, 10),
    gid: Number.parseInt(match[2] as string, 10),
    mode: Number.parseInt(match[3] as string, 8),
    nobodyWrites: match[4] === '1',
  }
}

/**
 * Who the helper of an upload runs as, asked of the first helper (nobody) in the folder the upload lands in (the
 * deepest part of the path that exists): its owner, so every file it writes is the owner's and the workload that uses
 * the folder can change and delete them. For a folder of root's that is a root helper; where PodSecurity refuses one,
 * a helper that may still write there does the upload (nobody, in the folder's group when the group may write) and
 * says whose the files are; where none could, one line names the cause and the fixes.
 */
export async function uploadIdentity(
  r: Remote,
  inVolume: string,
  options: Pick<TransferOptions, 'claim' | 'namespace'>,
): Promise<HelperPlan | undefined> {
  const result = await run(r, [
    'sh',
    '-c',
    'd="$1"; while [ ! -e "$d" ]; do d=$(dirname "$d"); done; w=0; if [ -w "$d" ] && [ -x "$d" ]; then w=1; fi; printf "%s %s\n" "$(stat -c "%u %g %a" "$d")" "$w"',
    'sh',
    remotePath(r.access, inVolume),
  ])
  const stat = result.exitCode === 0 ? readFolderStat(result.stdout.toString('utf8')) : undefined
  if (stat === undefined) return undefined
  const { uid, gid, mode, nobodyWrites } = stat
  if (uid !== 0) return { runAs: { uid, gid } }
  const folder = inVolume === '.' ? 'the volume root' : inVolume
  // Refused a root helper: nobody, in the folder's group when that group may write (an fsGroup volume), else nobody
  // where others may write; a folder of root's that neither may write into cannot take the upload.
  const groupWrites = gid !== 0 && (mode & 0o030) === 0o030
  const fallback = groupWrites
    ? { uid: HELPER_UID, gid }
    : nobodyWrites
      ? { uid: HELPER_UID, gid: HELPER_UID }
      : undefined
  return {
    runAs: { uid: 0, gid },
    whyRoot: `${folder} belongs to root`,
    ifRootRefused:
      fallback === undefined
        ? {
            error: (refusal) =>
              new SuiteError(
                'forbidden',
                `cannot upload into ${folder} of persistentvolumeclaim "${options.claim}": it belongs to root and only root may write there, and namespace "${options.namespace}" refuses a root helper pod (PodSecurity "${refusal}")`,
                {
                  hint: `give the workload's pods an fsGroup (the kubelet then gives the volume to that group), or chmod/chown the folder from a pod that runs as root, or upload through a running pod that mounts the claim and may write there`,
                },
              ),
          }
        : {
            runAs: fallback,
            warn: (refusal) =>
              `namespace "${options.namespace}" refuses a root helper pod (PodSecurity "${refusal}"): the uploaded files belong to uid ${fallback.uid} gid ${fallback.gid}, not to root, the owner of ${folder}`,
          },
  }
}

/** How many unreadable names an error lists before it says how many more there are. */
const LISTED = 5

/**
 * Who the helper of a download runs as. Nobody, when it may read every file and enter every folder of the path (one
 * exec lists what it may not, with owner and mode); else the owner of all of those when they have one owner that is
 * not root, else root (DAC override reads anything). Where PodSecurity refuses root, one line names the files that
 * cannot be read and why, and the fixes: never a download that silently leaves them out.
 */
export async function downloadIdentity(
  r: Remote,
  inVolume: string,
  options: Pick<TransferOptions, 'claim' | 'namespace'>,
): Promise<HelperPlan | undefined> {
  const source = remotePath(r.access, inVolume)
  const result = await run(r, [
    'sh',
    '-c',
    // Regular files it cannot read, folders it cannot list or enter; symlinks and special files are not sent anyway.
    'find "$1" \\( -type f -o -type d \\) -exec sh -c \'for f; do if [ -d "$f" ]; then [ -r "$f" ] && [ -x "$f" ] && continue; else [ -r "$f" ] && continue; fi; printf "%s %s\\000" "$(stat -c "%u %g %a" "$f")" "$f"; done\' sh {} + 2>/dev/null; exit 0',
    'sh',
    source,
  ])
  if (result.exitCode !== 0) return undefined
  const unreadable = result.stdout
    .toString('utf8')
    .split('\0')
    .flatMap((entry) => {
      const match = /^(\d+) (\d+) ([0-7]+) ([\s\S]*)$/.exec(entry)
      if (match === null) return []
      return [
        {
          uid: Number.parseInt(match[1] as string, 10),
          gid: Number.parseInt(match[2] as string, 10),
          mode: match[3] as string,
          path: posix.relative(r.access.mountPath, match[4] as string) || '.',
        },
      ]
    })
  if (unreadable.length === 0) return undefined
  const owners = new Set(unreadable.map((u) => u.uid))
  const only = unreadable[0] as (typeof unreadable)[number]
  if (owners.size === 1 && only.uid !== 0 && only.uid !== HELPER_UID) return { runAs: { uid: only.uid, gid: only.gid } }
  const named = unreadable
    .slice(0, LISTED)
    .map((u) => `${JSON.stringify(u.path)} (uid ${u.uid}, mode ${u.mode.padStart(4, '0')})`)
    .join(', ')
  const more = unreadable.length > LISTED ? ` and ${unreadable.length - LISTED} more` : ''
  return {
    runAs: { uid: 0, gid: 0 },
    whyRoot: `${unreadable.length} of the files or folders of ${inVolume === '.' ? 'the volume' : inVolume} are for their owners only (${named}${more})`,
    ifRootRefused: {
      error: (refusal) =>
        new SuiteError(
          'forbidden',
          `cannot read ${unreadable.length === 1 ? 'a file' : `${unreadable.length} files or folders`} of persistentvolumeclaim "${options.claim}": ${named}${more}; only their owners may, and namespace "${options.namespace}" refuses a root helper pod (PodSecurity "${refusal}")`,
          {
            hint: 'make them readable (chmod from a pod that runs as their owner), or download through a running pod that mounts the claim and may read them',
          },
        ),
    },
  }
}
