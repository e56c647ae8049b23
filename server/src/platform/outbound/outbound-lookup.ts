import type { LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { checkOutboundAddress } from "#server/platform/outbound/check-outbound-address.ts";
import type { OutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import type { AddressFamily, ResolveHost } from "#server/platform/outbound/resolve-host.ts";

/**
 * A `lookup` for `http.request({ lookup })`, `new http.Agent({ lookup })` or undici's
 * `new Agent({ connect: { lookup } })`: the socket dials only addresses this function resolved
 * and checked a moment before, so a name cannot pass an earlier check and then rebind to a
 * refused address.
 *
 * Node skips `lookup` for IP literals (net.connect dials them directly), so callers must still
 * run checkOutboundAddress on every host they are about to use, including each redirect hop.
 */
export function createOutboundLookup(policy: OutboundPolicy, resolve?: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    const family = familyOf(options.family);
    checkOutboundAddress(policy, hostname, resolve === undefined ? { family } : { family, resolve }).then(
      (addresses) => {
        // With autoSelectFamily (Node's default) net asks for all addresses; otherwise for one.
        if (options.all === true) return callback(null, addresses.map((a): LookupAddress => ({ address: a.address, family: a.family })));
        return callback(null, addresses[0].address, addresses[0].family);
      },
      (error: Error) => callback(error, options.all === true ? [] : ""),
    );
  };
}

function familyOf(family: number | "IPv4" | "IPv6" | undefined): AddressFamily {
  if (family === 4 || family === "IPv4") return 4;
  if (family === 6 || family === "IPv6") return 6;
  return 0;
}
