/** Typed PromQL abstract syntax tree, produced by `parsePromQL` (parser.ts). */

export type ValueType = "scalar" | "string" | "vector" | "matrix";

export type MatchType = "=" | "!=" | "=~" | "!~";

export interface Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
}

/** `@ <timestamp>` (milliseconds), `@ start()` or `@ end()`. */
export type AtModifier = { readonly kind: "time"; readonly ms: number } | { readonly kind: "start" } | { readonly kind: "end" };

export interface NumberLiteral {
  readonly type: "number";
  readonly value: number;
  readonly pos: number;
}

export interface StringLiteral {
  readonly type: "string";
  readonly value: string;
  readonly pos: number;
}

export interface VectorSelector {
  readonly type: "vectorSelector";
  /** Metric name when written before the braces (also present as an `=` matcher on `__name__`). */
  readonly name: string | undefined;
  readonly matchers: readonly Matcher[];
  /** Offset in milliseconds (negative allowed). */
  readonly offset: number;
  readonly at: AtModifier | undefined;
  readonly pos: number;
}

export interface MatrixSelector {
  readonly type: "matrixSelector";
  readonly selector: VectorSelector;
  /** Range in milliseconds. */
  readonly range: number;
  readonly pos: number;
}

export interface SubqueryExpr {
  readonly type: "subquery";
  readonly expr: Expr;
  readonly range: number;
  /** Step in milliseconds; undefined means the engine's default subquery step. */
  readonly step: number | undefined;
  readonly offset: number;
  readonly at: AtModifier | undefined;
  readonly pos: number;
}

export type UnaryOp = "-" | "+";

export type ArithmeticOp = "+" | "-" | "*" | "/" | "%" | "^" | "atan2";
export type ComparisonOp = "==" | "!=" | ">" | "<" | ">=" | "<=";
export type SetOp = "and" | "or" | "unless";
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

export interface UnaryExpr {
  readonly type: "unary";
  readonly op: UnaryOp;
  readonly expr: Expr;
  readonly pos: number;
}

export interface VectorMatching {
  /** "on" lists the labels to match on; "ignoring" lists those to ignore. */
  readonly card: "one-to-one" | "many-to-one" | "one-to-many" | "many-to-many";
  readonly on: boolean;
  readonly labels: readonly string[];
  /** Labels copied from the "one" side (group_left/group_right). */
  readonly include: readonly string[];
}

export interface BinaryExpr {
  readonly type: "binary";
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly returnBool: boolean;
  /** Present when both sides are vectors. */
  readonly matching: VectorMatching | undefined;
  readonly pos: number;
}

export type AggregateOp =
  | "sum"
  | "avg"
  | "min"
  | "max"
  | "count"
  | "stddev"
  | "stdvar"
  | "topk"
  | "bottomk"
  | "quantile"
  | "count_values"
  | "group"
  | "limitk"
  | "limit_ratio";

export interface AggregateExpr {
  readonly type: "aggregate";
  readonly op: AggregateOp;
  readonly expr: Expr;
  readonly param: Expr | undefined;
  readonly grouping: readonly string[];
  readonly without: boolean;
  readonly pos: number;
}

export interface Call {
  readonly type: "call";
  readonly func: string;
  readonly args: readonly Expr[];
  readonly pos: number;
}

export interface ParenExpr {
  readonly type: "paren";
  readonly expr: Expr;
  readonly pos: number;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | UnaryExpr
  | BinaryExpr
  | AggregateExpr
  | Call
  | ParenExpr;
