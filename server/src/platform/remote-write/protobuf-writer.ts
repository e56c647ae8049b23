import { writeFloat64LE } from "#server/platform/staleness.ts";

const utf8 = new TextEncoder();

/**
 * Protobuf wire-format writer into one growing buffer. Nested messages are written by
 * reserving their length prefix afterwards (`beginMessage`/`endMessage`), so no
 * intermediate buffers are built per message.
 */
export class ProtobufWriter {
  private buffer = new Uint8Array(4096);
  private view = new DataView(this.buffer.buffer);
  private length = 0;
  private readonly openMessages: number[] = [];

  varint(value: number): this {
    this.ensure(10);
    let v = value;
    while (v >= 0x80) {
      this.buffer[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.length++] = v;
    return this;
  }

  /** A protobuf int64: negative values as 10-byte two's complement. */
  int64(value: number): this {
    if (value >= 0) return this.varint(value);
    let v = BigInt.asUintN(64, BigInt(value));
    this.ensure(10);
    while (v >= 0x80n) {
      this.buffer[this.length++] = Number((v & 0x7fn) | 0x80n);
      v >>= 7n;
    }
    this.buffer[this.length++] = Number(v);
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  double(field: number, value: number): this {
    this.tag(field, 1);
    this.ensure(8);
    writeFloat64LE(this.view, this.length, value);
    this.length += 8;
    return this;
  }

  string(field: number, value: string): this {
    const bytes = utf8.encode(value);
    this.tag(field, 2).varint(bytes.length);
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  /** Starts a length-delimited sub-message; its length is filled in by endMessage. */
  beginMessage(field: number): this {
    this.tag(field, 2);
    // Reserve 5 bytes: enough for any message under 2^35 bytes.
    this.ensure(5);
    this.openMessages.push(this.length);
    this.length += 5;
    return this;
  }

  endMessage(): this {
    const start = this.openMessages.pop();
    if (start === undefined) throw new Error("endMessage without beginMessage");
    const bodyStart = start + 5;
    const size = this.length - bodyStart;
    // Write the length as a padded 5-byte varint, which protobuf decoders accept.
    let v = size;
    for (let i = 0; i < 4; i++) {
      this.buffer[start + i] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[start + 4] = v;
    return this;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }
}
