import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoScenario } from '../sim/scenario/demo.ts'
import { type Sim, startSim } from '../sim/sim.ts'
import { type MrunHarness, mrunHarness } from '../support/mrun.ts'
import { pluginBinDir, pluginPath } from '../support/plugins.ts'
import { kubectl } from '../support/run.ts'

/**
 * A real Python sweep through real kubectl plugin dispatch: train.py is built into an image (the recording docker
 * "pushes" the context into the simulator's registry), and each of the three points runs it for real on the host's
 * python3 in a sandbox (test/kubelet/images.ts). Two points write $MRUN_OUTPUT_DIR/metrics.json on the storage
 * claim; the third only prints its metrics as a JSON log line. `kubectl mrun results` shows all three.
 */
let sim: Sim
let config: string
let h: MrunHarness
let env: NodeJS.ProcessEnv
const NS = 'mrun-results'

const TRAIN = `import json, os, sys, time
params = json.loads(os.environ["MRUN_PARAMS"])
lr = float(params["lr"])
loss = round(1 / (1 + 100 * lr), 4)
metrics = {"loss": loss, "acc": round(1 - loss, 4), "epochs": int(params["epochs"])}
print(f"training with lr={lr}", flush=True)
time.sleep(1.5)  # long enough for a duration to show
if lr == 0.001:
    # This point keeps no files: its metrics are its last JSON log line.
    print(json.dumps(metrics))
else:
    out = os.environ["MRUN_OUTPUT_DIR"]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump({"loss": 9.9}, f)  # an early epoch, rewritten below: the last object counts
        f.write("\\n")
        json.dump(metrics, f)
        f.write("\\n")
print("done")
`

beforeAll(async () => {
  sim = await startSim({ scenario: demoScenario(), runContainers: true })
  config = sim.writeKubeconfig({ user: 'admin' })
  h = mrunHarness(config, { registryDir: sim.registryDir })
  writeFileSync(join(h.project, 'train.py'), TRAIN)
  // The recording builders first: this machine may have a real docker client without a daemon.
  env = { ...h.env, PATH: `${h.fakeBin}:${pluginPath(pluginBinDir())}` }
  const added = await kubectl(
    config,
    ['mrun', 'profile', 'add', 'lab', '-n', NS, '--registry', 'reg.example.com/team'],
    {
      env,
    },
  )
  expect(added.code, added.stderr).toBe(0)
}, 120_000)

afterAll(async () => {
  await sim.stop()
  h.cleanup()
})

const mrun = async (args: string[]) => {
  // The plugin runs in the project folder, as a researcher runs it: kubectl passes its cwd on.
  const { run } = await import('../support/run.ts')
  return run('kubectl', ['mrun', ...args], {
    cwd: h.project,
    env: { ...process.env, ...env, HOME: h.env.HOME as string },
    timeoutMs: 120_000,
  })
}

describe('kubectl mrun results', () => {
  let name = ''

  it('a three-point Python sweep runs to the end', async () => {
    const run = await mrun([
      'run',
      '--name',
      'lr-sweep',
      '--grid',
      'lr=0.1,0.01,0.001',
      '--grid',
      'epochs=3',
      '--wait',
      '--',
      'train.py',
    ])
    expect(run.code, run.stderr).toBe(0)
    name = /job\.batch\/(\S+)/.exec(run.stdout)?.[1] ?? ''
    expect(name).toMatch(/^lr-sweep-/)
  }, 120_000)

  it('shows each point with its parameters, state, duration and metrics, best loss first', async () => {
    const result = await mrun(['results', 'lr-sweep', '--sort-by', 'loss'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toBe(`run ${name} in ${NS}: succeeded; 3 of 3 points reported metrics\n`)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^INDEX +lr +epochs +STATE +DURATION +loss +acc$/)
    const cells = lines.slice(1).map((line) => line.trim().split(/ +/))
    expect(cells.map((c) => [c[0], c[1], c[2], c[3], c[5], c[6]])).toEqual([
      ['0', '0.1', '3', 'succeeded', '0.0909', '0.9091'],
      ['1', '0.01', '3', 'succeeded', '0.5', '0.5'],
      ['2', '0.001', '3', 'succeeded', '0.9091', '0.0909'],
    ])
    for (const c of cells) expect(c[4]).toMatch(/^\d+s$/)
    process.stdout.write(`\n$ kubectl mrun results lr-sweep --sort-by loss\n${result.stderr}${result.stdout}`)
  })

  it('-o json says where each point’s metrics came from; -o csv and jsonpath read the same rows', async () => {
    const json = await mrun(['results', name, '-o', 'json'])
    expect(json.code, json.stderr).toBe(0)
    const doc = JSON.parse(json.stdout) as {
      kind: string
      items: { index: number; params: Record<string, unknown>; metrics: Record<string, unknown>; source: string }[]
    }
    expect(doc.kind).toBe('RunResults')
    expect(doc.items.map((i) => [i.index, i.params, i.metrics, i.source])).toEqual([
      [0, { epochs: 3, lr: 0.1 }, { loss: 0.0909, acc: 0.9091, epochs: 3 }, 'metrics.json'],
      [1, { epochs: 3, lr: 0.01 }, { loss: 0.5, acc: 0.5, epochs: 3 }, 'metrics.json'],
      [2, { epochs: 3, lr: 0.001 }, { loss: 0.9091, acc: 0.0909, epochs: 3 }, 'log'],
    ])
    const csv = await mrun(['results', name, '-o', 'csv', '--sort-by', 'acc', '--desc'])
    expect(csv.stdout.split('\n')[0]).toBe('index,lr,epochs,state,duration_seconds,loss,acc,exit_code,reason,source')
    expect(
      csv.stdout
        .split('\n')
        .slice(1, 4)
        .map((l) => l.split(',')[0]),
    ).toEqual(['0', '1', '2'])
    const path = await mrun(['results', name, '-o', 'jsonpath={range .items[*]}{.index}={.metrics.loss}{"\\n"}{end}'])
    expect(path.stdout).toBe('0=0.0909\n1=0.5\n2=0.9091\n')
    const columns = await mrun(['results', name, '-o', 'custom-columns=LR:.params.lr,LOSS:.metrics.loss'])
    expect(columns.stdout.split('\n').map((l) => l.trim().split(/ +/))).toEqual([
      ['LR', 'LOSS'],
      ['0.1', '0.0909'],
      ['0.01', '0.5'],
      ['0.001', '0.9091'],
      [''],
    ])
  })

  it('an unknown --sort-by names the metrics and parameters there are (exit 2)', async () => {
    const result = await mrun(['results', name, '--sort-by', 'accuracy'])
    expect(result.code).toBe(2)
    expect(result.stderr.split('\n').slice(0, 2)).toEqual([
      'error: invalid --sort-by "accuracy": no metric, parameter or column of that name',
      'hint: sort by one of: loss, acc, lr, epochs, index, state, duration',
    ])
  })
})
