import { cidrContains, parseCidr, type Cidr, type IpAddress } from "#server/platform/outbound/cidr.rules.ts";

/*
 * Which addresses Auspex may connect to on a user's behalf (scrape targets, webhooks).
 * An address is refused when it is in the deny list (the defaults below plus
 * AUSPEX_OUTBOUND_DENY); otherwise, when AUSPEX_OUTBOUND_ALLOW is not empty, it must be in
 * that list. Deny always wins. See docs/outbound-policy.md.
 */

/**
 * Refused on every install. Loopback and private ranges are not here: a self-hosted Auspex
 * scrapes localhost and LAN servers; multi-tenant installs add them with AUSPEX_OUTBOUND_DENY.
 */
export const DEFAULT_DENY: readonly { readonly cidr: string; readonly note: string }[] = [
  { cidr: "169.254.0.0/16", note: "link-local / cloud metadata" },
  { cidr: "fd00:ec2::254/128", note: "AWS IPv6 cloud metadata" },
  { cidr: "100.100.100.200/32", note: "Alibaba Cloud metadata" },
  { cidr: "fe80::/10", note: "IPv6 link-local" },
  // Linux connects 0.0.0.0 and :: to the local host, which would slip past a loopback deny.
  { cidr: "0.0.0.0/8", note: "'this network'; 0.0.0.0 reaches the local host" },
  { cidr: "::/128", note: "unspecified address; reaches the local host" },
];

export interface OutboundPolicySettings {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

interface DenyRule {
  readonly cidr: Cidr;
  /** How a refusal names this rule, e.g. "AUSPEX_OUTBOUND_DENY (10.0.0.0/8)". */
  readonly describe: string;
}

export interface OutboundPolicy {
  readonly deny: readonly DenyRule[];
  readonly allow: readonly Cidr[];
}

export type OutboundVerdict = { readonly allowed: true } | { readonly allowed: false; readonly refusedBy: string };

/** Builds the policy from CIDR texts already validated by the config schema; throws on a bad one. */
export function createOutboundPolicy(settings: OutboundPolicySettings): OutboundPolicy {
  const defaults = DEFAULT_DENY.map(({ cidr, note }) => {
    const parsed = mustParse(cidr, "the default deny list");
    return { cidr: parsed, describe: `the default deny list (${parsed.text}: ${note})` };
  });
  const configured = settings.deny.map((text) => {
    const parsed = mustParse(text, "AUSPEX_OUTBOUND_DENY");
    return { cidr: parsed, describe: `AUSPEX_OUTBOUND_DENY (${parsed.text})` };
  });
  return {
    deny: [...defaults, ...configured],
    allow: settings.allow.map((text) => mustParse(text, "AUSPEX_OUTBOUND_ALLOW")),
  };
}

export function evaluateAddress(policy: OutboundPolicy, address: IpAddress): OutboundVerdict {
  const denied = policy.deny.find((rule) => cidrContains(rule.cidr, address));
  if (denied !== undefined) return { allowed: false, refusedBy: denied.describe };
  if (policy.allow.length > 0 && !policy.allow.some((cidr) => cidrContains(cidr, address))) {
    return { allowed: false, refusedBy: `AUSPEX_OUTBOUND_ALLOW (not in ${policy.allow.map((cidr) => cidr.text).join(", ")})` };
  }
  return { allowed: true };
}

function mustParse(text: string, source: string): Cidr {
  const result = parseCidr(text);
  if (!result.ok) throw new Error(`${source}: '${text}' ${result.problem}`);
  return result.cidr;
}
