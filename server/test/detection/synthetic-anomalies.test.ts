/**
 * Injects each kind of anomaly into a realistic synthetic series (daily seasonality, Gaussian
 * noise with some autocorrelation, 1 min and 15 s steps) and checks the detector finds it (score
 * > 1) within a bounded delay, while the clean twin raises no score > 1 over a simulated week.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSeriesDetector } from "#server/modules/detection/core/index.ts";
import { seededRandom } from "#test/support/random.ts";

const DAY = 86_400_000;
const SIGMA = 2;

interface Series {
  t: number[];
  clean: number[];
}

function makeSeries(seed: number, stepMs: number, days: number): Series {
  const rnd = seededRandom(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const n = Math.round((days * DAY) / stepMs);
  const t: number[] = [];
  const clean: number[] = [];
  let ar = 0;
  for (let i = 0; i < n; i++) {
    const ts = 1_700_000_000_000 + i * stepMs;
    ar = 0.5 * ar + Math.sqrt(1 - 0.25) * gauss();
    const phase = (2 * Math.PI * (ts % DAY)) / DAY;
    t.push(ts);
    clean.push(100 + 30 * Math.sin(phase) + 8 * Math.sin(2 * phase) + SIGMA * ar);
  }
  return { t, clean };
}

type Inject = (values: number[], at: number, perMinute: number) => void;

const ANOMALIES: Record<string, { inject: Inject; maxDelayMinutes: number }> = {
  spike: { inject: (v, at) => void (v[at]! += 15 * SIGMA), maxDelayMinutes: 0 },
  dip: { inject: (v, at) => void (v[at]! -= 15 * SIGMA), maxDelayMinutes: 0 },
  "level shift": {
    inject: (v, at) => {
      for (let i = at; i < v.length; i++) v[i]! += 7 * SIGMA;
    },
    maxDelayMinutes: 10,
  },
  "trend change": {
    inject: (v, at, perMinute) => {
      for (let i = at; i < v.length; i++) v[i]! += (0.5 * SIGMA * (i - at)) / perMinute;
    },
    maxDelayMinutes: 60,
  },
  "variance change": {
    inject: (v, at) => {
      const base = v.slice();
      for (let i = at; i < v.length; i++) v[i] = base[i]! + 5 * (base[i]! - smooth(base, i));
    },
    maxDelayMinutes: 30,
  },
  "seasonal break": {
    // The daily cycle stops: the series stays at its daily mean from then on.
    inject: (v, at) => {
      const base = v.slice();
      for (let i = at; i < v.length; i++) v[i] = 100 + (base[i]! - smooth(base, i));
    },
    maxDelayMinutes: 60,
  },
  "stuck value": {
    inject: (v, at) => {
      for (let i = at; i < v.length; i++) v[i] = v[at - 1]!;
    },
    maxDelayMinutes: 10,
  },
  "dropout to zero": {
    inject: (v, at) => {
      for (let i = at; i < v.length; i++) v[i] = 0;
    },
    maxDelayMinutes: 0,
  },
};

/** Centred moving average over 15 samples: the series without its noise, to isolate the noise. */
function smooth(v: number[], i: number): number {
  let s = 0;
  let n = 0;
  for (let k = Math.max(0, i - 7); k <= Math.min(v.length - 1, i + 7); k++) {
    s += v[k]!;
    n++;
  }
  return s / n;
}

for (const [label, stepMs] of [
  ["1 min", 60_000],
  ["15 s", 15_000],
] as const) {
  describe(`synthetic anomalies (${label} steps, daily seasonality)`, () => {
    const perMinute = 60_000 / stepMs;
    const series = makeSeries(label === "1 min" ? 11 : 12, stepMs, 7);
    // Injected on day 5 at 03:00 UTC (the daily cycle is well above its mean there).
    const at = Math.round((4 * DAY + 3 * 3_600_000 + (DAY - (series.t[0]! % DAY))) / stepMs);

    it("the clean twin has no score > 1 over a simulated week", () => {
      const d = createSeriesDetector();
      let max = 0;
      let where = -1;
      series.clean.forEach((v, i) => {
        const r = d.score(series.t[i]!, v);
        if (r.score > max) {
          max = r.score;
          where = i;
        }
      });
      assert.ok(max <= 1, `max score ${max.toFixed(3)} at sample ${where}`);
    });

    for (const [name, { inject, maxDelayMinutes }] of Object.entries(ANOMALIES)) {
      it(`finds a ${name} within ${maxDelayMinutes} min`, () => {
        const values = series.clean.slice();
        inject(values, at, perMinute);
        const d = createSeriesDetector();
        let found = -1;
        for (let i = 0; i < values.length && found < 0; i++) {
          const r = d.score(series.t[i]!, values[i]!);
          if (i < at) assert.ok(r.score <= 1, `score ${r.score} before the anomaly at ${i}`);
          else if (r.score > 1) found = i - at;
        }
        assert.ok(found >= 0, `${name} not found`);
        assert.ok(found <= maxDelayMinutes * perMinute, `${name} found after ${found} samples`);
      });
    }
  });
}
