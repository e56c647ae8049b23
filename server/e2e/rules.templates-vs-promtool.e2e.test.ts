/**
 * Alert templates expanded by Auspex vs. promtool: one alerting rule per value (vector(v)), every
 * annotation template expanded by Auspex becomes the expected annotation of a promtool unit test,
 * and `promtool test rules` must agree. Skips when promtool is not installed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { expandTemplate } from "#server/modules/rules/index.ts";

const PROMTOOL = process.env.AUSPEX_TEST_PROMTOOL_BIN ?? "/usr/bin/promtool";

const VALUES = [NaN, Infinity, -Infinity, -0.5, 1e-9, 5e-324, 1.7976931348623157e308, 0.05, 59.999, 3599.5, 1536, 1048576, 0.001, 1e15, 123.456789];
const MORE = [0, 1, 0.5, 1e6, 123456, 1234567, 1e-5, 0.0001, 12.345, 1.2345, 2.5, 1234.5, 899.99, 86400 + 3661, 0.12345, 1e21, 3.14159, 100, -2500, 0.999999];
const TEMPLATES: Record<string, string> = {
  v: "{{ $value }}",
  h: "{{ humanize $value }}",
  h1024: "{{ humanize1024 $value }}",
  hd: "{{ humanizeDuration $value }}",
  hp: "{{ humanizePercentage $value }}",
  pf: '{{ printf "%.2f|%5.1f|%g|%e|%v" $value $value $value $value $value }}',
  ifs: "{{ if gt $value 100.0 }}big{{ else if eq $value 0.0 }}zero{{ else }}small{{ end }}",
  lab: "{{ $labels.instance }}/{{ $labels.job }}{{ range $k, $v := $labels }};{{ $k }}={{ $v }}{{ end }}",
  misc: '{{ title "hello world" }} {{ toUpper "x" }} {{ reReplaceAll "(.*):.*" "$1" $labels.instance }} {{ stripPort $labels.instance }}',
  ts: "{{ humanizeTimestamp 1435065584.128 }}",
};
const promql = (v: number): string => (Number.isNaN(v) ? "NaN" : v === Infinity ? "Inf" : v === -Infinity ? "-Inf" : String(v));

describe("alert templates vs promtool", () => {
  it("expands every template as promtool does", { skip: existsSync(PROMTOOL) ? false : `${PROMTOOL} not installed` }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), "auspex-rules-promtool-"));
    try {
      const values = [...VALUES, ...MORE];
      const groups = values.map((v, i) => ({
        name: `g${i}`,
        rules: [{ alert: `A${i}`, expr: `label_replace(vector(${promql(v)}), "instance", "host:9100", "", "")`, labels: { job: "x" }, annotations: TEMPLATES }],
      }));
      const tests = values.map((v, i) => ({
        eval_time: "0m",
        alertname: `A${i}`,
        exp_alerts: [
          {
            exp_labels: { instance: "host:9100", job: "x" },
            exp_annotations: Object.fromEntries(
              Object.entries(TEMPLATES).map(([k, t]) => [k, expandTemplate(t, { name: `__alert_A${i}`, data: { labels: { instance: "host:9100" }, externalLabels: {}, externalURL: "", value: v }, evaluatedAt: 0 })]),
            ),
          },
        ],
      }));
      writeFileSync(path.join(dir, "rules.yml"), stringify({ groups }));
      writeFileSync(path.join(dir, "test.yml"), stringify({ rule_files: ["rules.yml"], tests: [{ alert_rule_test: tests }] }));
      const run = spawnSync(PROMTOOL, ["test", "rules", "test.yml"], { cwd: dir, encoding: "utf8" });
      assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
