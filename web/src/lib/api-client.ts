import { ErrorEnvelope, type ErrorCode, type ErrorDetail } from "@auspex/shared/contracts/errors.ts";

/**
 * Validates an unknown JSON body. Every zod schema from @auspex/shared/contracts fits, so responses
 * are checked against the same contract the server serialises with.
 */
export interface ResponseSchema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: unknown };
}

/** The server's stable error codes, plus the two failures that happen before one can be read. */
export type ApiErrorCode = ErrorCode | "network_error" | "unexpected_response";

export interface ApiErrorInit {
  status: number;
  code: ApiErrorCode;
  message: string;
  details?: readonly ErrorDetail[];
  requestId?: string | null;
  cause?: unknown;
}

/** Any failed API call: the server's error envelope, an unreachable server or an unexpected body. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  /** The HTTP status, or 0 when no response arrived. */
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly details: readonly ErrorDetail[];
  /** The server's request id (quote it when reporting a problem), when known. */
  readonly requestId: string | null;

  constructor(init: ApiErrorInit) {
    super(init.message, { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? [];
    this.requestId = init.requestId ?? null;
  }
}

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RequestOptions {
  method?: HttpMethod;
  /** Sent as JSON. */
  body?: unknown;
  headers?: HeadersInit;
  signal?: AbortSignal;
  /**
   * Non-2xx statuses whose body is a normal response rather than an error envelope,
   * e.g. 503 from /api/health, which still returns a HealthReport.
   */
  okStatuses?: readonly number[];
}

/** Calls the Auspex API and returns the body validated by `schema`; throws ApiError otherwise. */
export async function apiRequest<T>(path: string, schema: ResponseSchema<T>, options: RequestOptions = {}): Promise<T> {
  const { method = "GET", body, signal, okStatuses = [] } = options;
  const headers = new Headers(options.headers);
  if (!headers.has("accept")) headers.set("accept", "application/json");
  if (body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");

  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (cause) {
    // An abort is the caller's decision, not a failure to report.
    if (signal?.aborted) throw cause;
    throw new ApiError({ status: 0, code: "network_error", message: "Could not reach the Auspex server.", cause });
  }

  const requestId = response.headers.get("x-request-id");
  const payload = await readBody(response);

  if (!response.ok && !okStatuses.includes(response.status)) {
    const envelope = ErrorEnvelope.safeParse(payload);
    if (envelope.success) {
      const { code, message, details, requestId: envelopeRequestId } = envelope.data.error;
      throw new ApiError({ status: response.status, code, message, details, requestId: envelopeRequestId });
    }
    throw new ApiError({
      status: response.status,
      code: "unexpected_response",
      message: `${method} ${path} failed with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}.`,
      requestId,
    });
  }

  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new ApiError({
      status: response.status,
      code: "unexpected_response",
      message: `${method} ${path} returned a response this UI does not understand.`,
      requestId,
      cause: parsed.error,
    });
  }
  return parsed.data;
}

export function apiGet<T>(
  path: string,
  schema: ResponseSchema<T>,
  options: Omit<RequestOptions, "method" | "body"> = {},
): Promise<T> {
  return apiRequest(path, schema, { ...options, method: "GET" });
}

/** The parsed JSON body, the raw text when it is not JSON, or undefined when there is none. */
async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
