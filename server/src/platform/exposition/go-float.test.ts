import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseGoFloat } from "#server/platform/exposition/go-float.ts";

const parse = (text: string): number | undefined => parseGoFloat(text, 0, text.length);

describe("parseGoFloat", () => {
  it("reads decimal numbers in every form Go's ParseFloat accepts", () => {
    const cases: Array<[string, number]> = [
      ["0", 0],
      ["42", 42],
      ["+42", 42],
      ["-3.25", -3.25],
      ["1.", 1],
      [".5", 0.5],
      ["-.5", -0.5],
      ["1e3", 1000],
      ["1E+3", 1000],
      ["2.5e-3", 0.0025],
      ["0000000000000000000000000000000000000000001.2e-1", 0.12],
      ["9223372036854775808", 9223372036854775808],
      ["1.7560473e+06", 1756047.3],
      ["0.013300656000000001", 0.013300656000000001],
      ["1e-400", 0],
    ];
    for (const [text, value] of cases) assert.equal(parse(text), value, text);
    assert.ok(Object.is(parse("-0"), -0));
  });

  it("reads Inf, Infinity and NaN case-insensitively, NaN only unsigned", () => {
    for (const text of ["Inf", "+Inf", "inf", "INFINITY", "+infinity"]) assert.equal(parse(text), Number.POSITIVE_INFINITY, text);
    for (const text of ["-Inf", "-infinity"]) assert.equal(parse(text), Number.NEGATIVE_INFINITY, text);
    for (const text of ["NaN", "nan", "NAN"]) assert.ok(Number.isNaN(parse(text)), text);
    for (const text of ["-NaN", "+nan", "infin", "in", "nana"]) assert.equal(parse(text), undefined, text);
  });

  it("refuses what Prometheus refuses: hex, octal, binary, underscores, junk, overflow", () => {
    for (const text of ["", "+", "-", ".", "e5", "1e", "1e+", "1.2.3", "1_2", "0x1", "0x1p-3", "0X1", "0b1", "0o1", "1f", " 1", "1 ", "1\t", "true", "1e400", "-1e400", "1,5"]) {
      assert.equal(parse(text), undefined, JSON.stringify(text));
    }
  });

  it("rounds exactly like Number() on the fast path and off it", () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 20_000; i++) {
      const digits = Math.floor(random() * 18) + 1;
      let text = "";
      for (let d = 0; d < digits; d++) text += String(Math.floor(random() * 10));
      const point = Math.floor(random() * (digits + 1));
      text = `${text.slice(0, point)}.${text.slice(point)}`;
      if (random() < 0.2) text += `e${Math.floor(random() * 40) - 20}`;
      assert.equal(parse(text), Number(text), text);
    }
  });

  it("parses only the given range of the string", () => {
    assert.equal(parseGoFloat("a 12.5 b", 2, 6), 12.5);
    assert.equal(parseGoFloat("a 12.5 b", 2, 5), 12);
  });
});
