import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CreateTargetRequest, parseHostPort } from "@auspex/shared/contracts/targets.ts";

describe("parseHostPort", () => {
  it("splits hostnames, IPv4 and bracketed IPv6 literals from their port", () => {
    assert.deepEqual(parseHostPort("node-1.example.com:9100"), { ok: true, host: "node-1.example.com", port: 9100 });
    assert.deepEqual(parseHostPort("localhost:1"), { ok: true, host: "localhost", port: 1 });
    assert.deepEqual(parseHostPort("10.0.0.5:65535"), { ok: true, host: "10.0.0.5", port: 65535 });
    assert.deepEqual(parseHostPort("[::1]:9100"), { ok: true, host: "::1", port: 9100 });
    assert.deepEqual(parseHostPort("[2001:db8::8a2e:370:7334]:443"), { ok: true, host: "2001:db8::8a2e:370:7334", port: 443 });
    assert.deepEqual(parseHostPort("[::ffff:10.0.0.1]:80"), { ok: true, host: "::ffff:10.0.0.1", port: 80 });
    assert.deepEqual(parseHostPort("[1:2:3:4:5:6:7:8]:80"), { ok: true, host: "1:2:3:4:5:6:7:8", port: 80 });
  });

  it("says what is wrong with a bad address", () => {
    const problem = (address: string): string => {
      const parsed = parseHostPort(address);
      assert.equal(parsed.ok, false, address);
      return parsed.ok ? "" : parsed.problem;
    };
    assert.match(problem("10.0.0.5"), /port is required/);
    assert.match(problem(":9100"), /must name a host/);
    assert.match(problem("::1:9100"), /brackets/);
    assert.match(problem("[::1]9100"), /\[ipv6\]:port/);
    assert.match(problem("[1:2:3:4:5:6:7:8:9]:80"), /not an IPv6 address/);
    assert.match(problem("[1::2::3]:80"), /not an IPv6 address/);
    assert.match(problem("[fe80::1%eth0]:80"), /not an IPv6 address/);
    assert.match(problem("256.1.1.1:80"), /not an IPv4 address/);
    assert.match(problem("-bad.example:80"), /not a valid hostname/);
    assert.match(problem("a..b:80"), /not a valid hostname/);
    assert.match(problem(`${"a".repeat(64)}.example:80`), /not a valid hostname/);
    assert.match(problem("host:0"), /between 1 and 65535/);
    assert.match(problem("host:70000"), /between 1 and 65535/);
    assert.match(problem("host:http"), /numeric port/);
  });
});

describe("CreateTargetRequest", () => {
  it("names the label that is wrong", () => {
    const result = CreateTargetRequest.safeParse({ name: "x", address: "a:1", labels: { ok: "1", "0bad": "2", __meta: "3" } });
    assert.equal(result.success, false);
    const paths = result.error?.issues.map((i) => i.path.join(".")).sort();
    assert.deepEqual(paths, ["labels.0bad", "labels.__meta"]);
  });
});
