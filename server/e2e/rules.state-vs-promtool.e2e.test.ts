/**
 * The alert state machine and recording rules vs. promtool: random input series (with gaps and
 * staleness markers) and rules with `for` and `keep_firing_for` are evaluated by Auspex's rule engine
 * (through the promtool unit-test runner); what it gives at every minute — firing alerts with their
 * annotations, ALERTS, ALERTS_FOR_STATE and a recorded series — is written as the expectations of a
 * promtool unit test, and `promtool test rules` (v2.42) must pass it. Skips without promtool.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { runPromtoolTestFile } from "#test/conformance/promtool-unittest.ts";
import { seededRandom } from "#test/support/random.ts";

const PROMTOOL = process.env.AUSPEX_TEST_PROMTOOL_BIN ?? "/usr/bin/promtool";
const MINUTES = 90;

const RULES = {
  groups: [
    {
      name: "state",
      rules: [
        { record: "x:doubled", expr: "x * 2", labels: { rec: "yes" } },
        { alert: "High", expr: "x > 5", for: "3m", labels: { severity: "page" }, annotations: { v: "{{ $value }} on {{ $labels.host }}" } },
        { alert: "Sticky", expr: "x > 7", keep_firing_for: "4m", annotations: { v: "{{ humanize $value }}" } },
        { alert: "Both", expr: "x:doubled > 9", for: "2m", keep_firing_for: "3m" },
        { alert: "Instant", expr: "x < 2" },
      ],
    },
  ],
};

function series(random: () => number): string {
  const tokens: string[] = [];
  for (let i = 0; i <= MINUTES; i++) {
    const r = random();
    if (r < 0.06) tokens.push("_");
    else if (r < 0.09) tokens.push("stale");
    else tokens.push(String(Math.floor(random() * 10)));
  }
  return tokens.join(" ");
}

describe("rule state machine vs promtool", () => {
  for (const seed of [42, 7, 1234, 99]) {
    it(`gives the alerts, ALERTS and ALERTS_FOR_STATE promtool gives, minute by minute (seed ${seed})`, { skip: existsSync(PROMTOOL) ? false : `${PROMTOOL} not installed` }, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "auspex-rules-state-"));
      try {
        const random = seededRandom(seed);
        const input = ["a", "b", "c"].map((host) => ({ series: `x{host="${host}"}`, values: series(random) }));
        const times = Array.from({ length: MINUTES + 1 }, (_, i) => `${i}m`);
        const probe = {
          rule_files: ["rules.yml"],
          evaluation_interval: "1m",
          tests: [
            {
              interval: "1m",
              input_series: input,
              alert_rule_test: times.flatMap((eval_time) => ["High", "Sticky", "Both", "Instant"].map((alertname) => ({ eval_time, alertname, exp_alerts: [] }))),
              promql_expr_test: times.flatMap((eval_time) => ["ALERTS", "ALERTS_FOR_STATE", "x:doubled"].map((expr) => ({ expr, eval_time, exp_samples: [] }))),
            },
          ],
        };
        writeFileSync(path.join(dir, "rules.yml"), stringify(RULES));
        writeFileSync(path.join(dir, "probe.yml"), stringify(probe));
        const outcome = await runPromtoolTestFile(new URL(`file://${dir}/`), "probe.yml");
        assert.ok(!outcome.failures.some((f) => f.kind !== "alert_mismatch" && f.kind !== "sample_mismatch"), JSON.stringify(outcome.failures.slice(0, 3)));
        const firingCount = outcome.observed.alerts.reduce((n, a) => n + a.got.length, 0);
        assert.ok(firingCount > 50, `the random input should fire alerts (${firingCount})`);
        const labelText = (labels: Readonly<Record<string, string>>): string =>
          `{${Object.entries(labels)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(",")}}`;
        const expected = {
          ...probe,
          tests: [
            {
              ...probe.tests[0],
              alert_rule_test: outcome.observed.alerts.map((a) => ({
                eval_time: `${a.at / 60_000}m`,
                alertname: a.alertname,
                exp_alerts: a.got.map((g) => {
                  const { alertname: _alertname, ...labels } = g.labels;
                  return { exp_labels: labels, exp_annotations: g.annotations };
                }),
              })),
              promql_expr_test: outcome.observed.exprs.map((e) => ({
                expr: e.expr,
                eval_time: `${e.at / 60_000}m`,
                exp_samples: e.got.map((s) => ({ labels: labelText(s.labels), value: s.value })),
              })),
            },
          ],
        };
        writeFileSync(path.join(dir, "expected.yml"), stringify(expected));
        const run = spawnSync(PROMTOOL, ["test", "rules", "expected.yml"], { cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        assert.equal(run.status, 0, `${run.stdout.slice(0, 6000)}\n${run.stderr}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
