import ipaddr from "ipaddr.js";

/*
 * Address and CIDR parsing for the outbound policy. ipaddr.js does the bit work (ADR 0009);
 * this file decides what Auspex accepts as a literal and how IPv4-mapped IPv6 is treated.
 */

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

export interface Cidr {
  /** Canonical text, e.g. "10.0.0.0/8" or "fe80::/10". */
  readonly text: string;
  readonly network: IpAddress;
  readonly prefix: number;
}

export type CidrParse = { readonly ok: true; readonly cidr: Cidr } | { readonly ok: false; readonly problem: string };

/**
 * Parses an IP literal (IPv6 without brackets, zone id allowed); null when `text` is not one.
 * Only dotted-quad IPv4 counts: "127.1" or "0x7f000001" are left to the resolver, which turns them
 * into a real address that is then checked like any other. IPv4-mapped IPv6 (::ffff:a.b.c.d)
 * becomes the IPv4 address, because a dual-stack socket connects to exactly that IPv4 host.
 */
export function parseAddress(text: string): IpAddress | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!ipaddr.IPv6.isValid(text)) return null;
  const address = ipaddr.IPv6.parse(text);
  return address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
}

/** Parses "a.b.c.d/n", "v6::/n" or a bare address (a single host); network bits only. */
export function parseCidr(text: string): CidrParse {
  const [addressText = "", prefixText, ...rest] = text.trim().split("/");
  if (rest.length > 0) return { ok: false, problem: "has more than one '/'" };
  if (addressText.includes("%")) return { ok: false, problem: "must not carry an IPv6 zone id" };
  const parsed = parseAddress(addressText);
  if (parsed === null) return { ok: false, problem: "is not an IPv4 or IPv6 network such as 10.0.0.0/8 or fc00::/7" };

  const mapped = parsed.kind() === "ipv4" && !ipaddr.IPv4.isValidFourPartDecimal(addressText);
  const bits = mapped || parsed.kind() === "ipv6" ? 128 : 32;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return { ok: false, problem: "has a prefix length that is not a number" };
  const givenPrefix = prefixText === undefined ? bits : Number(prefixText);
  if (givenPrefix > bits) return { ok: false, problem: `has a prefix length above ${bits}` };
  if (mapped && givenPrefix < 96) return { ok: false, problem: "is an IPv4-mapped network shorter than /96; write it as an IPv4 network" };
  // An IPv4-mapped network is the IPv4 network it maps, so it matches what parseAddress produces.
  const prefix = mapped ? givenPrefix - 96 : givenPrefix;

  const network = networkOf(parsed, prefix);
  if (network.toString() !== parsed.toString()) {
    return { ok: false, problem: `has host bits set; did you mean ${network.toString()}/${prefix}?` };
  }
  return { ok: true, cidr: { text: `${network.toString()}/${prefix}`, network, prefix } };
}

/** True when `address` is inside `cidr`; IPv4 and IPv6 networks never contain each other's addresses. */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  return address.kind() === cidr.network.kind() && address.match(cidr.network, cidr.prefix);
}

function networkOf(address: IpAddress, prefix: number): IpAddress {
  const bytes = address.toByteArray();
  const masked = bytes.map((byte, index) => {
    const keep = Math.min(8, Math.max(0, prefix - index * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
  return ipaddr.fromByteArray(masked);
}
