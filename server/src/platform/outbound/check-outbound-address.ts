import { parseAddress } from "#server/platform/outbound/cidr.rules.ts";
import { OutboundAddressRefusedError, UnresolvableHostError } from "#server/platform/outbound/outbound.errors.ts";
import { evaluateAddress, type OutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import { resolveWithSystem, type AddressFamily, type ResolveHost } from "#server/platform/outbound/resolve-host.ts";

export interface CheckedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Never empty: a host with no address is an UnresolvableHostError. */
export type CheckedAddresses = readonly [CheckedAddress, ...CheckedAddress[]];

export interface CheckOptions {
  readonly resolve?: ResolveHost;
  /** Resolve only this family (a connection asking for IPv4 or IPv6 only); 0 for both. */
  readonly family?: AddressFamily;
}

/**
 * Resolves `host` (a name, an IP literal, or an IPv6 literal in brackets) and returns every
 * address it stands for, or throws when any of them is refused: a name with one good and one
 * bad address could connect to either, so all must pass. Literals skip DNS.
 *
 * This checks, it does not pin: connect through createOutboundLookup so the connection uses
 * addresses checked at connect time, not whatever DNS answers later.
 */
export async function checkOutboundAddress(
  policy: OutboundPolicy,
  host: string,
  options: CheckOptions = {},
): Promise<CheckedAddresses> {
  const name = unbracket(host.trim());
  const [first, ...rest] = parseAddress(name) === null ? await resolve(name, options) : [name];
  const check = (candidate: string): CheckedAddress => {
    const address = parseAddress(candidate);
    if (address === null) throw new UnresolvableHostError(name, new Error(`resolver returned '${candidate}'`));
    const verdict = evaluateAddress(policy, address);
    if (!verdict.allowed) throw new OutboundAddressRefusedError(name, candidate, verdict.refusedBy);
    // The family of the text, not of the match: "::ffff:a.b.c.d" is dialled as IPv6.
    return { address: candidate, family: candidate.includes(":") ? 6 : 4 };
  };
  return [check(first), ...rest.map(check)];
}

async function resolve(name: string, options: CheckOptions): Promise<readonly [string, ...string[]]> {
  if (name === "") throw new UnresolvableHostError("''");
  let addresses: readonly { address: string }[];
  try {
    addresses = await (options.resolve ?? resolveWithSystem)(name, options.family ?? 0);
  } catch (error) {
    throw new UnresolvableHostError(name, error);
  }
  const [first, ...rest] = addresses;
  if (first === undefined) throw new UnresolvableHostError(name);
  return [first.address, ...rest.map((entry) => entry.address)];
}

/** "[::1]" as written in URLs and host:port targets; anything else is left as it is. */
function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
