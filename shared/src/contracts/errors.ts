import { z } from "zod";

/** Stable, transport-neutral error codes. Clients may switch on these; never rename one. */
export const ERROR_CODES = [
  "validation_error",
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "rate_limited",
  "payload_too_large",
  "unsupported_media_type",
  "unavailable",
  "internal_error",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ErrorDetail = z.object({
  field: z.string().describe("Where the problem is, e.g. body.password or query.limit"),
  problem: z.string().describe("What is wrong with it, written for a person"),
});
export type ErrorDetail = z.infer<typeof ErrorDetail>;

/** The one error body every Auspex HTTP endpoint returns. */
export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z.array(ErrorDetail).optional(),
      requestId: z.string(),
    }),
  })
  .meta({ id: "ErrorEnvelope" });
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;
