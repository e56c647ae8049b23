/** Numeric helpers with Prometheus's semantics (Kahan sums, quantiles, Go-like pow and formatting). */

/** Neumaier/Kahan summation step: returns [sum, compensation]. */
export function kahanInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  let nc = c;
  if (!Number.isFinite(t)) nc = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) nc += sum - t + inc;
  else nc += inc - t + sum;
  return [t, nc];
}

/** `kahanInc` in place on element `k` of running sums and compensations (no tuple per step). */
export function kahanAddAt(sums: Float64Array, compensations: Float64Array, k: number, inc: number): void {
  const sum = sums[k]!;
  const t = sum + inc;
  if (!Number.isFinite(t)) compensations[k] = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) compensations[k]! += sum - t + inc;
  else compensations[k]! += inc - t + sum;
  sums[k] = t;
}

/** The value of a Kahan sum from its running sum and compensation. */
export function kahanResult(sum: number, c: number): number {
  return Number.isFinite(sum + c) || !Number.isFinite(sum) ? sum + c : sum;
}

export function kahanSum(values: readonly number[]): number {
  let sum = 0;
  let c = 0;
  for (const v of values) [sum, c] = kahanInc(v, sum, c);
  return kahanResult(sum, c);
}

/** Mean like Prometheus's avg (of values[lo..hi)): Kahan sum, switching to an incremental mean on overflow. */
export function mean(values: ArrayLike<number>, lo = 0, hi = values.length): number {
  let sum = 0;
  let c = 0;
  let incremental = false;
  let m = 0;
  let mc = 0;
  let count = 0;
  for (let i = lo; i < hi; i++) {
    const v = values[i] ?? NaN;
    count++;
    if (!incremental) {
      const [ns, nc] = kahanInc(v, sum, c);
      if (!Number.isFinite(ns) && Number.isFinite(v) && Number.isFinite(sum)) {
        incremental = true;
        m = sum / (count - 1);
        mc = c / (count - 1);
      } else {
        sum = ns;
        c = nc;
        continue;
      }
    }
    if (Number.isFinite(m) || !Number.isFinite(v)) {
      if (!Number.isFinite(m) && !Number.isFinite(v)) {
        if (m !== v) m = NaN;
        continue;
      }
      if (Number.isFinite(m) && !Number.isFinite(v)) {
        m = v;
        continue;
      }
      const q = (count - 1) / count;
      [m, mc] = kahanInc(v / count, q * m, q * mc);
    }
  }
  if (incremental) return m + mc;
  return (sum + c) / count;
}

/** Population variance of values[lo..hi) (Welford with Kahan compensation, as Prometheus's stdvar). */
export function variance(values: ArrayLike<number>, lo = 0, hi = values.length): number {
  let count = 0;
  let m = 0;
  let cm = 0;
  let aux = 0;
  let ca = 0;
  for (let i = lo; i < hi; i++) {
    const v = values[i] ?? NaN;
    count++;
    const delta = v - (m + cm);
    [m, cm] = kahanInc(delta / count, m, cm);
    [aux, ca] = kahanInc(delta * (v - (m + cm)), aux, ca);
  }
  return (aux + ca) / count;
}

/** Prometheus's quantile over a set of floats (linear interpolation, q outside [0,1] gives ±Inf). */
export function quantile(q: number, values: readonly number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...values].sort((a, b) => (Number.isNaN(a) ? -1 : Number.isNaN(b) ? 1 : a - b));
  const n = sorted.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return (sorted[lower] ?? NaN) * (1 - weight) + (sorted[upper] ?? NaN) * weight;
}

/** Go's math.Pow special cases differ from JavaScript's ** for ±1 bases. */
export function goPow(x: number, y: number): number {
  if (y === 0) return 1;
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

/** Go's math.Mod. */
export function goMod(x: number, y: number): number {
  return x % y;
}

/** strconv.FormatFloat(f, 'f', -1, 64) as Prometheus uses for count_values. */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  const s = String(value);
  if (!s.includes("e")) return s;
  const [mant = "0", expText = "0"] = s.split("e");
  const exp = Number(expText);
  const negative = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  const pointPos = (mant.replace("-", "").indexOf(".") === -1 ? mant.replace("-", "").length : mant.replace("-", "").indexOf(".")) + exp;
  let out: string;
  if (pointPos <= 0) out = "0." + "0".repeat(-pointPos) + digits;
  else if (pointPos >= digits.length) out = digits + "0".repeat(pointPos - digits.length);
  else out = digits.slice(0, pointPos) + "." + digits.slice(pointPos);
  return (negative ? "-" : "") + out;
}

/** Go's float formatting for warnings and label values ('g' with shortest representation). */
export function formatGo(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
