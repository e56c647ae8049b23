import type { ErrorCode, ErrorDetail } from "@auspex/shared/contracts/errors.ts";

/**
 * The one error family of Auspex. Services throw these with a transport-neutral
 * code; each transport (HTTP today, chat tools and jobs later) maps the code in
 * exactly one place.
 */
export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  /** Extra headers a transport should send, e.g. Retry-After for rate limits. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: { details?: ErrorDetail[]; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export class ValidationError extends ServiceError {
  constructor(details: ErrorDetail[]) {
    super("validation_error", details.map((d) => `${d.field}: ${d.problem}`).join("; "), { details });
  }
}

export class UnauthorizedError extends ServiceError {
  constructor(message = "Authentication required") {
    super("unauthorized", message);
  }
}

export class ForbiddenError extends ServiceError {
  constructor(message: string) {
    super("forbidden", message);
  }
}

/** Also what another user's resource looks like: its existence is not revealed. */
export class NotFoundError extends ServiceError {
  constructor(entity: string, id: string) {
    super("not_found", `${entity} '${id}' not found`);
  }
}

export class ConflictError extends ServiceError {
  constructor(message: string, details?: ErrorDetail[]) {
    super("conflict", message, details === undefined ? {} : { details });
  }
}

export class RateLimitedError extends ServiceError {
  constructor(retryAfterSeconds: number) {
    super("rate_limited", `Too many requests; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}

export class UnavailableError extends ServiceError {
  constructor(message: string, cause?: unknown) {
    super("unavailable", message, { cause });
  }
}
