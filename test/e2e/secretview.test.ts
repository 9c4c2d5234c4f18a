import { describe, expect, it } from 'vitest'
import { useDemoE2e } from '../support/e2e-demo.ts'
import { kubectl } from '../support/run.ts'

/** `kubectl secretview` found and run by real kubectl plugin dispatch. */
const bed = useDemoE2e()

describe('kubectl secretview through kubectl', () => {
  it('lists the namespace’s secrets with type notes and no values', async () => {
    const result = await kubectl(bed.admin, ['secretview', '--all'], { env: bed.env })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^NAME +TYPE +KEYS +AGE +NOTES\n/)
    expect(result.stdout).toMatch(/^trainer-api-tls +kubernetes\.io\/tls +3 +\S+ +cert expires in 1[12]d/m)
    expect(result.stdout).not.toMatch(/S3cr3t|hunter2|rob0t/)
  })

  it('prints one binary value byte for byte into a pipe', async () => {
    const result = await kubectl(bed.admin, ['secretview', 'db-credentials', 'blob.bin'], { env: bed.env })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdoutBytes).toEqual(Buffer.from([0, 159, 146, 150, 255, 1, 2]))
  })

  it('passes exit codes through kubectl: 10 when check finds something, 7 for a missing secret', async () => {
    expect((await kubectl(bed.admin, ['secretview', 'check'], { env: bed.env })).code).toBe(10)
    const missing = await kubectl(bed.admin, ['secretview', 'nope'], { env: bed.env })
    expect(missing.code).toBe(7)
    expect(missing.stderr.split('\n')[0]).toBe('error: secret "nope" not found in namespace "ml-team"')
  })
})
