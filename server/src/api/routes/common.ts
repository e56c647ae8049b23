import { z } from "zod";
import { ErrorEnvelope } from "@auspex/shared/contracts/errors.ts";
import type { ClientInfo } from "#server/modules/auth/index.ts";
import type { FastifyRequest } from "fastify";

/** Error responses documented on routes; the body is always the one ErrorEnvelope. */
export const errorResponses = {
  400: ErrorEnvelope.describe("The request is invalid; details name each field and problem"),
  401: ErrorEnvelope.describe("Missing, invalid, expired or revoked credentials"),
  403: ErrorEnvelope.describe("The credentials lack the needed scope"),
  404: ErrorEnvelope.describe("No such resource for this user"),
  429: ErrorEnvelope.describe("Rate limited; see Retry-After"),
} as const;

export const IdParams = z.strictObject({ id: z.string().min(1).max(64) });

export const NoContent = z.null().describe("No content");

type SecurityRequirements = Array<Record<string, string[]>>;
export const bearerSecurity: SecurityRequirements = [{ bearerAuth: [] }];
export const machineSecurity: SecurityRequirements = [{ bearerAuth: [] }, { basicAuth: [] }];

export function clientInfo(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers["user-agent"];
  return { ip: request.ip ?? null, userAgent: typeof userAgent === "string" ? userAgent : null };
}
