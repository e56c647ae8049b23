/**
 * Byte layout helpers for detector snapshots. Every number is written exactly as it is held in
 * memory (float64 scalars, float32 profiles and values kept rounded to float32, u8/u16/u32 for
 * counters whose bounds are known), so a restored detector continues bit-identically.
 */
export class StateWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private pos = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  u8(x: number): void {
    this.view.setUint8(this.pos, x);
    this.pos += 1;
  }

  u16(x: number): void {
    this.view.setUint16(this.pos, x, true);
    this.pos += 2;
  }

  u32(x: number): void {
    this.view.setUint32(this.pos, x, true);
    this.pos += 4;
  }

  f64(x: number): void {
    this.view.setFloat64(this.pos, x, true);
    this.pos += 8;
  }

  /** x must already be a float32 value (Math.fround), or the restored state would differ. */
  f32(x: number): void {
    this.view.setFloat32(this.pos, x, true);
    this.pos += 4;
  }

  f64s(xs: Float64Array, count: number): void {
    for (let i = 0; i < count; i++) this.f64(xs[i]!);
  }

  f32s(xs: Float32Array): void {
    for (let i = 0; i < xs.length; i++) {
      this.view.setFloat32(this.pos, xs[i]!, true);
      this.pos += 4;
    }
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.pos);
  }
}

export class StateReader {
  private readonly view: DataView;
  private pos = 0;

  constructor(bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u8(): number {
    const x = this.view.getUint8(this.pos);
    this.pos += 1;
    return x;
  }

  u16(): number {
    const x = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return x;
  }

  u32(): number {
    const x = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return x;
  }

  f64(): number {
    const x = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return x;
  }

  f32(): number {
    const x = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return x;
  }

  f64s(into: Float64Array, count: number): void {
    for (let i = 0; i < count; i++) into[i] = this.f64();
  }

  f32s(into: Float32Array): void {
    for (let i = 0; i < into.length; i++) {
      into[i] = this.view.getFloat32(this.pos, true);
      this.pos += 4;
    }
  }

  get remaining(): number {
    return this.view.byteLength - this.pos;
  }
}
