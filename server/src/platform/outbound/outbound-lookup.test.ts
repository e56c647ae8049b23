import assert from "node:assert/strict";
import type { LookupAddress } from "node:dns";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { checkOutboundAddress } from "#server/platform/outbound/check-outbound-address.ts";
import { createOutboundLookup } from "#server/platform/outbound/outbound-lookup.ts";
import { OutboundAddressRefusedError } from "#server/platform/outbound/outbound.errors.ts";
import { createOutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import type { ResolveHost } from "#server/platform/outbound/resolve-host.ts";

const defaults = createOutboundPolicy({ allow: [], deny: [] });

/** Answers each call with the next entry, as a DNS server rebinding a name would. */
function sequenceResolver(answers: string[][]): ResolveHost {
  let call = 0;
  return () => {
    const addresses = answers[Math.min(call++, answers.length - 1)] ?? [];
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })));
  };
}

function lookupOnce(resolve: ResolveHost, all: boolean): Promise<{ error: Error | null; address: string | LookupAddress[]; family: number | undefined }> {
  const lookup = createOutboundLookup(defaults, resolve);
  return new Promise((done) => lookup("scrape.test", { all }, (error, address, family) => done({ error, address, family })));
}

describe("createOutboundLookup", () => {
  let server: Server;
  let port: number;
  let connections = 0;

  before(async () => {
    server = createServer((_request, response) => response.end("ok"));
    server.on("connection", () => connections++);
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((closed) => server.close(() => closed())));

  function get(resolve: ResolveHost): Promise<string> {
    return new Promise((done, fail) => {
      // agent: false: a pooled keep-alive socket would skip the lookup this test is about.
      const options = { host: "scrape.test", port, path: "/", agent: false, lookup: createOutboundLookup(defaults, resolve) };
      const outgoing = request(options, (response) => {
        response.setEncoding("utf8");
        let body = "";
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => done(body));
      });
      outgoing.on("error", fail);
      outgoing.end();
    });
  }

  it("answers both callback forms Node uses: one address, or all of them", async () => {
    const resolve = sequenceResolver([["192.168.1.10", "fd12::10"]]);
    assert.deepEqual(await lookupOnce(resolve, false), { error: null, address: "192.168.1.10", family: 4 });
    assert.deepEqual(await lookupOnce(resolve, true), {
      error: null,
      address: [
        { address: "192.168.1.10", family: 4 },
        { address: "fd12::10", family: 6 },
      ],
      family: undefined,
    });
  });

  it("asks the resolver for the family the connection wants", async () => {
    const asked: number[] = [];
    const recording: ResolveHost = (_hostname, family) => {
      asked.push(family);
      return Promise.resolve([{ address: family === 6 ? "::1" : "127.0.0.1", family: family === 6 ? 6 : 4 }]);
    };
    const lookup = createOutboundLookup(defaults, recording);
    for (const family of [4, 6, "IPv6", undefined] as const) {
      await new Promise((done) => lookup("scrape.test", family === undefined ? {} : { family }, done));
    }
    assert.deepEqual(asked, [4, 6, 6, 0]);
  });

  it("connects node:http to the address it checked", async () => {
    assert.equal(await get(sequenceResolver([["127.0.0.1"]])), "ok");
  });

  it("refuses at connect time a name that passed an earlier check and then rebound to metadata", async () => {
    const rebinding = sequenceResolver([["127.0.0.1"], ["169.254.169.254"]]);
    await checkOutboundAddress(defaults, "scrape.test", { resolve: rebinding });
    const before = connections;
    await assert.rejects(get(rebinding), (error: unknown) => {
      assert.ok(error instanceof OutboundAddressRefusedError);
      assert.equal(error.address, "169.254.169.254");
      return true;
    });
    assert.equal(connections, before, "no connection was opened");
  });

  it("passes the refusal to the callback in the form it was asked for", async () => {
    const refused = await lookupOnce(sequenceResolver([["127.0.0.1", "fe80::1"]]), true);
    assert.ok(refused.error instanceof OutboundAddressRefusedError);
    assert.deepEqual(refused.address, []);
    const single = await lookupOnce(sequenceResolver([["fe80::1"]]), false);
    assert.ok(single.error instanceof OutboundAddressRefusedError);
    assert.equal(single.address, "");
  });
});
