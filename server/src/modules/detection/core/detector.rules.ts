/**
 * One series' detector: turns each (t, value) into a ScoredSample using only earlier samples,
 * then learns from the value. Members: robust baseline, seasonality, change point, forecast
 * residuals (see the member files); ensemble.rules.ts combines their votes.
 */
import {
  baselineMad,
  baselineMedian,
  baselinePush,
  createBaseline,
  MAD_TO_SIGMA,
  readBaseline,
  writeBaseline,
  type BaselineState,
} from "#server/modules/detection/core/robust-baseline.rules.ts";
import {
  changePointReset,
  changePointUpdate,
  createChangePoint,
  readChangePoint,
  writeChangePoint,
  type ChangePointState,
} from "#server/modules/detection/core/change-point.rules.ts";
import {
  anomalyScoreOf,
  contextOnsetScore,
  createLastReport,
  createPendingOnset,
  directional,
  distinctReport,
  onsetScore,
  persistedOnset,
  stuckScore,
  VOTE_NORM,
  voteSum,
  type LastReport,
  type PendingOnset,
} from "#server/modules/detection/core/ensemble.rules.ts";
import {
  createForecast,
  forecastNext,
  forecastResetTrend,
  forecastScale,
  forecastUpdate,
  readForecast,
  writeForecast,
  type ForecastState,
} from "#server/modules/detection/core/forecast.rules.ts";
import {
  createSeasonal,
  readSeasonal,
  seasonalComponent,
  seasonalError,
  seasonalPredict,
  seasonalUpdate,
  writeSeasonal,
  type SeasonalState,
} from "#server/modules/detection/core/seasonality.rules.ts";
import {
  CONTEXT_STRIDE,
  CONTEXT_WINDOW,
  contextQuantise,
  contextUpdate,
  createContext,
  readContext,
  writeContext,
  type ContextState,
} from "#server/modules/detection/core/context.rules.ts";
import { createNovelty, noveltyRest, noveltyUpdate, readNovelty, writeNovelty, type NoveltyState } from "#server/modules/detection/core/novelty.rules.ts";
import { StateReader, StateWriter } from "#server/modules/detection/core/state-codec.rules.ts";

export interface DetectorConfig {
  /** Which deviations count: above the band, below it, or both. */
  direction: "up" | "down" | "both";
  /** 1 = default; higher = narrower bands, more alerts. */
  sensitivity: number;
  /** A deviation smaller than this share of |expected| never scores above 1 (0 = off). */
  minRelativeDeviation: number;
  /** Valid samples learned before any score can exceed 0. */
  minHistory: number;
  /** "counter" scores the per-second rate (resets tolerated); "auto" decides from the first samples. */
  kind: "auto" | "gauge" | "counter";
}

export const DEFAULT_DETECTOR_CONFIG: Readonly<DetectorConfig> = Object.freeze({
  direction: "both",
  sensitivity: 1,
  minRelativeDeviation: 0,
  minHistory: 200,
  kind: "auto",
});

export interface ScoredSample {
  t: number;
  /** The value scored, in the space of expected and the band: the per-second rate for a counter. */
  value: number;
  /** True when the series is scored as a counter (value, expected and band are per-second rates). */
  rate: boolean;
  score: number;
  /** [0, 1] for ranking (NAB): the larger of the novelty member and the onset of votes/context (ensemble.rules.ts). */
  anomalyScore: number;
  expected: number;
  lower: number;
  upper: number;
  direction: "up" | "down" | null;
  votes: Record<string, number>;
}

export interface SeriesDetector {
  score(t: number, value: number): ScoredSample;
  snapshot(): Uint8Array;
}

/** Band half-width in σ for point members at sensitivity 1. */
const BAND_SIGMA = 4.5;
/** Valid samples observed before "auto" decides between gauge and counter. */
const KIND_PROBE = 100;
/** A step longer than this many typical steps is a gap. */
const GAP_STEPS = 10;
const SNAPSHOT_VERSION = 6;
/** No deviation smaller than this share of the series' overall spread is surprising. */
const SPREAD_FLOOR = 0.1;
/**
 * An onset whose anomalyScore alone reaches this (the band's edge in the unit domain) is an event:
 * the novelty member rests after it as after its own (on NAB better at all twelve grid alignments
 * × memory sizes, ADR 0014).
 */
const ONSET_EVENT = 0.5;
/**
 * Samples after an onset during which no context onset is reported: as long as the event can sit
 * in the context member's window and its ratio be held until the next search, a new context
 * ratio is the same event. Vote onsets need none: a larger one while an onset waits for its
 * persistence check replaces it (ensemble.rules.ts).
 */
const REFRACTORY = CONTEXT_WINDOW + CONTEXT_STRIDE;
/** A stuck run is counted up to this (u32) and stored exactly; its score is far above 1 long before. */
const MAX_RUN = 0xffff_ffff;
const KIND_UNDECIDED = 0;
const KIND_GAUGE = 1;
const KIND_COUNTER = 2;

interface CoreState {
  n: number;
  lastT: number;
  stepMs: number;
  kind: number;
  probeUp: number;
  probeDown: number;
  prevRaw: number;
  prevValue: number;
  /** EWMA share of steps where the value changed; small for flat and step-like series. */
  changeShare: number;
  changes: number;
  /** Consecutive samples with an unchanged value (stuck detection). */
  run: number;
  /** Long-run σ estimate (EWMA of the baseline's MAD-based σ). */
  longScale: number;
  /** Slow mean and mean absolute spread around it: the series' overall variability. */
  slowMean: number;
  spread: number;
  /** Decayed maximum of recent unit scores (onset emphasis of anomalyScore). */
  onset: number;
  sinceOnset: number;
  /** Vote onset waiting for its persistence check (ensemble.rules.ts). */
  pendingOnset: PendingOnset;
  /** The last anomalyScore reported, for one report per event (ensemble.rules.ts). */
  lastReport: LastReport;
  /** Maximum of earlier unit context scores (onset of the contextual member). */
  contextOnset: number;
  /** Seasonal profile in use at the previous sample (0 none, 1 daily, 2 weekly) and its component. */
  seasonKind: number;
  lastSeason: number;
  baseline: BaselineState;
  seasonal: SeasonalState;
  forecast: ForecastState;
  changePoint: ChangePointState;
  context: ContextState;
  novelty: NoveltyState;
}

function freshState(): CoreState {
  return {
    n: 0,
    lastT: Number.NaN,
    stepMs: Number.NaN,
    kind: KIND_UNDECIDED,
    probeUp: 0,
    probeDown: 0,
    prevRaw: Number.NaN,
    prevValue: Number.NaN,
    changeShare: 1,
    changes: 0,
    run: 0,
    longScale: Number.NaN,
    slowMean: Number.NaN,
    spread: Number.NaN,
    onset: 0,
    sinceOnset: 1e9,
    pendingOnset: createPendingOnset(),
    lastReport: createLastReport(),
    contextOnset: 0,
    seasonKind: 0,
    lastSeason: 0,
    baseline: createBaseline(),
    seasonal: createSeasonal(),
    forecast: createForecast(),
    changePoint: createChangePoint(),
    context: createContext(),
    novelty: createNovelty(),
  };
}

function resetMembers(s: CoreState): void {
  s.n = 0;
  s.prevValue = Number.NaN;
  s.changeShare = 1;
  s.changes = 0;
  s.run = 0;
  s.longScale = Number.NaN;
  s.slowMean = Number.NaN;
  s.spread = Number.NaN;
  s.baseline = createBaseline();
  s.seasonal = createSeasonal();
  s.forecast = createForecast();
  s.changePoint = createChangePoint();
  s.context = createContext();
  s.novelty = createNovelty();
}

function neutral(t: number, value: number): ScoredSample {
  return {
    t,
    value,
    rate: false,
    score: 0,
    anomalyScore: 0,
    expected: Number.NaN,
    lower: Number.NaN,
    upper: Number.NaN,
    direction: null,
    votes: {},
  };
}

function resolveConfig(config?: Partial<DetectorConfig>): DetectorConfig {
  const c = { ...DEFAULT_DETECTOR_CONFIG, ...config };
  if (!(c.sensitivity > 0)) c.sensitivity = 1;
  if (!(c.minRelativeDeviation >= 0)) c.minRelativeDeviation = 0;
  if (!(c.minHistory >= 0)) c.minHistory = DEFAULT_DETECTOR_CONFIG.minHistory;
  return c;
}

class Detector implements SeriesDetector {
  private readonly cfg: DetectorConfig;
  private readonly band: number;
  private s: CoreState;

  constructor(cfg: DetectorConfig, state: CoreState) {
    this.cfg = cfg;
    this.band = BAND_SIGMA / cfg.sensitivity;
    this.s = state;
  }

  score(t: number, raw: number): ScoredSample {
    const s = this.s;
    if (!Number.isFinite(raw) || !Number.isFinite(t)) return neutral(t, raw);
    if (t <= s.lastT) return neutral(t, raw); // duplicate or out of order: ignored
    const dt = t - s.lastT;
    const gap = s.stepMs > 0 && dt > GAP_STEPS * s.stepMs;
    if (!Number.isNaN(s.lastT) && !gap) {
      const clipped = Number.isNaN(s.stepMs) ? dt : Math.min(dt, 4 * s.stepMs);
      s.stepMs = Number.isNaN(s.stepMs) ? dt : s.stepMs + 0.05 * (clipped - s.stepMs);
    }
    s.lastT = t;

    // Gauge or counter.
    let kind = s.kind;
    if (kind === KIND_UNDECIDED) {
      if (this.cfg.kind !== "auto") kind = s.kind = this.cfg.kind === "counter" ? KIND_COUNTER : KIND_GAUGE;
      else {
        if (!Number.isNaN(s.prevRaw)) {
          if (raw > s.prevRaw) s.probeUp++;
          else if (raw < s.prevRaw) s.probeDown++;
        }
        if (s.probeUp + s.probeDown >= KIND_PROBE || s.n >= 4 * KIND_PROBE) {
          const counter = s.probeDown === 0 && s.probeUp >= KIND_PROBE && raw >= 0;
          kind = s.kind = counter ? KIND_COUNTER : KIND_GAUGE;
          if (counter) resetMembers(s);
        }
      }
    }
    let v = raw;
    if (kind === KIND_COUNTER) {
      const prev = s.prevRaw;
      s.prevRaw = raw;
      if (Number.isNaN(prev) || gap) return neutral(t, raw);
      if (raw < prev) return neutral(t, raw); // reset: the rate across it is unknown
      v = ((raw - prev) * 1000) / dt;
    } else s.prevRaw = raw;

    if (gap) {
      changePointReset(s.changePoint);
      forecastResetTrend(s.forecast);
    }
    // A counter of discrete events (whole values: errors, drops, restarts) cannot move by less than
    // one event a step: a single event over a quiet baseline is not a deviation.
    const resolution = kind === KIND_COUNTER && Number.isInteger(raw) && s.stepMs > 0 ? 1000 / s.stepMs : 0;
    return this.scoreValue(t, raw, v, resolution);
  }

  private scoreValue(t: number, raw: number, v: number, resolution: number): ScoredSample {
    const s = this.s;
    const cfg = this.cfg;
    const K = this.band;
    const warm = s.n >= cfg.minHistory && s.n >= 8;
    const med = baselineMedian(s.baseline);
    const sigmaB = MAD_TO_SIGMA * baselineMad(s.baseline, med);
    const sp = seasonalPredict(s.seasonal, t);
    // Holt-Winters: the forecast member models the deseasonalised series.
    const season = seasonalComponent(s.seasonal, sp);
    if (sp.kind !== s.seasonKind) {
      // The profile in use changed: move the forecast's level so its prediction is continuous,
      // and restart the change-point sums, whose expectation changed under them.
      if (s.forecast.n > 0) s.forecast.level += s.lastSeason - season;
      changePointReset(s.changePoint);
      s.seasonKind = sp.kind;
    }
    s.lastSeason = season;
    const fPred = forecastNext(s.forecast) + season;
    const fScale = forecastScale(s.forecast);
    const expected = sp.kind !== 0 ? sp.expected : med;

    // Contextual and novelty members (anomalyScore only): learn every valid sample, warm or not.
    const ctx = contextUpdate(s.context, contextQuantise(v, s.slowMean, s.spread));
    const novelty = noveltyUpdate(s.novelty, v);
    let result: ScoredSample;
    if (!warm || Number.isNaN(med)) {
      result = neutral(t, raw);
    } else {
      // Scale floors: a flat window must not make the smallest change infinitely surprising.
      const mag = Math.abs(expected);
      const floor = Math.max(this.floorOf(expected), resolution);
      const dir = cfg.direction;
      const eB = v - med;
      const sB = Math.max(sigmaB, floor);
      const mB = directional(Math.abs(eB) / (K * sB), eB, dir);
      const eF = v - fPred;
      const sF = Math.max(Number.isNaN(fScale) ? sB : fScale, floor);
      const mF = directional(Math.abs(eF) / (K * sF), eF, dir);
      let mS = 0;
      let sS = sB;
      if (sp.kind !== 0) {
        const eS = v - sp.expected;
        sS = Math.max(1.25 * sp.dev, floor);
        mS = directional(Math.abs(eS) / (K * sS), eS, dir);
      }
      const eC = v - expected;
      const seasonalErr = seasonalError(s.seasonal);
      const sC = Math.max(sp.kind !== 0 ? 1.25 * seasonalErr : Number.isNaN(s.longScale) ? sB : s.longScale, floor);
      const c = changePointUpdate(s.changePoint, eC / sC);
      const mC = directional(Math.abs(c), c, dir);
      const point = sp.kind !== 0 ? mS : mB;
      const mStuck = v === s.prevValue ? stuckScore(s.run + 1, s.changeShare) : 0;
      const votes = voteSum(point, mF, mC) + mStuck * VOTE_NORM;
      let score = votes / VOTE_NORM;
      // Step-like series (values change rarely, e.g. only on restart): a change is expected news.
      if (s.changeShare < 0.02 && s.changes >= 2 && score > 0.9) score = 0.9;
      if (cfg.minRelativeDeviation > 0 && score > 1) {
        const rel = Math.abs(eC) / (cfg.minRelativeDeviation * (mag > 0 ? mag : 1e-300));
        if (rel < 1) score = 0.999;
      }
      const width = K * (sp.kind !== 0 ? sS : sB);
      result = {
        t,
        value: v,
        rate: s.kind === KIND_COUNTER,
        score,
        anomalyScore: 0,
        expected,
        lower: expected - width,
        upper: expected + width,
        direction: score > 1 ? (eC >= 0 ? "up" : "down") : null,
        votes: { baseline: mB, seasonal: mS, changePoint: mC, forecast: mF, stuck: mStuck },
      };
      if (Math.abs(c) >= 1) changePointReset(s.changePoint);
      const [aVotes, memory] = onsetScore(score * VOTE_NORM, s.onset);
      s.onset = memory;
      const [aContext, contextMemory] = contextOnsetScore(ctx, s.contextOnset);
      s.contextOnset = contextMemory;
      s.sinceOnset++;
      const fresh = s.sinceOnset > REFRACTORY;
      if (aVotes > 0 || aContext > 0) s.sinceOnset = 0;
      // A context onset is reported at once; a vote onset only once it has persisted.
      const voteOnset = persistedOnset(s.pendingOnset, aVotes, score);
      const contextOnset = fresh ? aContext : 0;
      const onset = voteOnset > contextOnset ? voteOnset : contextOnset;
      if (anomalyScoreOf(onset, 0) >= ONSET_EVENT) noveltyRest(s.novelty);
      result.anomalyScore = distinctReport(s.lastReport, anomalyScoreOf(onset, novelty));
    }
    this.learn(t, v, med, sigmaB, this.floorOf(med), season);
    return result;
  }

  private floorOf(expected: number): number {
    const s = this.s;
    const mag = Math.abs(expected);
    if (Number.isNaN(mag)) return 0;
    return Math.max(
      1e-9 * (mag > 1 ? mag : 1),
      Number.isNaN(s.longScale) ? 0 : 0.25 * s.longScale,
      Number.isNaN(s.spread) ? 0 : SPREAD_FLOOR * s.spread,
    );
  }

  private learn(t: number, v: number, med: number, sigmaB: number, floor: number, season: number): void {
    const s = this.s;
    if (!Number.isNaN(s.prevValue)) {
      const changed = v !== s.prevValue ? 1 : 0;
      s.changes += changed;
      s.run = changed ? 0 : Math.min(s.run + 1, MAX_RUN);
      s.changeShare += 0.01 * (changed - s.changeShare);
    }
    s.prevValue = v;
    if (Number.isNaN(s.slowMean)) {
      s.slowMean = v;
      s.spread = 0;
    } else {
      const a = s.n < 100 ? 1 / (s.n + 1) : 0.01;
      s.spread += a * (Math.abs(v - s.slowMean) - s.spread);
      s.slowMean += a * (v - s.slowMean);
    }
    if (s.baseline.count >= 16 && Number.isFinite(sigmaB)) {
      s.longScale = Number.isNaN(s.longScale) ? sigmaB : s.longScale + 0.01 * (sigmaB - s.longScale);
    }
    seasonalUpdate(s.seasonal, t, v, med, s.stepMs, s.spread);
    forecastUpdate(s.forecast, v - season, floor);
    baselinePush(s.baseline, v);
    s.n++;
  }

  snapshot(): Uint8Array {
    const s = this.s;
    const w = new StateWriter(4096);
    w.u8(SNAPSHOT_VERSION);
    // Both kinds are 0–2: one byte.
    w.u8(s.kind | (s.seasonKind << 4));
    for (const x of [s.n, s.lastT, s.stepMs]) w.f64(x);
    // Probe counts stop at KIND_PROBE (< 256); only `changes >= 2` and `sinceOnset > REFRACTORY`
    // are ever asked, so those two are stored saturated.
    w.u8(s.probeUp);
    w.u8(s.probeDown);
    w.u8(Math.min(s.changes, 2));
    w.u8(Math.min(s.sinceOnset, REFRACTORY + 1));
    w.u32(s.run);
    for (const x of [s.prevRaw, s.prevValue, s.changeShare, s.longScale, s.slowMean, s.spread, s.onset, s.contextOnset, s.lastSeason]) w.f64(x);
    w.f32(s.pendingOnset.value);
    w.u8(s.pendingOnset.left);
    w.u8(s.pendingOnset.hits);
    w.f32(s.lastReport.value);
    w.u8(s.lastReport.age);
    writeBaseline(s.baseline, w);
    writeSeasonal(s.seasonal, w);
    writeForecast(s.forecast, w);
    writeChangePoint(s.changePoint, w);
    writeContext(s.context, w);
    writeNovelty(s.novelty, w);
    return w.finish();
  }
}

export function createSeriesDetector(config?: Partial<DetectorConfig>): SeriesDetector {
  return new Detector(resolveConfig(config), freshState());
}

export function restoreSeriesDetector(bytes: Uint8Array, config?: Partial<DetectorConfig>): SeriesDetector {
  const r = new StateReader(bytes);
  const version = r.u8();
  if (version !== SNAPSHOT_VERSION) throw new Error(`unsupported detector snapshot version ${version}`);
  const s = freshState();
  const kinds = r.u8();
  s.kind = kinds & 0xf;
  s.seasonKind = kinds >> 4;
  s.n = r.f64();
  s.lastT = r.f64();
  s.stepMs = r.f64();
  s.probeUp = r.u8();
  s.probeDown = r.u8();
  s.changes = r.u8();
  s.sinceOnset = r.u8();
  s.run = r.u32();
  s.prevRaw = r.f64();
  s.prevValue = r.f64();
  s.changeShare = r.f64();
  s.longScale = r.f64();
  s.slowMean = r.f64();
  s.spread = r.f64();
  s.onset = r.f64();
  s.contextOnset = r.f64();
  s.lastSeason = r.f64();
  s.pendingOnset = { value: r.f32(), left: r.u8(), hits: r.u8() };
  s.lastReport = { value: r.f32(), age: r.u8() };
  s.baseline = readBaseline(r);
  s.seasonal = readSeasonal(r);
  s.forecast = readForecast(r);
  s.changePoint = readChangePoint(r);
  s.context = readContext(r);
  s.novelty = readNovelty(r);
  return new Detector(resolveConfig(config), s);
}
