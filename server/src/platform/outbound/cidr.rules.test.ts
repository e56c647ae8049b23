import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cidrContains, parseAddress, parseCidr, type Cidr } from "#server/platform/outbound/cidr.rules.ts";

function cidr(text: string): Cidr {
  const result = parseCidr(text);
  assert.ok(result.ok, `${text}: ${result.ok ? "" : result.problem}`);
  return result.cidr;
}

function problemOf(text: string): string {
  const result = parseCidr(text);
  assert.ok(!result.ok, `${text} was accepted`);
  return result.problem;
}

function address(text: string) {
  const parsed = parseAddress(text);
  assert.ok(parsed !== null, `${text} is not an address`);
  return parsed;
}

describe("parseAddress", () => {
  it("accepts dotted-quad IPv4 and IPv6 (with zone id) literals", () => {
    assert.equal(address("10.1.2.3").toString(), "10.1.2.3");
    assert.equal(address("2001:DB8::1").toString(), "2001:db8::1");
    assert.equal(address("fe80::1%eth0").kind(), "ipv6");
  });

  it("leaves names and non-canonical IPv4 forms to the resolver", () => {
    for (const text of ["localhost", "127.1", "0x7f.0.0.1", "2130706433", "010.0.0.1", "", "[::1]"]) {
      assert.equal(parseAddress(text), null, text);
    }
  });

  it("turns IPv4-mapped IPv6 into the IPv4 address it dials", () => {
    const mapped = address("::ffff:169.254.169.254");
    assert.equal(mapped.kind(), "ipv4");
    assert.equal(mapped.toString(), "169.254.169.254");
    assert.equal(address("::ffff:a9fe:a9fe").toString(), "169.254.169.254");
  });
});

describe("parseCidr", () => {
  it("canonicalises networks and treats a bare address as one host", () => {
    assert.equal(cidr("10.0.0.0/8").text, "10.0.0.0/8");
    assert.equal(cidr(" FC00::/7 ").text, "fc00::/7");
    assert.equal(cidr("192.168.1.7").text, "192.168.1.7/32");
    assert.equal(cidr("::1").text, "::1/128");
    assert.equal(cidr("0.0.0.0/0").text, "0.0.0.0/0");
  });

  it("writes an IPv4-mapped network as the IPv4 network", () => {
    assert.equal(cidr("::ffff:169.254.0.0/112").text, "169.254.0.0/16");
    assert.match(problemOf("::ffff:0:0/95"), /shorter than \/96/);
  });

  it("says what is wrong with a bad entry", () => {
    assert.match(problemOf("10.0.0.0/33"), /prefix length above 32/);
    assert.match(problemOf("fc00::/129"), /prefix length above 128/);
    assert.match(problemOf("10.0.0.0/x"), /not a number/);
    assert.match(problemOf("10.0.0.0/"), /not a number/);
    assert.match(problemOf("10.0.0.0/8/8"), /more than one/);
    assert.match(problemOf("10.1.2.3/8"), /host bits set; did you mean 10\.0\.0\.0\/8\?/);
    assert.match(problemOf("fe80::1/10"), /did you mean fe80::\/10\?/);
    assert.match(problemOf("fe80::%eth0/10"), /zone id/);
    assert.match(problemOf("intranet.example"), /not an IPv4 or IPv6 network/);
    assert.match(problemOf("10.0/8"), /not an IPv4 or IPv6 network/);
  });
});

describe("cidrContains", () => {
  it("matches addresses inside the network only", () => {
    assert.equal(cidrContains(cidr("172.16.0.0/12"), address("172.31.255.255")), true);
    assert.equal(cidrContains(cidr("172.16.0.0/12"), address("172.32.0.0")), false);
    assert.equal(cidrContains(cidr("fc00::/7"), address("fdff::1")), true);
    assert.equal(cidrContains(cidr("fc00::/7"), address("fe00::1")), false);
  });

  it("keeps IPv4 and IPv6 apart, with mapped addresses counted as IPv4", () => {
    assert.equal(cidrContains(cidr("::/0"), address("10.0.0.1")), false);
    assert.equal(cidrContains(cidr("::/0"), address("::ffff:10.0.0.1")), false);
    assert.equal(cidrContains(cidr("0.0.0.0/0"), address("::1")), false);
    assert.equal(cidrContains(cidr("10.0.0.0/8"), address("::ffff:10.0.0.1")), true);
  });
});
