import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KubeObject } from '../sim/object.ts'
import { REPO_ROOT } from './plugins.ts'
import { type RunResult, run } from './run.ts'

/** Harness for kubectl mrun tests: the plugin from source in a child, with its own config dir and project folder. */
export interface MrunHarness {
  configHome: string
  project: string
  fakeBin: string
  fakeLog: string
  env: NodeJS.ProcessEnv
  /** Removes the harness's folders. */
  cleanup(): void
  mrun(args: readonly string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string }): Promise<RunResult>
}

/**
 * Recording fakes of docker, podman and buildah (no container engine runs here): each appends its argv to
 * $MRUN_FAKE_LOG; `build` also records the file list and Dockerfile of the context folder it was given, and marks
 * the image as present so a later `image inspect`/`image exists`/`inspect` finds it, as a real engine would. With
 * $MRUN_FAKE_REGISTRY (the simulator's registryDir) `build` copies the context there under the image's name, so the
 * simulated cluster's pods of that image run the user's code for real (test/kubelet/images.ts).
 */
function writeFakeBuilders(dir: string): void {
  for (const tool of ['docker', 'podman', 'buildah']) {
    const script = `#!/bin/sh
echo "${tool} $*" >> "$MRUN_FAKE_LOG"
marks="$MRUN_FAKE_LOG.images"
last=""
for a in "$@"; do last="$a"; done
case "$1 $2" in
  "image inspect"|"image exists"|"inspect --type")
    grep -qxF "$last" "$marks" 2>/dev/null && exit 0
    echo "Error: no such image: $last" >&2; exit 1;;
esac
if [ "$1" = build ]; then
  tag="$3"
  (cd "$last" && find . -type f | sort) > "$MRUN_FAKE_LOG.context"
  cp "$last/Dockerfile" "$MRUN_FAKE_LOG.dockerfile"
  if [ -n "$MRUN_FAKE_REGISTRY" ]; then
    image="$MRUN_FAKE_REGISTRY/$(printf %s "$tag" | tr '/:@' '___')"
    rm -rf "$image" && mkdir -p "$image" && cp -a "$last/." "$image/"
  fi
  echo "$tag" >> "$marks"
  echo "STEP 1/4: FROM base"
  exit "\${FAKE_BUILD_EXIT:-0}"
fi
echo "pushed"
exit 0
`
    writeFileSync(join(dir, tool), script)
    chmodSync(join(dir, tool), 0o755)
  }
}

export function mrunHarness(kubeconfig: string, options: { registryDir?: string } = {}): MrunHarness {
  const root = mkdtempSync(join(tmpdir(), 'mrun-test-'))
  const configHome = join(root, 'config')
  const project = join(root, 'project')
  const fakeBin = join(root, 'bin')
  const fakeLog = join(root, 'builder.log')
  for (const dir of [configHome, project, fakeBin]) mkdirSync(dir, { recursive: true })
  writeFakeBuilders(fakeBin)
  const env: NodeJS.ProcessEnv = {
    PATH: `${fakeBin}:${join(REPO_ROOT, 'node_modules/.bin')}:/usr/bin:/bin`,
    HOME: root,
    XDG_CONFIG_HOME: configHome,
    KUBECONFIG: kubeconfig,
    MRUN_FAKE_LOG: fakeLog,
    ...(options.registryDir === undefined ? {} : { MRUN_FAKE_REGISTRY: options.registryDir }),
  }
  return {
    configHome,
    project,
    fakeBin,
    fakeLog,
    env,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
    mrun: (args, options = {}) =>
      run(join(REPO_ROOT, 'node_modules/.bin/node'), [join(REPO_ROOT, 'plugins/mrun/main.ts'), ...args], {
        env: { ...env, ...options.env },
        cwd: options.cwd ?? project,
        timeoutMs: options.env?.T ? 8000 : 60_000,
      }),
  }
}

/**
 * A Job labelled as `kubectl mrun run` labels its runs, suspended so it never starts a pod: a run for tests that
 * only list, complete or resolve runs by name.
 */
export function suspendedMrunJob(namespace: string, name: string, experiment: string): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'kubectl-mrun', 'mrun/experiment': experiment, 'mrun/run-id': name },
    },
    spec: {
      suspend: true,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'x' }] } },
    },
  }
}
