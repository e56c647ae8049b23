/** Binary operators: scalar/scalar, vector/scalar and vector/vector with matching and grouping. */
import type { BinaryExpr, BinaryOp, VectorMatching } from "#server/modules/query/promql/ast.ts";
import { PromQLError } from "#server/modules/query/promql/errors.ts";
import { dropName, formatLabels, labelsKey, METRIC_NAME, signature } from "#server/modules/query/promql/labels.ts";
import { goMod, goPow } from "#server/modules/query/promql/math.rules.ts";
import type { Labels, Sample, Value, VectorValue } from "#server/modules/query/promql/types.ts";

const COMPARISON: ReadonlySet<BinaryOp> = new Set<BinaryOp>(["==", "!=", ">", "<", ">=", "<="]);

export function isComparison(op: BinaryOp): boolean {
  return COMPARISON.has(op);
}

/** Applies an arithmetic or comparison operator; returns [value, keep]. */
export function scalarOp(op: BinaryOp, l: number, r: number): [number, boolean] {
  switch (op) {
    case "+":
      return [l + r, true];
    case "-":
      return [l - r, true];
    case "*":
      return [l * r, true];
    case "/":
      return [l / r, true];
    case "%":
      return [goMod(l, r), true];
    case "^":
      return [goPow(l, r), true];
    case "atan2":
      return [Math.atan2(l, r), true];
    case "==":
      return [l, l === r];
    case "!=":
      return [l, l !== r];
    case ">":
      return [l, l > r];
    case "<":
      return [l, l < r];
    case ">=":
      return [l, l >= r];
    case "<=":
      return [l, l <= r];
    case "and":
    case "or":
    case "unless":
      throw new PromQLError("execution", `set operator ${op} not allowed on scalars`);
  }
}

export function binaryOp(expr: BinaryExpr, lhs: Value, rhs: Value, t: number): Value {
  const { op, returnBool } = expr;
  if (lhs.type === "scalar" && rhs.type === "scalar") {
    const [v, keep] = scalarOp(op, lhs.value, rhs.value);
    return { type: "scalar", value: isComparison(op) ? (keep ? 1 : 0) : v };
  }
  if (lhs.type === "vector" && rhs.type === "vector") {
    const matching = expr.matching ?? { card: "one-to-one", on: false, labels: [], include: [] };
    switch (op) {
      case "and":
        return andOp(lhs, rhs, matching);
      case "or":
        return orOp(lhs, rhs, matching);
      case "unless":
        return unlessOp(lhs, rhs, matching);
      default:
        return vectorVector(op, returnBool, lhs, rhs, matching, t);
    }
  }
  if (lhs.type === "vector" && rhs.type === "scalar") return vectorScalar(op, returnBool, lhs, rhs.value, false, t);
  if (lhs.type === "scalar" && rhs.type === "vector") return vectorScalar(op, returnBool, rhs, lhs.value, true, t);
  throw new PromQLError("execution", "binary expression must contain only scalar and instant vector types");
}

function vectorScalar(op: BinaryOp, returnBool: boolean, vec: VectorValue, scalar: number, swap: boolean, t: number): VectorValue {
  const out: Sample[] = [];
  const comparison = isComparison(op);
  for (const s of vec.samples) {
    const l = swap ? scalar : s.value;
    const r = swap ? s.value : scalar;
    let [value, keep] = scalarOp(op, l, r);
    if (comparison && swap) value = r;
    if (returnBool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    const labels = !comparison || returnBool ? dropName(s.labels) : s.labels;
    out.push({ labels, value, ts: t });
  }
  return { type: "vector", samples: out };
}

function sig(m: VectorMatching, labels: Labels): string {
  return signature(labels, m.labels, m.on);
}

function andOp(lhs: VectorValue, rhs: VectorValue, m: VectorMatching): VectorValue {
  const right = new Set(rhs.samples.map((s) => sig(m, s.labels)));
  return { type: "vector", samples: lhs.samples.filter((s) => right.has(sig(m, s.labels))) };
}

function orOp(lhs: VectorValue, rhs: VectorValue, m: VectorMatching): VectorValue {
  const left = new Set(lhs.samples.map((s) => sig(m, s.labels)));
  return { type: "vector", samples: [...lhs.samples, ...rhs.samples.filter((s) => !left.has(sig(m, s.labels)))] };
}

function unlessOp(lhs: VectorValue, rhs: VectorValue, m: VectorMatching): VectorValue {
  const right = new Set(rhs.samples.map((s) => sig(m, s.labels)));
  return { type: "vector", samples: lhs.samples.filter((s) => !right.has(sig(m, s.labels))) };
}

function groupDescription(m: VectorMatching, labels: Labels): string {
  const out: Record<string, string> = {};
  if (m.on) {
    for (const n of m.labels) if (labels[n] !== undefined) out[n] = labels[n];
  } else {
    for (const [k, v] of Object.entries(labels)) if (k !== METRIC_NAME && !m.labels.includes(k)) out[k] = v;
  }
  return formatLabels(out);
}

function vectorVector(
  op: BinaryOp,
  returnBool: boolean,
  lhs: VectorValue,
  rhs: VectorValue,
  m: VectorMatching,
  t: number,
): VectorValue {
  if (lhs.samples.length === 0 || rhs.samples.length === 0) return { type: "vector", samples: [] };
  const oneToMany = m.card === "one-to-many";
  // "many" side first; the "one" side is indexed by signature.
  const many = oneToMany ? rhs : lhs;
  const one = oneToMany ? lhs : rhs;
  const oneBySig = new Map<string, Sample>();
  const oneDupes = new Map<string, Sample[]>();
  for (const s of one.samples) {
    const key = sig(m, s.labels);
    const prev = oneBySig.get(key);
    if (prev) {
      const list = oneDupes.get(key) ?? [prev];
      list.push(s);
      oneDupes.set(key, list);
    } else oneBySig.set(key, s);
  }
  for (const [, list] of oneDupes) {
    const side = oneToMany ? "left" : "right";
    const first = list[0];
    throw new PromQLError(
      "execution",
      `found duplicate series for the match group ${first ? groupDescription(m, first.labels) : "{}"} on the ${side} hand-side of the operation: [${list
        .slice(0, 2)
        .map((s) => formatLabels(s.labels))
        .join(", ")}];many-to-many matching not allowed: matching labels must be unique on one side`,
    );
  }
  const comparison = isComparison(op);
  const out: Sample[] = [];
  const matched = new Map<string, Set<string>>();
  for (const ms of many.samples) {
    const key = sig(m, ms.labels);
    const os = oneBySig.get(key);
    if (!os) continue;
    const labels = resultLabels(ms.labels, os.labels, m, !comparison || returnBool);
    const inserted = matched.get(key);
    if (m.card === "one-to-one") {
      if (inserted) {
        throw new PromQLError("execution", "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
      }
      matched.set(key, new Set());
    } else {
      const outKey = labelsKey(labels);
      if (inserted?.has(outKey)) {
        throw new PromQLError("execution", "multiple matches for labels: grouping labels must ensure unique matches");
      }
      if (inserted) inserted.add(outKey);
      else matched.set(key, new Set([outKey]));
    }
    const l = oneToMany ? os.value : ms.value;
    const r = oneToMany ? ms.value : os.value;
    let [value, keep] = scalarOp(op, l, r);
    if (returnBool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    out.push({ labels, value, ts: t });
  }
  return { type: "vector", samples: out };
}

function resultLabels(many: Labels, one: Labels, m: VectorMatching, drop: boolean): Labels {
  const out: Record<string, string> = { ...(drop ? dropName(many) : many) };
  if (m.card === "one-to-one") {
    if (m.on) {
      for (const k of Object.keys(out)) if (!m.labels.includes(k)) delete out[k];
    } else {
      for (const k of m.labels) delete out[k];
    }
  }
  for (const name of m.include) {
    const v = one[name];
    if (v !== undefined && v !== "") out[name] = v;
    else delete out[name];
  }
  return out;
}
