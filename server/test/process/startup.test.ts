import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { spawnServer } from "#test/process/server-process.ts";

describe("npm start (server process)", () => {
  it("refuses to start on a bad setting, naming the variable and the problem", async () => {
    const server = await spawnServer({ AUSPEX_PORT: "eighty", AUSPEX_LOG_FORMAT: "xml" });
    const code = await server.exited;
    assert.equal(code, 78);
    assert.match(server.stderr(), /AUSPEX_PORT: must be a number/);
    assert.match(server.stderr(), /AUSPEX_LOG_FORMAT:/);
  });

  it("serves /health, /metrics and /docs and logs JSON lines with seed 003's fields", async () => {
    const server = await spawnServer();
    try {
      await server.waitForLog((line) => typeof line.message === "string" && line.message.startsWith("Auspex listening"));
      const health = await fetch(`${server.baseUrl}/health`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, "limited");
      const metrics = await fetch(`${server.baseUrl}/metrics`);
      assert.match(await metrics.text(), /^process_cpu_user_seconds_total /m);
      const docs = await fetch(`${server.baseUrl}/docs`);
      assert.equal(docs.status, 200);
      assert.match(docs.headers.get("content-type") ?? "", /text\/html/);

      const register = await fetch(`${server.baseUrl}/api/v1/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "trace-me-1" },
        body: JSON.stringify({ username: "logged", email: "logged@example.com", password: "tangerine-otter-42" }),
      });
      assert.equal(register.status, 201);
      const { access_token: token } = (await register.json()) as { access_token: string };
      await fetch(`${server.baseUrl}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}`, "x-request-id": "trace-me-2" } });

      const line = await server.waitForLog((l) => l.request_id === "trace-me-2");
      assert.equal(line.level, "INFO");
      assert.equal(line.logger, "auspex.api");
      assert.equal(line.module, "api");
      assert.equal(line.message, "request completed");
      assert.equal(line.route, "/api/v1/auth/me");
      assert.equal(typeof line.user_id, "string");
      assert.equal(typeof line.duration_ms, "number");
      assert.match(String(line.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const registered = await server.waitForLog((l) => l.message === "user registered");
      assert.equal(registered.module, "auth");
      for (const l of server.logs) assert.ok(!JSON.stringify(l).includes("tangerine-otter-42"), "a password reached the logs");
    } finally {
      await server.stop();
    }
  });

  it("has up{job=\"auspex\"} 1 and the host's series within 30 s of the first registration, with the default settings", { timeout: 60_000 }, async () => {
    const server = await spawnServer();
    try {
      await server.waitForLog((line) => typeof line.message === "string" && line.message.startsWith("Auspex listening"));
      const registered = Date.now();
      const register = await fetch(`${server.baseUrl}/api/v1/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "owner", email: "owner@example.com", password: "tangerine-otter-42" }),
      });
      const { access_token: token } = (await register.json()) as { access_token: string };
      const query = async (promql: string) => {
        const response = await fetch(`${server.baseUrl}/prometheus/api/v1/query?query=${encodeURIComponent(promql)}`, { headers: { authorization: `Bearer ${token}` } });
        return ((await response.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
      };
      // Another process: polling its API is the only signal (bounded by the 30 s the requirement allows).
      let up: Array<{ metric: Record<string, string>; value: [number, string] }> = [];
      while (Date.now() - registered < 30_000) {
        up = await query("up");
        if (up.length === 2) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.deepEqual(up.map((r) => [r.metric.job, r.value[1]]).sort(), [["auspex", "1"], ["node", "1"]], `after ${Date.now() - registered} ms`);
      assert.ok((await query('node_memory_MemAvailable_bytes{job="node"}')).length === 1);
      assert.ok((await query('node_cpu_seconds_total{job="node",mode="idle"}')).length >= 1);
    } finally {
      await server.stop();
    }
  });

  it("on SIGTERM stops accepting, finishes the request in flight, then exits 0", async () => {
    const server = await spawnServer();
    try {
      await server.waitForLog((line) => typeof line.message === "string" && line.message.startsWith("Auspex listening"));
      const body = JSON.stringify({ username: "nobody", password: "whatever-it-is" });
      const socket = connect(server.port, "127.0.0.1");
      let received = "";
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString();
      });
      const sawContinue = new Promise<void>((resolve) => {
        socket.on("data", () => {
          if (received.includes("100 Continue")) resolve();
        });
      });
      // Expect: 100-continue makes the server acknowledge the headers: from then on the request is in flight.
      socket.write(
        `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
      );
      await sawContinue;

      server.child.kill("SIGTERM");
      await server.waitForLog((line) => typeof line.message === "string" && line.message.startsWith("shutting down"));
      assert.equal(server.child.exitCode, null, "the server must wait for the request in flight");

      const responded = new Promise<void>((resolve) => {
        socket.on("data", () => {
          if (/HTTP\/1\.1 401[\s\S]*\r\n\r\n\{/.test(received)) resolve();
        });
      });
      socket.write(body);
      await responded;
      assert.match(received, /"code":"unauthorized"/);
      socket.end();

      assert.equal(await server.exited, 0);
      assert.ok(server.logs.some((line) => line.message === "shutdown complete"));
    } finally {
      await server.stop();
    }
  });
});

describe("AUSPEX_LOG_FORMAT=pretty", () => {
  it("writes human-readable lines instead of JSON", async () => {
    const server = await spawnServer({ AUSPEX_LOG_FORMAT: "pretty" });
    try {
      const line = await server.waitForLog((l) => typeof l.raw === "string" && l.raw.includes("Auspex listening"));
      assert.match(String(line.raw), /INFO/);
      assert.ok(server.logs.every((l) => typeof l.raw === "string"), "pretty output must not be JSON lines");
    } finally {
      await server.stop();
    }
  });
});
