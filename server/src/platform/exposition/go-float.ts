/*
 * Number syntax of the exposition formats, as Prometheus reads it: Go's strconv.ParseFloat without
 * hexadecimal floats and digit-separating underscores (Prometheus refuses `p`, `P` and `_`, and a
 * hexadecimal mantissa needs a `p` exponent), so: an optional sign, decimal digits with an optional
 * fraction and exponent, or case-insensitive `Inf`/`Infinity` (signed or not) and `NaN` (unsigned).
 * A finite literal too large for a double is an error, as Go's ErrRange is for Prometheus.
 */

const C_PLUS = 43;
const C_MINUS = 45;
const C_DOT = 46;
const C_0 = 48;
const C_9 = 57;
const C_LOWER_E = 101;
const C_UPPER_E = 69;

/** Exact powers of ten: an integer below 2^53 divided by one of these is correctly rounded. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_FAST_DIGITS = 15;

/** Parses `src[start, end)`; undefined when it is not a number in the syntax above. */
export function parseGoFloat(src: string, start: number, end: number): number | undefined {
  let i = start;
  let negative = false;
  let c = src.charCodeAt(i);
  if (c === C_PLUS || c === C_MINUS) {
    negative = c === C_MINUS;
    c = src.charCodeAt(++i);
  }
  if (i >= end) return undefined;
  if (c < C_0 || c > C_9) {
    if (c !== C_DOT) return parseSpecial(src.slice(i, end).toLowerCase(), negative, i > start);
  }
  // Fast path: accumulate up to 15 significant digits exactly while validating.
  let mantissa = 0;
  let digits = 0;
  let fractionDigits = 0;
  while (i < end && (c = src.charCodeAt(i)) >= C_0 && c <= C_9) {
    mantissa = mantissa * 10 + (c - C_0);
    digits++;
    i++;
  }
  if (i < end && c === C_DOT) {
    i++;
    while (i < end && (c = src.charCodeAt(i)) >= C_0 && c <= C_9) {
      mantissa = mantissa * 10 + (c - C_0);
      digits++;
      fractionDigits++;
      i++;
    }
  }
  if (digits === 0) return undefined;
  let exact = digits <= MAX_FAST_DIGITS && fractionDigits < POW10.length;
  if (i < end && (c === C_LOWER_E || c === C_UPPER_E)) {
    c = src.charCodeAt(++i);
    if (c === C_PLUS || c === C_MINUS) i++;
    const expStart = i;
    while (i < end && (c = src.charCodeAt(i)) >= C_0 && c <= C_9) i++;
    if (i === expStart) return undefined;
    exact = false;
  }
  if (i !== end) return undefined;
  if (exact) {
    const value = fractionDigits === 0 ? mantissa : mantissa / (POW10[fractionDigits] ?? 1);
    return negative ? -value : value;
  }
  const value = Number(src.slice(start, end));
  return Number.isFinite(value) ? value : undefined;
}

function parseSpecial(word: string, negative: boolean, signed: boolean): number | undefined {
  if (word === "inf" || word === "infinity") return negative ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (word === "nan" && !signed) return Number.NaN;
  return undefined;
}
