/**
 * Prints an AST back to PromQL (the printed text parses to the same AST), and rewrites queries to
 * enforce label matchers on every selector, as prom-label-proxy does for an external Prometheus.
 */
import type { AtModifier, Expr, Matcher, VectorMatching, VectorSelector } from "#server/modules/query/promql/ast.ts";

const UNITS: ReadonlyArray<[string, number]> = [
  ["y", 365 * 86_400_000],
  ["w", 7 * 86_400_000],
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];

/** Formats milliseconds as a Prometheus duration ("1h30m", "500ms", "-5m"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 0) return `-${formatDuration(-ms)}`;
  let rest = ms;
  let out = "";
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

const PLAIN_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const PLAIN_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function quote(s: string): string {
  return JSON.stringify(s);
}

function labelName(name: string): string {
  return PLAIN_LABEL.test(name) ? name : quote(name);
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function formatAt(at: AtModifier | undefined): string {
  if (!at) return "";
  if (at.kind === "start") return " @ start()";
  if (at.kind === "end") return " @ end()";
  return ` @ ${(at.ms / 1000).toFixed(3)}`;
}

function formatOffset(ms: number): string {
  return ms === 0 ? "" : ` offset ${formatDuration(ms)}`;
}

function selectorBody(sel: VectorSelector): string {
  const name = sel.name;
  const plainName = name !== undefined && PLAIN_NAME.test(name);
  const rest = sel.matchers.filter((m, i) => !(name !== undefined && i === 0 && m.name === "__name__" && m.type === "="));
  const parts = rest.map((m) => `${labelName(m.name)}${m.type}${quote(m.value)}`);
  if (name !== undefined && !plainName) parts.unshift(quote(name));
  const braces = parts.length > 0 ? `{${parts.join(", ")}}` : "";
  return `${plainName ? name : ""}${braces || (plainName ? "" : "{}")}`;
}

function grouping(labels: readonly string[]): string {
  return `(${labels.map(labelName).join(", ")})`;
}

function matchingClause(m: VectorMatching | undefined, op: string): string {
  if (!m) return "";
  let out = "";
  const setOp = op === "and" || op === "or" || op === "unless";
  if (m.on) out += ` on${grouping(m.labels)}`;
  else if (m.labels.length > 0) out += ` ignoring${grouping(m.labels)}`;
  if (!setOp && m.card === "many-to-one") out += ` group_left${grouping(m.include)}`;
  if (!setOp && m.card === "one-to-many") out += ` group_right${grouping(m.include)}`;
  return out;
}

/** Prints an expression as PromQL. */
export function formatExpr(e: Expr): string {
  switch (e.type) {
    case "number":
      return formatNumber(e.value);
    case "string":
      return quote(e.value);
    case "vectorSelector":
      return `${selectorBody(e)}${formatOffset(e.offset)}${formatAt(e.at)}`;
    case "matrixSelector":
      return `${selectorBody(e.selector)}[${formatDuration(e.range)}]${formatOffset(e.selector.offset)}${formatAt(e.selector.at)}`;
    case "subquery":
      return `${formatExpr(e.expr)}[${formatDuration(e.range)}:${e.step === undefined ? "" : formatDuration(e.step)}]${formatOffset(e.offset)}${formatAt(e.at)}`;
    case "paren":
      return `(${formatExpr(e.expr)})`;
    case "unary":
      return `${e.op}${formatExpr(e.expr)}`;
    case "binary": {
      let lhs = formatExpr(e.lhs);
      if (e.op === "^" && e.lhs.type === "number" && (e.lhs.value < 0 || Object.is(e.lhs.value, -0))) lhs = `(${lhs})`;
      return `${lhs} ${e.op}${e.returnBool ? " bool" : ""}${matchingClause(e.matching, e.op)} ${formatExpr(e.rhs)}`;
    }
    case "aggregate": {
      const mod = e.without ? ` without${grouping(e.grouping)}` : e.grouping.length > 0 ? ` by${grouping(e.grouping)}` : "";
      const args = e.param ? `${formatExpr(e.param)}, ${formatExpr(e.expr)}` : formatExpr(e.expr);
      return `${e.op}${mod} (${args})`;
    }
    case "call":
      return `${e.func}(${e.args.map(formatExpr).join(", ")})`;
  }
}

/**
 * Adds `enforced` matchers to every selector (existing matchers stay: they can only narrow the
 * selection), so a query cannot read series outside the enforced label values.
 */
export function enforceMatchers(e: Expr, enforced: readonly Matcher[]): Expr {
  const sel = (s: VectorSelector): VectorSelector => ({ ...s, matchers: [...s.matchers, ...enforced] });
  switch (e.type) {
    case "number":
    case "string":
      return e;
    case "vectorSelector":
      return sel(e);
    case "matrixSelector":
      return { ...e, selector: sel(e.selector) };
    case "subquery":
    case "paren":
    case "unary":
      return { ...e, expr: enforceMatchers(e.expr, enforced) };
    case "binary":
      return { ...e, lhs: enforceMatchers(e.lhs, enforced), rhs: enforceMatchers(e.rhs, enforced) };
    case "aggregate":
      return { ...e, expr: enforceMatchers(e.expr, enforced), param: e.param && enforceMatchers(e.param, enforced) };
    case "call":
      return { ...e, args: e.args.map((a) => enforceMatchers(a, enforced)) };
  }
}
