import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it, type TestContext } from "node:test";
import type { CreatedApiKey, TokenResponse } from "@auspex/shared/contracts/auth.ts";
import { TEST_PASSWORD, startListeningTestApp, startTestApp, type TestApp } from "#test/harness.ts";

/*
 * Tenant isolation as a mechanism. The test walks /openapi.json: for every path
 * with a path parameter it finds an object owned by user A (listing the
 * collection, else creating one from the documented example), then calls every
 * method of that path as user B with A's id and expects 404 not_found, and
 * finally checks that A's object is still there. Routes added later are covered
 * without editing this file; a route the walker cannot exercise fails, named.
 */

// ---------------------------------------------------------------- OpenAPI walker

type JsonSchema = { $ref?: string; examples?: unknown[] } & Record<string, unknown>;
interface MediaType {
  schema?: JsonSchema;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}
interface Operation {
  requestBody?: { content?: Record<string, MediaType> };
}
interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const HTTP_METHODS = ["get", "put", "post", "patch", "delete", "head", "options", "trace"] as const;
/** A path parameter naming an owned object: `{id}`, `{hostId}` or `{host_id}` (AGENTS.md convention). */
const PARAM_SEGMENT = /^\{(id|[a-z][A-Za-z0-9]*Id|[a-z][a-z0-9_]*_id)\}$/;

interface Reply {
  status: number;
  text: string;
  body: unknown;
}
/** One HTTP call; implemented over app.inject() and over a real socket. */
type Call = (method: string, url: string, headers: Record<string, string>, body?: unknown) => Promise<Reply>;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function injectCall(t: TestApp): Call {
  return async (method, url, headers, body) => {
    const response = await t.auspex.app.inject({
      method: method.toUpperCase(),
      url,
      headers,
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
    return { status: response.statusCode, text: response.body, body: parseJson(response.body) };
  };
}

function fetchCall(base: string): Call {
  return async (method, url, headers, body) => {
    const response = await fetch(base + url, {
      method: method.toUpperCase(),
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, body: parseJson(text) };
  };
}

/** Paths with at least one object-id parameter, e.g. /api/v1/auth/sessions/{id}; /label/{name}/values is not one. */
function idPathsOf(doc: OpenApiDoc): string[] {
  return Object.keys(doc.paths).filter((path) => path.split("/").some((segment) => PARAM_SEGMENT.test(segment)));
}

/** The collection an id path belongs to: everything before its last {param} segment. */
function collectionPathOf(idPath: string): string {
  const segments = idPath.split("/");
  const last = segments.findLastIndex((segment) => PARAM_SEGMENT.test(segment));
  assert.ok(last > 0, `${idPath} has no path parameter`);
  return segments.slice(0, last).join("/");
}

function resolveSchema(doc: OpenApiDoc, schema: JsonSchema | undefined): JsonSchema | undefined {
  let current = schema;
  for (let depth = 0; current?.$ref !== undefined && depth < 10; depth++) {
    const name = current.$ref.replace(/^#\/components\/schemas\//, "");
    current = doc.components?.schemas?.[name];
  }
  return current;
}

/** The first documented example of an operation's JSON request body, if any. */
function exampleBodyOf(doc: OpenApiDoc, operation: Operation): unknown {
  const media = operation.requestBody?.content?.["application/json"];
  if (media === undefined) return undefined;
  const schema = resolveSchema(doc, media.schema);
  if (Array.isArray(schema?.examples) && schema.examples.length > 0) return schema.examples[0];
  if (media.example !== undefined) return media.example;
  const named = Object.values(media.examples ?? {})[0];
  return named?.value;
}

function idOfFirstItem(body: unknown): string | undefined {
  const firstArray = Array.isArray(body)
    ? body
    : typeof body === "object" && body !== null
      ? (Object.values(body).find((value) => Array.isArray(value)) as unknown[] | undefined)
      : undefined;
  const first = firstArray?.[0];
  if (typeof first === "object" && first !== null && "id" in first && typeof first.id === "string") return first.id;
  return undefined;
}

function containsId(body: unknown, id: string): boolean {
  if (typeof body !== "object" || body === null) return false;
  return Object.values(body).some(
    (value) => Array.isArray(value) && value.some((item) => typeof item === "object" && item !== null && (item as { id?: unknown }).id === id),
  );
}

/** Finds (or makes) objects owned by one user, per collection. */
class OwnedObjects {
  private readonly ids = new Map<string, Promise<string>>();
  private readonly doc: OpenApiDoc;
  private readonly call: Call;
  private readonly owner: Record<string, string>;

  constructor(doc: OpenApiDoc, call: Call, owner: Record<string, string>) {
    this.doc = doc;
    this.call = call;
    this.owner = owner;
  }

  /** The id of an object of the collection, for the route being tested (named in failures). */
  idIn(collectionTemplate: string, route: string): Promise<string> {
    let id = this.ids.get(collectionTemplate);
    if (id === undefined) {
      id = this.obtain(collectionTemplate, route);
      this.ids.set(collectionTemplate, id);
    }
    return id;
  }

  /** A template with every {param} replaced by an id the owner holds. */
  async concrete(template: string, route: string): Promise<string> {
    const segments = template.split("/");
    const out: string[] = [];
    for (const [index, segment] of segments.entries()) {
      if (PARAM_SEGMENT.test(segment)) {
        out.push(encodeURIComponent(await this.idIn(segments.slice(0, index).join("/"), route)));
      } else {
        out.push(segment);
      }
    }
    return out.join("/");
  }

  private async obtain(collectionTemplate: string, route: string): Promise<string> {
    const collection = await this.concrete(collectionTemplate, route);
    const attempts: string[] = [];

    const listed = await this.call("GET", collection, this.owner);
    attempts.push(`GET ${collection} → ${listed.status}`);
    if (listed.status === 200) {
      const id = idOfFirstItem(listed.body);
      if (id !== undefined) return id;
      attempts.push("(no item with an id in its first array)");
    }

    const create = this.doc.paths[collectionTemplate]?.post;
    if (create === undefined) {
      attempts.push(`no POST ${collectionTemplate} in the OpenAPI document`);
    } else {
      const example = exampleBodyOf(this.doc, create);
      if (create.requestBody !== undefined && example === undefined) {
        attempts.push(`POST ${collectionTemplate} documents no example request body`);
      } else {
        const created = await this.call("POST", collection, this.owner, example);
        attempts.push(`POST ${collection} → ${created.status}`);
        const body = created.body as { id?: unknown } | undefined;
        if (created.status >= 200 && created.status < 300 && typeof body?.id === "string") return body.id;
        attempts.push(`(no id in ${created.text.slice(0, 200)})`);
      }
    }
    throw new Error(`${route}: could not obtain an object owned by user A from ${collectionTemplate}: ${attempts.join("; ")}`);
  }
}

interface Probe {
  route: string;
  method: string;
  withId: string;
  status: number;
  code: unknown;
}

/**
 * Runs the isolation check for one id path; returns what was probed. Fails,
 * naming the route, when any method answers B with anything but 404 not_found.
 */
async function checkIsolation(
  doc: OpenApiDoc,
  call: Call,
  route: string,
  ownerA: OwnedObjects,
  headersA: Record<string, string>,
  headersB: Record<string, string>,
): Promise<Probe[]> {
  const item = doc.paths[route];
  assert.ok(item, route);
  const collectionTemplate = collectionPathOf(route);
  const idOfA = await ownerA.idIn(collectionTemplate, route);
  const pathForA = await ownerA.concrete(route, route);
  const segments = route.split("/");
  const lastParam = segments.findLastIndex((segment) => PARAM_SEGMENT.test(segment));
  const concreteSegments = pathForA.split("/");
  const unknownPath = [...concreteSegments.slice(0, lastParam), randomUUID(), ...concreteSegments.slice(lastParam + 1)].join("/");

  const probes: Probe[] = [];
  const methods = HTTP_METHODS.filter((method) => item[method] !== undefined);
  assert.ok(methods.length > 0, `${route}: no operations`);
  for (const method of methods) {
    const operation = item[method] as Operation;
    let body: unknown;
    if (operation.requestBody !== undefined) {
      body = exampleBodyOf(doc, operation);
      assert.notEqual(body, undefined, `${method.toUpperCase()} ${route}: has a request body but documents no example, so B cannot send a valid one`);
    }
    const label = `${method.toUpperCase()} ${route}`;

    const onA = await call(method, pathForA, headersB, body);
    const code = (onA.body as { error?: { code?: unknown } } | undefined)?.error?.code;
    probes.push({ route, method, withId: idOfA, status: onA.status, code });
    assert.equal(onA.status, 404, `${label} as user B with user A's id ${idOfA}: expected 404, got ${onA.status} ${onA.text}`);
    if (method !== "head") assert.equal(code, "not_found", `${label} as user B with user A's id: error.code ${onA.text}`);

    // B cannot tell A's object from one that does not exist.
    const onUnknown = await call(method, unknownPath, headersB, body);
    assert.equal(onUnknown.status, onA.status, `${label}: B sees a different status for A's id than for an unknown id`);
    if (method !== "head") {
      assert.equal((onUnknown.body as { error?: { code?: unknown } } | undefined)?.error?.code, code, `${label}: different error code for an unknown id`);
    }
  }

  // A's object is intact: readable directly, or still in A's collection.
  if (item.get !== undefined) {
    const reread = await call("GET", pathForA, headersA);
    assert.equal(reread.status, 200, `${route}: user A can no longer read its object after B's calls: ${reread.status} ${reread.text}`);
  } else {
    const collection = await ownerA.concrete(collectionTemplate, route);
    const listed = await call("GET", collection, headersA);
    assert.equal(listed.status, 200, `${route}: cannot list ${collection} as user A to check the object is intact: ${listed.status} ${listed.text}`);
    assert.ok(containsId(listed.body, idOfA), `${route}: user A's object ${idOfA} disappeared from ${collection} after user B's calls`);
  }
  return probes;
}

// ---------------------------------------------------------------- the tests

const KNOWN_ID_ROUTES = ["/api/v1/auth/sessions/{id}", "/api/v1/api-keys/{id}"];

async function fetchDoc(call: Call): Promise<OpenApiDoc> {
  const response = await call("GET", "/openapi.json", {});
  assert.equal(response.status, 200);
  const doc = response.body as OpenApiDoc;
  assert.match(doc.openapi, /^3\./);
  return doc;
}

async function login(call: Call, username: string): Promise<TokenResponse> {
  const response = await call("POST", "/api/v1/auth/login", {}, { username, password: TEST_PASSWORD });
  assert.equal(response.status, 200, response.text);
  return response.body as TokenResponse;
}

/** Registers A (with extra sessions) and B, then walks every id path of the document. */
/**
 * Objects only Auspex itself creates (no POST route), seeded through the service the engine uses:
 * an anomaly strong enough to open an incident on its own.
 */
async function seedEngineObjects(t: TestApp, userId: string): Promise<void> {
  await t.auspex.anomalies.observeAnomaly(userId, {
    labels: { __name__: "node_load1", instance: "h:9100", job: "node" },
    t: Date.parse("2026-01-01T00:00:00Z"),
    score: 3.5,
    value: 9,
    expected: 1,
    lower: 0,
    upper: 2,
    direction: "up",
    votes: { baseline: 3.5 },
  });
  await t.auspex.incidents.idle();
  await t.auspex.alerting.receiveExternalAlerts({ kind: "session", userId, sessionId: "seed" }, [{ labels: { alertname: "Seeded", instance: "h:9100" } }]);
}

async function walkEveryIdRoute(t: TestApp, call: Call, context: TestContext, prefix: string): Promise<Probe[]> {
  const doc = await fetchDoc(call);
  const a = await t.register(`${prefix}_a`);
  // A has sessions other than the one it acts with, so there is a non-current one to find.
  await login(call, `${prefix}_a`);
  await login(call, `${prefix}_a`);
  const b = await t.register(`${prefix}_b`);
  await seedEngineObjects(t, a.user.id);
  const headersA = t.bearer(a.access_token);
  const headersB = t.bearer(b.access_token);
  const ownerA = new OwnedObjects(doc, call, headersA);

  const routes = idPathsOf(doc);
  for (const known of KNOWN_ID_ROUTES) assert.ok(routes.includes(known), `the walker finds ${known}`);

  const probes: Probe[] = [];
  for (const route of routes) {
    await context.test(route, async () => {
      probes.push(...(await checkIsolation(doc, call, route, ownerA, headersA, headersB)));
    });
  }

  // B's credentials were good all along: the 404s were about ownership, not authentication.
  assert.equal((await call("GET", "/api/v1/auth/me", headersB)).status, 200);
  assert.equal((await call("GET", "/api/v1/auth/me", headersA)).status, 200);
  return probes;
}

describe("tenant isolation", () => {
  describe("through app.inject()", () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp();
    });
    after(() => t.close());

    it("gives user B 404 for user A's object on every route with an id parameter", async (context) => {
      const probes = await walkEveryIdRoute(t, injectCall(t), context, "iso");
      const probed = new Set(probes.map((p) => `${p.method.toUpperCase()} ${p.route}`));
      assert.ok(probed.has("DELETE /api/v1/auth/sessions/{id}"), [...probed].join(", "));
      assert.ok(probed.has("DELETE /api/v1/api-keys/{id}"), [...probed].join(", "));
    });

    it("also refuses user B's admin API key on A's objects (403 or 404, never success)", async () => {
      const call = injectCall(t);
      const doc = await fetchDoc(call);
      const a = await t.register("iso_key_a");
      await seedEngineObjects(t, a.user.id);
      await login(call, "iso_key_a");
      const b = await t.register("iso_key_b");
      const created = await call("POST", "/api/v1/api-keys", t.bearer(b.access_token), { name: "b-admin", scopes: ["admin"] });
      assert.equal(created.status, 201, created.text);
      const keyB = t.bearer((created.body as CreatedApiKey).key);
      const ownerA = new OwnedObjects(doc, call, t.bearer(a.access_token));

      for (const route of idPathsOf(doc)) {
        const item = doc.paths[route] ?? {};
        const path = await ownerA.concrete(route, route);
        for (const method of HTTP_METHODS.filter((m) => item[m] !== undefined)) {
          const operation = item[method] as Operation;
          const body = operation.requestBody === undefined ? undefined : exampleBodyOf(doc, operation);
          const response = await call(method, path, keyB, body);
          assert.ok(response.status === 403 || response.status === 404, `${method.toUpperCase()} ${route} with B's API key: ${response.status} ${response.text}`);
        }
      }
      const sessions = await call("GET", "/api/v1/auth/sessions", t.bearer(a.access_token));
      assert.equal((sessions.body as { sessions: unknown[] }).sessions.length, 2, "A's sessions are untouched");
    });
  });

  describe("through a real listening server", () => {
    let t: TestApp;
    let base: string;
    before(async () => ({ t, base } = await startListeningTestApp()));
    after(() => t.close());

    it("gives user B 404 for user A's object on every route with an id parameter", async (context) => {
      const probes = await walkEveryIdRoute(t, fetchCall(base), context, "wire_iso");
      assert.ok(probes.length >= KNOWN_ID_ROUTES.length);
    });
  });

  describe("the walker itself", () => {
    it("derives collection paths by stripping the last parameter and what follows", () => {
      assert.equal(collectionPathOf("/api/v1/auth/sessions/{id}"), "/api/v1/auth/sessions");
      assert.equal(collectionPathOf("/api/v1/api-keys/{id}"), "/api/v1/api-keys");
      assert.equal(collectionPathOf("/api/v1/hosts/{hostId}/checks/{id}"), "/api/v1/hosts/{hostId}/checks");
      assert.equal(collectionPathOf("/api/v1/hosts/{id}/metrics"), "/api/v1/hosts");
      assert.deepEqual(
        idPathsOf({ openapi: "3.1.0", paths: { "/a": {}, "/a/{id}": {}, "/a/{id}/b": {}, "/a/revoke-all": {}, "/label/{name}/values": {}, "/h/{hostId}": {} } }),
        ["/a/{id}", "/a/{id}/b", "/h/{hostId}"],
      );
    });

    it("reads examples from the schema, the media type or named examples", () => {
      const doc: OpenApiDoc = {
        openapi: "3.1.0",
        paths: {},
        components: { schemas: { Thing: { type: "object", examples: [{ name: "from-schema" }] } } },
      };
      const body = (media: MediaType): Operation => ({ requestBody: { content: { "application/json": media } } });
      assert.deepEqual(exampleBodyOf(doc, body({ schema: { $ref: "#/components/schemas/Thing" } })), { name: "from-schema" });
      assert.deepEqual(exampleBodyOf(doc, body({ schema: { type: "object" }, example: { name: "from-media" } })), { name: "from-media" });
      assert.deepEqual(exampleBodyOf(doc, body({ examples: { first: { value: { name: "named" } } } })), { name: "named" });
      assert.equal(exampleBodyOf(doc, body({ schema: { type: "object" } })), undefined);
      assert.equal(exampleBodyOf(doc, {}), undefined);
    });

    it("fails naming the route when it can find no object of user A", async () => {
      const t = await startTestApp();
      try {
        const call = injectCall(t);
        const doc = await fetchDoc(call);
        // A route a later issue might add without a way to list or create its objects.
        doc.paths["/api/v1/widgets/{id}"] = { delete: {} };
        const a = await t.register("iso_walker_a");
        const b = await t.register("iso_walker_b");
        const ownerA = new OwnedObjects(doc, call, t.bearer(a.access_token));
        await assert.rejects(
          checkIsolation(doc, call, "/api/v1/widgets/{id}", ownerA, t.bearer(a.access_token), t.bearer(b.access_token)),
          /\/api\/v1\/widgets\/\{id\}: could not obtain an object owned by user A/,
        );
      } finally {
        await t.close();
      }
    });
  });
});
