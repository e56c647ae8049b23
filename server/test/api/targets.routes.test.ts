import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { InjectOptions } from "fastify";
import type { FileSd, Target } from "@auspex/shared/contracts/targets.ts";
import { manualClock, startTestApp, type TestApp } from "#test/harness.ts";
import { assertError } from "#test/support/assert-error.ts";

/* Scrape targets: CRUD with validation, the outbound address policy, file_sd export and file. */

describe("target routes", () => {
  const clock = manualClock();
  const fileSdDir = mkdtempSync(path.join(tmpdir(), "auspex-file-sd-"));
  const fileSdPath = path.join(fileSdDir, "sd", "targets.json");
  let t: TestApp;
  let token: string;
  const inject = (options: InjectOptions) => t.auspex.app.inject(options);
  const create = (payload: unknown, as = token) => inject({ method: "POST", url: "/api/v1/targets", headers: t.bearer(as), payload: payload as Record<string, unknown> });
  const patch = (id: string, payload: unknown) => inject({ method: "PATCH", url: `/api/v1/targets/${id}`, headers: t.bearer(token), payload: payload as Record<string, unknown> });
  const createOk = async (payload: Record<string, unknown>): Promise<Target> => {
    const response = await create(payload);
    assert.equal(response.statusCode, 201, response.body);
    return response.json<Target>();
  };
  const fileSdOnDisk = (): FileSd => JSON.parse(readFileSync(fileSdPath, "utf8")) as FileSd;

  before(async () => {
    t = await startTestApp({ AUSPEX_FILE_SD_PATH: fileSdPath, AUSPEX_OUTBOUND_DENY: "10.99.0.0/16" }, { clock });
    token = (await t.register("targets_owner")).access_token;
  });
  after(async () => {
    await t.close();
    rmSync(fileSdDir, { recursive: true, force: true });
  });

  it("creates a target with Prometheus's defaults and reports unknown health until scraped", async () => {
    const target = await createOk({ name: "web-1", address: "127.0.0.1:9100" });
    assert.deepEqual(
      { ...target, id: undefined },
      {
        id: undefined,
        name: "web-1",
        job: "node",
        address: "127.0.0.1:9100",
        scheme: "http",
        metrics_path: "/metrics",
        interval_s: 15,
        timeout_s: 10,
        labels: {},
        enabled: true,
        health: "unknown",
        last_scrape_at: null,
        last_scrape_duration_ms: null,
        last_error: null,
        samples_last_scrape: null,
        created_at: clock.now().toISOString(),
        updated_at: clock.now().toISOString(),
      },
    );
    const got = await inject({ method: "GET", url: `/api/v1/targets/${target.id}`, headers: t.bearer(token) });
    assert.deepEqual(got.json(), target);
  });

  it("accepts hostnames and IPv6 literals, and caps the default timeout below short intervals", async () => {
    const v6 = await createOk({ name: "v6", address: "[::1]:9100", interval_s: 5, scheme: "https", metrics_path: "/probe/metrics", labels: { env: "prod", instance: "db" } });
    assert.equal(v6.timeout_s, 4);
    assert.deepEqual(v6.labels, { env: "prod", instance: "db" });
    const named = await createOk({ name: "named", address: "localhost:9182", job: "windows", interval_s: 1 });
    assert.equal(named.timeout_s, 0.8);
    assert.equal(named.job, "windows");
  });

  it("rejects each bad field with a 400 naming it", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ address: "127.0.0.1:9100" }, "name"],
      [{ name: "x", address: "127.0.0.1" }, "address"],
      [{ name: "x", address: "127.0.0.1:0" }, "address"],
      [{ name: "x", address: "127.0.0.1:65536" }, "address"],
      [{ name: "x", address: "::1:9100" }, "address"],
      [{ name: "x", address: "[::g]:9100" }, "address"],
      [{ name: "x", address: "300.1.1.1:80" }, "address"],
      [{ name: "x", address: "bad_host!:80" }, "address"],
      [{ name: "x", address: "a:1", scheme: "ftp" }, "scheme"],
      [{ name: "x", address: "a:1", metrics_path: "metrics" }, "metrics_path"],
      [{ name: "x", address: "a:1", interval_s: 0.5 }, "interval_s"],
      [{ name: "x", address: "a:1", interval_s: 10, timeout_s: 10 }, "timeout_s"],
      [{ name: "x", address: "a:1", labels: { "bad-name": "v" } }, "labels.bad-name"],
      [{ name: "x", address: "a:1", labels: { __address__: "v" } }, "labels.__address__"],
      [{ name: "x", address: "a:1", labels: { job: "v" } }, "labels.job"],
      [{ name: "x", address: "a:1", unknown: true }, "unknown"],
    ];
    for (const [payload, field] of cases) assertError(await create(payload), 400, "validation_error", `body.${field}`);
  });

  it("refuses addresses the outbound policy denies, saying which rule", async () => {
    const metadata = assertError(await create({ name: "meta", address: "169.254.169.254:80" }), 400, "validation_error", "body.address");
    assert.match(metadata.error.message, /default deny list \(169\.254\.0\.0\/16/);
    const configured = assertError(await create({ name: "lan", address: "10.99.3.4:9100" }), 400, "validation_error", "body.address");
    assert.match(configured.error.message, /AUSPEX_OUTBOUND_DENY \(10\.99\.0\.0\/16\)/);
    const mapped = assertError(await create({ name: "mapped", address: "[::ffff:169.254.169.254]:80" }), 400, "validation_error", "body.address");
    assert.match(mapped.error.message, /refused/);
    const target = await createOk({ name: "moving", address: "127.0.0.1:9100" });
    assertError(await patch(target.id, { address: "169.254.169.254:80" }), 400, "validation_error", "body.address");
  });

  it("keeps names unique per user (409) but lets two users use the same name", async () => {
    await createOk({ name: "dup", address: "127.0.0.1:9100" });
    assertError(await create({ name: "dup", address: "127.0.0.1:9101" }), 409, "conflict", "body.name");
    const other = (await t.register("targets_other")).access_token;
    assert.equal((await create({ name: "dup", address: "127.0.0.1:9100" }, other)).statusCode, 201);
  });

  it("updates fields, re-checks the timeout against a new interval, and 404s for unknown ids", async () => {
    const target = await createOk({ name: "patchme", address: "127.0.0.1:9100", interval_s: 30, timeout_s: 20 });
    clock.advance(60);
    const updated = await patch(target.id, { interval_s: 10, labels: { team: "db" }, enabled: false });
    assert.equal(updated.statusCode, 200, updated.body);
    const body = updated.json<Target>();
    assert.equal(body.interval_s, 10);
    assert.equal(body.timeout_s, 8, "the old 20 s timeout no longer fits: back to the default");
    assert.deepEqual(body.labels, { team: "db" });
    assert.equal(body.enabled, false);
    assert.equal(body.updated_at, clock.now().toISOString());
    assertError(await patch(target.id, { timeout_s: 12 }), 400, "validation_error", "body.timeout_s");
    assertError(await patch("no-such-target", { enabled: true }), 404, "not_found");
    assertError(await inject({ method: "DELETE", url: "/api/v1/targets/no-such-target", headers: t.bearer(token) }), 404, "not_found");
  });

  it("exports enabled targets as file_sd and keeps AUSPEX_FILE_SD_PATH current, deletions included", async () => {
    const keep = await createOk({ name: "sd-keep", address: "127.0.0.1:9200", labels: { env: "prod" }, scheme: "https", metrics_path: "/m" });
    const drop = await createOk({ name: "sd-drop", address: "127.0.0.1:9201" });
    await createOk({ name: "sd-off", address: "127.0.0.1:9202", enabled: false });
    const me = (await inject({ method: "GET", url: "/api/v1/auth/me", headers: t.bearer(token) })).json<{ id: string }>();

    const exported = (await inject({ method: "GET", url: "/api/v1/targets/file-sd", headers: t.bearer(token) })).json<FileSd>();
    const keepGroup = exported.find((g) => g.labels.name === "sd-keep");
    assert.deepEqual(keepGroup, {
      targets: ["127.0.0.1:9200"],
      labels: { env: "prod", job: "node", name: "sd-keep", user_id: me.id, __scheme__: "https", __metrics_path__: "/m" },
    });
    assert.ok(!exported.some((g) => g.labels.name === "sd-off"), "disabled targets are not exported");
    assert.ok(exported.every((g) => g.labels.user_id === me.id), "only the caller's targets");

    assert.ok(fileSdOnDisk().some((g) => g.labels.name === "sd-drop"));
    const deleted = await inject({ method: "DELETE", url: `/api/v1/targets/${drop.id}`, headers: t.bearer(token) });
    assert.equal(deleted.statusCode, 204);
    const onDisk = fileSdOnDisk();
    assert.ok(!onDisk.some((g) => g.labels.name === "sd-drop"), "a deleted target disappears from the file");
    assert.ok(onDisk.some((g) => g.labels.name === "sd-keep"));
    assert.ok(onDisk.some((g) => g.labels.name === "dup" && g.labels.user_id !== me.id), "the file holds every user's targets, each with its user_id");
    assert.equal(keep.enabled, true);
  });

  it("lets read keys list targets but only persons and admin keys change them", async () => {
    const reader = await t.apiKey(token, ["read"]);
    const admin = await t.apiKey(token, ["admin"]);
    assert.equal((await inject({ method: "GET", url: "/api/v1/targets", headers: t.bearer(reader) })).statusCode, 200);
    assertError(await create({ name: "by-reader", address: "127.0.0.1:1" }, reader), 403, "forbidden");
    assert.equal((await create({ name: "by-admin", address: "127.0.0.1:1" }, admin)).statusCode, 201);
  });
});
