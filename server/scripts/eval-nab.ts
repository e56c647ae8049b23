/**
 * Runs the detector core over NAB-format CSVs (`timestamp,value`) and writes, for each input, a
 * CSV at the same relative path under --out with `timestamp,value,anomaly_score`.
 * One configuration for every file; only the public core API is used.
 *
 *   npm run eval:nab -- --data ../shared/nab/data --out out/nab
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { createSeriesDetector } from "#server/modules/detection/core/index.ts";

/** NAB timestamps are `YYYY-MM-DD HH:MM:SS` in UTC. */
function parseTimestamp(s: string): number {
  return Date.parse(`${s.trim().replace(" ", "T")}Z`);
}

function listCsv(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listCsv(p));
    else if (name.endsWith(".csv")) out.push(p);
  }
  return out;
}

/** Scores one NAB CSV text; returns the result CSV text. */
function scoreNabCsv(text: string): string {
  const lines = text.split(/\r?\n/);
  const detector = createSeriesDetector();
  const out: string[] = ["timestamp,value,anomaly_score"];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const comma = line.indexOf(",");
    const ts = line.slice(0, comma);
    const valueText = line.slice(comma + 1).trim();
    const r = detector.score(parseTimestamp(ts), Number(valueText));
    out.push(`${ts},${valueText},${r.anomalyScore}`);
  }
  return `${out.join("\n")}\n`;
}

function main(): void {
  const { values } = parseArgs({ options: { data: { type: "string" }, out: { type: "string" } } });
  if (values.data === undefined || values.out === undefined) {
    process.stderr.write("usage: npm run eval:nab -- --data <dir> --out <dir>\n");
    process.exit(2);
  }
  const files = listCsv(values.data);
  const started = performance.now();
  let rows = 0;
  for (const file of files) {
    const result = scoreNabCsv(readFileSync(file, "utf8"));
    rows += result.split("\n").length - 2;
    const target = join(values.out, relative(values.data, file));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, result);
  }
  const secs = (performance.now() - started) / 1000;
  process.stdout.write(`scored ${files.length} files, ${rows} rows in ${secs.toFixed(2)} s → ${values.out}\n`);
}

main();
