import { z } from "zod";
import { Timestamp } from "./auth.ts";

/** A `host:port` split into its parts, or the problem with it. */
export type HostPort = { ok: true; host: string; port: number } | { ok: false; problem: string };

const HOSTNAME_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Splits `host:port`: a hostname (RFC 1123 labels), an IPv4 literal or a bracketed IPv6 literal,
 * then a port 1–65535. The host is returned without brackets.
 */
export function parseHostPort(address: string): HostPort {
  let host: string;
  let portText: string;
  if (address.startsWith("[")) {
    const close = address.indexOf("]");
    if (close < 0 || address[close + 1] !== ":") return { ok: false, problem: "must be [ipv6]:port for an IPv6 address" };
    host = address.slice(1, close);
    portText = address.slice(close + 2);
    if (!isIpv6(host)) return { ok: false, problem: `"${host}" is not an IPv6 address` };
  } else {
    const colon = address.lastIndexOf(":");
    if (colon < 0) return { ok: false, problem: "must be host:port (the port is required)" };
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    if (host.includes(":")) return { ok: false, problem: "must put an IPv6 address in brackets: [ipv6]:port" };
    if (host === "") return { ok: false, problem: "must name a host before the port" };
    const isIp = /^[\d.]+$/.test(host);
    if (isIp && !IPV4.test(host)) return { ok: false, problem: `"${host}" is not an IPv4 address` };
    if (!isIp && (host.length > 253 || !host.split(".").every((label) => HOSTNAME_LABEL.test(label)))) {
      return { ok: false, problem: `"${host}" is not a valid hostname` };
    }
  }
  if (!/^\d{1,5}$/.test(portText)) return { ok: false, problem: "must end in a numeric port" };
  const port = Number(portText);
  if (port < 1 || port > 65535) return { ok: false, problem: "port must be between 1 and 65535" };
  return { ok: true, host, port };
}

/** An IPv6 literal: eight hex groups, at most one "::" for a run of zeros, optionally ending in IPv4. */
function isIpv6(text: string): boolean {
  let groups = text;
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    if (!IPV4.test(tail)) return false;
    groups = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = groups.split("::");
  if (halves.length > 2) return false;
  const split = (part: string): string[] => (part === "" ? [] : part.split(":"));
  const all = halves.flatMap(split);
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? all.length <= 7 : all.length === 8;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const TargetAddress = z
  .string()
  .max(300, "must be at most 300 characters")
  .superRefine((value, ctx) => {
    const parsed = parseHostPort(value);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.problem });
  })
  .describe("host:port — a hostname, an IPv4 address or a bracketed IPv6 address, and a port 1–65535");

export const TargetLabels = z
  .record(z.string(), z.string().max(1024, "label values must be at most 1,024 characters"))
  .superRefine((labels, ctx) => {
    const names = Object.keys(labels);
    if (names.length > 64) ctx.addIssue({ code: "custom", message: "must have at most 64 labels" });
    for (const name of names) {
      if (!LABEL_NAME.test(name)) ctx.addIssue({ code: "custom", path: [name], message: "is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)" });
      else if (name.startsWith("__")) ctx.addIssue({ code: "custom", path: [name], message: "must not start with __ (reserved for Prometheus internals)" });
      else if (name === "job") ctx.addIssue({ code: "custom", path: [name], message: "is set by the job field" });
    }
  })
  .describe("Extra labels on every series scraped from the target (`instance` here replaces the address as the instance label)");

const Name = z.string().trim().min(1, "must not be empty").max(128, "must be at most 128 characters");
const Job = z.string().trim().min(1, "must not be empty").max(128, "must be at most 128 characters");
const MetricsPath = z
  .string()
  .max(1024)
  .regex(/^\/[^\s?#]*$/, "must be an absolute path starting with / (no query or spaces)");
const IntervalSeconds = z.number().min(1, "must be at least 1 second").max(86_400, "must be at most 86,400 seconds (1 day)");
const TimeoutSeconds = z.number().positive("must be positive").max(86_400);

export const TARGET_DEFAULTS = { scheme: "http", metrics_path: "/metrics", interval_s: 15, job: "node", enabled: true } as const;

/** The default timeout: 10 s, or just under the interval when that is shorter (as Prometheus caps it). */
export function defaultTimeoutSeconds(intervalSeconds: number): number {
  return Math.min(10, intervalSeconds * 0.8);
}

export const CreateTargetRequest = z
  .strictObject({
    name: Name,
    address: TargetAddress,
    job: Job.optional().describe('The job label (default "node")'),
    scheme: z.enum(["http", "https"]).optional(),
    metrics_path: MetricsPath.optional().describe('Default "/metrics"'),
    interval_s: IntervalSeconds.optional().describe("Scrape interval in seconds (default 15)"),
    timeout_s: TimeoutSeconds.optional().describe("Scrape timeout in seconds, shorter than the interval (default 10, or 80% of a shorter interval)"),
    labels: TargetLabels.optional(),
    enabled: z.boolean().optional(),
  })
  .meta({ examples: [{ name: "web-1", address: "10.0.0.5:9100", labels: { env: "prod" } }] });
export type CreateTargetRequest = z.infer<typeof CreateTargetRequest>;

export const UpdateTargetRequest = z
  .strictObject({
    name: Name.optional(),
    address: TargetAddress.optional(),
    job: Job.optional(),
    scheme: z.enum(["http", "https"]).optional(),
    metrics_path: MetricsPath.optional(),
    interval_s: IntervalSeconds.optional(),
    timeout_s: TimeoutSeconds.optional(),
    labels: TargetLabels.optional(),
    enabled: z.boolean().optional(),
  })
  .meta({ examples: [{ enabled: false }] });
export type UpdateTargetRequest = z.infer<typeof UpdateTargetRequest>;

export const TargetHealth = z.enum(["up", "down", "unknown"]);
export type TargetHealth = z.infer<typeof TargetHealth>;

export const Target = z
  .object({
    id: z.string(),
    name: z.string(),
    job: z.string(),
    address: z.string(),
    scheme: z.enum(["http", "https"]),
    metrics_path: z.string(),
    interval_s: z.number(),
    timeout_s: z.number(),
    labels: z.record(z.string(), z.string()),
    enabled: z.boolean(),
    health: TargetHealth.describe("up after a successful scrape, down after a failed one, unknown before the first"),
    last_scrape_at: Timestamp.nullable(),
    last_scrape_duration_ms: z.number().nullable(),
    last_error: z.string().nullable(),
    samples_last_scrape: z.number().int().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: "Target" });
export type Target = z.infer<typeof Target>;

export const TargetList = z.object({ targets: z.array(Target) });

export const FileSdGroup = z
  .object({ targets: z.array(z.string()), labels: z.record(z.string(), z.string()) })
  .meta({ id: "FileSdGroup" });
export const FileSd = z.array(FileSdGroup).describe("Prometheus file_sd_configs JSON");
export type FileSd = z.infer<typeof FileSd>;
