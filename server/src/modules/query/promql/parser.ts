/**
 * PromQL parser: runs the maintained lezer grammar (@prometheus-io/lezer-promql, the one Prometheus's
 * own UI uses), converts its concrete syntax tree into the typed AST of ast.ts and type-checks it
 * the way Prometheus does. Every error is a `PromQLError` of kind `bad_data` with a position.
 */
import { parser } from "@prometheus-io/lezer-promql";
import type {
  AggregateExpr,
  AggregateOp,
  AtModifier,
  BinaryExpr,
  BinaryOp,
  Expr,
  Matcher,
  MatchType,
  ValueType,
  VectorMatching,
  VectorSelector,
} from "#server/modules/query/promql/ast.ts";
import { parseError, type PromQLError } from "#server/modules/query/promql/errors.ts";
import { FUNCTIONS } from "#server/modules/query/promql/function-signatures.ts";

type SyntaxNode = ReturnType<typeof parser.parse>["topNode"];

const AGGREGATE_OPS: ReadonlySet<string> = new Set<AggregateOp>([
  "sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group",
  "limitk", "limit_ratio",
]);

const BINARY_OPS: Readonly<Record<string, BinaryOp>> = {
  Pow: "^", Mul: "*", Div: "/", Mod: "%", Add: "+", Sub: "-", Atan2: "atan2",
  Eql: "==", Neq: "!=", Gtr: ">", Lss: "<", Gte: ">=", Lte: "<=",
  And: "and", Or: "or", Unless: "unless",
};

const COMPARISON_OPS: ReadonlySet<string> = new Set(["==", "!=", ">", "<", ">=", "<="]);
const SET_OPS: ReadonlySet<string> = new Set(["and", "or", "unless"]);

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_UNITS_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/** Parses a Prometheus duration ("1h30m", "500ms") into milliseconds, or undefined. */
export function parseDuration(text: string): number | undefined {
  if (text === "" || text === "0") return text === "0" ? 0 : undefined;
  const match = DURATION_RE.exec(text);
  if (!match) return undefined;
  let total = 0;
  let any = false;
  for (let i = 0; i < DURATION_UNITS_MS.length; i++) {
    const part = match[i + 1];
    if (part !== undefined) {
      any = true;
      total += Number(part) * (DURATION_UNITS_MS[i] ?? 0);
    }
  }
  return any ? total : undefined;
}

/** Parses a PromQL number literal (Go float syntax, hex, Inf, NaN, or a duration as seconds). */
export function parseNumber(text: string): number | undefined {
  if (text.startsWith("-") || text.startsWith("+")) {
    const rest = parseNumber(text.slice(1).trimStart());
    return rest === undefined ? undefined : text.startsWith("-") ? -rest : rest;
  }
  const lower = text.toLowerCase();
  if (lower === "inf" || lower === "+inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  if (lower === "nan") return NaN;
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text.slice(2), 16);
  if (/^[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?$/i.test(text) || /^[0-9]+\.(?:e[+-]?[0-9]+)?$/i.test(text)) {
    return Number(text.endsWith(".") ? text.slice(0, -1) : text.replace(/\.e/i, "e"));
  }
  if (/^0[0-7]+$/.test(text)) return parseInt(text, 8);
  const duration = parseDuration(text);
  return duration === undefined ? undefined : duration / 1000;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/** Unquotes a PromQL string literal ("…", '…' with Go escapes, or `raw`). */
export function unquoteString(raw: string): string | undefined {
  const quote = raw[0];
  if (raw.length < 2 || raw[raw.length - 1] !== quote) return undefined;
  const body = raw.slice(1, -1);
  if (quote === "`") return body;
  if (quote !== '"' && quote !== "'") return undefined;
  const bytes: number[] = [];
  const pushString = (s: string): void => {
    for (const b of new TextEncoder().encode(s)) bytes.push(b);
  };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] ?? "";
    if (ch !== "\\") {
      const code = body.codePointAt(i) ?? 0;
      const full = String.fromCodePoint(code);
      pushString(full);
      i += full.length - 1;
      continue;
    }
    const next = body[++i];
    switch (next) {
      case "a": bytes.push(7); break;
      case "b": bytes.push(8); break;
      case "f": bytes.push(12); break;
      case "n": bytes.push(10); break;
      case "r": bytes.push(13); break;
      case "t": bytes.push(9); break;
      case "v": bytes.push(11); break;
      case "\\": bytes.push(92); break;
      case "'": bytes.push(39); break;
      case '"': bytes.push(34); break;
      case "x": {
        const hex = body.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
        bytes.push(parseInt(hex, 16));
        i += 2;
        break;
      }
      case "u":
      case "U": {
        const len = next === "u" ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) return undefined;
        pushString(String.fromCodePoint(parseInt(hex, 16)));
        i += len;
        break;
      }
      default: {
        const oct = body.slice(i, i + 3);
        if (/^[0-7]{3}$/.test(oct)) {
          bytes.push(parseInt(oct, 8) & 0xff);
          i += 2;
          break;
        }
        return undefined;
      }
    }
  }
  return decoder.decode(new Uint8Array(bytes));
}

/** The value type an expression evaluates to. */
export function typeOf(expr: Expr): ValueType {
  switch (expr.type) {
    case "number":
      return "scalar";
    case "string":
      return "string";
    case "vectorSelector":
      return "vector";
    case "matrixSelector":
    case "subquery":
      return "matrix";
    case "unary":
    case "paren":
      return typeOf(expr.expr);
    case "binary":
      return typeOf(expr.lhs) === "vector" || typeOf(expr.rhs) === "vector" ? "vector" : "scalar";
    case "aggregate":
      return "vector";
    case "call":
      return FUNCTIONS.get(expr.func)?.returns ?? "vector";
  }
}

export function describeType(t: ValueType): string {
  switch (t) {
    case "scalar":
      return "scalar";
    case "string":
      return "string";
    case "vector":
      return "instant vector";
    case "matrix":
      return "range vector";
  }
}

export interface ParseOptions {
  /** Allow experimental functions (mad_over_time, sort_by_label, …) and aggregations (limitk, limit_ratio). */
  readonly experimental?: boolean;
}

/** Parses and type-checks a PromQL query. Throws `PromQLError` (kind `bad_data`). */
export function parsePromQL(query: string, options: ParseOptions = {}): Expr {
  return new Converter(query, options).run();
}

/**
 * Translates RE2 syntax into JavaScript: inline flag groups "(?i)" (which apply to the rest of the
 * enclosing group) become scoped modifiers "(?i:…)"; "\\z" and "(?P<name>" are rewritten.
 */
export function translateRegex(pattern: string): string {
  let out = "";
  const pending: number[] = [0];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? "";
    if (ch === "\\") {
      const next = pattern[i + 1] ?? "";
      if (!inClass && next === "z") out += "$";
      else out += ch + next;
      i++;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^?)(alnum|alpha|ascii|blank|cntrl|digit|graph|lower|print|punct|space|upper|word|xdigit):\]/.exec(pattern.slice(i));
      if (posix) {
        const ranges = POSIX_CLASSES[posix[2] ?? ""] ?? "";
        // A negated POSIX class inside a class cannot be expressed without the v flag; approximate it.
        out += posix[1] ? "" : ranges;
        i += posix[0].length - 1;
        continue;
      }
      if (ch === "]") inClass = false;
      out += ch;
      continue;
    }
    if (ch === "[") {
      inClass = true;
      out += ch;
      if (pattern[i + 1] === "^") {
        out += "^";
        i++;
      }
      if (pattern[i + 1] === "]") {
        out += "\\]";
        i++;
      }
      continue;
    }
    if (ch === "(") {
      const flags = /^\(\?([imsU]*(?:-[imsU]*)?)\)/.exec(pattern.slice(i));
      if (flags) {
        const f = (flags[1] ?? "").replace(/U/g, "");
        if (f !== "" && f !== "-") {
          out += `(?${f.endsWith("-") ? f.slice(0, -1) : f}:`;
          pending[pending.length - 1] = (pending[pending.length - 1] ?? 0) + 1;
        }
        i += flags[0].length - 1;
        continue;
      }
      if (pattern.startsWith("(?P<", i)) {
        out += "(?<";
        i += 3;
        pending.push(0);
        continue;
      }
      pending.push(0);
      out += ch;
      continue;
    }
    if (ch === ")") {
      out += ")".repeat(pending.pop() ?? 0);
      if (pending.length === 0) pending.push(0);
      out += ch;
      continue;
    }
    out += ch;
  }
  out += ")".repeat(pending.pop() ?? 0);
  return out;
}

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

const regexCache = new Map<string, RegExp>();

/** Compiles a PromQL regex matcher (RE2 syntax, fully anchored) into a JavaScript RegExp. */
export function compileRegex(pattern: string): RegExp {
  const cached = regexCache.get(pattern);
  if (cached) return cached;
  // Prometheus 3.x compiles "^(?s:<re>)$": fully anchored, and "." also matches newlines.
  const re = new RegExp(`^(?:${translateRegex(pattern)})$`, "s");
  if (regexCache.size > 1000) regexCache.clear();
  regexCache.set(pattern, re);
  return re;
}

/** Position of a quote that is never closed, if any. */
function unterminatedString(query: string): number | undefined {
  for (let i = 0; i < query.length; i++) {
    const ch = query[i];
    if (ch === "#") {
      const end = query.indexOf("\n", i);
      if (end < 0) return undefined;
      i = end;
      continue;
    }
    if (ch !== '"' && ch !== "'" && ch !== "`") continue;
    let j = i + 1;
    while (j < query.length && query[j] !== ch && !(ch !== "`" && query[j] === "\n")) j += query[j] === "\\" && ch !== "`" ? 2 : 1;
    if (j >= query.length || query[j] !== ch) return i;
    i = j;
  }
  return undefined;
}

/** The innermost bracket left open at the end of the query, if any. */
function unclosed(query: string): string | undefined {
  const stack: string[] = [];
  for (let i = 0; i < query.length; i++) {
    const ch = query[i] ?? "";
    if (ch === '"' || ch === "'" || ch === "`") {
      let j = i + 1;
      while (j < query.length && query[j] !== ch) j += query[j] === "\\" && ch !== "`" ? 2 : 1;
      i = j;
    } else if (ch === "#") {
      const end = query.indexOf("\n", i);
      i = end < 0 ? query.length : end;
    } else if (ch === "(" || ch === "[" || ch === "{") stack.push(ch);
    else if (ch === ")" || ch === "]" || ch === "}") stack.pop();
  }
  return stack[stack.length - 1];
}

/**
 * The lezer grammar rejects number literals with a trailing dot ("1.", "5./6."), which Prometheus
 * accepts. Outside strings and comments, such a dot becomes a space (same length, so positions hold).
 */
function normaliseTrailingDots(query: string): string {
  let out = "";
  for (let i = 0; i < query.length; i++) {
    const ch = query[i] ?? "";
    if (ch === '"' || ch === "'" || ch === "`") {
      let j = i + 1;
      while (j < query.length && query[j] !== ch) j += query[j] === "\\" && ch !== "`" ? 2 : 1;
      out += query.slice(i, j + 1);
      i = j;
      continue;
    }
    if (ch === "#") {
      const end = query.indexOf("\n", i);
      const stop = end < 0 ? query.length : end;
      out += query.slice(i, stop);
      i = stop - 1;
      continue;
    }
    if (ch === "." && /[0-9]/.test(query[i - 1] ?? "") && !/[0-9A-Za-z_.]/.test(query[i + 1] ?? "")) {
      let k = i - 1;
      while (k >= 0 && /[0-9]/.test(query[k] ?? "")) k--;
      if (k < 0 || !/[A-Za-z_:.]/.test(query[k] ?? "")) {
        out += " ";
        continue;
      }
    }
    out += ch;
  }
  return out;
}

class Converter {
  private readonly query: string;
  private readonly options: ParseOptions;

  constructor(query: string, options: ParseOptions) {
    this.query = query;
    this.options = options;
  }

  run(): Expr {
    if (this.query.trim() === "") throw parseError(this.query, 0, "no expression found in input");
    const tree = parser.parse(normaliseTrailingDots(this.query));
    const top = tree.topNode;
    this.checkErrors(top);
    const children = this.children(top);
    if (children.length !== 1 || !children[0]) throw parseError(this.query, 0, "no expression found in input");
    return this.expr(children[0]);
  }

  private text(node: SyntaxNode): string {
    return this.query.slice(node.from, node.to);
  }

  private fail(node: SyntaxNode | number, message: string): PromQLError {
    return parseError(this.query, typeof node === "number" ? node : node.from, message);
  }

  private children(node: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.name !== "LineComment") out.push(child);
    }
    return out;
  }

  private checkErrors(top: SyntaxNode): void {
    let error: SyntaxNode | undefined;
    const cursor = top.cursor();
    do {
      if (cursor.type.isError) {
        error = cursor.node;
        break;
      }
    } while (cursor.next());
    if (!error) return;
    const parent = error.parent;
    const prev = error.prevSibling;
    if (this.text(error).startsWith("(") && parent?.name === "VectorSelector" && prev?.name === "Identifier") {
      throw this.fail(prev, `unknown function with name "${this.text(prev)}"`);
    }
    const unterminated = unterminatedString(this.query);
    if (unterminated !== undefined) throw this.fail(unterminated, "unterminated quoted string");
    const trimmedEnd = this.query.trimEnd().length;
    let at = error.from;
    while (at < this.query.length && /\s/.test(this.query[at] ?? "")) at++;
    if (at >= trimmedEnd) {
      const open = unclosed(this.query);
      const message =
        open === "(" ? "unclosed left parenthesis" : open === "[" ? "unclosed left bracket" : open === "{" ? "unexpected end of input inside braces" : "unexpected end of input";
      throw this.fail(Math.max(0, trimmedEnd), message);
    }
    const rest = this.query.slice(at);
    const word = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(rest);
    const num = /^[0-9.][0-9a-zA-Z.]*/.exec(rest);
    if (word) throw this.fail(at, `unexpected identifier "${word[0]}"`);
    if (num) throw this.fail(at, `unexpected number "${num[0]}"`);
    if (rest[0] === ")") throw this.fail(at, "unexpected right parenthesis ')'");
    if (rest[0] === "]") throw this.fail(at, "unexpected right bracket ']'");
    if (rest[0] === "}") throw this.fail(at, "unexpected right brace '}'");
    throw this.fail(at, `unexpected character: '${rest[0] ?? ""}'`);
  }

  private expr(node: SyntaxNode): Expr {
    switch (node.name) {
      case "NumberDurationLiteral": {
        const value = parseNumber(this.text(node));
        if (value === undefined) throw this.fail(node, `bad number or duration syntax: "${this.text(node)}"`);
        return { type: "number", value, pos: node.from };
      }
      case "StringLiteral":
        return { type: "string", value: this.string(node), pos: node.from };
      case "VectorSelector":
        return this.vectorSelector(node);
      case "MatrixSelector":
        return this.matrixSelector(node);
      case "SubqueryExpr":
        return this.subquery(node);
      case "OffsetExpr":
        return this.offset(node);
      case "StepInvariantExpr":
        return this.at(node);
      case "ParenExpr": {
        const inner = this.children(node)[0];
        if (!inner) throw this.fail(node, "unexpected \")\"");
        return { type: "paren", expr: this.expr(inner), pos: node.from };
      }
      case "UnaryExpr":
        return this.unary(node);
      case "BinaryExpr":
        return this.binary(node);
      case "AggregateExpr":
        return this.aggregate(node);
      case "FunctionCall":
        return this.call(node);
      default:
        throw this.fail(node, `unsupported expression: ${this.text(node)}`);
    }
  }

  private string(node: SyntaxNode): string {
    const value = unquoteString(this.text(node));
    if (value === undefined) {
      const raw = this.text(node);
      const closed = raw.length >= 2 && raw[raw.length - 1] === raw[0];
      throw this.fail(node, closed ? `invalid string literal ${raw}` : "unterminated quoted string");
    }
    return value;
  }

  private labelName(node: SyntaxNode): string {
    if (node.name === "QuotedLabelName") {
      const lit = this.children(node)[0];
      if (!lit) throw this.fail(node, "missing label name");
      return this.string(lit);
    }
    return this.text(node);
  }

  private vectorSelector(node: SyntaxNode): VectorSelector {
    let name: string | undefined;
    const matchers: Matcher[] = [];
    for (const child of this.children(node)) {
      if (child.name === "Identifier" || child.name === "MetricName") name = this.text(child);
      else if (child.name === "LabelMatchers") {
        for (const m of this.children(child)) {
          if (m.name === "QuotedLabelName") {
            // {"metric.name"}: a quoted metric name inside the braces.
            const metric = this.labelName(m);
            if (name !== undefined) throw this.fail(m, "metric name must not be set twice");
            name = metric;
            continue;
          }
          const parts = this.children(m);
          const [labelNode, opNode, valueNode] = parts;
          if (!labelNode || !opNode || !valueNode) throw this.fail(m, "invalid label matcher");
          const op = this.text(opNode) as MatchType;
          const value = this.string(valueNode);
          if (op === "=~" || op === "!~") {
            try {
              compileRegex(value);
            } catch (err) {
              throw this.fail(valueNode, `error parsing regexp: ${(err as Error).message}`);
            }
          }
          matchers.push({ type: op, name: this.labelName(labelNode), value });
        }
      }
    }
    if (name !== undefined) {
      if (matchers.some((m) => m.name === "__name__")) throw this.fail(node, "metric name must not be set twice");
      matchers.unshift({ type: "=", name: "__name__", value: name });
    }
    if (!matchers.some((m) => !matchesEmpty(m))) {
      throw this.fail(node, "vector selector must contain at least one non-empty matcher");
    }
    return { type: "vectorSelector", name, matchers, offset: 0, at: undefined, pos: node.from };
  }

  private duration(node: SyntaxNode, allowNegative = false): number {
    const children = this.children(node);
    if (node.name === "NumberDurationLiteralInDurationContext" || node.name === "NumberDurationLiteral") {
      const text = this.text(node);
      const d = parseDuration(text);
      if (d !== undefined) return d;
      const n = parseNumber(text);
      if (n === undefined || !Number.isFinite(n)) throw this.fail(node, `bad duration syntax: "${text}"`);
      return Math.round(n * 1000);
    }
    if (node.name === "DurationExpr" || node.name === "OffsetDurationExpr") {
      if (children.length === 1 && children[0]) return this.duration(children[0], allowNegative);
      if (children.length === 2 && children[0]?.name === "UnaryOp" && children[1]) {
        const inner = this.duration(children[1], true);
        const value = this.text(children[0]) === "-" ? -inner : inner;
        if (value < 0 && !allowNegative) throw this.fail(node, "duration must be greater than 0");
        return value;
      }
      if (children.length === 3 && children[0] && children[1] && children[2]) {
        const a = this.duration(children[0], true) / 1000;
        const b = this.duration(children[2], true) / 1000;
        const op = this.text(children[1]);
        const r =
          op === "+" ? a + b : op === "-" ? a - b : op === "*" ? a * b : op === "/" ? a / b : op === "%" ? a % b : op === "^" ? a ** b : NaN;
        if (!Number.isFinite(r)) throw this.fail(node, `invalid duration expression "${this.text(node)}"`);
        return Math.round(r * 1000);
      }
      if (children.length === 3 && children[0]?.name === "(" && children[1]) return this.duration(children[1], allowNegative);
    }
    if (node.name === "ParenExpr" || node.name === "UnaryExpr") {
      const inner = children[children.length - 1];
      if (inner) {
        const value = this.duration(inner, true);
        return children[0]?.name === "UnaryOp" && this.text(children[0]) === "-" ? -value : value;
      }
    }
    throw this.fail(node, `unsupported duration expression "${this.text(node)}"`);
  }

  private matrixSelector(node: SyntaxNode): Expr {
    const [inner, range] = this.children(node);
    if (!inner || !range) throw this.fail(node, "invalid range selector");
    const selector = this.expr(inner);
    if (selector.type !== "vectorSelector") throw this.fail(node, "ranges only allowed for vector selectors");
    if (selector.offset !== 0 || selector.at !== undefined) {
      throw this.fail(node, "no offset or @ modifiers allowed before range");
    }
    const ms = this.duration(range);
    if (ms <= 0) throw this.fail(range, `range must be greater than 0, got ${this.text(range)}`);
    return { type: "matrixSelector", selector, range: ms, pos: node.from };
  }

  private subquery(node: SyntaxNode): Expr {
    const parts = this.children(node);
    const [inner, range, step] = parts;
    if (!inner || !range) throw this.fail(node, "invalid subquery");
    const expr = this.expr(inner);
    const t = typeOf(expr);
    if (t !== "vector") throw this.fail(node, `subquery is only allowed on instant vector, got ${describeType(t)} instead`);
    const rangeMs = this.duration(range);
    if (rangeMs <= 0) throw this.fail(range, "range must be greater than 0");
    const stepMs = step ? this.duration(step) : undefined;
    if (stepMs !== undefined && stepMs <= 0) throw this.fail(step ?? node, "step must be greater than 0");
    return { type: "subquery", expr, range: rangeMs, step: stepMs, offset: 0, at: undefined, pos: node.from };
  }

  private offset(node: SyntaxNode): Expr {
    const parts = this.children(node);
    const inner = parts[0];
    const dur = parts[parts.length - 1];
    if (!inner || !dur) throw this.fail(node, "invalid offset");
    const ms = this.duration(dur, true);
    return this.applyOffset(node, this.expr(inner), ms);
  }

  /** lezer binds offset/@ looser than operators; Prometheus binds them to the nearest operand. */
  private applyOffset(node: SyntaxNode, base: Expr, ms: number): Expr {
    const dup = (): PromQLError => this.fail(node, "offset may not be set multiple times");
    switch (base.type) {
      case "binary":
        return { ...base, rhs: this.applyOffset(node, base.rhs, ms) };
      case "unary":
        return { ...base, expr: this.applyOffset(node, base.expr, ms) };
      case "vectorSelector":
        if (base.offset !== 0) throw dup();
        return { ...base, offset: ms };
      case "matrixSelector":
        if (base.selector.offset !== 0) throw dup();
        return { ...base, selector: { ...base.selector, offset: ms } };
      case "subquery":
        if (base.offset !== 0) throw dup();
        return { ...base, offset: ms };
      default:
        throw this.fail(node, "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery");
    }
  }

  private at(node: SyntaxNode): Expr {
    const parts = this.children(node);
    const inner = parts[0];
    const value = parts[parts.length - 1];
    if (!inner || !value) throw this.fail(node, "invalid @ modifier");
    let at: AtModifier;
    if (value.name === "AtModifierPreprocessors") {
      at = this.text(value).startsWith("start") ? { kind: "start" } : { kind: "end" };
    } else {
      const e = this.expr(value);
      const n = numericValue(e);
      if (n === undefined) throw this.fail(value, "unexpected expression after @");
      if (!Number.isFinite(n)) throw this.fail(value, `timestamp out of bounds for @ modifier: ${n}`);
      at = { kind: "time", ms: Math.round(n * 1000) };
    }
    return this.applyAt(node, this.expr(inner), at);
  }

  private applyAt(node: SyntaxNode, base: Expr, at: AtModifier): Expr {
    const dup = (): PromQLError => this.fail(node, "@ <timestamp> may not be set multiple times");
    switch (base.type) {
      case "binary":
        return { ...base, rhs: this.applyAt(node, base.rhs, at) };
      case "unary":
        return { ...base, expr: this.applyAt(node, base.expr, at) };
      case "vectorSelector":
        if (base.at) throw dup();
        return { ...base, at };
      case "matrixSelector":
        if (base.selector.at) throw dup();
        return { ...base, selector: { ...base.selector, at } };
      case "subquery":
        if (base.at) throw dup();
        return { ...base, at };
      default:
        throw this.fail(node, "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery");
    }
  }

  private unary(node: SyntaxNode): Expr {
    const [opNode, inner] = this.children(node);
    if (!opNode || !inner) throw this.fail(node, "invalid unary expression");
    const expr = this.expr(inner);
    const t = typeOf(expr);
    if (t !== "scalar" && t !== "vector") {
      throw this.fail(node, `unary expression only allowed on expressions of type scalar or instant vector, got "${describeType(t)}"`);
    }
    const op = this.text(opNode) === "-" ? "-" : "+";
    if (expr.type === "number") return { type: "number", value: op === "-" ? -expr.value : expr.value, pos: node.from };
    return { type: "unary", op, expr, pos: node.from };
  }

  private binary(node: SyntaxNode): Expr {
    const parts = this.children(node);
    const lhsNode = parts[0];
    const opNode = parts[1];
    const rhsNode = parts[parts.length - 1];
    if (!lhsNode || !opNode || !rhsNode || parts.length < 3) throw this.fail(node, "invalid binary expression");
    const op = BINARY_OPS[opNode.name];
    if (!op) throw this.fail(opNode, `unsupported binary operator "${this.text(opNode)}"`);
    const lhs = this.expr(lhsNode);
    const rhs = this.expr(rhsNode);
    let returnBool = false;
    let matchingNode: SyntaxNode | undefined;
    for (const p of parts.slice(2, -1)) {
      if (p.name === "BoolModifier") {
        returnBool = true;
        const rest = this.children(p).filter((c) => c.name === "MatchingModifierClause");
        if (rest[0]) matchingNode = rest[0];
      } else if (p.name === "MatchingModifierClause") matchingNode = p;
      else if (p.name === "FillModifier") throw this.fail(p, "fill modifiers are not supported");
    }
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    if ((lt !== "scalar" && lt !== "vector") || (rt !== "scalar" && rt !== "vector")) {
      throw this.fail(node, "binary expression must contain only scalar and instant vector types");
    }
    if (returnBool && !COMPARISON_OPS.has(op)) throw this.fail(node, "bool modifier can only be used on comparison operators");
    if (COMPARISON_OPS.has(op) && lt === "scalar" && rt === "scalar" && !returnBool) {
      throw this.fail(node, "comparisons between scalars must use BOOL modifier");
    }
    if (SET_OPS.has(op) && (lt === "scalar" || rt === "scalar")) {
      throw this.fail(node, `set operator "${op}" not allowed in binary scalar expression`);
    }
    let matching: VectorMatching | undefined;
    if (matchingNode) {
      if (lt !== "vector" || rt !== "vector") throw this.fail(node, "vector matching only allowed between instant vectors");
      matching = this.matching(matchingNode, op);
    } else if (lt === "vector" && rt === "vector") {
      matching = { card: SET_OPS.has(op) ? "many-to-many" : "one-to-one", on: false, labels: [], include: [] };
    }
    const lhsText = this.text(lhsNode);
    if (op === "^" && lhsNode.name === "NumberDurationLiteral" && /^[-+]/.test(lhsText) && lhs.type === "number") {
      // lezer reads "-2" as one literal; Prometheus binds unary minus looser than ^: -2^2 = -(2^2).
      const abs: Expr = { type: "number", value: Math.abs(lhs.value), pos: lhs.pos + 1 };
      const inner: BinaryExpr = { type: "binary", op, lhs: abs, rhs, returnBool, matching, pos: node.from + 1 };
      return { type: "unary", op: lhsText.startsWith("-") ? "-" : "+", expr: inner, pos: node.from };
    }
    return { type: "binary", op, lhs, rhs, returnBool, matching, pos: node.from };
  }

  private matching(node: SyntaxNode, op: BinaryOp): VectorMatching {
    let on = false;
    let labels: string[] = [];
    let include: string[] = [];
    let card: VectorMatching["card"] = SET_OPS.has(op) ? "many-to-many" : "one-to-one";
    let last = "";
    for (const p of this.children(node)) {
      if (p.name === "On" || p.name === "Ignoring") {
        on = p.name === "On";
        last = "match";
      } else if (p.name === "GroupLeft" || p.name === "GroupRight") {
        if (SET_OPS.has(op)) throw this.fail(p, `no grouping allowed for "${op}" operation`);
        card = p.name === "GroupLeft" ? "many-to-one" : "one-to-many";
        last = "group";
      } else if (p.name === "GroupingLabels") {
        const names = this.children(p).map((c) => this.labelName(c));
        if (last === "match") labels = names;
        else include = names;
      }
    }
    if (on) {
      for (const l of include) {
        if (labels.includes(l)) throw this.fail(node, `label "${l}" must not occur in ON and GROUP clause at once`);
      }
    }
    return { card, on, labels, include };
  }

  private aggregate(node: SyntaxNode): AggregateExpr {
    let op: string | undefined;
    let grouping: string[] = [];
    let without = false;
    let args: SyntaxNode[] = [];
    for (const p of this.children(node)) {
      if (p.name === "AggregateOp") op = this.text(p).toLowerCase();
      else if (p.name === "AggregateModifier") {
        for (const c of this.children(p)) {
          if (c.name === "Without") without = true;
          else if (c.name === "GroupingLabels") grouping = this.children(c).map((l) => this.labelName(l));
        }
      } else if (p.name === "FunctionCallBody") args = this.children(p);
    }
    if (!op || !AGGREGATE_OPS.has(op)) throw this.fail(node, `unknown aggregation operator "${op ?? ""}"`);
    const aggOp = op as AggregateOp;
    if ((aggOp === "limitk" || aggOp === "limit_ratio") && !this.options.experimental) {
      throw this.fail(node, `limitk() and limit_ratio() are experimental and must be enabled with --enable-feature=promql-experimental-functions`);
    }
    const needsParam = ["topk", "bottomk", "quantile", "count_values", "limitk", "limit_ratio"].includes(aggOp);
    const expected = needsParam ? 2 : 1;
    if (args.length !== expected) {
      throw this.fail(node, `wrong number of arguments for aggregate expression provided, expected ${expected}, got ${args.length}`);
    }
    const exprs = args.map((a) => this.expr(a));
    const param = needsParam ? exprs[0] : undefined;
    const expr = exprs[exprs.length - 1];
    if (!expr) throw this.fail(node, "missing aggregation argument");
    const t = typeOf(expr);
    if (t !== "vector") throw this.fail(node, `expected type instant vector in aggregation expression, got ${describeType(t)}`);
    if (param) {
      const pt = typeOf(param);
      const want: ValueType = aggOp === "count_values" ? "string" : "scalar";
      if (pt !== want) {
        throw this.fail(node, `expected type ${describeType(want)} in aggregation parameter, got ${describeType(pt)}`);
      }
    }
    return { type: "aggregate", op: aggOp, expr, param, grouping, without, pos: node.from };
  }

  private call(node: SyntaxNode): Expr {
    const [idNode, bodyNode] = this.children(node);
    if (!idNode || !bodyNode) throw this.fail(node, "invalid function call");
    const name = this.text(idNode);
    const sig = FUNCTIONS.get(name);
    if (!sig) throw this.fail(idNode, `unknown function with name "${name}"`);
    if (sig.experimental && !this.options.experimental) {
      throw this.fail(idNode, `function "${name}" is not enabled`);
    }
    const args = this.children(bodyNode).map((a) => this.expr(a));
    const min = sig.variadic !== 0 ? sig.args.length - 1 : sig.args.length;
    const max = sig.variadic < 0 ? Infinity : sig.args.length - 1 + Math.max(1, sig.variadic);
    if (args.length < min || args.length > max) {
      const expectation = sig.variadic === 0 ? `${sig.args.length}` : args.length < min ? `at least ${min}` : `at most ${max}`;
      throw this.fail(node, `expected ${expectation} argument(s) in call to "${name}", got ${args.length}`);
    }
    args.forEach((arg, i) => {
      const want = sig.args[Math.min(i, sig.args.length - 1)] ?? "vector";
      const got = typeOf(arg);
      if (got !== want) {
        throw this.fail(arg.pos, `expected type ${describeType(want)} in call to function "${name}", got ${describeType(got)}`);
      }
    });
    return { type: "call", func: name, args, pos: node.from };
  }
}

function matchesEmpty(m: Matcher): boolean {
  switch (m.type) {
    case "=":
      return m.value === "";
    case "!=":
      return m.value !== "";
    case "=~":
      return compileRegex(m.value).test("");
    case "!~":
      return !compileRegex(m.value).test("");
  }
}

function numericValue(e: Expr): number | undefined {
  if (e.type === "number") return e.value;
  if (e.type === "paren") return numericValue(e.expr);
  if (e.type === "unary") {
    const v = numericValue(e.expr);
    return v === undefined ? undefined : e.op === "-" ? -v : v;
  }
  return undefined;
}
