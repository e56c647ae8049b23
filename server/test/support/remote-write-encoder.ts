import { writeFloat64LE } from "#server/platform/staleness.ts";

/** Builds remote_write 1.0 WriteRequest bytes for tests and benchmarks (the decoder's counterpart). */

export interface EncodableSeries {
  labels: Record<string, string> | Array<[string, string | Uint8Array]>;
  samples: Array<{ t: number; v: number }>;
  exemplars?: number;
  histograms?: number;
}

export class ProtobufWriter {
  private chunks: number[] = [];

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.chunks.push(Number((v & 0x7fn) | 0x80n));
      v >>= 7n;
    }
    this.chunks.push(Number(v));
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  double(field: number, value: number): this {
    this.tag(field, 1);
    const view = new DataView(new ArrayBuffer(8));
    writeFloat64LE(view, 0, value);
    this.chunks.push(...new Uint8Array(view.buffer));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2).varint(value.length);
    this.chunks.push(...value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (writer: ProtobufWriter) => void): this {
    const inner = new ProtobufWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

export function encodeWriteRequest(
  series: EncodableSeries[],
  metadata: Array<{ type: number; name: string; help: string; unit?: string }> = [],
): Uint8Array {
  const request = new ProtobufWriter();
  for (const s of series) {
    request.message(1, (ts) => {
      const labels = Array.isArray(s.labels) ? s.labels : Object.entries(s.labels);
      for (const [name, value] of labels) {
        ts.message(1, (label) => {
          label.string(1, name);
          if (typeof value === "string") label.string(2, value);
          else label.bytes(2, value);
        });
      }
      for (const sample of s.samples) ts.message(2, (m) => m.double(1, sample.v).tag(2, 0).varint(sample.t));
      for (let i = 0; i < (s.exemplars ?? 0); i++) ts.message(3, (e) => e.double(2, 1));
      for (let i = 0; i < (s.histograms ?? 0); i++) ts.message(4, (h) => h.tag(1, 0).varint(1));
    });
  }
  for (const m of metadata) {
    request.message(3, (md) => {
      md.tag(1, 0).varint(m.type).string(2, m.name).string(4, m.help);
      if (m.unit !== undefined) md.string(5, m.unit);
    });
  }
  return request.finish();
}
