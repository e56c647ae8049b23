/** Bit-level writer and reader over a Uint8Array, most significant bit first. Pure, no I/O. */

export class BitWriter {
  buf: Uint8Array;
  /** Number of bits written. */
  bitLen = 0;

  constructor(initialBytes = 32, reserveBytes = 0) {
    this.buf = new Uint8Array(Math.max(initialBytes, reserveBytes + 1));
    this.bitLen = reserveBytes * 8;
  }

  private grow(extraBits: number): void {
    const need = (this.bitLen + extraBits + 7) >>> 3;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf);
    this.buf = next;
  }

  writeBit(bit: number): void {
    if (((this.bitLen + 1 + 7) >>> 3) > this.buf.length) this.grow(1);
    if (bit) this.buf[this.bitLen >>> 3]! |= 0x80 >>> (this.bitLen & 7);
    this.bitLen++;
  }

  /** Writes the low `n` bits (0 <= n <= 32) of `value`. */
  writeBits(value: number, n: number): void {
    if (n > 25) {
      this.writeBits(value >>> 16, n - 16);
      this.writeBits(value & 0xffff, 16);
      return;
    }
    if (n === 0) return;
    const pos = this.bitLen;
    if (((pos + n + 7) >>> 3) > this.buf.length) this.grow(n);
    const buf = this.buf;
    // The n bits at the top of a 32-bit word, moved right to the bit offset in the first byte:
    // offset + n <= 32, so they span at most four bytes, written whole (unwritten bits are 0).
    const offset = pos & 7;
    const word = (value << (32 - n)) >>> offset;
    const i = pos >>> 3;
    const used = offset + n;
    buf[i]! |= word >>> 24;
    if (used > 8) {
      buf[i + 1]! |= (word >>> 16) & 0xff;
      if (used > 16) {
        buf[i + 2]! |= (word >>> 8) & 0xff;
        if (used > 24) buf[i + 3]! |= word & 0xff;
      }
    }
    this.bitLen = pos + n;
  }

  /** Bytes written so far (a copy, trimmed). */
  bytes(): Uint8Array {
    return this.buf.slice(0, (this.bitLen + 7) >>> 3);
  }
}
