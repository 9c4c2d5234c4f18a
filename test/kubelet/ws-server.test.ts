import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { unmaskWords } from './ws-server.ts'

/** What RFC 6455 5.3 says, one byte at a time: the reference the word-at-a-time version must match. */
function unmaskBytes(buffer: Buffer, mask: Buffer): void {
  for (let i = 0; i < buffer.length; i++) buffer[i] = (buffer[i] as number) ^ (mask[i % 4] as number)
}

describe('unmaskWords', () => {
  it('matches byte-by-byte unmasking at every start alignment and for short, odd and long lengths', () => {
    const mask = Buffer.from([0x12, 0x9a, 0xfe, 0x01])
    const backing = randomBytes(70_000)
    for (const offset of [0, 1, 2, 3, 5, 6, 7]) {
      for (const length of [0, 1, 2, 3, 4, 5, 7, 8, 31, 32, 33, 1023, 65_536]) {
        const ours = Buffer.from(backing).subarray(offset, offset + length)
        const theirs = Buffer.from(backing.subarray(offset, offset + length))
        unmaskWords(ours, mask)
        unmaskBytes(theirs, mask)
        expect(ours.equals(theirs), `offset ${offset}, length ${length}`).toBe(true)
      }
    }
  })

  it('leaves the bytes around the payload alone', () => {
    const backing = Buffer.alloc(64, 0xaa)
    unmaskWords(backing.subarray(3, 61), Buffer.from([1, 2, 3, 4]))
    expect([...backing.subarray(0, 3)]).toEqual([0xaa, 0xaa, 0xaa])
    expect([...backing.subarray(61)]).toEqual([0xaa, 0xaa, 0xaa])
    expect(backing[3]).toBe(0xaa ^ 1)
    expect(backing[4]).toBe(0xaa ^ 2)
  })
})
