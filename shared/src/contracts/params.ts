import { z } from "zod";

/** A time as RFC 3339 text or Unix seconds (Prometheus accepts both), as ms. */
export const TimeParam = z.string().transform((value, ctx) => {
  const ms = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : /^\d{4}-\d\d-\d\dT/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: "custom", message: "must be an RFC 3339 time (2026-01-02T03:04:05Z) or Unix seconds" });
    return z.NEVER;
  }
  return ms;
});

/** A list's `limit` query parameter: 1 to 1000. */
export const LimitParam = z.coerce.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").max(1000, "must be at most 1000");
