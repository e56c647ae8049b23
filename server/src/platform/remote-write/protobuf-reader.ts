/**
 * The few protobuf wire-format primitives remote_write needs, reading straight from the
 * request bytes (no intermediate message objects). Throws ProtobufError on malformed input.
 */
export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtobufError";
  }
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

export class ProtobufReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  position: number;
  /** Reading stops here; narrowed while a nested message is read (see enter/leave). */
  end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.position = start;
    this.end = end;
  }

  done(): boolean {
    return this.position >= this.end;
  }

  /** An unsigned varint as a number; exact up to 2^53, which covers field tags and lengths. */
  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.position >= this.end) throw new ProtobufError("truncated varint");
      const byte = this.bytes[this.position++] ?? 0;
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
    throw new ProtobufError("varint longer than 10 bytes");
  }

  /** A varint read as a two's-complement int64 (protobuf `int64`), e.g. a millisecond timestamp. */
  int64(): number {
    const start = this.position;
    const unsigned = this.varint();
    if (unsigned < 2 ** 63) return unsigned;
    // Negative values are encoded as 10-byte varints; re-read exactly with BigInt.
    let value = 0n;
    let shift = 0n;
    for (let i = start; i < this.position; i++) {
      value |= BigInt((this.bytes[i] ?? 0) & 0x7f) << shift;
      shift += 7n;
    }
    return Number(BigInt.asIntN(64, value));
  }

  double(): number {
    if (this.position + 8 > this.end) throw new ProtobufError("truncated double");
    const value = this.view.getFloat64(this.position, true);
    this.position += 8;
    return value;
  }

  /**
   * Steps into a length-delimited field: reading is limited to its content until `leave`
   * is called with the returned outer end. No objects are allocated per field.
   */
  enter(): number {
    const length = this.varint();
    const end = this.position + length;
    if (end > this.end) throw new ProtobufError("length-delimited field runs past the end of its message");
    const outer = this.end;
    this.end = end;
    return outer;
  }

  leave(outer: number): void {
    this.position = this.end;
    this.end = outer;
  }

  /** Bounds of a length-delimited field; the caller reads or skips it. */
  lengthDelimited(): { start: number; end: number } {
    const length = this.varint();
    const start = this.position;
    const end = start + length;
    if (end > this.end) throw new ProtobufError("length-delimited field runs past the end of its message");
    this.position = end;
    return { start, end };
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LENGTH_DELIMITED:
        this.lengthDelimited();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        throw new ProtobufError(`unsupported wire type ${wireType}`);
    }
  }

  private advance(count: number): void {
    if (this.position + count > this.end) throw new ProtobufError("truncated field");
    this.position += count;
  }
}
