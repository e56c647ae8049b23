/**
 * A fast remote_write 1.0 WriteRequest encoder for the scenario suite (the general test encoder
 * builds byte by byte; this one writes columns straight into one buffer). Same wire format:
 * WriteRequest{1: TimeSeries{1: Label{1: name, 2: value}, 2: Sample{1: double, 2: int64 ms}}}.
 */

export interface ColumnSeries {
  labels: Readonly<Record<string, string>>;
  t: readonly number[];
  v: readonly number[];
}

const varintSize = (n: number): number => {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
};

/** Encodes samples [from, to) of every series. */
export function encodeColumns(series: readonly ColumnSeries[], from: number, to: number): Uint8Array {
  const encoder = new TextEncoder();
  const parts = series.map((s) => {
    const labels = Object.entries(s.labels).map(([name, value]) => {
      const n = encoder.encode(name);
      const v = encoder.encode(value);
      const inner = 1 + varintSize(n.length) + n.length + 1 + varintSize(v.length) + v.length;
      return { n, v, inner };
    });
    const end = Math.min(to, s.t.length);
    let samplesSize = 0;
    for (let i = from; i < end; i++) {
      const inner = 9 + 1 + varintSize(s.t[i]!);
      samplesSize += 1 + varintSize(inner) + inner;
    }
    const labelsSize = labels.reduce((sum, l) => sum + 1 + varintSize(l.inner) + l.inner, 0);
    return { s, labels, end, size: labelsSize + samplesSize };
  });
  const total = parts.reduce((sum, p) => sum + 1 + varintSize(p.size) + p.size, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  const varint = (n: number) => {
    while (n >= 128) {
      out[at++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    out[at++] = n;
  };
  const bytes = (field: number, b: Uint8Array) => {
    out[at++] = (field << 3) | 2;
    varint(b.length);
    out.set(b, at);
    at += b.length;
  };
  for (const p of parts) {
    out[at++] = (1 << 3) | 2;
    varint(p.size);
    for (const l of p.labels) {
      out[at++] = (1 << 3) | 2;
      varint(l.inner);
      bytes(1, l.n);
      bytes(2, l.v);
    }
    for (let i = from; i < p.end; i++) {
      const t = p.s.t[i]!;
      out[at++] = (2 << 3) | 2;
      varint(9 + 1 + varintSize(t));
      out[at++] = (1 << 3) | 1;
      view.setFloat64(at, p.s.v[i]!, true);
      at += 8;
      out[at++] = 2 << 3;
      varint(t);
    }
  }
  if (at !== total) throw new Error(`encoded ${at} bytes, expected ${total}`);
  return out;
}
