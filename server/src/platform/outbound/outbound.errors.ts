import { ServiceError } from "#server/platform/errors.ts";

/*
 * Both are "validation_error" (HTTP 400): the user gave an address Auspex will not or cannot
 * reach. The message says which address and which policy, so the user can fix the target and
 * the operator can find the setting.
 */

export class OutboundAddressRefusedError extends ServiceError {
  readonly host: string;
  readonly address: string;
  readonly refusedBy: string;

  constructor(host: string, address: string, refusedBy: string) {
    const named = host === address ? "" : ` (${host})`;
    super("validation_error", `address ${address}${named} is refused by ${refusedBy}`);
    this.host = host;
    this.address = address;
    this.refusedBy = refusedBy;
  }
}

export class UnresolvableHostError extends ServiceError {
  readonly host: string;

  constructor(host: string, cause?: unknown) {
    const code = (cause as { code?: unknown } | undefined)?.code;
    const why = typeof code === "string" ? ` (${code})` : "";
    super("validation_error", `host ${host} cannot be resolved to an address${why}`, { cause });
    this.host = host;
  }
}
