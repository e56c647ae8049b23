import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

/*
 * `node server/scripts/nab-report.ts --data <dir> --labels <combined_windows.json> --results <dir> --threshold <t>`:
 * where an eval:nab run wins and loses at one threshold (the scorer prints the corpus threshold it
 * chose). Per file: each window found (with how far into it, 0 = its start, 1 = its end) or
 * missed, and the rows flagged outside every window with their scores; then the best score inside
 * each window against the flagged rows' scores over the corpus, which shows how well the score
 * separates the two. Rows of NAB's probationary period (the first 15%, at most 750) are skipped as
 * the scorer skips them.
 */

const { values: args } = parseArgs({
  options: {
    data: { type: "string" },
    labels: { type: "string" },
    results: { type: "string" },
    threshold: { type: "string" },
  },
});
if (!args.data || !args.labels || !args.results || !args.threshold) {
  process.stderr.write("usage: nab-report.ts --data <dir> --labels <combined_windows.json> --results <dir> --threshold <t>\n");
  process.exit(2);
}
const threshold = Number(args.threshold);
const windows = JSON.parse(readFileSync(args.labels, "utf8")) as Record<string, Array<[string, string]>>;

/** NAB timestamps ("2014-04-01 00:00:00" or with fractional seconds) as ms, read as UTC. */
const timeOf = (text: string): number => Date.parse(`${text.slice(0, 19).replace(" ", "T")}Z`);

const windowBest: number[] = [];
const flagged: number[] = [];
let found = 0;
let total = 0;
for (const rel of Object.keys(windows).sort()) {
  const lines = readFileSync(path.join(args.results, rel), "utf8").trim().split("\n").slice(1);
  const rows = lines.map((line) => {
    const cells = line.split(",");
    return { t: timeOf(cells[0] ?? ""), score: Number(cells[2]) };
  });
  const probation = Math.min(Math.floor(0.15 * rows.length), 750);
  const spans = windows[rel]!.map(([a, b]) => ({ start: timeOf(a), end: timeOf(b), first: -1, best: 0 }));
  const outside: string[] = [];
  for (let i = probation; i < rows.length; i++) {
    const { t, score } = rows[i]!;
    const span = spans.find((w) => w.start <= t && t <= w.end);
    if (span) {
      span.best = Math.max(span.best, score);
      if (span.first < 0 && score >= threshold) span.first = (t - span.start) / (span.end - span.start);
    } else if (score >= threshold) {
      outside.push(`${i}:${score.toFixed(3)}`);
      flagged.push(score);
    }
  }
  for (const w of spans) windowBest.push(w.best);
  found += spans.filter((w) => w.first >= 0).length;
  total += spans.length;
  const marks = spans.map((w) => (w.first >= 0 ? `[${w.first.toFixed(2)}]` : "[MISS]")).join(" ");
  process.stdout.write(`${rel.padEnd(58)} rows ${String(rows.length).padStart(5)}  ${marks || "(no window)"}  fp ${outside.length}${outside.length ? `: ${outside.slice(0, 8).join(" ")}` : ""}\n`);
}
const sorted = [...windowBest].sort((a, b) => a - b);
process.stdout.write(`\nwindows found ${found} of ${total}; rows flagged outside windows ${flagged.length}\n`);
process.stdout.write(`best score inside each window (ascending): ${sorted.map((s) => s.toFixed(3)).join(" ")}\n`);
for (const t of [threshold, 0.01, 0.02, 0.05, 0.1]) {
  process.stdout.write(`at ${t}: windows reaching it ${windowBest.filter((s) => s >= t).length}, flagged rows ${flagged.filter((s) => s >= t).length}\n`);
}
