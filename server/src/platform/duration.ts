const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Parses "900", "90s", "15m", "12h", "7d" or "2w" into seconds; null when it is none of these. */
export function parseDuration(text: string): number | null {
  const match = /^\s*(\d+)\s*([smhdw]?)\s*$/.exec(text);
  if (!match) return null;
  const amount = Number(match[1]);
  const unit = match[2] === "" || match[2] === undefined ? "s" : match[2];
  const factor = UNIT_SECONDS[unit];
  return factor === undefined ? null : amount * factor;
}
