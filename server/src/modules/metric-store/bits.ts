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
    if (n === 0) return;
    if (((this.bitLen + n + 7) >>> 3) > this.buf.length) this.grow(n);
    const buf = this.buf;
    let pos = this.bitLen;
    let left = n;
    while (left > 0) {
      const free = 8 - (pos & 7);
      const take = free < left ? free : left;
      const shift = left - take;
      const bits = (shift >= 32 ? 0 : value >>> shift) & ((1 << take) - 1);
      buf[pos >>> 3]! |= bits << (free - take);
      pos += take;
      left -= take;
    }
    this.bitLen = pos;
  }

  /** Bytes written so far (a copy, trimmed). */
  bytes(): Uint8Array {
    return this.buf.slice(0, (this.bitLen + 7) >>> 3);
  }
}
