import type { LookupAddress } from "node:dns";
import { lookup } from "node:dns/promises";

export type AddressFamily = 0 | 4 | 6;

/** Every address a name resolves to; injectable so tests need no DNS. */
export type ResolveHost = (hostname: string, family: AddressFamily) => Promise<readonly LookupAddress[]>;

/**
 * getaddrinfo through libuv, as Node's own connections do, so /etc/hosts and the system
 * resolver answer exactly as they would for the connection.
 */
export const resolveWithSystem: ResolveHost = (hostname, family) => lookup(hostname, { all: true, family });
