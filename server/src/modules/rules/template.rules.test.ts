import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expandTemplate, formatFloatV, humanize, humanize1024, humanizeDuration, humanizePercentage, parseTemplate, sprintf } from "#server/modules/rules/template.rules.ts";

const expand = (text: string, value = 0, labels: Record<string, string> = { instance: "a:9100", job: "node" }) =>
  expandTemplate(text, { name: "__alert_Test", data: { labels, externalLabels: { cluster: "eu" }, externalURL: "https://auspex.example/x", value }, evaluatedAt: 0 });

describe("alert templates (Go text/template subset)", () => {
  it("prints $value as Go's %v and labels by name", () => {
    assert.deepEqual([0.5, 1e6, 123456, 1e-5, 0.0001, -2, NaN, Infinity, -Infinity].map(formatFloatV), ["0.5", "1e+06", "123456", "1e-05", "0.0001", "-2", "NaN", "+Inf", "-Inf"]);
    assert.equal(expand("{{ $labels.instance }} of {{ $labels.job }} is {{ $value }}", 0.25), "a:9100 of node is 0.25");
    assert.equal(expand("[{{ $labels.missing }}]"), "[]", "a missing label is empty (missingkey=zero)");
    assert.equal(expand("{{ $externalLabels.cluster }} {{ $externalURL }} {{ .Labels.job }} {{ .Value }}", 3), "eu https://auspex.example/x node 3");
  });

  it("humanizes as Prometheus does", () => {
    assert.deepEqual([0, 1, 1234567, 0.12, 1.5e-9, -2500].map(humanize), ["0", "1", "1.235M", "120m", "1.5n", "-2.5k"]);
    assert.deepEqual([0, 1, 1048576, 0.12, 1536].map(humanize1024), ["0", "1", "1Mi", "0.12", "1.5ki"]);
    assert.deepEqual(
      [0, 1, 60, 3600, 86400, 86400 + 3600, -(86400 * 2 + 3600 * 3 + 60 * 4 + 5), 899.99, 0.1, 0.0001, 1.5].map(humanizeDuration),
      ["0s", "1s", "1m 0s", "1h 0m 0s", "1d 0h 0m 0s", "1d 1h 0m 0s", "-2d 3h 4m 5s", "14m 59s", "100ms", "100us", "1.5s"],
    );
    assert.deepEqual([0.1234567, 0.5, 1].map(humanizePercentage), ["12.35%", "50%", "100%"]);
    assert.equal(expand("{{ humanize $value }} {{ $value | humanizePercentage }} {{ humanize1024 2048 }}", 0.256), "256m 25.6% 2ki");
  });

  it("supports printf, pipelines, if/else, range, with, variables and trim markers", () => {
    assert.equal(sprintf("%.2f|%s|%d|%5.1f|%q|%v", [3.14159, "a", 5, 2.25, "x", 1e6]), "3.14|a|5|  2.2|\"x\"|1e+06");
    assert.equal(expand('{{ printf "%.1f%%" $value }}', 93.27), "93.3%");
    assert.equal(expand('{{ if gt $value 80.0 }}high{{ else if gt $value 50.0 }}mid{{ else }}low{{ end }}', 60), "mid");
    assert.equal(expand("{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}"), "instance=a:9100;job=node;");
    assert.equal(expand("{{ with $labels.job }}job {{ . }}{{ end }}{{ with $labels.none }}never{{ else }}!{{ end }}"), "job node!");
    assert.equal(expand('{{ $x := "v" }}{{ $x }}{{ $x = "w" }}{{ $x }}'), "vw");
    assert.equal(expand('{{ $labels.instance | reReplaceAll ":.*" "" | toUpper }}'), "A");
    assert.equal(expand("a {{- 1 -}} b {{/* comment */}}c"), "a1b c");
    assert.equal(expand('{{ if and (eq $labels.job "node") (ne $labels.instance "") }}yes{{ end }}'), "yes");
    assert.equal(expand('{{ title "hello world" }} {{ stripPort $labels.instance }} {{ len $labels }}'), "Hello World a 2");
  });

  it("reports errors as Prometheus does: parse errors when loading, execution errors inline", () => {
    assert.deepEqual(parseTemplate("{{ $labels.instance }}"), { ok: true });
    assert.match(JSON.stringify(parseTemplate("{{ $foo }}")), /undefined variable \\"\$foo\\"/);
    assert.match(JSON.stringify(parseTemplate("{{ nosuch 1 }}")), /function \\"nosuch\\" not defined/);
    assert.equal(parseTemplate("{{ if $value }}x").ok, false);
    assert.equal(parseTemplate("{{ end }}").ok, false);
    assert.equal(parseTemplate("{{ $labels.x").ok, false);
    assert.match(expand('{{ humanize "abc" }}'), /^<error expanding template: .*error calling humanize: strconv.ParseFloat: parsing "abc": invalid syntax>$/);
    assert.match(expand("{{ $.labels.service }}"), /^<error expanding template: .*can't evaluate field labels/);
  });
});

describe("Go number formatting", () => {
  it("rounds exact ties to even like Go's strconv", () => {
    assert.equal(sprintf("%.1f %.0f %.0f %.2f", [2.25, 2.5, 3.5, 1.005]), "2.2 2 4 1.00");
    assert.equal(humanize(1234.5), "1.234k");
  });
});
