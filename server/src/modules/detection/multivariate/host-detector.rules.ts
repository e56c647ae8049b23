/**
 * The multivariate detector of one host: its indicator vectors (host-features.rules.ts) over a
 * sliding window train an isolation forest, retrained every `retrainEvery` vectors, and each new
 * vector is scored against the forest trained on the ones before it (causal). The forest's score
 * is normalised against the raw scores recent vectors got when they were new (out of sample: a
 * forest isolates its own training points later than fresh ones) so that > 1 means more isolated
 * than all but the top half percent of recent history, like the per-series score.
 */
import { HOST_FEATURES, hostFeatures, newHostFeatureState, type HostSample } from "#server/modules/detection/multivariate/host-features.rules.ts";
import { scoreForest, trainForest, type IsolationForest } from "#server/modules/detection/multivariate/isolation-forest.rules.ts";

export interface HostDetectorOptions {
  /** Vectors kept for training. */
  readonly window: number;
  readonly retrainEvery: number;
  /** Vectors needed before anything is scored. */
  readonly minTraining: number;
  readonly trees: number;
  readonly seed: number;
}

export const DEFAULT_HOST_DETECTOR_OPTIONS: HostDetectorOptions = { window: 512, retrainEvery: 64, minTraining: 120, trees: 64, seed: 7 };

export interface HostScore {
  readonly t: number;
  /** > 1: more unusual than 99.5% of the recent training window. */
  readonly score: number;
  /** Indicators by share of the isolating splits, largest first (the top ones explain the anomaly). */
  readonly contributors: ReadonlyArray<{ indicator: string; weight: number }>;
}

export interface HostDetector {
  /** All of the host's samples of one scrape at `t` (ms); undefined while learning. */
  score(t: number, samples: readonly HostSample[]): HostScore | undefined;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export function createHostDetector(options: HostDetectorOptions = DEFAULT_HOST_DETECTOR_OPTIONS): HostDetector {
  const features = newHostFeatureState();
  const window: Float64Array[] = [];
  let sinceTraining = 0;
  let forest: IsolationForest | undefined;
  let median = 0.5;
  let high = 0.6;
  /** Raw scores of the last vectors when they were scored (out of sample). */
  const recent: number[] = [];

  const retrain = (): void => {
    const sampleSize = Math.min(256, window.length);
    // Scores of forests built on fewer points spread differently: calibrate on like with like.
    if (forest && forest.sampleSize !== sampleSize) recent.length = 0;
    forest = trainForest(window, HOST_FEATURES.length, { trees: options.trees, sampleSize, seed: options.seed });
    // Until enough vectors were scored out of sample, the training points' own scores with a margin.
    const calibration = recent.length >= 100 ? [...recent] : window.map((v) => scoreForest(forest!, v).score + 0.03);
    calibration.sort((a, b) => a - b);
    median = quantile(calibration, 0.5);
    // A floor on the spread: a window of identical vectors must not turn noise into alarms.
    high = Math.max(quantile(calibration, 0.995), median + 0.02);
    sinceTraining = 0;
  };

  return {
    score(t, samples) {
      const vector = hostFeatures(features, samples, t);
      if (!vector || !vector.every(Number.isFinite)) return undefined;
      let result: HostScore | undefined;
      if (forest) {
        const { score, attribution } = scoreForest(forest, vector);
        recent.push(score);
        if (recent.length > options.window) recent.shift();
        const contributors = HOST_FEATURES.map((indicator, i) => ({ indicator, weight: attribution[i] ?? 0 }))
          .filter((c) => c.weight > 0)
          .sort((a, b) => b.weight - a.weight);
        result = { t, score: Math.max(0, (score - median) / (high - median)), contributors };
      }
      window.push(vector);
      if (window.length > options.window) window.shift();
      sinceTraining++;
      if (window.length >= options.minTraining && (!forest || sinceTraining >= options.retrainEvery)) retrain();
      return result;
    },
  };
}
