/**
 * The subset of Go text/template that Prometheus alert labels and annotations use: actions with
 * pipelines, variables ($labels, $externalLabels, $externalURL, $value, $), field chains, if / else
 * if / else / end, range (over maps and lists), with, variable declarations, comments and trim
 * markers, plus Go's builtins and Prometheus's template functions (humanize*, printf, title, …).
 * An error during expansion yields `<error expanding template: …>`, as Prometheus writes it.
 */

export type TemplateValue = string | number | boolean | null | undefined | TemplateMap | TemplateValue[] | TemplateStruct;
export type TemplateMap = { readonly [key: string]: TemplateValue };

/** A Go struct (fields are exported names); a plain object is a map. */
export class TemplateStruct {
  readonly typeName: string;
  readonly fields: Readonly<Record<string, TemplateValue>>;
  constructor(typeName: string, fields: Record<string, TemplateValue>) {
    this.typeName = typeName;
    this.fields = fields;
  }
}

export interface AlertTemplateData {
  labels: Readonly<Record<string, string>>;
  externalLabels: Readonly<Record<string, string>>;
  externalURL: string;
  value: number;
}

/** The definitions Prometheus prepends to every alert template. */
const DEFS = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

// ----------------------------------------------------------------------------------------------
// Lexing and parsing
// ----------------------------------------------------------------------------------------------

type Operand =
  | { kind: "var"; name: string; fields: string[] }
  | { kind: "dot"; fields: string[] }
  | { kind: "ident"; name: string }
  | { kind: "lit"; value: TemplateValue }
  | { kind: "pipe"; pipe: Pipeline; fields: string[] };

interface Pipeline {
  decl: string[];
  assign: boolean;
  cmds: Operand[][];
  pos: number;
  text: string;
}

type TNode =
  | { kind: "text"; text: string }
  | { kind: "action"; pipe: Pipeline }
  | { kind: "if" | "with"; pipe: Pipeline; list: TNode[]; elseList: TNode[] | undefined }
  | { kind: "range"; pipe: Pipeline; list: TNode[]; elseList: TNode[] | undefined };

class TemplateError extends Error {}

interface Tok {
  t: "var" | "field" | "ident" | "str" | "num" | "pipe" | "lp" | "rp" | "decl" | "assign" | "comma" | "dotsel";
  v: string;
}

function lexAction(src: string, lineNo: () => number): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const err = (m: string): never => {
    throw new TemplateError(`${lineNo()}: ${m}`);
  };
  while (i < src.length) {
    const c = src[i] ?? "";
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "|") {
      toks.push({ t: "pipe", v: c });
      i++;
    } else if (c === "(") {
      toks.push({ t: "lp", v: c });
      i++;
    } else if (c === ")") {
      // A field chain may follow a parenthesised pipeline.
      toks.push({ t: "rp", v: c });
      i++;
      const m = /^(\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(src.slice(i));
      if (m) {
        toks.push({ t: "dotsel", v: m[0] });
        i += m[0].length;
      }
    } else if (c === ",") {
      toks.push({ t: "comma", v: c });
      i++;
    } else if (c === ":" && src[i + 1] === "=") {
      toks.push({ t: "decl", v: ":=" });
      i += 2;
    } else if (c === "=") {
      toks.push({ t: "assign", v: "=" });
      i++;
    } else if (c === "$") {
      const m = /^\$[A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(src.slice(i));
      if (!m) err("bad variable");
      toks.push({ t: "var", v: m![0] });
      i += m![0].length;
    } else if (c === ".") {
      const m = /^(\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(src.slice(i));
      if (m) {
        toks.push({ t: "field", v: m[0] });
        i += m[0].length;
      } else if (/^\.[0-9]/.test(src.slice(i))) {
        const n = /^\.[0-9]+([eE][+-]?[0-9]+)?/.exec(src.slice(i))!;
        toks.push({ t: "num", v: n[0] });
        i += n[0].length;
      } else {
        toks.push({ t: "field", v: "." });
        i++;
      }
    } else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') {
        if (src[j] === "\n") err("unterminated quoted string");
        j += src[j] === "\\" ? 2 : 1;
      }
      if (j >= src.length) err("unterminated quoted string");
      toks.push({ t: "str", v: unquoteGo(src.slice(i, j + 1)) });
      i = j + 1;
    } else if (c === "`") {
      const j = src.indexOf("`", i + 1);
      if (j < 0) err("unterminated raw quoted string");
      toks.push({ t: "str", v: src.slice(i + 1, j) });
      i = j + 1;
    } else if (c === "'") {
      const m = /^'(\\.|[^'\\])'/u.exec(src.slice(i));
      if (!m) err("unterminated character constant");
      toks.push({ t: "num", v: String(unquoteGo(`"${m![1]}"`).codePointAt(0)) });
      i += m![0].length;
    } else if (/[-+0-9]/.test(c)) {
      const m = /^[-+]?(0[xX][0-9a-fA-F_]+|(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?)/.exec(src.slice(i));
      if (!m || m[0] === "" || m[0] === "-" || m[0] === "+") err(`bad number syntax: "${src.slice(i, i + 5)}"`);
      toks.push({ t: "num", v: m![0] });
      i += m![0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      toks.push({ t: "ident", v: m[0] });
      i += m[0].length;
      const f = /^(\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(src.slice(i));
      if (f) err(`unexpected ${JSON.stringify(f[0])} in operand`);
    } else {
      err(`unexpected ${JSON.stringify(c)} in command`);
    }
  }
  return toks;
}

function unquoteGo(quoted: string): string {
  const body = quoted.slice(1, -1);
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, e: string) => {
    switch (e[0]) {
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "r":
        return "\r";
      case "a":
        return "\x07";
      case "b":
        return "\b";
      case "f":
        return "\f";
      case "v":
        return "\v";
      case "x":
      case "u":
      case "U":
        return String.fromCodePoint(parseInt(e.slice(1), 16));
      default:
        return /^[0-7]{3}$/.test(e) ? String.fromCharCode(parseInt(e, 8)) : e;
    }
  });
}

const BUILTINS = new Set([
  "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge", "html", "js", "urlquery", "call",
  // Prometheus
  "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml", "match", "title", "toUpper", "toLower", "graphLink", "tableLink",
  "sortByLabel", "humanize", "humanize1024", "humanizeDuration", "humanizePercentage", "humanizeTimestamp", "toTime", "pathPrefix", "externalURL",
  "parseDuration", "stripPort", "stripDomain", "toDuration", "now",
]);

interface Parsed {
  nodes: TNode[];
}

class Parser {
  private readonly src: string;
  private pos = 0;
  private line = 1;
  private readonly scopes: Array<Set<string>> = [new Set(["$"])];

  constructor(src: string) {
    this.src = src;
  }

  parse(): Parsed {
    const { list, end } = this.parseList();
    if (end !== undefined) throw new TemplateError(`${this.line}: unexpected {{${end}}}`);
    return { nodes: list };
  }

  private declared(name: string): boolean {
    return this.scopes.some((s) => s.has(name));
  }

  /** Reads nodes until {{end}}/{{else…}} or the end of input. */
  private parseList(): { list: TNode[]; end: string | undefined; endPipe?: string } {
    const list: TNode[] = [];
    for (;;) {
      const open = this.src.indexOf("{{", this.pos);
      let text = open < 0 ? this.src.slice(this.pos) : this.src.slice(this.pos, open);
      if (open < 0) {
        if (text !== "") list.push({ kind: "text", text });
        this.pos = this.src.length;
        return { list, end: undefined };
      }
      let start = open + 2;
      if (this.src.startsWith("- ", start) || this.src.startsWith("-\t", start) || this.src.startsWith("-\n", start)) {
        text = text.replace(/\s+$/, "");
        start += 1;
      }
      if (text !== "") list.push({ kind: "text", text });
      this.line += countLines(this.src.slice(this.pos, start));
      // Find the closing delimiter outside string literals.
      let j = start;
      let close = -1;
      while (j < this.src.length) {
        const ch = this.src[j];
        if (ch === '"') {
          j++;
          while (j < this.src.length && this.src[j] !== '"') j += this.src[j] === "\\" ? 2 : 1;
          j++;
          continue;
        }
        if (ch === "`") {
          const e = this.src.indexOf("`", j + 1);
          j = e < 0 ? this.src.length : e + 1;
          continue;
        }
        if (this.src.startsWith("}}", j)) {
          close = j;
          break;
        }
        j++;
      }
      if (close < 0) throw new TemplateError(`${this.line}: unclosed action`);
      let inner = this.src.slice(start, close);
      let after = close + 2;
      if (/\s-$/.test(inner)) {
        inner = inner.slice(0, -1);
        const m = /^\s*/.exec(this.src.slice(after));
        this.line += countLines(m?.[0] ?? "");
        after += m?.[0].length ?? 0;
      }
      this.line += countLines(inner);
      this.pos = after;
      const trimmed = inner.trim();
      if (trimmed.startsWith("/*")) {
        if (!trimmed.endsWith("*/")) throw new TemplateError(`${this.line}: unclosed comment`);
        continue;
      }
      const toks = lexAction(inner, () => this.line);
      if (toks.length === 0) throw new TemplateError(`${this.line}: missing value for command`);
      const first = toks[0]!;
      if (first.t === "ident") {
        switch (first.v) {
          case "end":
            if (toks.length > 1) throw new TemplateError(`${this.line}: unexpected ${toks[1]!.v} in end`);
            return { list, end: "end" };
          case "else":
            return { list, end: "else", endPipe: inner.trim().slice(4).trim() };
          case "if":
          case "with":
          case "range": {
            list.push(this.parseControl(first.v, toks.slice(1), trimmed));
            continue;
          }
          case "define":
          case "template":
          case "block":
          case "break":
          case "continue":
            throw new TemplateError(`${this.line}: {{${first.v}}} is not supported in alert templates`);
          default:
            break;
        }
      }
      const pipe = this.parsePipeline(toks, trimmed, open, true);
      list.push({ kind: "action", pipe });
    }
  }

  private parseControl(kind: "if" | "with" | "range", toks: Tok[], text: string): TNode {
    this.scopes.push(new Set());
    try {
      const pipe = this.parsePipeline(toks, text, this.pos, kind === "range" ? "range" : true);
      if (pipe.cmds.length === 0) throw new TemplateError(`${this.line}: missing value for ${kind}`);
      const body = this.parseList();
      if (body.end === undefined) throw new TemplateError(`${this.line}: unexpected EOF`);
      let elseList: TNode[] | undefined;
      if (body.end === "else") {
        const rest = body.endPipe ?? "";
        if (rest.startsWith("if") && kind === "if") {
          // {{else if …}}: a nested if that consumes the shared {{end}}.
          const nested = this.parseControl("if", lexAction(rest.slice(2), () => this.line), rest);
          elseList = [nested];
        } else if (rest.startsWith("with") && kind === "with") {
          const nested = this.parseControl("with", lexAction(rest.slice(4), () => this.line), rest);
          elseList = [nested];
        } else {
          if (rest !== "") throw new TemplateError(`${this.line}: unexpected ${JSON.stringify(rest)} in else`);
          const e = this.parseList();
          if (e.end !== "end") throw new TemplateError(`${this.line}: expected end; found ${e.end === undefined ? "EOF" : `{{${e.end}}}`}`);
          elseList = e.list;
        }
      }
      return kind === "range" ? { kind, pipe, list: body.list, elseList } : { kind, pipe, list: body.list, elseList };
    } finally {
      this.scopes.pop();
    }
  }

  private parsePipeline(toks: Tok[], text: string, pos: number, mode: true | "range"): Pipeline {
    let k = 0;
    const decl: string[] = [];
    let assign = false;
    // Declarations: $x := …, $i, $v := … (range), $x = …
    const declIdx = toks.findIndex((t) => t.t === "decl" || t.t === "assign");
    if (declIdx > 0 && toks.slice(0, declIdx).every((t) => (t.t === "var" && !t.v.includes(".")) || t.t === "comma")) {
      for (const t of toks.slice(0, declIdx)) if (t.t === "var") decl.push(t.v);
      if (decl.length > (mode === "range" ? 2 : 1)) throw new TemplateError(`${this.line}: too many declarations in command`);
      assign = toks[declIdx]!.t === "assign";
      k = declIdx + 1;
      if (assign) for (const d of decl) if (!this.declared(d)) throw new TemplateError(`${this.line}: undefined variable "${d}"`);
    }
    const cmds: Operand[][] = [];
    let cmd: Operand[] = [];
    const readOperand = (): Operand => {
      const t = toks[k++]!;
      switch (t.t) {
        case "var": {
          const [name = "", ...fields] = t.v.split(".");
          if (!this.declared(name)) throw new TemplateError(`${this.line}: undefined variable "${name}"`);
          return { kind: "var", name, fields };
        }
        case "field":
          return { kind: "dot", fields: t.v === "." ? [] : t.v.slice(1).split(".") };
        case "ident":
          if (t.v === "true" || t.v === "false") return { kind: "lit", value: t.v === "true" };
          if (t.v === "nil") return { kind: "lit", value: null };
          if (!BUILTINS.has(t.v)) throw new TemplateError(`${this.line}: function "${t.v}" not defined`);
          return { kind: "ident", name: t.v };
        case "str":
          return { kind: "lit", value: t.v };
        case "num": {
          const n = Number(t.v.replace(/_/g, ""));
          if (!Number.isFinite(n)) throw new TemplateError(`${this.line}: bad number syntax: "${t.v}"`);
          return { kind: "lit", value: n };
        }
        case "lp": {
          let depth = 1;
          const startK = k;
          while (k < toks.length && depth > 0) {
            if (toks[k]!.t === "lp") depth++;
            if (toks[k]!.t === "rp") depth--;
            k++;
          }
          if (depth > 0) throw new TemplateError(`${this.line}: unclosed left paren`);
          const inner = this.parsePipeline(toks.slice(startK, k - 1), text, pos, true);
          let fields: string[] = [];
          if (toks[k]?.t === "dotsel") fields = toks[k++]!.v.slice(1).split(".");
          return { kind: "pipe", pipe: inner, fields };
        }
        default:
          throw new TemplateError(`${this.line}: unexpected "${t.v}" in operand`);
      }
    };
    while (k < toks.length) {
      const t = toks[k]!;
      if (t.t === "pipe") {
        if (cmd.length === 0) throw new TemplateError(`${this.line}: missing command`);
        cmds.push(cmd);
        cmd = [];
        k++;
        continue;
      }
      cmd.push(readOperand());
    }
    if (cmd.length > 0) cmds.push(cmd);
    else if (cmds.length > 0) throw new TemplateError(`${this.line}: missing command`);
    if (cmds.length === 0 && decl.length > 0) throw new TemplateError(`${this.line}: missing value for command`);
    for (const [ci, c] of cmds.entries()) {
      if (c.length > 1 && c[0]!.kind !== "ident") throw new TemplateError(`${this.line}: can't give argument to non-function ${describeOperand(c[0]!)}`);
      if (ci > 0 && c[0]!.kind !== "ident") throw new TemplateError(`${this.line}: non executable command in pipeline stage ${ci + 1}`);
    }
    if (!assign) for (const d of decl) this.scopes[this.scopes.length - 1]!.add(d);
    return { decl, assign, cmds, pos, text };
  }
}

function describeOperand(o: Operand): string {
  switch (o.kind) {
    case "var":
      return [o.name, ...o.fields].join(".");
    case "dot":
      return o.fields.length === 0 ? "." : `.${o.fields.join(".")}`;
    case "ident":
      return o.name;
    case "lit":
      return typeof o.value === "string" ? JSON.stringify(o.value) : printValue(o.value);
    case "pipe":
      return "(…)";
  }
}

function countLines(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === "\n") n++;
  return n;
}

/** Checks that a label or annotation template parses (with Prometheus's variable definitions). */
export function parseTemplate(text: string): { ok: true } | { ok: false; error: string } {
  try {
    new Parser(DEFS + text).parse();
    return { ok: true };
  } catch (error) {
    if (error instanceof TemplateError) return { ok: false, error: error.message };
    throw error;
  }
}

// ----------------------------------------------------------------------------------------------
// Go value formatting
// ----------------------------------------------------------------------------------------------

const TIE = `5${"0".repeat(24)}`;

/** x.toFixed(p) with Go's rounding: an exact tie goes to the even digit (JS rounds it away from zero). */
function toFixedGo(x: number, p: number): string {
  // JS switches to exponent notation from 1e21; Go keeps every digit (such a double is an integer).
  if (Number.isFinite(x) && Math.abs(x) >= 1e21) return `${BigInt(x).toString()}${p > 0 ? `.${"0".repeat(p)}` : ""}`;
  const s = x.toFixed(p);
  if (p + 25 > 100 || !Number.isFinite(x)) return s;
  const long = Math.abs(x).toFixed(p + 25);
  if (long.slice(-25) !== TIE) return s;
  const truncated = long.slice(0, -25).replace(/\.$/, "");
  const last = Number(truncated.slice(-1));
  return last % 2 === 0 ? `${x < 0 ? "-" : ""}${truncated}` : s;
}

/** x.toExponential(p) with Go's rounding of exact ties to even. */
function toExponentialGo(x: number, p: number): string {
  const s = x.toExponential(p);
  if (p + 25 > 100 || !Number.isFinite(x)) return s;
  const long = Math.abs(x).toExponential(p + 25);
  const [mant = "", exp = ""] = long.split("e");
  if (mant.slice(-25) !== TIE) return s;
  const truncated = mant.slice(0, -25).replace(/\.$/, "");
  const last = Number(truncated.slice(-1));
  return last % 2 === 0 ? `${x < 0 ? "-" : ""}${truncated}e${exp}` : s;
}

function trimZeros(mantissa: string): string {
  return mantissa.includes(".") ? mantissa.replace(/0+$/, "").replace(/\.$/, "") : mantissa;
}

function goExponent(exp: number): string {
  const abs = Math.abs(exp);
  return `e${exp < 0 ? "-" : "+"}${abs < 10 ? "0" : ""}${abs}`;
}

/** Go's %.<prec>g (trailing zeros removed). */
export function formatG(v: number, prec: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const p = Math.max(prec, 1);
  const [mant = "", expText = "0"] = toExponentialGo(v, p - 1).split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= p) return `${trimZeros(mant)}${goExponent(exp)}`;
  return trimZeros(toFixedGo(v, Math.max(p - 1 - exp, 0)));
}

/** Go's %v for a float64 (shortest representation, %e when the exponent is < -4 or >= 6). */
export function formatFloatV(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const [mant = "", expText = "0"] = v.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mant}${goExponent(exp)}`;
  const digits = mant.replace("-", "").replace(".", "");
  const sign = v < 0 ? "-" : "";
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function printValue(v: TemplateValue): string {
  if (v === null || v === undefined) return "<no value>";
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatFloatV(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) return `[${v.map(printValue).join(" ")}]`;
  if (v instanceof TemplateStruct) return `{${Object.values(v.fields).map(printValue).join(" ")}}`;
  return `map[${Object.keys(v)
    .sort()
    .map((k) => `${k}:${printValue(v[k])}`)
    .join(" ")}]`;
}

function truthy(v: TemplateValue): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === "string") return v !== "";
  if (typeof v === "number") return v !== 0;
  if (typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof TemplateStruct) return true;
  return Object.keys(v).length > 0;
}

function toFloat(v: TemplateValue): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const t = v.trim().toLowerCase();
    if (t === "inf" || t === "+inf") return Infinity;
    if (t === "-inf") return -Infinity;
    if (t === "nan") return NaN;
    const n = Number(v);
    if (v.trim() === "" || Number.isNaN(n)) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    return n;
  }
  if (typeof v === "boolean") throw new Error("can't convert bool to float");
  throw new Error(`can't convert ${printValue(v)} to float`);
}

const SI_UP = ["k", "M", "G", "T", "P", "E", "Z", "Y"];
const SI_DOWN = ["m", "u", "n", "p", "f", "a", "z", "y"];

export function humanize(x: number): string {
  let v = x;
  if (v === 0 || !Number.isFinite(v)) return formatG(v, 4);
  let prefix = "";
  if (Math.abs(v) >= 1) {
    for (const p of SI_UP) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return `${formatG(v, 4)}${prefix}`;
  }
  for (const p of SI_DOWN) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${formatG(v, 4)}${prefix}`;
}

export function humanize1024(x: number): string {
  let v = x;
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return formatG(v, 4);
  let prefix = "";
  for (const p of ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"]) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return `${formatG(v, 4)}${prefix}`;
}

export function humanizeDuration(x: number): string {
  let v = x;
  if (!Number.isFinite(v)) return formatG(v, 4);
  if (v === 0) return `${formatG(v, 4)}s`;
  if (Math.abs(v) >= 1) {
    let sign = "";
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    // Go's int64(v): beyond the int64 range it is math.MinInt64 on amd64.
    const duration = Math.abs(v) >= 2 ** 63 ? -(BigInt(2) ** BigInt(63)) : BigInt(Math.trunc(v));
    const n60 = BigInt(60);
    const seconds = duration % n60;
    const minutes = (duration / n60) % n60;
    const hours = (duration / n60 / n60) % BigInt(24);
    const days = duration / n60 / n60 / BigInt(24);
    const zero = BigInt(0);
    if (days !== zero) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== zero) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== zero) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${formatG(v, 4)}s`;
  }
  let prefix = "";
  for (const p of SI_DOWN) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${formatG(v, 4)}${prefix}s`;
}

export function humanizePercentage(x: number): string {
  return `${formatG(x * 100, 4)}%`;
}

export function humanizeTimestamp(x: number): string {
  if (!Number.isFinite(x)) return formatG(x, 4);
  // As Go: time.Unix(0, int64(v * 1e9)), printed with time.Time's String().
  const ns = BigInt(Math.trunc(x * 1e9));
  const billion = BigInt(1_000_000_000);
  let secs = ns / billion;
  let frac = ns % billion;
  if (frac < BigInt(0)) {
    frac += billion;
    secs -= BigInt(1);
  }
  const d = new Date(Number(secs) * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const fracText = frac === BigInt(0) ? "" : `.${frac.toString().padStart(9, "0").replace(/0+$/, "")}`;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fracText} +0000 UTC`;
}

/** Go fmt.Sprintf for the verbs templates use: %s %v %d %f %e %g %q %x %t %%, with flags, width and precision. */
export function sprintf(format: string, args: readonly TemplateValue[]): string {
  let ai = 0;
  return format.replace(/%([-+ #0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])/g, (_m, flags: string, widthText: string | undefined, precText: string | undefined, verb: string) => {
    if (verb === "%") return "%";
    const width = widthText === "*" ? Number(args[ai++]) : widthText === undefined ? undefined : Number(widthText);
    const precision = precText === "*" ? Number(args[ai++]) : precText === undefined ? (_m.includes(".") ? 0 : undefined) : Number(precText);
    if (ai >= args.length) return `%!${verb}(MISSING)`;
    const arg = args[ai++];
    let out: string;
    const num = (): number => (typeof arg === "number" ? arg : typeof arg === "boolean" ? Number(arg) : NaN);
    switch (verb) {
      case "v":
      case "s":
        out = typeof arg === "number" && verb === "s" ? `%!s(float64=${formatFloatV(arg)})` : printValue(arg);
        if (precision !== undefined && typeof arg === "string") out = out.slice(0, precision);
        break;
      case "q":
        out = JSON.stringify(printValue(arg));
        break;
      case "d":
        out = typeof arg === "number" ? (Number.isInteger(arg) ? String(arg) : `%!d(float64=${formatFloatV(arg)})`) : `%!d(string=${printValue(arg)})`;
        break;
      case "f":
      case "F":
        out = typeof arg === "number" ? (Number.isFinite(arg) ? toFixedGo(arg, precision ?? 6) : formatG(arg, 1)) : `%!f(string=${printValue(arg)})`;
        break;
      case "e":
      case "E": {
        if (typeof arg !== "number") {
          out = `%!e(string=${printValue(arg)})`;
          break;
        }
        const [m = "", e = "0"] = toExponentialGo(arg, precision ?? 6).split("e");
        out = Number.isFinite(arg) ? `${m}${goExponent(Number(e))}` : formatG(arg, 1);
        if (verb === "E") out = out.toUpperCase();
        break;
      }
      case "g":
      case "G":
        out = typeof arg === "number" ? (precision === undefined ? formatFloatV(arg) : formatG(arg, precision)) : `%!g(string=${printValue(arg)})`;
        break;
      case "x":
      case "X":
        out = typeof arg === "string" ? hexBytes(arg) : Number.isInteger(num()) ? num().toString(16) : `%!x(float64=${formatFloatV(num())})`;
        if (verb === "X") out = out.toUpperCase();
        break;
      case "t":
        out = typeof arg === "boolean" ? String(arg) : `%!t(${printValue(arg)})`;
        break;
      default:
        out = `%!${verb}(${printValue(arg)})`;
    }
    if (flags.includes("+") && typeof arg === "number" && arg >= 0 && "dfeEgG".includes(verb)) out = `+${out}`;
    if (width !== undefined && out.length < width) {
      out = flags.includes("-") ? out.padEnd(width) : flags.includes("0") && typeof arg === "number" ? (out.startsWith("-") ? `-${out.slice(1).padStart(width - 1, "0")}` : out.padStart(width, "0")) : out.padStart(width);
    }
    return out;
  }) + (ai < args.length ? `%!(EXTRA ${args.slice(ai).map((a) => `${typeof a === "number" ? "float64" : "string"}=${printValue(a)}`).join(", ")})` : "");
}

function hexBytes(s: string): string {
  return [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// ----------------------------------------------------------------------------------------------
// Execution
// ----------------------------------------------------------------------------------------------

class ExecError extends Error {}

interface ExecEnv {
  name: string;
  vars: Array<Map<string, TemplateValue>>;
  out: string[];
}

function lookup(env: ExecEnv, name: string): TemplateValue {
  for (let i = env.vars.length - 1; i >= 0; i--) {
    const scope = env.vars[i]!;
    if (scope.has(name)) return scope.get(name);
  }
  throw new ExecError(`undefined variable: ${name}`);
}

function setVar(env: ExecEnv, name: string, value: TemplateValue): void {
  for (let i = env.vars.length - 1; i >= 0; i--) {
    const scope = env.vars[i]!;
    if (scope.has(name)) {
      scope.set(name, value);
      return;
    }
  }
}

function fieldOf(v: TemplateValue, field: string, at: string): TemplateValue {
  if (v instanceof TemplateStruct) {
    if (!(field in v.fields)) throw new ExecError(`at <${at}>: can't evaluate field ${field} in type ${v.typeName}`);
    return v.fields[field];
  }
  if (v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v)) {
    // missingkey=zero on map[string]string: a missing label is "".
    return field in v ? v[field] : "";
  }
  if (v === null || v === undefined) throw new ExecError(`at <${at}>: nil pointer evaluating interface {}.${field}`);
  throw new ExecError(`at <${at}>: can't evaluate field ${field} in type ${typeof v === "number" ? "float64" : typeof v}`);
}

/** Go's basic comparisons: eq and lt on the values, le = lt || eq, gt = !le, ge = !lt (so NaN > x is true, as in Go). */
function goLess(a: TemplateValue, b: TemplateValue, fn: string): boolean {
  if (typeof a === "number" && typeof b === "number") return a < b;
  if (typeof a === "string" && typeof b === "string") return a < b;
  if (typeof a !== typeof b) throw new ExecError(`error calling ${fn}: incompatible types for comparison`);
  throw new ExecError(`error calling ${fn}: invalid type for comparison`);
}

function goEqual(a: TemplateValue, b: TemplateValue, fn: string): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b;
  if ((typeof a === "string" && typeof b === "string") || (typeof a === "boolean" && typeof b === "boolean")) return a === b;
  if (a === null || a === undefined || b === null || b === undefined) return a === b;
  if (typeof a !== typeof b) throw new ExecError(`error calling ${fn}: incompatible types for comparison`);
  throw new ExecError(`error calling ${fn}: invalid type for comparison`);
}

function callFunction(name: string, args: TemplateValue[], ctx: ExpandContext): TemplateValue {
  const need = (n: number): void => {
    if (args.length !== n) throw new ExecError(`wrong number of args for ${name}: want ${n} got ${args.length}`);
  };
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (error) {
      if (error instanceof ExecError) throw error;
      throw new ExecError(`error calling ${name}: ${(error as Error).message}`);
    }
  };
  switch (name) {
    case "humanize":
      need(1);
      return wrap(() => humanize(toFloat(args[0])));
    case "humanize1024":
      need(1);
      return wrap(() => humanize1024(toFloat(args[0])));
    case "humanizeDuration":
      need(1);
      return wrap(() => humanizeDuration(toFloat(args[0])));
    case "humanizePercentage":
      need(1);
      return wrap(() => humanizePercentage(toFloat(args[0])));
    case "humanizeTimestamp":
      need(1);
      return wrap(() => humanizeTimestamp(toFloat(args[0])));
    case "printf":
      if (args.length < 1) throw new ExecError("wrong number of args for printf: want at least 1 got 0");
      return sprintf(printValue(args[0]), args.slice(1));
    case "print":
      return args.map((a, i) => (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string" ? " " : "") + printValue(a)).join("");
    case "println":
      return `${args.map(printValue).join(" ")}\n`;
    case "title":
      need(1);
      return printValue(args[0]).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase());
    case "toUpper":
      need(1);
      return printValue(args[0]).toUpperCase();
    case "toLower":
      need(1);
      return printValue(args[0]).toLowerCase();
    case "match":
      need(2);
      return wrap(() => new RegExp(printValue(args[0])).test(printValue(args[1])));
    case "reReplaceAll":
      need(3);
      return wrap(() => printValue(args[2]).replace(new RegExp(printValue(args[0]), "g"), printValue(args[1]).replace(/\$\{?(\w+)\}?/g, "$$<$1>").replace(/\$<(\d+)>/g, "$$$1")));
    case "stripPort": {
      need(1);
      const h = printValue(args[0]);
      const m = /^\[(.*)\]:\d+$/.exec(h) ?? /^([^:]*):\d+$/.exec(h);
      return m ? (m[1] ?? h) : h;
    }
    case "stripDomain": {
      need(1);
      const h = printValue(args[0]);
      const m = /^([^:]*?)(:\d+)?$/.exec(h);
      if (!m || /^[0-9.]+$/.test(m[1] ?? "") || (m[1] ?? "").includes(":")) return h;
      return `${(m[1] ?? "").split(".")[0] ?? ""}${m[2] ?? ""}`;
    }
    case "safeHtml":
    case "html":
    case "js":
      need(1);
      return name === "html" ? printValue(args[0]).replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`) : printValue(args[0]);
    case "urlquery":
      return encodeURIComponent(args.map(printValue).join("")).replace(/%20/g, "+");
    case "externalURL":
      return ctx.data.externalURL;
    case "pathPrefix": {
      try {
        return new URL(ctx.data.externalURL).pathname.replace(/\/$/, "");
      } catch {
        return "";
      }
    }
    case "args":
      return Object.fromEntries(args.map((a, i) => [`arg${i}`, a]));
    case "parseDuration": {
      need(1);
      const d = ctx.parseDuration?.(printValue(args[0]));
      if (d === undefined) throw new ExecError(`error calling parseDuration: not a valid duration string: ${JSON.stringify(printValue(args[0]))}`);
      return d / 1000;
    }
    case "toTime":
      need(1);
      return wrap(() => new Date(toFloat(args[0]) * 1000).toISOString());
    case "now":
      return ctx.evaluatedAt / 1000;
    case "first":
      need(1);
      if (!Array.isArray(args[0]) || args[0].length === 0) throw new ExecError("error calling first: first() called on vector with no elements");
      return args[0][0];
    case "label": {
      need(2);
      const s = args[1];
      return s instanceof TemplateStruct ? fieldOf(s.fields.Labels, printValue(args[0]), "label") : "";
    }
    case "value":
      need(1);
      return args[0] instanceof TemplateStruct ? args[0].fields.Value : null;
    case "strvalue":
      need(1);
      return args[0] instanceof TemplateStruct ? fieldOf(args[0].fields.Labels, "__value__", "strvalue") : "";
    case "sortByLabel":
      need(2);
      return Array.isArray(args[1])
        ? [...args[1]].sort((a, b) => {
            const la = a instanceof TemplateStruct ? printValue(fieldOf(a.fields.Labels, printValue(args[0]), "")) : "";
            const lb = b instanceof TemplateStruct ? printValue(fieldOf(b.fields.Labels, printValue(args[0]), "")) : "";
            return la < lb ? -1 : la > lb ? 1 : 0;
          })
        : args[1];
    case "query":
      throw new ExecError("error calling query: query is not supported in Auspex alert templates");
    case "graphLink":
    case "tableLink": {
      need(1);
      const q = encodeURIComponent(printValue(args[0]));
      return name === "graphLink" ? `/graph?g0.expr=${q}&g0.tab=0` : `/graph?g0.expr=${q}&g0.tab=1`;
    }
    case "len": {
      need(1);
      const a = args[0];
      if (typeof a === "string") return new TextEncoder().encode(a).length;
      if (Array.isArray(a)) return a.length;
      if (a !== null && typeof a === "object" && !(a instanceof TemplateStruct)) return Object.keys(a).length;
      throw new ExecError(`error calling len: len of type ${typeof a}`);
    }
    case "index": {
      let v = args[0];
      for (const key of args.slice(1)) {
        if (Array.isArray(v)) v = v[Number(key)];
        else if (v !== null && typeof v === "object" && !(v instanceof TemplateStruct)) v = v[printValue(key)] ?? "";
        else throw new ExecError("error calling index: cannot index");
      }
      return v;
    }
    case "not":
      need(1);
      return !truthy(args[0]);
    case "and":
      for (const a of args) if (!truthy(a)) return a;
      return args[args.length - 1];
    case "or":
      for (const a of args) if (truthy(a)) return a;
      return args[args.length - 1];
    case "eq":
      if (args.length < 2) throw new ExecError("error calling eq: missing argument for comparison");
      return args.slice(1).some((b) => goEqual(args[0], b, "eq"));
    case "ne":
      need(2);
      return !goEqual(args[0], args[1], "ne");
    case "lt":
      need(2);
      return goLess(args[0], args[1], "lt");
    case "le":
      need(2);
      return goLess(args[0], args[1], "le") || goEqual(args[0], args[1], "le");
    case "gt":
      need(2);
      return !(goLess(args[0], args[1], "gt") || goEqual(args[0], args[1], "gt"));
    case "ge":
      need(2);
      return !goLess(args[0], args[1], "ge");
    default:
      throw new ExecError(`function ${name} is not supported`);
  }
}

function evalOperand(env: ExecEnv, o: Operand, dot: TemplateValue, ctx: ExpandContext): TemplateValue {
  switch (o.kind) {
    case "lit":
      return o.value;
    case "var": {
      let v = lookup(env, o.name);
      for (const f of o.fields) v = fieldOf(v, f, [o.name, ...o.fields].join("."));
      return v;
    }
    case "dot": {
      let v = dot;
      for (const f of o.fields) v = fieldOf(v, f, `.${o.fields.join(".")}`);
      return v;
    }
    case "pipe": {
      let v = evalPipeline(env, o.pipe, dot, ctx);
      for (const f of o.fields) v = fieldOf(v, f, `.${o.fields.join(".")}`);
      return v;
    }
    case "ident":
      return callFunction(o.name, [], ctx);
  }
}

function evalPipeline(env: ExecEnv, pipe: Pipeline, dot: TemplateValue, ctx: ExpandContext): TemplateValue {
  let value: TemplateValue = undefined;
  pipe.cmds.forEach((cmd, i) => {
    const head = cmd[0]!;
    if (head.kind === "ident") {
      const args = cmd.slice(1).map((a) => evalOperand(env, a, dot, ctx));
      if (i > 0) args.push(value);
      value = callFunction(head.name, args, ctx);
    } else {
      value = evalOperand(env, head, dot, ctx);
    }
  });
  if (pipe.decl.length > 0) {
    if (pipe.assign) setVar(env, pipe.decl[0]!, value);
    else env.vars[env.vars.length - 1]!.set(pipe.decl[0]!, value);
  }
  return value;
}

function execList(env: ExecEnv, nodes: readonly TNode[], dot: TemplateValue, ctx: ExpandContext): void {
  for (const node of nodes) {
    switch (node.kind) {
      case "text":
        env.out.push(node.text);
        break;
      case "action": {
        const v = evalPipeline(env, node.pipe, dot, ctx);
        if (node.pipe.decl.length === 0) env.out.push(printValue(v));
        break;
      }
      case "if":
      case "with": {
        env.vars.push(new Map());
        const v = evalPipeline(env, node.pipe, dot, ctx);
        if (truthy(v)) execList(env, node.list, node.kind === "with" ? v : dot, ctx);
        else if (node.elseList) execList(env, node.elseList, dot, ctx);
        env.vars.pop();
        break;
      }
      case "range": {
        env.vars.push(new Map());
        const decl = node.pipe.decl;
        const v = evalPipeline(env, { ...node.pipe, decl: [] }, dot, ctx);
        const entries: Array<[TemplateValue, TemplateValue]> = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : v !== null && typeof v === "object" && !(v instanceof TemplateStruct)
            ? Object.keys(v)
                .sort()
                .map((k) => [k, v[k]])
            : typeof v === "number" && Number.isInteger(v)
              ? Array.from({ length: Math.max(v, 0) }, (_, i) => [i, i])
              : v === null || v === undefined
                ? []
                : (() => {
                    throw new ExecError(`range can't iterate over ${printValue(v)}`);
                  })();
        if (entries.length === 0 && node.elseList) execList(env, node.elseList, dot, ctx);
        for (const [k, x] of entries) {
          const scope = new Map<string, TemplateValue>();
          if (decl.length === 1) scope.set(decl[0]!, x);
          if (decl.length === 2) {
            scope.set(decl[0]!, k);
            scope.set(decl[1]!, x);
          }
          env.vars.push(scope);
          execList(env, node.list, x, ctx);
          env.vars.pop();
        }
        env.vars.pop();
        break;
      }
    }
  }
}

export interface ExpandContext {
  /** Used in error messages: template: __alert_<name>: … */
  name: string;
  data: AlertTemplateData;
  /** Evaluation time (ms). */
  evaluatedAt: number;
  parseDuration?: (text: string) => number | undefined;
}

/** Expands one alert label or annotation template; errors become `<error expanding template: …>`. */
export function expandTemplate(text: string, ctx: ExpandContext): string {
  const name = ctx.name;
  let parsed: Parsed;
  try {
    parsed = new Parser(DEFS + text).parse();
  } catch (error) {
    if (error instanceof TemplateError) return `<error expanding template: error parsing template ${name}: template: ${name}:${error.message}>`;
    throw error;
  }
  const data = new TemplateStruct("template.tmplData", {
    Labels: { ...ctx.data.labels },
    ExternalLabels: { ...ctx.data.externalLabels },
    ExternalURL: ctx.data.externalURL,
    Value: ctx.data.value,
  });
  const env: ExecEnv = { name, vars: [new Map<string, TemplateValue>([["$", data]])], out: [] };
  try {
    execList(env, parsed.nodes, data, ctx);
  } catch (error) {
    if (error instanceof ExecError) return `<error expanding template: error executing template ${name}: template: ${name}:1: executing "${name}" ${error.message}>`;
    throw error;
  }
  return env.out.join("");
}
