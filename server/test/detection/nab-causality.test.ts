/**
 * NAB causality: the score of a row may depend only on that row and earlier rows. Runs
 * `npm run eval:nab`'s script over NAB files and over copies truncated at several points, and
 * checks every kept prefix scores identically to the full run. Also checks the output format
 * (one row per input row, same timestamps, header, scores in [0, 1]).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const dir = new URL("../../../../shared/nab/data/", import.meta.url);
const present = existsSync(dir);
const script = fileURLToPath(new URL("../../scripts/eval-nab.ts", import.meta.url));
const FILES = ["realKnownCause/nyc_taxi.csv", "realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv", "artificialWithAnomaly/art_daily_jumpsup.csv"];

describe("NAB evaluation is causal", () => {
  const work = mkdtempSync(join(tmpdir(), "auspex-nab-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  it(
    "every truncated prefix scores identically to the full file",
    { skip: present ? false : `NAB data not found at ${fileURLToPath(dir)} (needs /work/shared)` },
    () => {
      const data = join(work, "data");
      const out = join(work, "out");
      const cuts = new Map<string, number[]>();
      for (const file of FILES) {
        const lines = readFileSync(new URL(file, dir), "utf8").trimEnd().split("\n");
        const n = lines.length - 1;
        const keeps = [1, 150, Math.floor(n * 0.15), Math.floor(n * 0.5), n - 1];
        cuts.set(file, keeps);
        const base = join(data, file.replace(/\.csv$/, ""));
        mkdirSync(base, { recursive: true });
        writeFileSync(join(base, "full.csv"), `${lines.join("\n")}\n`);
        for (const keep of keeps) writeFileSync(join(base, `prefix-${keep}.csv`), `${lines.slice(0, keep + 1).join("\n")}\n`);
      }
      execFileSync(process.execPath, [script, "--data", data, "--out", out], { stdio: "pipe" });

      for (const file of FILES) {
        const base = file.replace(/\.csv$/, "");
        const input = readFileSync(join(data, base, "full.csv"), "utf8").trimEnd().split("\n");
        const full = readFileSync(join(out, base, "full.csv"), "utf8").trimEnd().split("\n");
        assert.equal(full[0], "timestamp,value,anomaly_score");
        assert.equal(full.length, input.length, `${file}: one output row per input row`);
        for (let i = 1; i < full.length; i++) {
          const [ts, , score] = full[i]!.split(",");
          assert.equal(ts, input[i]!.split(",")[0]);
          const a = Number(score);
          assert.ok(a >= 0 && a <= 1, `${file}: score ${score} in [0, 1] at row ${i}`);
        }
        for (const keep of cuts.get(file)!) {
          const scored = readFileSync(join(out, base, `prefix-${keep}.csv`), "utf8").trimEnd().split("\n");
          assert.equal(scored.length, keep + 1);
          assert.deepEqual(scored, full.slice(0, keep + 1), `${file}: prefix of ${keep} rows differs`);
        }
      }
    },
  );
});
