import { setTimeout as sleep } from "node:timers/promises";
import { compressSync } from "snappy";
import type {
  AppendResult,
  Labels,
  Matcher,
  MetricStoreStats,
  SeriesBatch,
  SeriesData,
} from "#server/modules/metric-store/metric-store.port.ts";
import { selectorWithOwner } from "#server/modules/metric-store/external/selector.rules.ts";
import { encodeWriteRequest } from "#server/platform/remote-write/write-request.encode.ts";

export interface ExternalMetricStoreOptions {
  /** Base URL of the Prometheus-compatible HTTP API, e.g. http://prometheus:9090 (credentials in the URL become basic auth). */
  url: string;
  /** remote_write endpoint; default `<url>/api/v1/write` (Prometheus with --web.enable-remote-write-receiver). */
  writeUrl?: string;
  /** Label that carries each series' owner on the external server. */
  ownerLabel: string;
  timeoutMs: number;
  /** Attempts for a write that fails with a network error, 429 or 5xx. */
  writeAttempts?: number;
}

type PrometheusResponse<T> = { status: "success"; data: T } | { status: "error"; errorType: string; error: string };

/** Raised when the external server cannot be reached or answers with a server error. */
export class ExternalStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ExternalStoreError";
  }
}

/**
 * The metric store port over an external Prometheus-compatible server (Prometheus,
 * VictoriaMetrics, Mimir, Thanos): writes by remote_write, reads through the HTTP API. Every
 * series written carries its owner in `ownerLabel`, and every read adds a matcher on it
 * (as prom-label-proxy does), so one user can never read another's series there.
 */
export function createExternalMetricStore(options: ExternalMetricStoreOptions) {
  const base = new URL(options.url);
  const headers: Record<string, string> = {};
  if (base.username !== "" || base.password !== "") {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString("base64")}`;
    base.username = "";
    base.password = "";
  }
  const root = base.toString().replace(/\/+$/, "");
  const writeUrl = options.writeUrl ?? `${root}/api/v1/write`;
  const owner = options.ownerLabel;
  const attempts = options.writeAttempts ?? 3;

  /** Form POST where the API allows it (long matchers fit); GET for endpoints without POST (label values, status). */
  async function api<T>(path: string, params: URLSearchParams, method: "GET" | "POST" = "POST"): Promise<T> {
    let response: Response;
    try {
      response = await fetch(method === "GET" ? `${root}${path}?${params.toString()}` : `${root}${path}`, {
        method,
        headers: method === "GET" ? headers : { ...headers, "content-type": "application/x-www-form-urlencoded" },
        ...(method === "POST" ? { body: params } : {}),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new ExternalStoreError(`external metric store ${root} unreachable: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    let body: PrometheusResponse<T>;
    try {
      body = JSON.parse(text) as PrometheusResponse<T>;
    } catch {
      throw new ExternalStoreError(`external metric store answered ${response.status} with a non-JSON body: ${text.slice(0, 200)}`);
    }
    if (body.status !== "success") throw new ExternalStoreError(`external metric store: ${body.errorType}: ${body.error}`);
    return body.data;
  }

  const matchParams = (userId: string, matcherSets: Matcher[][], mint: number, maxt: number) => {
    const params = new URLSearchParams({ start: seconds(mint), end: seconds(maxt) });
    const sets = matcherSets.length === 0 ? [[]] : matcherSets;
    for (const set of sets) params.append("match[]", selectorWithOwner(set, owner, userId));
    return params;
  };

  const withoutOwner = (labels: Record<string, string>): Labels => {
    const { [owner]: _owner, ...rest } = labels;
    return rest;
  };

  return {
    async append(userId: string, batch: SeriesBatch): Promise<AppendResult> {
      const owned = batch.map((series) => ({ labels: { ...series.labels, [owner]: userId }, samples: series.samples }));
      const total = batch.reduce((sum, series) => sum + series.samples.length, 0);
      if (total === 0) return { accepted: 0, rejected: 0, rejections: [] };
      const body = compressSync(Buffer.from(encodeWriteRequest(owned)));
      for (let attempt = 1; ; attempt++) {
        let response: Response | undefined;
        let failure: string;
        try {
          response = await fetch(writeUrl, {
            method: "POST",
            headers: {
              ...headers,
              "content-type": "application/x-protobuf",
              "content-encoding": "snappy",
              "x-prometheus-remote-write-version": "0.1.0",
            },
            body,
            signal: AbortSignal.timeout(options.timeoutMs),
          });
          if (response.ok) return { accepted: total, rejected: 0, rejections: [] };
          failure = `${response.status}: ${(await response.text()).trim().slice(0, 500)}`;
          if (response.status >= 400 && response.status < 500 && response.status !== 429) {
            // The server refused the batch (out of order, too old, invalid): retrying cannot help.
            return {
              accepted: 0,
              rejected: total,
              rejections: batch.map((series) => ({ labels: series.labels, rejected: series.samples.length, reason: `external store refused: ${failure}` })),
            };
          }
        } catch (error) {
          failure = (error as Error).message;
        }
        if (attempt >= attempts) throw new ExternalStoreError(`remote_write to ${writeUrl} failed after ${attempts} attempts: ${failure}`);
        await sleep(100 * 4 ** (attempt - 1));
      }
    },

    async select(userId: string, matchers: Matcher[], mint: number, maxt: number): Promise<SeriesData[]> {
      // A range selector at maxt returns the raw samples in (maxt - range, maxt]; one extra
      // millisecond makes mint itself included on servers with left-open windows.
      const query = `${selectorWithOwner(matchers, owner, userId)}[${Math.max(1, maxt - mint + 1)}ms]`;
      const data = await api<{ resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> }>(
        "/api/v1/query",
        new URLSearchParams({ query, time: seconds(maxt) }),
      );
      return data.result.map((series) => {
        const points = series.values.map(([t, v]) => [Math.round(t * 1000), parseSampleValue(v)] as const).filter(([t]) => t >= mint && t <= maxt);
        return {
          labels: withoutOwner(series.metric),
          timestamps: Float64Array.from(points, ([t]) => t),
          values: Float64Array.from(points, ([, v]) => v),
        };
      });
    },

    async series(userId: string, matcherSets: Matcher[][], mint: number, maxt: number): Promise<Labels[]> {
      const data = await api<Array<Record<string, string>>>("/api/v1/series", matchParams(userId, matcherSets, mint, maxt));
      return data.map(withoutOwner);
    },

    async labelNames(userId: string, matcherSets: Matcher[][], mint: number, maxt: number): Promise<string[]> {
      const data = await api<string[]>("/api/v1/labels", matchParams(userId, matcherSets, mint, maxt));
      return data.filter((name) => name !== owner);
    },

    async labelValues(userId: string, name: string, matcherSets: Matcher[][], mint: number, maxt: number): Promise<string[]> {
      if (name === owner) return [];
      return api<string[]>(`/api/v1/label/${encodeURIComponent(name)}/values`, matchParams(userId, matcherSets, mint, maxt), "GET");
    },

    /** Needs the server's admin API (Prometheus: --web.enable-admin-api). */
    async deleteUser(userId: string): Promise<void> {
      const params = new URLSearchParams();
      params.append("match[]", selectorWithOwner([], owner, userId));
      let response: Response;
      try {
        response = await fetch(`${root}/api/v1/admin/tsdb/delete_series`, { method: "POST", headers, body: params, signal: AbortSignal.timeout(options.timeoutMs) });
      } catch (error) {
        throw new ExternalStoreError(`external metric store ${root} unreachable: ${(error as Error).message}`, { cause: error });
      }
      if (!response.ok) throw new ExternalStoreError(`deleting the user's series failed (${response.status}); is the admin API enabled?`);
      // Deleted samples become tombstones; cleaning them rewrites the data without the series.
      await fetch(`${root}/api/v1/admin/tsdb/clean_tombstones`, { method: "POST", headers, signal: AbortSignal.timeout(options.timeoutMs) }).catch(() => undefined);
    },

    /** Retention of an external server is that server's own setting; Auspex deletes nothing there by age. */
    async applyRetention(_nowMs: number): Promise<void> {},

    async stats(): Promise<MetricStoreStats> {
      const data = await api<{ headStats: { numSeries: number; minTime: number; maxTime: number } }>("/api/v1/status/tsdb", new URLSearchParams(), "GET");
      const { numSeries, minTime, maxTime } = data.headStats;
      const empty = numSeries === 0;
      return {
        series: numSeries,
        headSeries: numSeries,
        samples: null,
        headSamples: null,
        blocks: null,
        bytesOnDisk: null,
        walBytes: null,
        minTime: empty ? null : minTime,
        maxTime: empty ? null : maxTime,
      };
    },

    async close(): Promise<void> {},
  };
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function parseSampleValue(text: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(text);
}
