import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { quotePromQLString, selectorWithOwner } from "#server/modules/metric-store/external/selector.rules.ts";

describe("selectorWithOwner", () => {
  it("renders every matcher type and appends the owner matcher", () => {
    assert.equal(
      selectorWithOwner(
        [
          { type: "=", name: "__name__", value: "up" },
          { type: "!=", name: "job", value: "a" },
          { type: "=~", name: "instance", value: "web-.*" },
          { type: "!~", name: "env", value: "dev|test" },
        ],
        "auspex_user",
        "u-1",
      ),
      '{__name__="up",job!="a",instance=~"web-.*",env!~"dev|test",auspex_user="u-1"}',
    );
  });

  it("escapes quotes, backslashes and newlines so a value cannot break out of its string", () => {
    assert.equal(quotePromQLString('a"} or {x="'), '"a\\"} or {x=\\""');
    assert.equal(quotePromQLString("c:\\path\n"), '"c:\\\\path\\n"');
    assert.equal(selectorWithOwner([], "auspex_user", 'evil"}'), '{auspex_user="evil\\"}"}');
  });

  it("refuses label names the external server cannot parse", () => {
    assert.throws(() => selectorWithOwner([{ type: "=", name: "bad-name", value: "x" }], "auspex_user", "u"), /cannot be sent/);
  });
});
