/** One family of a Prometheus text exposition (format 0.0.4), as the e2e tests compare them. */
export interface ParsedFamily {
  help: string;
  type: string;
  samples: Array<{ labels: Record<string, string>; value: number }>;
}

const unescape = (text: string) => text.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
/** Go writes infinities as "+Inf"/"-Inf", which Number() does not read. */
const parseValue = (text: string) => (text === "+Inf" ? Infinity : text === "-Inf" ? -Infinity : Number(text));

/**
 * A small reader for what node_exporter writes: HELP and TYPE comments and samples without
 * timestamps. Enough for comparing families, not a general parser.
 */
export function parseTextExposition(text: string): Map<string, ParsedFamily> {
  const families = new Map<string, ParsedFamily>();
  const family = (name: string) => {
    let found = families.get(name);
    if (found === undefined) families.set(name, (found = { help: "", type: "untyped", samples: [] }));
    return found;
  };
  for (const line of text.split("\n")) {
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (comment) {
      const [, kind, name = "", rest = ""] = comment;
      if (kind === "HELP") family(name).help = unescape(rest);
      else family(name).type = rest;
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) continue;
    const [, name = "", body = "", value = ""] = sample;
    const labels: Record<string, string> = {};
    for (const [, key = "", raw = ""] of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = unescape(raw);
    family(name).samples.push({ labels, value: parseValue(value) });
  }
  return families;
}
