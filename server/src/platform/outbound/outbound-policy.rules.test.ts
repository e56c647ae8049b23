import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAddress } from "#server/platform/outbound/cidr.rules.ts";
import { createOutboundPolicy, evaluateAddress, type OutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";

const MULTI_TENANT_DENY = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

function refusedBy(policy: OutboundPolicy, text: string): string | undefined {
  const address = parseAddress(text);
  assert.ok(address !== null, text);
  const verdict = evaluateAddress(policy, address);
  return verdict.allowed ? undefined : verdict.refusedBy;
}

describe("the default outbound policy", () => {
  const policy = createOutboundPolicy({ allow: [], deny: [] });

  it("refuses link-local, cloud metadata and 'this host' addresses, naming the rule", () => {
    const expected: [string, string][] = [
      ["169.254.169.254", "the default deny list (169.254.0.0/16: link-local / cloud metadata)"],
      ["169.254.170.2", "the default deny list (169.254.0.0/16: link-local / cloud metadata)"],
      ["::ffff:169.254.169.254", "the default deny list (169.254.0.0/16: link-local / cloud metadata)"],
      ["fd00:ec2::254", "the default deny list (fd00:ec2::254/128: AWS IPv6 cloud metadata)"],
      ["100.100.100.200", "the default deny list (100.100.100.200/32: Alibaba Cloud metadata)"],
      ["fe80::1", "the default deny list (fe80::/10: IPv6 link-local)"],
      ["febf::1", "the default deny list (fe80::/10: IPv6 link-local)"],
      ["0.0.0.0", "the default deny list (0.0.0.0/8: 'this network'; 0.0.0.0 reaches the local host)"],
      ["::", "the default deny list (::/128: unspecified address; reaches the local host)"],
    ];
    for (const [address, rule] of expected) assert.equal(refusedBy(policy, address), rule, address);
  });

  it("allows loopback, private, unique-local and public addresses (a self-hosted tool scrapes the LAN)", () => {
    for (const address of ["127.0.0.1", "::1", "::ffff:127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.10", "fd12::1", "100.64.0.1", "8.8.8.8", "2606:4700::1111", "fd00:ec2::253", "fec0::1"]) {
      assert.equal(refusedBy(policy, address), undefined, address);
    }
  });
});

describe("AUSPEX_OUTBOUND_DENY and AUSPEX_OUTBOUND_ALLOW", () => {
  it("refuses what the deny list adds, naming the variable and the network", () => {
    const policy = createOutboundPolicy({ allow: [], deny: MULTI_TENANT_DENY });
    assert.equal(refusedBy(policy, "10.9.8.7"), "AUSPEX_OUTBOUND_DENY (10.0.0.0/8)");
    assert.equal(refusedBy(policy, "::ffff:192.168.0.1"), "AUSPEX_OUTBOUND_DENY (192.168.0.0/16)");
    assert.equal(refusedBy(policy, "::1"), "AUSPEX_OUTBOUND_DENY (::1/128)");
    assert.equal(refusedBy(policy, "fd12::1"), "AUSPEX_OUTBOUND_DENY (fc00::/7)");
    assert.equal(refusedBy(policy, "8.8.8.8"), undefined);
  });

  it("reports a default rule before a configured one covering the same address", () => {
    const policy = createOutboundPolicy({ allow: [], deny: ["169.254.169.254"] });
    assert.match(refusedBy(policy, "169.254.169.254") ?? "", /^the default deny list/);
  });

  it("with an allow list, refuses every address outside it", () => {
    const policy = createOutboundPolicy({ allow: ["10.0.0.0/8", "2001:db8::/32"], deny: [] });
    assert.equal(refusedBy(policy, "10.0.0.5"), undefined);
    assert.equal(refusedBy(policy, "2001:db8::5"), undefined);
    assert.equal(refusedBy(policy, "192.168.1.1"), "AUSPEX_OUTBOUND_ALLOW (not in 10.0.0.0/8, 2001:db8::/32)");
  });

  it("lets deny win over allow, defaults included", () => {
    const policy = createOutboundPolicy({ allow: ["0.0.0.0/0", "::/0"], deny: ["10.0.0.0/24"] });
    assert.equal(refusedBy(policy, "10.0.0.9"), "AUSPEX_OUTBOUND_DENY (10.0.0.0/24)");
    assert.match(refusedBy(policy, "169.254.169.254") ?? "", /^the default deny list/);
    assert.equal(refusedBy(policy, "10.0.1.9"), undefined);
  });

  it("throws on a CIDR the config schema should have rejected", () => {
    assert.throws(() => createOutboundPolicy({ allow: [], deny: ["10.0.0.0/33"] }), /AUSPEX_OUTBOUND_DENY: '10\.0\.0\.0\/33'/);
    assert.throws(() => createOutboundPolicy({ allow: ["nope"], deny: [] }), /AUSPEX_OUTBOUND_ALLOW: 'nope'/);
  });
});
