/** An in-memory `SeriesSource` (tests, conformance runner, and a prefetch cache for the service). */
import { matches } from "#server/modules/query/promql/labels.ts";
import { compileRegex } from "#server/modules/query/promql/parser.ts";
import type { Labels, SeriesSource, SourceSeries } from "#server/modules/query/promql/types.ts";

export interface MemorySource extends SeriesSource {
  /** Adds a sample; samples of a series may be appended in any order. */
  add(labels: Labels, timestamp: number, value: number): void;
  clear(): void;
}

interface Stored {
  labels: Labels;
  timestamps: Float64Array;
  /** Float64Array keeps NaN payloads (the staleness marker); number[] would canonicalise them. */
  values: Float64Array;
  length: number;
  sorted: boolean;
}

function key(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\xff${labels[k] ?? ""}`)
    .join("\xfe");
}


export function createMemorySource(): MemorySource {
  const series = new Map<string, Stored>();
  const sortSeries = (s: Stored): void => {
    if (s.sorted) return;
    const n = s.length;
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => (s.timestamps[a] ?? 0) - (s.timestamps[b] ?? 0) || a - b,
    );
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    let len = 0;
    for (const i of order) {
      const t = s.timestamps[i] ?? 0;
      // Later writes of the same timestamp win.
      if (len > 0 && ts[len - 1] === t) {
        vs[len - 1] = s.values[i] ?? NaN;
        continue;
      }
      ts[len] = t;
      vs[len] = s.values[i] ?? NaN;
      len++;
    }
    s.timestamps = ts;
    s.values = vs;
    s.length = len;
    s.sorted = true;
  };
  return {
    add(labels, timestamp, value) {
      const k = key(labels);
      let s = series.get(k);
      if (!s) {
        s = { labels, timestamps: new Float64Array(8), values: new Float64Array(8), length: 0, sorted: true };
        series.set(k, s);
      }
      if (s.length === s.timestamps.length) {
        const ts = new Float64Array(s.length * 2);
        const vs = new Float64Array(s.length * 2);
        ts.set(s.timestamps);
        vs.set(s.values);
        s.timestamps = ts;
        s.values = vs;
      }
      const last = s.length > 0 ? s.timestamps[s.length - 1] : undefined;
      if (last !== undefined && timestamp <= last) s.sorted = false;
      s.timestamps[s.length] = timestamp;
      s.values[s.length] = value;
      s.length++;
    },
    clear() {
      series.clear();
    },
    select(matchers, mint, maxt): SourceSeries[] {
      const regexes = matchers.map((m) => (m.type === "=~" || m.type === "!~" ? compileRegex(m.value) : undefined));
      const out: SourceSeries[] = [];
      for (const s of series.values()) {
        if (!matchers.every((m, i) => matches(m, s.labels[m.name] ?? "", regexes[i]))) continue;
        sortSeries(s);
        void mint;
        void maxt;
        out.push({ labels: s.labels, timestamps: s.timestamps.subarray(0, s.length), values: s.values.subarray(0, s.length) });
      }
      return out;
    },
  };
}
