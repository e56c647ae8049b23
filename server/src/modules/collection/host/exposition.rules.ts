import type { HostSnapshot } from "#server/modules/collection/host/host.types.ts";

/** Text format 0.0.4 escaping: HELP escapes backslash and newline, label values also the double quote. */
const escapeHelp = (text: string) => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
const escapeLabel = (text: string) => escapeHelp(text).replace(/"/g, '\\"');

/** Go's strconv formatting of the special values, which Prometheus parsers expect. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/**
 * Renders a snapshot in the Prometheus text exposition format 0.0.4: families in snapshot
 * order, each with HELP, TYPE ("unknown" is written "untyped", the format's word) and its
 * samples; labels other than `__name__` in sorted order, as node_exporter writes them.
 */
export function renderExposition(snapshot: HostSnapshot): string {
  const samplesByFamily = Map.groupBy(snapshot.samples, (s) => s.labels.__name__ ?? "");
  const lines: string[] = [];
  for (const family of snapshot.metadata) {
    const name = family.metric_family_name;
    lines.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type === "unknown" ? "untyped" : family.type}`);
    for (const sample of samplesByFamily.get(name) ?? []) {
      const labels = Object.entries(sample.labels)
        .filter(([key]) => key !== "__name__")
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, value]) => `${key}="${escapeLabel(value)}"`);
      lines.push(`${name}${labels.length > 0 ? `{${labels.join(",")}}` : ""} ${formatValue(sample.value)}`);
    }
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
