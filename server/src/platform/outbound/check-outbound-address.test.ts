import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ServiceError } from "#server/platform/errors.ts";
import { checkOutboundAddress } from "#server/platform/outbound/check-outbound-address.ts";
import { OutboundAddressRefusedError, UnresolvableHostError } from "#server/platform/outbound/outbound.errors.ts";
import { createOutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import type { ResolveHost } from "#server/platform/outbound/resolve-host.ts";

const defaults = createOutboundPolicy({ allow: [], deny: [] });

/** A resolver answering from a table and recording what it was asked. */
function fakeResolver(table: Record<string, string[]>): ResolveHost & { asked: string[] } {
  const asked: string[] = [];
  const resolve = (hostname: string) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (addresses === undefined) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }));
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })));
  };
  return Object.assign(resolve, { asked });
}

describe("checkOutboundAddress", () => {
  it("refuses a name resolving to the metadata address, naming address, host and rule", async () => {
    const resolve = fakeResolver({ "metadata.example": ["169.254.169.254"] });
    await assert.rejects(checkOutboundAddress(defaults, "metadata.example", { resolve }), (error: unknown) => {
      assert.ok(error instanceof OutboundAddressRefusedError);
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, "validation_error");
      assert.equal(error.message, "address 169.254.169.254 (metadata.example) is refused by the default deny list (169.254.0.0/16: link-local / cloud metadata)");
      return true;
    });
  });

  it("requires every resolved address to pass, not just the first", async () => {
    const resolve = fakeResolver({ "split.example": ["192.168.1.10", "10.0.0.1"] });
    const policy = createOutboundPolicy({ allow: [], deny: ["10.0.0.0/8"] });
    await assert.rejects(checkOutboundAddress(policy, "split.example", { resolve }), {
      message: "address 10.0.0.1 (split.example) is refused by AUSPEX_OUTBOUND_DENY (10.0.0.0/8)",
    });
  });

  it("returns every address of an allowed name with its family", async () => {
    const resolve = fakeResolver({ "lan.example": ["192.168.1.10", "fd12::10"] });
    assert.deepEqual(await checkOutboundAddress(defaults, "lan.example", { resolve }), [
      { address: "192.168.1.10", family: 4 },
      { address: "fd12::10", family: 6 },
    ]);
  });

  it("checks IP literals without DNS, IPv6 in brackets or not", async () => {
    const resolve = fakeResolver({});
    assert.deepEqual(await checkOutboundAddress(defaults, "192.168.1.10", { resolve }), [{ address: "192.168.1.10", family: 4 }]);
    assert.deepEqual(await checkOutboundAddress(defaults, "[fd12::10]", { resolve }), [{ address: "fd12::10", family: 6 }]);
    await assert.rejects(checkOutboundAddress(defaults, "[fd00:ec2::254]", { resolve }), {
      message: "address fd00:ec2::254 is refused by the default deny list (fd00:ec2::254/128: AWS IPv6 cloud metadata)",
    });
    await assert.rejects(checkOutboundAddress(defaults, "::ffff:169.254.169.254", { resolve }), {
      message: "address ::ffff:169.254.169.254 is refused by the default deny list (169.254.0.0/16: link-local / cloud metadata)",
    });
    assert.deepEqual(resolve.asked, []);
  });

  it("sends non-canonical IPv4 forms through the resolver and checks its answer", async () => {
    const resolve = fakeResolver({ "0xa9.254.169.254": ["169.254.169.254"] });
    await assert.rejects(checkOutboundAddress(defaults, "0xa9.254.169.254", { resolve }), OutboundAddressRefusedError);
    assert.deepEqual(resolve.asked, ["0xa9.254.169.254"]);
  });

  it("enforces AUSPEX_OUTBOUND_ALLOW on resolved addresses", async () => {
    const resolve = fakeResolver({ "public.example": ["203.0.113.5"] });
    const policy = createOutboundPolicy({ allow: ["192.168.0.0/16"], deny: [] });
    await assert.rejects(checkOutboundAddress(policy, "public.example", { resolve }), {
      message: "address 203.0.113.5 (public.example) is refused by AUSPEX_OUTBOUND_ALLOW (not in 192.168.0.0/16)",
    });
  });

  it("reports a name that does not resolve, or resolves to nothing, as unresolvable", async () => {
    const resolve = fakeResolver({ "empty.example": [] });
    await assert.rejects(checkOutboundAddress(defaults, "missing.example", { resolve }), (error: unknown) => {
      assert.ok(error instanceof UnresolvableHostError);
      assert.equal(error.code, "validation_error");
      assert.equal(error.message, "host missing.example cannot be resolved to an address (ENOTFOUND)");
      return true;
    });
    await assert.rejects(checkOutboundAddress(defaults, "empty.example", { resolve }), UnresolvableHostError);
    await assert.rejects(checkOutboundAddress(defaults, "  ", { resolve }), UnresolvableHostError);
    assert.deepEqual(resolve.asked, ["missing.example", "empty.example"]);
  });

  it("resolves localhost for real: allowed by default, refused once loopback is denied", async () => {
    const addresses = await checkOutboundAddress(defaults, "localhost");
    assert.ok(addresses.some((a) => a.address === "127.0.0.1" || a.address === "::1"), JSON.stringify(addresses));
    const multiTenant = createOutboundPolicy({ allow: [], deny: ["127.0.0.0/8", "::1/128"] });
    await assert.rejects(checkOutboundAddress(multiTenant, "localhost"), {
      message: /^address (127\.0\.0\.1|::1) \(localhost\) is refused by AUSPEX_OUTBOUND_DENY \((127\.0\.0\.0\/8|::1\/128)\)$/,
    });
  });
});
