/**
 * Isolation forest (Liu, Ting & Zhou 2008) over fixed-length feature vectors, with per-feature
 * attribution: an unusual point is isolated after few random splits, and the features those
 * short paths split on are the ones that make it unusual. Deterministic: the random choices
 * come from a seeded generator, so the same training data always gives the same forest.
 *
 * One change from the paper: a point whose split feature lies outside the range the node's
 * training points had is isolated right there. Plain isolation forest scores a value far beyond
 * anything seen like one just past the maximum; for monitoring, a never-seen value is the news.
 */

interface Split {
  readonly feature: number;
  readonly value: number;
  /** The range of the feature among the node's training points. */
  readonly min: number;
  readonly max: number;
  readonly left: Node;
  readonly right: Node;
}
/** A leaf holds the number of training points that reached it. */
type Node = Split | { readonly size: number };

export interface IsolationForest {
  readonly trees: readonly Node[];
  readonly sampleSize: number;
  readonly features: number;
}

export interface ForestOptions {
  readonly trees: number;
  /** Points per tree (ψ in the paper; 256 there). */
  readonly sampleSize: number;
  readonly seed: number;
}

export const DEFAULT_FOREST_OPTIONS: ForestOptions = { trees: 64, sampleSize: 128, seed: 1 };

/** Average path length of an unsuccessful binary-search-tree search among n points: c(n). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + 0.5772156649015329) - (2 * (n - 1)) / n;
}

/** mulberry32: small, fast and good enough for choosing splits. */
function generator(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buildTree(points: readonly Float64Array[], depth: number, maxDepth: number, features: number, random: () => number): Node {
  if (points.length <= 1 || depth >= maxDepth) return { size: points.length };
  // Only features that still vary among these points can split them.
  const varying: Array<[number, number, number]> = [];
  for (let f = 0; f < features; f++) {
    let min = Infinity;
    let max = -Infinity;
    for (const p of points) {
      const v = p[f]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (max > min) varying.push([f, min, max]);
  }
  if (varying.length === 0) return { size: points.length };
  const [feature, min, max] = varying[Math.floor(random() * varying.length)]!;
  const value = min + random() * (max - min);
  const left: Float64Array[] = [];
  const right: Float64Array[] = [];
  for (const p of points) (p[feature]! < value ? left : right).push(p);
  return { feature, value, min, max, left: buildTree(left, depth + 1, maxDepth, features, random), right: buildTree(right, depth + 1, maxDepth, features, random) };
}

/** Trains a forest on `points` (all of length `features`; non-finite values must be replaced first). */
export function trainForest(points: readonly Float64Array[], features: number, options: ForestOptions = DEFAULT_FOREST_OPTIONS): IsolationForest {
  const random = generator(options.seed);
  const sampleSize = Math.min(options.sampleSize, points.length);
  const maxDepth = Math.ceil(Math.log2(Math.max(2, sampleSize)));
  const trees: Node[] = [];
  for (let t = 0; t < options.trees; t++) {
    // Sampling without replacement: a partial Fisher–Yates shuffle of indices.
    const indices = Array.from(points.keys());
    for (let i = 0; i < sampleSize; i++) {
      const j = i + Math.floor(random() * (indices.length - i));
      [indices[i], indices[j]] = [indices[j]!, indices[i]!];
    }
    trees.push(buildTree(indices.slice(0, sampleSize).map((i) => points[i]!), 0, maxDepth, features, random));
  }
  return { trees, sampleSize, features };
}

export interface ForestScore {
  /** s(x, ψ) in (0, 1]: near 1 isolated quickly (anomalous), around 0.5 or less ordinary. */
  readonly score: number;
  /** Per feature, its share (summing to 1) of the splits that isolated the point, shorter paths weighing more. */
  readonly attribution: Float64Array;
}

/** Scores a point against the forest. */
export function scoreForest(forest: IsolationForest, point: Float64Array): ForestScore {
  const attribution = new Float64Array(forest.features);
  let totalPath = 0;
  for (const tree of forest.trees) {
    let node = tree;
    let depth = 0;
    const used: number[] = [];
    let outside = false;
    while ("feature" in node) {
      used.push(node.feature);
      const v = point[node.feature]!;
      depth++;
      if (v < node.min || v > node.max) {
        outside = true;
        break;
      }
      node = v < node.value ? node.left : node.right;
    }
    // A leaf stands for the points it still holds: add the path a search among them would take.
    const path = !outside && "size" in node ? depth + averagePathLength(node.size) : depth;
    totalPath += path;
    // A split that isolates early says more about this point than one deep in a long path.
    for (const f of used) attribution[f]! += 1 / Math.max(1, path);
  }
  const meanPath = totalPath / forest.trees.length;
  const c = averagePathLength(forest.sampleSize);
  const score = c === 0 ? 0.5 : 2 ** (-meanPath / c);
  let sum = 0;
  for (const a of attribution) sum += a;
  if (sum > 0) for (let f = 0; f < attribution.length; f++) attribution[f]! /= sum;
  return { score, attribution };
}
