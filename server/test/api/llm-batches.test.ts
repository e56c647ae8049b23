import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Anomaly } from "@auspex/shared/contracts/anomalies.ts";
import type { AnalysisBatch, Incident } from "@auspex/shared/contracts/incidents.ts";
import { DATA_TAG } from "#server/modules/ai/index.ts";
import { replyJson, startFakeLlmServer, textOf, type FakeLlmServer, type RecordedRequest } from "#test/support/fake-llm-server.ts";
import type { EncodableSeries } from "#test/support/remote-write-encoder.ts";
import { remoteWrite } from "#test/support/remote-write.ts";
import { manualClock, startTestApp, type TestApp } from "#test/harness.ts";

/*
 * Seed 000's batches: every interval each active user's window is recorded; in llm mode the LLM
 * (a local server speaking OpenAI's protocol) reads a summary of the window and reports
 * anomalies, which become the same anomaly and incident records statistical detection writes.
 * Anomalies naming series that are not in the batch are dropped.
 */

const MIN = 60_000;
const T_END = Date.parse("2026-05-01T12:00:00Z");

interface BatchData {
  series_in_batch: number;
  instances: Record<string, Array<{ ref: string; metric: string; now: number; baseline: number }>>;
}

/** The JSON the prompt quotes between the data tags. */
function dataOf(request: RecordedRequest): BatchData {
  const user = textOf(request, "user");
  const start = user.indexOf(`<${DATA_TAG}>`) + DATA_TAG.length + 2;
  return JSON.parse(user.slice(start, user.indexOf(`</${DATA_TAG}>`))) as BatchData;
}

describe("analysis batches and llm mode", () => {
  const clock = manualClock(new Date(T_END));
  let llm: FakeLlmServer;
  let t: TestApp;
  let llmUser: { token: string; key: string };
  let statUser: { token: string; key: string };

  const write = (key: string, series: EncodableSeries[]) => remoteWrite(t.auspex.app, key, series);
  /** node_load1 of two hosts each minute over [from, to): web-1 at `load(t)`, web-2 flat. */
  const hosts = (from: number, to: number, load: (t: number) => number): EncodableSeries[] => {
    const times: number[] = [];
    for (let at = from; at < to; at += MIN) times.push(at);
    return [
      { labels: { __name__: "node_load1", instance: "web-1:9100", job: "node" }, samples: times.map((at) => ({ t: at, v: load(at) })) },
      { labels: { __name__: "node_load1", instance: "web-2:9100", job: "node" }, samples: times.map((at, i) => ({ t: at, v: 1 + (i % 3) * 0.05 })) },
    ];
  };
  const get = async <T>(url: string, token: string): Promise<T> => {
    const response = await t.auspex.app.inject({ method: "GET", url, headers: t.bearer(token) });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<T>();
  };
  const user = async (name: string, mode: string) => {
    const token = (await t.register(name)).access_token;
    // API keys do not expire while the test clock moves on.
    const key = await t.apiKey(token, ["ingest", "read"]);
    const put = await t.auspex.app.inject({ method: "PUT", url: "/api/v1/detection/settings", headers: t.bearer(token), payload: { mode } });
    assert.equal(put.statusCode, 200, put.body);
    return { token, key };
  };

  before(async () => {
    llm = await startFakeLlmServer();
    t = await startTestApp({ AUSPEX_LLM_PRIMARY_URL: llm.openaiUrl, AUSPEX_LLM_PRIMARY_MODEL: "batch-model", AUSPEX_LLM_MAX_RETRIES: "0" }, { clock });
    llmUser = await user("batch_llm", "llm");
    statUser = await user("batch_stat", "statistical");
  });
  after(async () => {
    await t.close();
    await llm.close();
  });

  it("has the LLM report anomalies from a compact summary and keeps only series that exist", async () => {
    // An hour of normal load, then web-1 jumps to 8 in the last five minutes.
    await write(llmUser.key, hosts(T_END - 65 * MIN, T_END, (at) => (at >= T_END - 5 * MIN ? 8 : 1)));
    await write(statUser.key, hosts(T_END - 65 * MIN, T_END, () => 1));
    llm.handle((request) => {
      if (request.body?.response_format?.json_schema?.name !== "batch_analysis") return undefined;
      const data = dataOf(request);
      const web1 = data.instances["web-1:9100"]?.find((s) => s.metric === "node_load1");
      assert.ok(web1, JSON.stringify(data));
      return replyJson(
        {
          incident: { title: "Load spike on web-1", severity: "high", summary: "load 8 against 1", root_cause: "a runaway process", fix_plan: { immediate: ["find it"], prevention: ["limit it"] } },
          anomalies: [
            { ref: web1.ref, metric: "node_load1", instance: "web-1:9100", observed: "8", expected: "1", symptom: "Load far above normal" },
            { ref: "s999", metric: "node_memory_MemAvailable_bytes", instance: "web-9:9100", observed: "1MB", expected: "4GB", symptom: "invented" },
          ],
        },
        { usage: { prompt: 420, completion: 80 } },
      );
    });
    await t.auspex.batches.runBatches();
    await t.auspex.incidents.idle();

    const batchCalls = llm.requests.filter((r) => r.body?.response_format?.json_schema?.name === "batch_analysis");
    assert.equal(batchCalls.length, 1, "one batch call, for the llm-mode user only");
    const data = dataOf(batchCalls[0]!);
    assert.equal(data.series_in_batch, 2);
    const sent = JSON.stringify(data);
    assert.equal(sent.match(/\d{4}-\d\d-\d\dT/g)?.length, 2, "the window's two ends are the only times: no samples");
    assert.ok(sent.length < 1500, `compact: ${sent.length} characters for 130 samples`);

    const [anomaly, ...others] = (await get<{ anomalies: Anomaly[] }>("/api/v1/anomalies", llmUser.key)).anomalies;
    assert.equal(others.length, 0, "the invented series is dropped");
    assert.equal(anomaly?.labels.instance, "web-1:9100");
    assert.deepEqual(anomaly?.votes, { llm: 1 });
    assert.equal(anomaly?.observed, 8);
    assert.equal(anomaly?.expected, 1);
    assert.match(anomaly?.summary ?? "", /^Load far above normal: observed 8, expected 1/);
    assert.equal(anomaly?.status, "open");

    const [incident] = (await get<{ incidents: Incident[] }>("/api/v1/incidents", llmUser.key)).incidents;
    assert.ok(incident, "the LLM's anomaly is strong enough to open an incident");
    assert.equal(anomaly?.incident_id, incident.id);

    const [batch] = (await get<{ batches: AnalysisBatch[] }>("/api/v1/batches", llmUser.key)).batches;
    assert.equal(batch?.mode, "llm");
    assert.equal(batch?.status, "analysed");
    assert.equal(batch?.series_count, 2);
    assert.equal(batch?.sample_count, 130);
    assert.equal(batch?.anomaly_count, 1);
    assert.equal(batch?.incident_id, incident.id);
    assert.deepEqual(batch?.llm, { provider: "primary", model: "batch-model", tokens: 500 });
    assert.match(batch?.detail ?? "", /1 dropped \(no such series in the batch\)/);
    assert.match(batch?.detail ?? "", /raw batch would be ≈ \d+/);

    const [statBatch, ...more] = (await get<{ batches: AnalysisBatch[] }>("/api/v1/batches", statUser.key)).batches;
    assert.equal(more.length, 0);
    assert.deepEqual({ ...statBatch, id: "", created_at: "" }, {
      id: "",
      mode: "statistical",
      window_start: new Date(T_END - 5 * MIN).toISOString(),
      window_end: new Date(T_END).toISOString(),
      series_count: 2,
      sample_count: 130,
      anomaly_count: 0,
      incident_id: null,
      status: "analysed",
      detail: null,
      llm: null,
      created_at: "",
    });
  });

  it("closes what the LLM no longer reports, and records a failed call without losing the batch", async () => {
    clock.advance(300);
    await write(llmUser.key, hosts(T_END, T_END + 5 * MIN, () => 1));
    llm.handle(() => replyJson({ incident: null, anomalies: [] }));
    await t.auspex.batches.runBatches();
    const anomalies = (await get<{ anomalies: Anomaly[] }>("/api/v1/anomalies", llmUser.key)).anomalies;
    assert.deepEqual(anomalies.map((a) => [a.status, a.ended_at]), [["closed", new Date(T_END + 5 * MIN).toISOString()]]);

    clock.advance(300);
    await write(llmUser.key, hosts(T_END + 5 * MIN, T_END + 10 * MIN, () => 1));
    llm.handle(() => replyJson({ nonsense: true }));
    await t.auspex.batches.runBatches();
    const [failed] = (await get<{ batches: AnalysisBatch[] }>("/api/v1/batches", llmUser.key)).batches;
    assert.equal(failed?.status, "failed");
    assert.match(failed?.detail ?? "", /^LLM analysis failed \(invalid_output/);
    assert.equal((await get<{ batches: AnalysisBatch[] }>("/api/v1/batches", llmUser.key)).batches.length, 3);

    // No samples since the last batch: no batch.
    clock.advance(300);
    await t.auspex.batches.runBatches();
    assert.equal((await get<{ batches: AnalysisBatch[] }>("/api/v1/batches", llmUser.key)).batches.length, 3);
  });
});
